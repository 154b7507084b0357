"""How a run ended shows on the dashboard: a crashed sales cycle marks the account failing
(list and page) and its run ``crashed``; a run stopped for a shutdown does not."""

from __future__ import annotations

import re
from typing import Any

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.scheduling.embedded import Dispatcher
from handy_alegra.simulators.seed import World
from handy_alegra.sync import sales, sales_orders
from tests.web.conftest import Browser, step


def new_order(world: World) -> str:
    customer = next(c for c in world.handy.customers() if c.get("rfc"))
    product = next(p for p in world.handy.products() if not p["code"].startswith("LOCAL-"))
    line = {"code": product["code"], "quantity": 2, "price": str(product["price"])}
    return str(world.handy.create_order(customer["code"], [line])["id"])


def account_health(page: str) -> str:
    found = re.search(r'data-health="(\w+)"', page)
    assert found is not None
    return found.group(1)


def sales_outcome(page: str) -> str:
    row = page.split('data-job="sales"')[1].split("</tr>")[0]
    found = re.search(r'data-outcome="(\w+)"', row)
    assert found is not None
    return found.group(1)


def test_a_crashed_sales_cycle_shows_the_account_failing(
    signed_in: Browser,
    synced: Dispatcher,
    world: World,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert account_health(signed_in.get("/accounts").text) == "ok"

    def bug(*_: Any, **__: Any) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(sales_orders.OrderHandler, "handle", bug)
    new_order(world)
    step(synced, clock, 600)

    listing = signed_in.get("/accounts").text
    assert account_health(listing) == "bad"
    assert "Falla" in listing
    page = signed_in.get("/accounts/acme").text
    assert account_health(page) == "bad"
    assert sales_outcome(page) == "crashed"
    assert "falló por un error" in page
    assert "ZeroDivisionError: division by zero" in page  # the run's message

    monkeypatch.undo()  # the bug is fixed: the next cycle sends the order
    step(synced, clock, 600)
    assert account_health(signed_in.get("/accounts").text) == "ok"


def test_a_stopped_run_does_not_mark_the_account_failing(
    signed_in: Browser,
    synced: Dispatcher,
    world: World,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_order(world)
    reading = sales.SalesSync._read_created

    def shutdown_arrives(self: sales.SalesSync, *args: Any) -> None:
        synced.stopping.set()  # SIGTERM while the cycle reads Handy
        reading(self, *args)

    monkeypatch.setattr(sales.SalesSync, "_read_created", shutdown_arrives)
    step(synced, clock, 600)
    page = signed_in.get("/accounts/acme").text
    assert sales_outcome(page) == "stopped"
    assert "detenida" in page
    assert account_health(page) == "ok"
    assert account_health(signed_in.get("/accounts").text) == "ok"
