"""A Handy order as an Alegra remission (pure): marker, observations, date, lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handy_alegra.mapping.problems import Problem
from handy_alegra.mapping.remission import (
    ItemInfo,
    Lines,
    anotation,
    check_totals,
    due_date,
    local_date,
    marked_orders,
    marker,
    observations,
    remission_draft,
    remission_lines,
)
from handy_alegra.records.handy import SalesOrder

MEXICO = ZoneInfo("America/Mexico_City")
ITEMS = {"A": ItemInfo("10", Decimal(16), "1"), "B": ItemInfo("11", None, None)}


def consistent_total(lines: list[dict[str, Any]]) -> Decimal:
    """Handy's ``totalSales`` for ``lines``: Σ line totals, returns counted negatively."""
    total = Decimal(0)
    for ln in lines:
        amount = (
            Decimal(str(ln["total"]))
            if ln.get("total") is not None
            else (Decimal(str(ln["price"])) * Decimal(str(ln.get("q", 1))))
        )
        total += -amount if ln.get("ret") else amount
    return total


def order(lines: list[dict[str, Any]], **over: Any) -> SalesOrder:
    raw: dict[str, Any] = {
        "id": 123,
        "dateCreated": "2026-11-03T05:30:00Z",
        "customer": {"code": "C", "description": "Tienda"},
        "items": [
            {
                "product": {"code": ln.get("code", "A")},
                "quantity": ln.get("q", 1),
                "price": ln["price"],
                "total": ln.get("total"),
                "isReturn": ln.get("ret", False),
                "isReward": ln.get("reward", False),
            }
            for ln in lines
        ],
        "totalSales": str(consistent_total(lines)),
    }
    raw.update(over)
    return SalesOrder.model_validate(raw)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Pedido Handy #123 [handy-order:123]", {"123"}),
        ("[handy-order:1234]", {"1234"}),
        ("Pedido #12 sin marca", set()),
        ("[handy-order:12] — comentario [handy-order:13]", {"12", "13"}),
        ("", set()),
    ],
)
def test_markers_match_exactly(text: str, ids: set[str]) -> None:
    assert marked_orders(text) == ids
    assert "12" not in marked_orders(marker("123"))


def test_observations_carry_the_marker_and_the_edit_but_not_the_comment() -> None:
    o = order([{"price": 1}], sellerComment="entregar temprano", editedFrom={"id": 100})
    assert observations(o) == "Pedido Handy #123 [handy-order:123] (editado de #100)"
    assert marked_orders(observations(o)) == {"123"}


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Pedido para aprovechar la promo", "Pedido Handy #123 — Pedido para aprovechar la promo"),
        ("  entregar antes de las 9  ", "Pedido Handy #123 — entregar antes de las 9"),
        (None, "Pedido Handy #123"),
        ("   ", "Pedido Handy #123"),
    ],
)
def test_the_anotation_carries_the_order_number_and_the_comment(
    comment: str | None, expected: str
) -> None:
    assert anotation(order([{"price": 1}], sellerComment=comment)) == expected


def test_the_anotation_stays_within_500_and_never_carries_the_marker() -> None:
    text = anotation(order([{"price": 1}], sellerComment="x" * 600, editedFrom={"id": 100}))
    assert text.startswith("Pedido Handy #123 — xxx")
    assert len(text) == 500
    assert marked_orders(text) == set()


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (
            datetime(2026, 11, 3, 5, 30, tzinfo=UTC),
            date(2026, 11, 2),
        ),  # 23:30 the day before in CDMX
        (datetime(2026, 11, 3, 6, 0, tzinfo=UTC), date(2026, 11, 3)),
    ],
)
def test_the_remission_date_is_the_local_date(moment: datetime, expected: date) -> None:
    assert local_date(moment, MEXICO) == expected


def test_lines_leave_returns_out_and_send_rewards_as_charged() -> None:
    result = remission_lines(
        order(
            [
                {"price": "116.00", "q": 2, "total": "232.00"},
                {"code": "B", "price": "50", "q": 1, "total": "50"},
                {"price": "116.00", "q": 1, "total": "116.00", "ret": True},
                {"price": "81.20", "q": 1, "total": "81.20", "reward": True},  # 30 % off 116
                {"price": "0", "q": 1, "total": "0", "reward": True},  # a gift: charged 0
            ]
        ),
        ITEMS,
    )
    assert isinstance(result, Lines)
    assert [(d.item_id, d.price, d.quantity, d.tax_ids) for d in result.drafts] == [
        ("10", Decimal("100"), Decimal(2), ("1",)),
        ("11", Decimal("50"), Decimal(1), ()),
        ("10", Decimal("70"), Decimal(1), ("1",)),
        ("10", Decimal(0), Decimal(1), ("1",)),
    ]
    assert result.pricing.target == Decimal("363.20")
    assert result.pricing.difference == 0
    assert result.returns == ({"code": "A", "quantity": "1", "price": "116.00"},)


ONE = {"price": "116.00", "q": 1, "total": "116.00"}
RETURN = {"price": "58.00", "q": 1, "total": "58.00", "ret": True}
REWARD = {"price": "81.20", "q": 1, "total": "81.20", "reward": True}


@pytest.mark.parametrize(
    ("lines", "total_sales", "problem"),
    [
        ([ONE], "116.00", None),
        ([ONE], "116", None),
        ([ONE], "116.004", None),  # a double's noise is below the cent
        ([ONE], "115.995", None),  # half-up to 116.00
        ([ONE, REWARD], "197.20", None),  # a reward line counts as charged
        ([ONE, RETURN], "58.00", None),  # totalSales counts the return negatively
        ([ONE, RETURN, REWARD], "139.20", None),
        ([RETURN], "-58.00", None),  # nothing sold: the check holds, only_returns follows
        (
            [ONE, REWARD],
            "116.00",  # Handy's total leaves the reward out: a rule we do not know
            {"lines_total": "197.20", "total_sales": "116.00", "returns_total": "0.00"},
        ),
        (
            [ONE, RETURN],
            "174.00",  # the return counted positively
            {"lines_total": "116.00", "total_sales": "174.00", "returns_total": "58.00"},
        ),
        (
            [ONE],
            "116.01",
            {"lines_total": "116.00", "total_sales": "116.01", "returns_total": "0.00"},
        ),
        ([ONE], "0", {"lines_total": "116.00", "total_sales": "0.00", "returns_total": "0.00"}),
    ],
)
def test_the_lines_must_equal_handys_total_plus_the_returns(
    lines: list[dict[str, Any]], total_sales: str, problem: dict[str, str] | None
) -> None:
    o = order(lines, totalSales=total_sales)
    expected = None if problem is None else Problem("handy_total_mismatch", problem)
    assert check_totals(o) == expected
    result = remission_lines(o, ITEMS)
    if problem is None:
        assert not (isinstance(result, Problem) and result.reason == "handy_total_mismatch")
    else:
        assert result == expected


def test_a_line_without_its_total_counts_at_price_times_quantity() -> None:
    lines = [{"price": "10.005", "q": 3}]  # 30.015 → 30.02
    assert check_totals(order(lines, totalSales="30.02")) is None
    assert check_totals(order(lines, totalSales="30.01")) is not None


@pytest.mark.parametrize(
    ("lines", "reason", "detail"),
    [
        (
            [{"code": "Z", "price": 1}, {"code": "Y", "price": 1}],
            "unknown_product",
            {"code": "Y, Z"},
        ),
        ([{"price": 1, "ret": True}], "only_returns", {"order": "123"}),
    ],
)
def test_lines_that_cannot_be_sent(
    lines: list[dict[str, Any]], reason: str, detail: dict[str, str]
) -> None:
    result = remission_lines(order(lines), ITEMS)
    assert result == Problem(reason, detail)


def test_the_draft() -> None:
    o = order([{"price": "116.00", "total": "116.00"}])
    lines = remission_lines(o, ITEMS)
    assert isinstance(lines, Lines)
    draft = remission_draft(
        o, lines, client_id="77", zone=MEXICO, seller_id="3", warehouse_id="1", price_list_id="2"
    )
    wire = draft.to_wire()
    assert (wire["date"], wire["dueDate"], wire["client"], wire["seller"], wire["warehouse"]) == (
        "2026-11-02",
        "2026-11-02",
        {"id": "77"},
        {"id": "3"},
        {"id": "1"},
    )
    assert wire["priceList"] == {"id": "2"}
    assert wire["observations"] == "Pedido Handy #123 [handy-order:123]"
    assert wire["anotation"] == "Pedido Handy #123"
    assert wire["items"] == [{"id": "10", "price": 100, "quantity": 1, "tax": [{"id": "1"}]}]
    without = remission_draft(
        o, lines, client_id="77", zone=MEXICO, seller_id=None, warehouse_id=None
    )
    assert "priceList" not in without.to_wire()


@pytest.mark.parametrize(
    ("scheduled", "expected"),
    [
        (None, date(2026, 11, 2)),  # no delivery date: the order's local date
        ("2026-11-05T16:00:00Z", date(2026, 11, 5)),
        ("2026-11-06T05:59:59Z", date(2026, 11, 5)),  # 23:59:59 in Mexico City
        ("2026-11-06T06:00:00Z", date(2026, 11, 6)),
        ("2026-11-03T05:00:00Z", date(2026, 11, 2)),  # same local day as the order
        ("2026-10-30T16:00:00Z", date(2026, 11, 2)),  # before the order: never before its date
        ("", date(2026, 11, 2)),
    ],
)
def test_the_due_date_is_the_local_delivery_date(scheduled: str | None, expected: date) -> None:
    o = order([{"price": 1}], scheduledDateForDelivery=scheduled)  # ordered 2026-11-02 23:30
    assert due_date(o, MEXICO) == expected
    lines = remission_lines(o, ITEMS)
    assert isinstance(lines, Lines)
    draft = remission_draft(o, lines, client_id="7", zone=MEXICO, seller_id=None, warehouse_id=None)
    assert draft.due_date == expected
    assert draft.date == date(2026, 11, 2)
