"""``sync sales --dry-run`` and ``sync sales`` take the same decisions (issue 15): on one world
— new orders, edits, an order edited twice, cancellations before and after the remission,
POSTs of unknown outcome, a customer without RFC, a total Handy computed by another rule, an
order of returns only, invoiced remissions edited and cancelled — the dry run lists what the
cycle then does, order by order, and writes nothing."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from handy_alegra.accounts import registry as accounts
from handy_alegra.domain.clock import ManualClock
from handy_alegra.domain.statuses import OrderStatus
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World
from handy_alegra.store.tables import OrderRecord
from handy_alegra.sync import sales
from handy_alegra.sync.sales_plan import decided
from tests.e2e.sales_checks import activated, cli, records, remissions_by_order, summary


@pytest.fixture
def mx(clock: ManualClock, database_url: str, tmp_path: Path) -> Iterator[tuple[World, Runtime]]:
    world, rt = activated(clock, database_url, tmp_path)
    yield world, rt
    rt.close()


def stored(rt: Runtime) -> dict[str, tuple[Any, ...]]:
    with rt.store.session() as session:
        rows = session.scalars(select(OrderRecord)).all()
        return {
            r.handy_id: (r.status, r.reason, r.remission_id, r.attempts, r.updated_at) for r in rows
        }


class Shop:
    """Orders in the simulated Handy, a step of the manual clock apart."""

    def __init__(self, world: World, clock: ManualClock) -> None:
        self.world, self.clock = world, clock
        products = [p for p in world.handy.products() if not p["code"].startswith("LOCAL-")]
        self.code = products[0]["code"]
        self.price = str(products[0]["price"])
        self.buyers = [c["code"] for c in world.handy.customers() if c["code"].startswith("ALG-")]

    def line(self, quantity: int = 1, **over: Any) -> list[dict[str, Any]]:
        return [{"code": self.code, "quantity": quantity, "price": self.price, **over}]

    def order(self, n: int, lines: list[dict[str, Any]] | None = None, buyer: str = "") -> str:
        self.clock.advance(30)
        created = self.world.handy.create_order(
            buyer or self.buyers[n % len(self.buyers)],
            lines or self.line(1 + n % 3),
            created_at=self.clock.now(),
        )
        return str(created["id"])

    def edit(self, order_id: str, quantity: int) -> str:
        self.clock.advance(30)
        edited = self.world.handy.edit_order(
            int(order_id), self.line(quantity), at=self.clock.now()
        )
        return str(edited["id"])

    def cancel(self, order_id: str) -> None:
        self.clock.advance(30)
        self.world.handy.delete_order(int(order_id), at=self.clock.now())


def test_the_dry_run_and_the_cycle_decide_the_same_order_by_order(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    shop = Shop(world, clock)
    world.handy.add_customer(
        {"code": "NO-RFC", "description": "Abarrotes Sin RFC", "rfc": None}, zone_name="Zona Centro"
    )
    # --- a first cycle: what the second one finds in the store --------------------------------
    edited = shop.order(0)
    edited_twice = shop.order(1)
    cancelled_after_sent = shop.order(2)
    never_sent_cancelled = shop.order(3, buyer="NO-RFC")  # fails: no RFC
    invoiced_edited = shop.order(4)
    invoiced_cancelled = shop.order(5)
    killed_after_post = shop.order(6)
    killed_before_post = shop.order(7, shop.line(code="NUEVO-1", price="11.60"))  # fails
    unknown_then_edited = shop.order(8)
    failed_then_edited = shop.order(9, shop.line(code="NUEVO-2", price="11.60"))  # fails
    clock.advance(600)
    first = summary(cli(rt, "sync", "sales", "--account", "acme", "--json"))
    assert (first["sent"], sum(first["failed"].values())) == (7, 3)
    for remission in world.alegra.remissions():
        if f"[handy-order:{invoiced_edited}]" in remission["observations"]:
            world.alegra.close_remission(remission["id"])
        if f"[handy-order:{invoiced_cancelled}]" in remission["observations"]:
            world.alegra.close_remission(remission["id"])
    world.alegra.add_item(
        {
            "name": "Nuevo",
            "reference": "NUEVO-1",
            "status": "active",
            "price": [{"idPriceList": world.price_list["id"], "price": "11.60"}],
        }
    )
    with rt.store.session() as session:  # two processes killed around their POST
        for row in session.scalars(select(OrderRecord)):
            if row.handy_id in (killed_after_post, unknown_then_edited):  # the remission exists
                row.status, row.remission_id, row.remission_number = OrderStatus.SENDING, None, None
            if row.handy_id == killed_before_post:  # the POST never reached Alegra
                row.status, row.reason = OrderStatus.SENDING, None
                row.alegra_client_id = world.handy.order(int(killed_before_post))["customer"][
                    "code"
                ].removeprefix("ALG-")
                row.remission_date = "2026-11-02"
    # --- what happens in Handy before the second cycle ----------------------------------------
    edit = shop.edit(edited, 5)
    middle = shop.edit(edited_twice, 4)
    twice = shop.edit(middle, 6)
    shop.cancel(cancelled_after_sent)
    shop.cancel(never_sent_cancelled)
    invoiced_edit = shop.edit(invoiced_edited, 3)
    shop.cancel(invoiced_cancelled)
    after_unknown = shop.edit(unknown_then_edited, 2)
    fixed = shop.edit(failed_then_edited, 2)
    new = shop.order(10)
    edited_before_read = shop.edit(shop.order(11), 3)
    without_rfc = shop.order(12, buyer="NO-RFC")
    returns_only = shop.order(13, shop.line(is_return=True))
    copied = shop.order(14)
    mismatch = copy.deepcopy(world.handy.order(int(copied)))
    mismatch.update(id=int(new) + 1000, totalSales=1.5)
    world.handy.add_rendered_order(mismatch)
    clock.advance(600)

    before = stored(rt), [dict(r) for r in world.alegra.remissions()]
    dry = summary(cli(rt, "sync", "sales", "--account", "acme", "--dry-run", "--json"))
    assert (stored(rt), world.alegra.remissions()) == before  # nothing written anywhere
    with rt.store.session() as session:
        account = accounts.load(session, rt.vault, "acme")
    real = sales.run(rt, account)

    assert decided(dry["plan"]) == decided(real.planned)
    assert {(o, a, r) for o, a, r in decided(real.planned)} == {
        (edit, "update", None),
        (twice, "update", None),
        (cancelled_after_sent, "void", None),
        (never_sent_cancelled, "cancel", None),
        (invoiced_edit, "fail", "remission_closed"),
        (invoiced_cancelled, "fail", "void_closed"),
        (killed_after_post, "adopt", None),
        (killed_before_post, "create", None),
        (unknown_then_edited, "adopt", None),
        (after_unknown, "update", None),
        (failed_then_edited, "supersede", None),
        (fixed, "create", None),
        (new, "create", None),
        (edited_before_read, "create", None),
        (without_rfc, "fail", "no_rfc"),
        (returns_only, "fail", "only_returns"),
        (str(mismatch["id"]), "fail", "handy_total_mismatch"),
        (copied, "create", None),
    }
    counted = ("sent", "adopted", "updated", "voided", "cancelled", "needs_attention", "failed")
    assert {k: dry[k] for k in counted} == {k: real.counts_json()[k] for k in counted}
    assert records(rt)[edited].status == OrderStatus.SUPERSEDED
    assert all(len(found) == 1 for found in remissions_by_order(world).values())  # none twice
