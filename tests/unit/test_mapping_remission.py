"""A Handy order as an Alegra remission (pure): marker, observations, date, lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handy_alegra.clients.handy_records import SalesOrder
from handy_alegra.mapping.problems import Problem
from handy_alegra.mapping.remission import (
    ItemInfo,
    Lines,
    local_date,
    marked_orders,
    marker,
    observations,
    remission_draft,
    remission_lines,
)

MEXICO = ZoneInfo("America/Mexico_City")
ITEMS = {"A": ItemInfo("10", Decimal(16), "1"), "B": ItemInfo("11", None, None)}


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
        "totalSales": 0,
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


def test_observations_carry_the_marker_the_edit_and_stay_within_500() -> None:
    text = observations(order([{"price": 1}], sellerComment="x" * 600, editedFrom={"id": 100}))
    assert text.startswith("Pedido Handy #123 [handy-order:123] (editado de #100) — xxx")
    assert len(text) == 500
    assert marked_orders(text) == {"123"}


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


def test_lines_leave_returns_out_and_price_rewards_at_zero() -> None:
    result = remission_lines(
        order(
            [
                {"price": "116.00", "q": 2, "total": "232.00"},
                {"code": "B", "price": "50", "q": 1, "total": "50"},
                {"price": "116.00", "q": 1, "total": "116.00", "ret": True},
                {"price": "0", "q": 1, "total": "0", "reward": True},
            ]
        ),
        ITEMS,
    )
    assert isinstance(result, Lines)
    assert [(d.item_id, d.price, d.quantity, d.tax_ids) for d in result.drafts] == [
        ("10", Decimal("100"), Decimal(2), ("1",)),
        ("11", Decimal("50"), Decimal(1), ()),
        ("10", Decimal(0), Decimal(1), ("1",)),
    ]
    assert result.pricing.target == Decimal("282.00")
    assert result.pricing.difference == 0
    assert result.returns == ({"code": "A", "quantity": "1", "price": "116.00"},)


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
    draft = remission_draft(o, lines, client_id="77", zone=MEXICO, seller_id="3", warehouse_id="1")
    wire = draft.to_wire()
    assert (wire["date"], wire["dueDate"], wire["client"], wire["seller"], wire["warehouse"]) == (
        "2026-11-02",
        "2026-11-02",
        {"id": "77"},
        {"id": "3"},
        {"id": "1"},
    )
    assert wire["items"] == [{"id": "10", "price": 100, "quantity": 1, "tax": [{"id": "1"}]}]
