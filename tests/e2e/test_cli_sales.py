"""Sales, Handy → Alegra, through the CLI against both simulators: every order becomes
exactly one remission, whatever fails in between."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World, seed_orders
from handy_alegra.sync.sales_orders import OrderHandler
from tests.e2e.sales_checks import (
    activated,
    check_exactly_once,
    cli,
    records,
    remissions_by_order,
    sales,
    summary,
)


class Killed(BaseException):
    """Like SIGKILL: nothing after it runs (no except clause catches a BaseException)."""


@pytest.fixture
def mx(clock: ManualClock, database_url: str, tmp_path: Path) -> tuple[World, Runtime]:
    world, rt = activated(clock, database_url, tmp_path)
    yield world, rt
    rt.close()


def order_for(
    world: World, code: str, lines: list[dict[str, object]], clock: ManualClock
) -> dict[str, object]:
    clock.advance(30)
    return world.handy.create_order(code, lines, created_at=clock.now())


def a_product(world: World, n: int = 0) -> dict[str, object]:
    return [p for p in world.handy.products() if not p["code"].startswith("LOCAL-")][n]


def synced_customer(world: World, n: int = 0) -> str:
    return [c["code"] for c in world.handy.customers() if c["code"].startswith("ALG-")][n]


def test_a_normal_cycle_sends_each_order_once_and_writes_the_id_back(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    live = seed_orders(world, 40, since=clock.now())
    clock.advance(600)
    first = sales(rt)
    assert first["sent"] >= 30
    statuses = check_exactly_once(world, rt)
    assert statuses["sent"] == first["sent"]
    by_order = remissions_by_order(world)
    for order in live:
        remission = by_order.get(str(order["id"]))
        if remission:
            assert world.handy.order(order["id"])["externalId"] == remission[0]["id"]
    clock.advance(600)
    second = sales(rt)
    assert second["sent"] == second["adopted"] == second["updated"] == 0
    assert len(world.alegra.remissions()) == first["sent"]


def test_prices_are_sent_without_iva_and_totals_match_to_the_cent(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    product = a_product(world)
    price = Decimal(str(product["price"]))
    order = order_for(
        world,
        synced_customer(world),
        [
            {"code": product["code"], "quantity": "0.333", "price": str(price)},
            {
                "code": product["code"],
                "quantity": 3,
                "price": str((price * Decimal("0.97")).quantize(Decimal("0.01"))),
            },
        ],
        clock,
    )
    clock.advance(600)
    assert sales(rt)["sent"] == 1
    (remission,) = remissions_by_order(world)[str(order["id"])]
    assert Decimal(str(remission["total"])) == Decimal(str(order["totalSales"]))
    for line in remission["items"]:
        assert Decimal(str(line["price"])) < price  # before tax
        assert [t["name"] for t in line["tax"]] in (["IVA"], [])


def test_a_customer_without_rfc_is_sent_once_the_rfc_is_added(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    world.handy.add_customer(
        {"code": "NEW-1", "description": "Abarrotes Sin RFC", "rfc": None}, zone_name="Zona Centro"
    )
    order = order_for(
        world, "NEW-1", [{"code": a_product(world)["code"], "quantity": 2, "price": "10.00"}], clock
    )
    clock.advance(600)
    first = sales(rt)
    assert first["failed"] == {"no_rfc": 1}
    explained = cli(rt, "explain", "order", str(order["id"]), "--account", "acme")
    assert "no tiene RFC en Handy" in explained.stdout
    assert "Agrégale el RFC" in explained.stdout
    world.handy.update_customer(
        "NEW-1", rfc="ASR180215KJ3"
    )  # fixed in Handy; the order is not re-saved
    clock.advance(600)
    second = sales(rt)
    assert second["sent"] == 1
    client = next(c for c in world.alegra.contacts() if c["name"] == "Abarrotes Sin RFC")
    assert client["identification"] == "ASR180215KJ3"
    assert client["type"] == ["client"]
    check_exactly_once(world, rt)


def test_an_edit_updates_the_remission_and_moves_the_link(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    code = a_product(world)["code"]
    order = order_for(
        world, synced_customer(world), [{"code": code, "quantity": 1, "price": "50.00"}], clock
    )
    clock.advance(600)
    assert sales(rt)["sent"] == 1
    (remission,) = remissions_by_order(world)[str(order["id"])]
    clock.advance(60)
    edited = world.handy.edit_order(
        order["id"], [{"code": code, "quantity": 4, "price": "50.00"}], at=clock.now()
    )
    clock.advance(600)
    result = sales(rt)
    assert (result["updated"], result["sent"]) == (1, 0)
    assert len(world.alegra.remissions()) == 1
    updated = world.alegra.remissions()[0]
    assert updated["id"] == remission["id"]
    assert Decimal(str(updated["total"])) == Decimal("200.00")
    stored = records(rt)
    assert stored[str(order["id"])].status == "superseded"
    assert stored[str(edited["id"])].status == "sent"
    assert world.handy.order(edited["id"])["externalId"] == remission["id"]


def test_the_remission_carries_the_delivery_date_price_list_and_anotation_through_edits(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    """Issue 11, part 6: dueDate = the local date of the scheduled delivery, the account's
    price list, the order number and the seller's comment printed (``anotation``); the marker
    stays in ``observations``. An edit updates all of it on the same remission."""
    world, rt = mx
    code = a_product(world)["code"]
    clock.advance(30)
    order = world.handy.create_order(
        synced_customer(world),
        [{"code": code, "quantity": 1, "price": "50.00"}],
        created_at=clock.now(),
        comment="Entregar antes de las 9",
        scheduled_for=clock.now() + timedelta(days=3, hours=12),  # 2026-11-06 03:00Z
    )
    clock.advance(600)
    sales(rt)
    (remission,) = remissions_by_order(world)[str(order["id"])]
    assert (remission["date"], remission["dueDate"]) == ("2026-11-02", "2026-11-05")
    assert remission["priceList"]["id"] == world.price_list["id"]
    assert remission["anotation"] == f"Pedido Handy #{order['id']} — Entregar antes de las 9"
    assert remission["observations"] == f"Pedido Handy #{order['id']} [handy-order:{order['id']}]"
    clock.advance(60)
    edited = world.handy.edit_order(
        order["id"], [{"code": code, "quantity": 2, "price": "50.00"}], at=clock.now()
    )
    clock.advance(600)
    assert sales(rt)["updated"] == 1
    (updated,) = world.alegra.remissions()
    assert updated["id"] == remission["id"]
    assert updated["dueDate"] == "2026-11-05"
    assert updated["priceList"]["id"] == world.price_list["id"]
    assert updated["anotation"] == f"Pedido Handy #{edited['id']} — Entregar antes de las 9"
    assert updated["observations"] == (
        f"Pedido Handy #{edited['id']} [handy-order:{edited['id']}] (editado de #{order['id']})"
    )
    clock.advance(600)
    again = sales(rt)
    assert again["sent"] == again["updated"] == again["adopted"] == 0
    check_exactly_once(world, rt)


def test_a_cancelled_order_voids_its_remission(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    order = order_for(
        world,
        synced_customer(world),
        [{"code": a_product(world)["code"], "quantity": 1, "price": "20.00"}],
        clock,
    )
    clock.advance(600)
    sales(rt)
    clock.advance(60)
    world.handy.delete_order(order["id"], at=clock.now())
    clock.advance(600)
    assert sales(rt)["voided"] == 1
    assert world.alegra.remissions()[0]["status"] == "void"
    assert records(rt)[str(order["id"])].status == "voided"


def test_an_order_edited_then_cancelled_before_any_cycle_sends_nothing(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    code = a_product(world)["code"]
    order = order_for(
        world, synced_customer(world), [{"code": code, "quantity": 1, "price": "20.00"}], clock
    )
    clock.advance(60)
    edited = world.handy.edit_order(
        order["id"], [{"code": code, "quantity": 2, "price": "20.00"}], at=clock.now()
    )
    clock.advance(60)
    world.handy.delete_order(edited["id"], at=clock.now())
    clock.advance(600)
    sales(rt)
    assert world.alegra.remissions() == []


def test_edit_and_cancel_of_an_invoiced_remission_need_attention(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    code = a_product(world)["code"]
    first = order_for(
        world, synced_customer(world), [{"code": code, "quantity": 1, "price": "20.00"}], clock
    )
    second = order_for(
        world, synced_customer(world, 1), [{"code": code, "quantity": 1, "price": "20.00"}], clock
    )
    clock.advance(600)
    sales(rt)
    for remission in world.alegra.remissions():
        world.alegra.close_remission(remission["id"])  # invoiced in Alegra
    clock.advance(60)
    edited = world.handy.edit_order(
        first["id"], [{"code": code, "quantity": 5, "price": "20.00"}], at=clock.now()
    )
    world.handy.delete_order(second["id"], at=clock.now())
    clock.advance(600)
    result = sales(rt)
    assert result["needs_attention"] == 2
    stored = records(rt)
    assert (stored[str(edited["id"])].status, stored[str(edited["id"])].reason) == (
        "needs_attention",
        "remission_closed",
    )
    assert (stored[str(second["id"])].status, stored[str(second["id"])].reason) == (
        "needs_attention",
        "void_closed",
    )
    assert {r["status"] for r in world.alegra.remissions()} == {"closed"}


def test_an_unknown_product_fails_with_its_code_then_goes_through(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    order = order_for(
        world,
        synced_customer(world),
        [{"code": "NUEVO-77", "quantity": 1, "price": "11.60"}],
        clock,
    )
    clock.advance(600)
    result = sales(rt)
    assert result["failed"] == {"unknown_product": 1}
    explained = cli(rt, "explain", "order", str(order["id"]), "--account", "acme", "--json")
    assert "NUEVO-77" in explained.stdout
    iva = next(
        t
        for t in world.alegra.store.taxes.values()
        if t["name"] == "IVA" and t["status"] == "active"
    )
    world.alegra.add_item(
        {
            "name": "Nuevo",
            "reference": "NUEVO-77",
            "status": "active",
            "tax": [iva],
            "price": [{"idPriceList": world.price_list["id"], "price": 10}],
        }
    )
    clock.advance(600)
    assert sales(rt)["sent"] == 1
    (remission,) = remissions_by_order(world)[str(order["id"])]
    assert Decimal(str(remission["total"])) == Decimal("11.60")


def test_returns_are_left_out_and_rewards_go_as_charged(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    """Issue 11: a promotional line is sent at the price Handy charged (a gift charged 0 goes
    at 0); only returns are left out. Before, every reward line went at 0."""
    world, rt = mx
    code = a_product(world)["code"]
    order = order_for(
        world,
        synced_customer(world),
        [
            {"code": code, "quantity": 2, "price": "30.00"},
            {"code": code, "quantity": 1, "price": "30.00", "is_return": True},
            {"code": code, "quantity": 1, "price": "21.00", "is_reward": True},  # 30 % off
            {"code": code, "quantity": 1, "price": "0", "is_reward": True},  # a gift
        ],
        clock,
    )
    assert Decimal(str(order["totalSales"])) == Decimal("51.00")  # 60 + 21 + 0 − 30
    clock.advance(600)
    sales(rt)
    (remission,) = remissions_by_order(world)[str(order["id"])]
    assert [Decimal(str(line["quantity"])) for line in remission["items"]] == [
        Decimal(2),
        Decimal(1),
        Decimal(1),
    ]
    assert Decimal(str(remission["items"][1]["total"])) == Decimal("21.00")
    assert Decimal(str(remission["items"][2]["price"])) == 0
    assert Decimal(str(remission["total"])) == Decimal("81.00")
    record = records(rt)[str(order["id"])]
    assert record.status == "sent"
    assert record.handy_total == Decimal("81.00")
    assert record.detail["returns"] == [{"code": code, "quantity": "1.0", "price": "30.0"}]


@pytest.mark.parametrize("fault", ["error_500", "error_503", "drop_after_commit", "timeout_before"])
def test_every_fault_on_the_post_ends_with_exactly_one_remission(
    mx: tuple[World, Runtime], clock: ManualClock, fault: str
) -> None:
    world, rt = mx
    seed_orders(world, 12, since=clock.now())
    clock.advance(600)
    world.alegra.injector.script("POST", "^remissions$", fault, times=3)
    sales(rt)
    clock.advance(600)
    sales(rt)
    statuses = check_exactly_once(world, rt)
    assert statuses["sending"] == 0
    assert len(world.alegra.remissions()) == statuses["sent"]


def test_a_429_storm_is_waited_out(mx: tuple[World, Runtime], clock: ManualClock) -> None:
    world, rt = mx
    seed_orders(world, 8, since=clock.now())
    clock.advance(600)
    world.alegra.faults.storm_seconds = 45
    world.alegra.injector.script("POST", "^remissions$", "rate_limited", times=1)
    world.alegra.injector.storm_until = clock.monotonic() + 45
    result = sales(rt)
    assert result["outcome"] in ("ok", "partial")
    check_exactly_once(world, rt)
    assert len(world.alegra.remissions()) == result["sent"]


def test_the_process_killed_between_the_post_and_the_commit(
    mx: tuple[World, Runtime], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, rt = mx
    seed_orders(world, 6, since=clock.now())
    clock.advance(600)
    real = OrderHandler._sent
    calls = {"n": 0}

    def dies_after_the_post(self: OrderHandler, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Killed  # the remission exists; the store never heard of it
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(OrderHandler, "_sent", dies_after_the_post)
    with pytest.raises(Killed):
        cli(rt, "sync", "sales", "--account", "acme", "--json")
    monkeypatch.setattr(OrderHandler, "_sent", real)
    with rt.store.session() as session:  # a crash leaves its lease behind; it expires
        from handy_alegra.store.tables import OrderRecord

        for row in session.query(OrderRecord):
            row.lease_until = None
    clock.advance(600)
    result = sales(rt)
    assert result["adopted"] == 1
    statuses = check_exactly_once(world, rt)
    assert len(world.alegra.remissions()) == statuses["sent"]


def test_dry_run_sends_nothing(mx: tuple[World, Runtime], clock: ManualClock) -> None:
    world, rt = mx
    seed_orders(world, 10, since=clock.now())
    clock.advance(600)
    result = summary(cli(rt, "sync", "sales", "--account", "acme", "--dry-run", "--json"))
    assert result["dry_run"] is True
    assert result["sent"] > 0
    assert {line["action"] for line in result["plan"]} >= {"create"}
    assert world.alegra.remissions() == []
    assert records(rt) == {}


def test_ambiguous_client_names_fail_naming_the_candidates(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    for rfc in ("AAA010101AAA", "BBB010101BBB"):
        world.alegra.add_contact(
            {"name": "Tienda Gemela", "type": ["client"], "identification": rfc, "status": "active"}
        )
    world.handy.add_customer(
        {"code": "TW-1", "description": "Tienda Gemela", "rfc": "CCC010101CCC"},
        zone_name="Zona Centro",
    )
    world.handy.add_customer(
        {"code": "TW-2", "description": "Tienda Gemela ", "rfc": "BBB010101BBB"},
        zone_name="Zona Centro",
    )
    code = a_product(world)["code"]
    bad = order_for(world, "TW-1", [{"code": code, "quantity": 1, "price": "10"}], clock)
    good = order_for(world, "TW-2", [{"code": code, "quantity": 1, "price": "10"}], clock)
    clock.advance(600)
    result = sales(rt)
    assert result["failed"] == {"ambiguous_client": 1}
    stored = records(rt)
    assert stored[str(bad["id"])].detail["candidates"][0].endswith("(AAA010101AAA)")
    twin = next(c for c in world.alegra.contacts() if c.get("identification") == "BBB010101BBB")
    assert stored[str(good["id"])].alegra_client_id == twin["id"]
