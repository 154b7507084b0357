"""Alegra webhooks: a price changed in Alegra reaches Handy within a minute, with no scheduled
run; deletions and new clients too; dropped subscriptions come back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling.embedded import Dispatcher
from handy_alegra.simulators.seed import World
from handy_alegra.store.tables import Slot
from handy_alegra.web import webhooks
from tests.e2e.sales_checks import activated, cli

PUBLIC = "https://testserver"


@pytest.fixture
def wired(
    clock: ManualClock, sqlite_url: str, tmp_path: Path
) -> Iterator[tuple[World, Runtime, TestClient]]:
    world, rt = activated(clock, sqlite_url, tmp_path, items=60)
    app = FastAPI()
    app.state.runtime = rt
    app.include_router(webhooks.router)
    client = TestClient(app)

    def deliver(url: str, body: bytes) -> int:  # Alegra's side of a delivery
        return client.post(urlsplit(url).path, content=body).status_code

    world.alegra.webhook_sender = deliver
    assert cli(rt, "webhooks", "enable", "--account", "acme", "--public-url", PUBLIC).exit_code == 0
    yield world, rt, client
    client.close()
    rt.close()


def settle(dispatcher: Dispatcher, clock: ManualClock) -> None:
    """Run every scheduled job that is due, so that what follows is only webhook work."""
    for _ in range(3):
        dispatcher.tick()
        dispatcher.drain()


def started_kinds(rt: Runtime, started: list[int]) -> list[str]:
    with rt.store.session() as session:
        return [s.kind for s in session.scalars(select(Slot).where(Slot.id.in_(started)))]


def test_enable_subscribes_every_item_and_client_event(
    wired: tuple[World, Runtime, TestClient],
) -> None:
    world, _, _ = wired
    subscriptions = world.alegra.subscriptions()
    assert sorted(s["event"] for s in subscriptions) == sorted(
        ["new-item", "edit-item", "delete-item", "new-client", "edit-client", "delete-client"]
    )
    assert all(s["url"].startswith("testserver/webhooks/alegra/") for s in subscriptions)
    assert len(subscriptions[0]["url"].rsplit("/", 1)[-1]) >= 32  # an unguessable token


def test_a_price_changed_in_alegra_reaches_handy_within_a_minute(
    wired: tuple[World, Runtime, TestClient], clock: ManualClock
) -> None:
    world, rt, _ = wired
    dispatcher = Dispatcher(rt, concurrency=2)
    settle(dispatcher, clock)
    product = next(p for p in world.handy.products() if not p["code"].startswith("LOCAL"))
    item = next(i for i in world.alegra.items() if i["reference"] == product["code"])
    prices = [
        dict(p, price="500") if p["idPriceList"] == world.price_list["id"] else p
        for p in item["price"]
    ]
    clock.advance(20)
    world.alegra.update_item(item["id"], price=prices)  # Alegra POSTs edit-item to the receiver
    clock.advance(15)  # the next tick of the service
    started = dispatcher.tick()
    dispatcher.drain()
    assert started_kinds(rt, started) == ["events"]  # no scheduled run: only the webhook's job
    iva = (
        Decimal(str(next(t for t in item["tax"] if t["name"] == "IVA")["percentage"]))
        if any(t["name"] == "IVA" and t["status"] == "active" for t in item["tax"])
        else Decimal(0)
    )
    expected = (Decimal(500) * (100 + iva) / 100).quantize(Decimal("0.01"))
    assert Decimal(str(world.handy.product(product["code"])["price"])) == expected
    dispatcher.shutdown()


def test_a_deleted_item_disables_its_product_and_a_new_client_appears(
    wired: tuple[World, Runtime, TestClient], clock: ManualClock
) -> None:
    world, rt, _ = wired
    dispatcher = Dispatcher(rt, concurrency=2)
    settle(dispatcher, clock)
    product = next(
        p for p in world.handy.products() if not p["code"].startswith("LOCAL") and p["enabled"]
    )
    item = next(i for i in world.alegra.items() if i["reference"] == product["code"])
    world.alegra.delete_item(item["id"])
    contact = world.alegra.add_contact(
        {"name": "Cliente Llegado por Webhook", "type": ["client"], "status": "active"}
    )
    clock.advance(15)
    dispatcher.tick()
    dispatcher.drain()
    assert world.handy.product(product["code"])["enabled"] is False
    assert (
        world.handy.customer(f"ALG-{contact['id']}")["description"] == "Cliente Llegado por Webhook"
    )
    dispatcher.shutdown()


def test_the_receiver_answers_verification_and_refuses_unknown_tokens(
    wired: tuple[World, Runtime, TestClient],
) -> None:
    world, _, client = wired
    path = urlsplit("http://" + world.alegra.subscriptions()[0]["url"]).path
    assert client.post(path, content=b"").status_code == 200
    assert client.post("/webhooks/alegra/not-the-token", content=b"{}").status_code == 404
    assert client.post(path, content=b"not json").status_code == 200  # recorded, not refused


def test_a_subscription_alegra_dropped_is_recreated_by_the_daily_job(
    wired: tuple[World, Runtime, TestClient], clock: ManualClock
) -> None:
    world, rt, _ = wired
    dispatcher = Dispatcher(rt, concurrency=2)
    settle(dispatcher, clock)  # the run after activation and a first sales cycle
    dropped = next(s for s in world.alegra.subscriptions() if s["event"] == "edit-item")
    world.alegra.store.subscriptions.pop(dropped["id"])  # Alegra deletes it after 10 failures
    listed = world.alegra.count_calls("GET", "^webhooks/subscriptions")
    clock.set(datetime(2026, 11, 2, 15, 20, 5, tzinfo=UTC))
    settle(dispatcher, clock)  # a sales cycle: it does not look at the subscriptions
    assert world.alegra.count_calls("GET", "^webhooks/subscriptions") == listed
    assert "edit-item" not in {s["event"] for s in world.alegra.subscriptions()}
    clock.set(datetime(2026, 11, 3, 9, 0, 5, tzinfo=UTC))  # 03:00 in Mexico City: the daily job
    settle(dispatcher, clock)
    assert world.alegra.count_calls("GET", "^webhooks/subscriptions") == listed + 1
    assert "edit-item" in {s["event"] for s in world.alegra.subscriptions()}
    dispatcher.shutdown()


def test_a_client_edited_after_its_seller_was_renamed_gets_the_current_zone(
    wired: tuple[World, Runtime, TestClient], clock: ManualClock
) -> None:
    """The webhook path judges a contact with the sellers' names as Alegra has them now, as
    the daily run does — not with no sellers at all (it used to: the rules only learnt the
    sellers inside the daily run's reading, so a webhook kept the name the contact carried)."""
    world, rt, _ = wired
    dispatcher = Dispatcher(rt, concurrency=2)
    settle(dispatcher, clock)
    contact = next(
        c
        for c in world.alegra.contacts()
        if isinstance(c.get("seller"), dict) and "client" in c["type"] and c["status"] == "active"
    )
    seller_id, old_name = str(contact["seller"]["id"]), contact["seller"]["name"]
    world.alegra.rename_seller(seller_id, "Zona de Rocío Ñañez")
    with world.alegra.lock:  # Alegra keeps the name the contact was saved with
        world.alegra.store.contacts[contact["id"]]["seller"]["name"] = old_name
    world.alegra.update_contact(contact["id"], phonePrimary="4421234567")  # edit-client
    clock.advance(15)
    assert started_kinds(rt, dispatcher.tick()) == ["events"]
    dispatcher.drain()
    customer = world.handy.customer(f"ALG-{contact['id']}")
    assert customer["zone"]["description"] == "Zona de Rocío Ñañez"
    dispatcher.shutdown()
