"""Listings that misbehave: a page that repeats (the API ignored the offset or the page
number once). The run stops cleanly as ``interrupted`` with the "repeated a page" message,
writes nothing it cannot stand behind — above all, disables nothing — and the next run picks
up as if nothing had happened."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from handy_alegra.clients.http import Request
from handy_alegra.sync import catalog, customers, sales
from tests.fuzz.strategies import Sandbox, sandbox, synced_company, with_params

Rewrite = Callable[[Request], Request]


def repeat_once(collection: str, param: str, asked: str, answered: str) -> Rewrite:
    """The first GET of ``collection`` asking ``param=asked`` gets the page ``answered``."""
    done = threading.Event()
    lock = threading.Lock()

    def rewrite(request: Request) -> Request:
        path = request.url.path.rstrip("/")
        if request.method != "GET" or not path.endswith("/" + collection):
            return request
        with lock:
            if done.is_set() or request.url.params.get(param) != asked:
                return request
            done.set()
        return with_params(request, **{param: answered})

    return rewrite


def smaller_pages(collection: str, size: int, then: Rewrite | None = None) -> Rewrite:
    """Handy answers ``max`` records a page at most: ask for fewer, so that a small company
    spans several pages."""

    def rewrite(request: Request) -> Request:
        if request.method == "GET" and request.url.path.rstrip("/").endswith("/" + collection):
            request = with_params(request, max=str(size))
        return then(request) if then else request

    return rewrite


def enabled_products(box: Sandbox) -> dict[str, Any]:
    return {p["code"]: p for p in box.world.handy.products() if p["enabled"]}


def enabled_customers(box: Sandbox) -> dict[str, Any]:
    return {c["code"]: c for c in box.world.handy.customers() if c["enabled"]}


def check_interrupted(summary: Any) -> None:
    assert summary.outcome == "interrupted", (summary.outcome, summary.message)
    assert "repeated a page" in (summary.message or ""), summary.message
    assert summary.counts["disabled"] == 0


def check_harmless(
    box: Sandbox,
    sync: Callable[..., Any],
    api: str,
    rewrite: Rewrite,
    enabled: Callable[[Sandbox], dict[str, Any]],
) -> None:
    """A run whose listing repeats a page stops, disables nothing, and the next is calm."""
    assert sync(box.runtime, box.account).outcome == "ok"
    before = enabled(box)
    box.clock.advance(60)
    getattr(box, api).requests = rewrite
    check_interrupted(sync(box.runtime, box.account))
    assert enabled(box) == before
    getattr(box, api).requests = None
    box.clock.advance(60)
    after = sync(box.runtime, box.account)
    assert after.outcome == "ok", after.message
    assert after.counts["disabled"] == 0
    assert enabled(box) == before


@pytest.mark.parametrize(
    ("api", "rewrite", "items"),
    [
        ("alegra", repeat_once("items", "start", "60", "30"), 90),
        ("handy", smaller_pages("product", 10, repeat_once("product", "page", "2", "1")), 30),
    ],
    ids=["alegra-items", "handy-products"],
)
def test_a_repeated_page_interrupts_the_catalog_and_disables_nothing(
    tmp_path: Path, api: str, rewrite: Rewrite, items: int
) -> None:
    box = sandbox(tmp_path, items=items)
    try:
        check_harmless(box, catalog.run, api, rewrite, enabled_products)
    finally:
        box.close()


@pytest.mark.parametrize(
    ("api", "rewrite"),
    [
        ("alegra", repeat_once("contacts", "start", "30", "0")),
        ("handy", smaller_pages("customer", 5, repeat_once("customer", "page", "2", "1"))),
    ],
    ids=["alegra-contacts", "handy-customers"],
)
def test_a_repeated_page_interrupts_the_customers_and_disables_nothing(
    tmp_path: Path, api: str, rewrite: Rewrite
) -> None:
    box = sandbox(tmp_path, contacts=80)
    try:
        check_harmless(box, customers.run, api, rewrite, enabled_customers)
    finally:
        box.close()


def test_a_repeated_page_of_orders_interrupts_the_cycle_and_loses_nothing(
    tmp_path: Path,
) -> None:
    box = sandbox(tmp_path)
    try:
        products, linked = synced_company(box)
        orders = [
            box.world.handy.create_order(
                linked[k % len(linked)],
                [{"code": products[k % 10]["code"], "quantity": 1, "price": 10}],
            )
            for k in range(25)
        ]
        box.clock.advance(60)
        box.handy.requests = smaller_pages(
            "salesOrder", 10, repeat_once("salesOrder", "page", "2", "1")
        )
        summary = sales.run(box.runtime, box.account)
        assert summary.outcome == "interrupted", (summary.outcome, summary.message)
        assert "repeated a page" in (summary.message or "")
        box.handy.requests = smaller_pages("salesOrder", 10)
        box.clock.advance(60)
        again = sales.run(box.runtime, box.account)
        assert again.outcome == "ok", again.message
        marked = [r["observations"] for r in box.world.alegra.remissions()]
        for order in orders:  # each order sent, once
            assert sum(f"[handy-order:{order['id']}]" in m for m in marked) == 1, order["id"]
    finally:
        box.close()
