"""Handy's own public example order (SDK ``SalesOrderExample.json``, id 29079293) through
``sync sales`` against both simulators: one remission whose Alegra-computed total is Handy's
36,807.30 with tax 4,959.80 — its promotional line (1,740 at 30 % off = 1,218.00) included.
An order whose lines disagree with its ``totalSales`` is held and ``explain order`` says why."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World
from tests import public_fixtures as public
from tests.e2e.sales_checks import activated, cli, records, remissions_by_order, sales
from tests.e2e.sales_checks import summary as summary_of

#: A little before the SDK order reached Handy (2023-02-26T07:14:32Z).
BEFORE = datetime(2023, 2, 26, 7, 0, tzinfo=UTC)
EXAMPLE = "handy-sdk-SalesOrderExample.json"


@pytest.fixture
def company(database_url: str, tmp_path: Path) -> Iterator[tuple[World, Runtime, ManualClock]]:
    """A seeded Mexican company activated just before the example order, whose Alegra has
    the order's client ("Gru Inc") and its three items, with IVA 8 % or 16 % as in the order."""
    clock = ManualClock(BEFORE)
    world, rt = activated(clock, database_url, tmp_path, items=40, seed=11)
    iva = {
        rate: next(
            t
            for t in world.alegra.store.taxes.values()
            if t["name"] == "IVA" and t["status"] == "active" and Decimal(t["percentage"]) == rate
        )
        for rate in (Decimal(8), Decimal(16))
    }
    for code, name, net, rate in (
        ("M-001", "Rayo Encogedor", "1750", 8),
        ("M-002", "Airship", "30000", 16),
        ("Q-001", "Rayo Congelador", "1500", 16),
    ):
        world.alegra.add_item(
            {
                "name": name,
                "reference": code,
                "status": "active",
                "price": [{"idPriceList": world.price_list["id"], "price": net}],
                "tax": [iva[Decimal(rate)]],
                "inventory": {"unit": "piece", "availableQuantity": 10},
            }
        )
    world.alegra.add_contact({"name": "Gru Inc", "type": ["client"], "identification": None})
    try:
        yield world, rt, clock
    finally:
        rt.close()


def test_the_sdk_example_order_becomes_one_remission_of_its_total(
    company: tuple[World, Runtime, ManualClock],
) -> None:
    world, rt, clock = company
    order = public.load(EXAMPLE)
    world.handy.add_rendered_order(order)
    clock.advance(30 * 60)
    summary = sales(rt)
    assert (summary["sent"], summary["outcome"]) == (1, "ok")
    (remission,) = remissions_by_order(world)["29079293"]
    assert Decimal(str(remission["total"])) == Decimal("36807.30")
    assert Decimal(str(remission["tax"])) == Decimal("4959.80")
    assert Decimal(str(remission["subtotal"])) == Decimal("31847.50")  # Handy's totalBeforeTax
    lines = [(line["reference"], Decimal(str(line["total"]))) for line in remission["items"]]
    assert lines == [
        ("M-001", Decimal("1833.30")),
        ("M-002", Decimal("33756")),
        ("Q-001", Decimal("1218")),  # the REWARD line, as Handy charged it
    ]
    assert [t["percentage"] for line in remission["items"] for t in line["tax"]] == [
        "8.00",
        "16.00",
        "16.00",
    ]
    # What an accountant expects on it (issue 11, part 6).
    assert remission["date"] == "2023-02-26"  # 01:14 in Mexico City
    assert remission["dueDate"] == "2023-03-03"  # scheduledDateForDelivery 16:00Z, local date
    assert remission["priceList"]["id"] == world.price_list["id"]
    assert remission["anotation"] == "Pedido Handy #29079293 — Pedido para aprovechar la promo"
    assert remission["observations"] == "Pedido Handy #29079293 [handy-order:29079293]"
    record = records(rt)["29079293"]
    assert (record.status, record.handy_total, record.alegra_total) == (
        "sent",
        Decimal("36807.30"),
        Decimal("36807.30"),
    )
    assert "difference" not in record.detail
    assert world.handy.order(29079293)["externalId"] == remission["id"]
    clock.advance(600)
    again = sales(rt)  # the marker still finds it: nothing is sent twice
    assert again["sent"] == again["adopted"] == 0
    assert len(remissions_by_order(world)["29079293"]) == 1


def mismatching(order: dict[str, Any], order_id: int, total_sales: float) -> dict[str, Any]:
    changed = copy.deepcopy(order)
    changed.update(id=order_id, totalSales=total_sales)
    return changed


def test_an_order_whose_lines_disagree_with_its_total_is_held_and_explained(
    company: tuple[World, Runtime, ManualClock],
) -> None:
    world, rt, clock = company
    order = public.load(EXAMPLE)
    # The figure the old rule would have booked: the promotional line left out of the total.
    world.handy.add_rendered_order(mismatching(order, 29079900, 35589.3))
    world.handy.add_rendered_order(order)
    clock.advance(30 * 60)
    preview = summary_of(cli(rt, "sync", "sales", "--account", "acme", "--dry-run", "--json"))
    assert {p["order"]: p["action"] for p in preview["plan"]} == {
        "29079293": "create",
        "29079900": "fail",
    }
    (held_plan,) = [p for p in preview["plan"] if p["action"] == "fail"]
    assert (held_plan["reason"], held_plan["total_sales"]) == ("handy_total_mismatch", "35589.30")
    summary = sales(rt)
    assert (summary["sent"], summary["failed"]) == (1, {"handy_total_mismatch": 1})
    assert "29079900" not in remissions_by_order(world)
    held = records(rt)["29079900"]
    assert (held.status, held.reason) == ("failed", "handy_total_mismatch")
    assert held.detail == {
        "lines_total": "36807.30",
        "total_sales": "35589.30",
        "returns_total": "0.00",
    }
    assert held.alegra_client_id is None  # checked before any client was looked up
    spanish = cli(rt, "explain", "order", "29079900", "--account", "acme")
    assert "la suma de las líneas del pedido (36807.30)" in spanish.stdout
    assert "total de Handy (35589.30)" in spanish.stdout
    assert "No se envía" in spanish.stdout
    as_json = json.loads(
        cli(rt, "explain", "order", "29079900", "--account", "acme", "--json").stdout
    )
    assert (as_json["status"], as_json["reason"]) == ("failed", "handy_total_mismatch")
    assert as_json["detail"]["total_sales"] == "35589.30"
    clock.advance(600)
    again = sales(rt)  # held every cycle, never sent, never a client created for it
    assert again["failed"] == {"handy_total_mismatch": 1}
    assert "29079900" not in remissions_by_order(world)
