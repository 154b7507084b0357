"""The sales issue's acceptance: a seeded MX company and a seeded CO company, 300 orders each
with edits, cancellations, returns, a customer without RFC (MX) or person category (CO) and
a product code no Alegra item has. After two cycles every live order has exactly one open
remission with Handy's total to the cent (or the difference recorded), every cancelled
order's remission is void, every failure has its reason; a third cycle sends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.simulators.seed import seed_orders
from tests.e2e.sales_checks import activated, check_exactly_once, records, sales


@pytest.mark.parametrize("country", ["MX", "CO"])
def test_three_hundred_orders_two_cycles_then_nothing(
    country: str, database_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    world, rt = activated(clock, database_url, tmp_path, country=country, items=300, seed=31)
    try:
        live = seed_orders(world, 300, since=clock.now())
        clock.advance(600)
        first = sales(rt)
        assert first["sent"] > 200
        sent = [o for o in live if records(rt)[str(o["id"])].status == "sent"]
        for order in sent[:10]:  # edits and cancellations after their remission exists
            lines = [
                {"code": ln["product"]["code"], "quantity": 2, "price": str(ln["price"])}
                for ln in order["items"]
                if not ln["isReturn"] and not ln["isReward"]
            ]
            world.handy.edit_order(order["id"], lines, at=clock.now())
        for order in sent[10:20]:
            world.handy.delete_order(order["id"], at=clock.now())
        clock.advance(600)
        second = sales(rt)
        assert second["updated"] == 10
        assert second["voided"] == 10
        statuses = check_exactly_once(world, rt)
        assert statuses["sending"] == statuses["pending"] == 0
        stored = records(rt)
        failed = [r for r in stored.values() if r.status == "failed"]
        assert failed, "the seed has orders that cannot go through"
        for record in failed:
            assert record.reason in reasons.REASONS
            assert reasons.sentence(record.reason, record.detail) != record.reason
        expected_reasons = {
            "unknown_product",
            "no_rfc" if country == "MX" else "no_person_category",
        }
        assert expected_reasons <= {r.reason for r in failed}
        before = len(world.alegra.remissions())
        clock.advance(600)
        third = sales(rt)
        assert (third["sent"], third["adopted"], third["updated"], third["voided"]) == (0, 0, 0, 0)
        assert len(world.alegra.remissions()) == before
    finally:
        rt.close()
