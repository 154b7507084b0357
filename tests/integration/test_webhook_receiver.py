"""The receiver Alegra never gives up on, and strangers cannot lean on: with the right token
every delivery is answered 2xx — damaged, nested, unknown, too large — and what could not be
used is recorded on the account (``status``, the dashboard); a wrong token is refused before
a byte of the body is read, whatever its size."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from handy_alegra.accounts import operators
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling.embedded import Dispatcher
from handy_alegra.simulators.seed import World
from handy_alegra.store.tables import WebhookEvent
from handy_alegra.web.app import create_app
from tests.e2e.sales_checks import activated, cli
from tests.web.conftest import PASSWORD, Browser

MIB = 1024 * 1024
KEY = "test-session-key-" * 2


@pytest.fixture
def wired(
    clock: ManualClock, sqlite_url: str, tmp_path: Path
) -> Iterator[tuple[World, Runtime, TestClient]]:
    """An activated account with webhooks on; Alegra's deliveries go to the full web app."""
    world, rt = activated(clock, sqlite_url, tmp_path, items=40)
    app = create_app(rt, secret_key=KEY)
    client = TestClient(app)

    def deliver(url: str, body: bytes) -> int:
        return client.post(urlsplit(url).path, content=body).status_code

    world.alegra.webhook_sender = deliver
    enabled = cli(rt, "webhooks", "enable", "--account", "acme", "--public-url", "https://sync.mx")
    assert enabled.exit_code == 0, enabled.output
    yield world, rt, client
    client.close()
    rt.close()


def receiver_path(world: World) -> str:
    return urlsplit("https://" + world.alegra.subscriptions()[0]["url"]).path


def problem_rows(rt: Runtime) -> list[tuple[str | None, str | None]]:
    with rt.store.session() as session:
        rows = session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.outcome.like("webhook_%"))
            .order_by(WebhookEvent.id)
        ).all()
        return [(r.outcome, r.detail) for r in rows]


def pending_events(rt: Runtime) -> int:
    with rt.store.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(WebhookEvent)
                .where(WebhookEvent.processed_at.is_(None))
            )
            or 0
        )


NESTED = b"[" * 200_000 + b"]" * 200_000
DAMAGED = [
    (b"not json", "webhook_not_json"),
    (b'{"subject": "edit-item", "message": {"item": {"id": "1"', "webhook_not_json"),
    (b"\xff\xfe\x00\xd8garbage", "webhook_not_json"),
    (NESTED, "webhook_too_deep"),
    (b'{"subject": "new-invoice", "message": {"invoice": {"id": "9"}}}', "webhook_unknown_event"),
    (b'{"message": {"item": {"id": "1"}}}', "webhook_unknown_event"),
    (b'{"subject": "edit-item", "message": {}}', "webhook_no_record"),
    (b"[1, 2, 3]", "webhook_unknown_event"),
    (b'"just a string"', "webhook_unknown_event"),
    (b'{"subject": "edit-item", "message": {"item": {"id": {"x": 1}}}}', "webhook_no_record"),
    (b'{"subject": "delete-everything"}', "webhook_unknown_event"),
    (
        b'{"subject": "edit-client", "message": {"client": {"id": "' + b"9" * 100 + b'"}}}',
        "webhook_no_record",
    ),
]


def test_twelve_damaged_or_unknown_deliveries_are_acknowledged_recorded_and_the_subscription_survives(
    wired: tuple[World, Runtime, TestClient],
) -> None:
    world, rt, _ = wired
    subscription = next(s for s in world.alegra.subscriptions() if s["event"] == "edit-item")
    assert len(DAMAGED) == 12
    for body, _ in DAMAGED:  # through the simulator's own delivery path and failure count
        assert world.alegra.deliver_raw("edit-item", body) == 1
    assert world.alegra.store.delivery_failures.get(subscription["id"], 0) == 0
    assert subscription["id"] in {s["id"] for s in world.alegra.subscriptions()}
    assert [reason for reason, _ in problem_rows(rt)] == [reason for _, reason in DAMAGED]
    assert pending_events(rt) == 0  # nothing reaches the sync
    status = json.loads(cli(rt, "status", "--json").stdout)[0]["problems"]["webhooks"]
    assert status["count"] == 12
    assert status["by_reason"] == {
        "webhook_not_json": 3,
        "webhook_too_deep": 1,
        "webhook_unknown_event": 5,
        "webhook_no_record": 3,
    }
    assert status["latest"][0]["reason"] == "webhook_no_record"  # the newest first
    assert any("delete-everything" in x["explanation"] for x in status["latest"])
    text = cli(rt, "status", "--account", "acme", HANDY_ALEGRA_LANG="en").stdout
    assert "Alegra webhook deliveries not used (last 7 days): 12" in text


def test_nested_json_with_the_right_token_is_answered_2xx_and_recorded(
    wired: tuple[World, Runtime, TestClient],
) -> None:
    world, rt, client = wired
    answer = client.post(receiver_path(world), content=NESTED)
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "outcome": "webhook_too_deep"}
    assert problem_rows(rt) == [("webhook_too_deep", "JSON nested too deep to read")]


def test_the_dashboard_shows_the_deliveries_that_could_not_be_used(
    wired: tuple[World, Runtime, TestClient], clock: ManualClock
) -> None:
    world, rt, client = wired
    world.alegra.deliver_raw("edit-item", b'{"subject": "new-bill"}')
    with rt.store.session() as session:
        operators.add(session, "ana", PASSWORD, now=clock.now())
    browser = Browser(client)
    assert browser.login().status_code == 303
    page = browser.get("/accounts/acme").text
    assert 'id="webhook-problems"' in page
    assert 'data-reason="webhook_unknown_event"' in page
    assert "new-bill" in page


def test_a_body_over_one_mib_is_not_read_and_with_the_right_token_still_acknowledged(
    wired: tuple[World, Runtime, TestClient],
) -> None:
    world, rt, client = wired
    path = receiver_path(world)
    declared = client.post(path, content=b"x" * (MIB + 1))
    assert declared.status_code == 200
    assert declared.json()["outcome"] == "webhook_too_large"

    def chunked() -> Iterator[bytes]:  # no Content-Length: the cap holds while streaming
        for _ in range(40):
            yield b"y" * 65536

    streamed = client.post(path, content=chunked())
    assert streamed.status_code == 200
    assert streamed.json()["outcome"] == "webhook_too_large"
    assert [r for r, _ in problem_rows(rt)] == ["webhook_too_large"] * 2
    exactly = client.post(path, content=b" " * MIB)  # 1 MiB is allowed (and is blank: a ping)
    assert exactly.json()["outcome"] == "verification"


def test_a_delete_client_event_disables_the_customer_and_a_forged_delete_changes_nothing(
    wired: tuple[World, Runtime, TestClient], clock: ManualClock
) -> None:
    world, rt, client = wired
    dispatcher = Dispatcher(rt, concurrency=1)
    for _ in range(3):
        dispatcher.tick()
        dispatcher.drain()
    customer = next(
        c for c in world.handy.customers() if c["code"].startswith("ALG-") and c["enabled"]
    )
    contact_id = customer["code"].removeprefix("ALG-")
    world.alegra.webhook_sender = None  # Alegra's own event is replaced by the bare-id shape
    world.alegra.delete_contact(contact_id)
    path = receiver_path(world)
    bare = {"subject": "delete-client", "message": {"id": contact_id}}
    assert client.post(path, json=bare).json()["outcome"] == "recorded"
    product = next(
        p for p in world.handy.products() if p["enabled"] and not p["code"].startswith("LOCAL")
    )
    item = next(i for i in world.alegra.items() if i["reference"] == product["code"])
    forged = {"subject": "delete-item", "message": {"item": {"id": item["id"]}}}
    assert client.post(path, json=forged).json()["outcome"] == "recorded"
    clock.advance(15)
    dispatcher.tick()
    dispatcher.drain()
    dispatcher.shutdown()
    assert world.handy.customer(customer["code"])["enabled"] is False  # disabled, not deleted
    assert world.handy.product(product["code"])["enabled"] is True  # re-read: it still exists
    assert pending_events(rt) == 0


# --- memory: a stranger's 10 MB costs nothing ------------------------------------------------


def asgi_post(app: FastAPI, path: str, total: int, *, declare: bool) -> tuple[int, int, int]:
    """POST ``total`` bytes to ``app`` through raw ASGI, the body produced only as the app
    asks for it; returns (status, bytes the app pulled, peak bytes allocated meanwhile)."""
    block = b"z" * 65536
    pulled = 0
    answered: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        size = min(len(block), total - pulled)
        pulled += size
        return {"type": "http.request", "body": block[:size], "more_body": pulled < total}

    async def send(message: dict[str, Any]) -> None:
        answered.append(message)

    headers = [(b"content-type", b"application/json")]
    if declare:
        headers.append((b"content-length", str(total).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("203.0.113.9", 40000),
        "server": ("sync.mx", 443),
    }
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    asyncio.run(app(scope, receive, send))
    peak = tracemalloc.get_traced_memory()[1] - before
    status = next(m["status"] for m in answered if m["type"] == "http.response.start")
    return status, pulled, peak


@pytest.mark.parametrize("declare", [True, False])
def test_a_10_mb_post_with_a_wrong_token_is_refused_unread_in_a_few_kilobytes(
    wired: tuple[World, Runtime, TestClient], declare: bool
) -> None:
    world, _, client = wired
    app = client.app
    assert isinstance(app, FastAPI)
    wrong = "/webhooks/alegra/" + "A" * 32
    tracemalloc.start()
    try:
        asgi_post(app, wrong, 1000, declare=True)  # warm-up: first-call allocations
        status, pulled, peak = asgi_post(app, wrong, 10 * MIB, declare=declare)
        right_status, right_pulled, right_peak = asgi_post(
            app, receiver_path(world), 10 * MIB, declare=declare
        )
    finally:
        tracemalloc.stop()
    assert status == 404
    assert pulled == 0  # not a byte of the body was read
    assert peak < 1 * MIB, peak
    assert right_status == 200  # the right token: acknowledged, recorded as too large
    assert right_pulled <= (0 if declare else MIB + 65536)
    assert right_peak < 3 * MIB, right_peak
    print(f"wrong token peak {peak / 1024:.0f} KiB; right token peak {right_peak / 1024:.0f} KiB")
