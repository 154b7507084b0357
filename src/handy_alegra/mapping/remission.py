"""A Handy order as an Alegra remission (pure): its lines, its marker, its dates, the
check of the lines against Handy's own total."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from handy_alegra.domain.money import ZERO, cents, is_percentage
from handy_alegra.mapping.problems import Problem
from handy_alegra.mapping.remission_prices import LineIn, PricedLine, Pricing, price_lines
from handy_alegra.messages.reason_texts import clip
from handy_alegra.records.drafts import RemissionDraft, RemissionLineDraft
from handy_alegra.records.handy import OrderLine, SalesOrder
from handy_alegra.records.wire import is_plausible

MARKER_RE = re.compile(r"\[handy-order:([^\]\s]+)\]")
#: Alegra's limit on ``observations`` and on ``anotation`` (alegra.md §11, DOC:invoice-old).
TEXT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """What a remission line needs of an Alegra item."""

    item_id: str
    iva_percent: Decimal | None
    iva_tax_id: str | None


def marker(order_id: str) -> str:
    return f"[handy-order:{order_id}]"


def marked_orders(observations: str) -> set[str]:
    """The order ids marked in a remission's observations (an exact match, so #12 ≠ #123)."""
    return set(MARKER_RE.findall(observations or ""))


def observations(order: SalesOrder) -> str:
    """Alegra's internal, unprinted field: the exactly-once marker (and the edit it replaces)."""
    head = f"Pedido Handy #{order.id} {marker(order.id)}"
    if order.edited_from:
        head += f" (editado de #{order.edited_from[0]})"
    return head[:TEXT_LIMIT]


def anotation(order: SalesOrder) -> str:
    """Alegra's printed notes (the API spells it ``anotation``): the Handy order number and the
    seller's comment, for the person who reads the remission."""
    head = f"Pedido Handy #{order.id}"
    comment = (order.seller_comment or "").strip()
    return (f"{head} — {comment}" if comment else head)[:TEXT_LIMIT]


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def due_date(order: SalesOrder, zone: ZoneInfo) -> date:
    """The local date of Handy's ``scheduledDateForDelivery`` when the order has one, else the
    order's date; never before the order's date (a remission cannot fall due before it is
    dated)."""
    day = local_date(order.date_created, zone)
    scheduled = order.scheduled_for
    return max(day, local_date(scheduled, zone)) if scheduled is not None else day


def sold_and_returned(order: SalesOrder) -> tuple[list[OrderLine], list[OrderLine]]:
    sold = [line for line in order.lines if not line.is_return]
    return sold, [line for line in order.lines if line.is_return]


def handy_line_total(line: OrderLine) -> Decimal:
    return cents(line.total) if line.total is not None else cents(line.price * line.quantity)


def check_totals(order: SalesOrder) -> Problem | None:
    """The independent check of every order: Σ of the lines we send (Handy's line totals)
    must equal Handy's own ``totalSales`` plus the returns we leave out (``totalSales`` counts
    returns negatively), to the cent. When it does not, Handy computed the order by a rule
    this service has not understood, and sending it would put a wrong amount in the books."""
    sold, returned = sold_and_returned(order)
    lines = cents(sum((handy_line_total(line) for line in sold), ZERO))
    returns = cents(sum((handy_line_total(line) for line in returned), ZERO))
    expected = cents(order.total_sales) + returns
    if lines == expected:
        return None
    detail = {
        "lines_total": str(lines),
        "total_sales": str(cents(order.total_sales)),
        "returns_total": str(returns),
    }
    return Problem("handy_total_mismatch", detail)


@dataclass(frozen=True, slots=True)
class Lines:
    drafts: tuple[RemissionLineDraft, ...]
    pricing: Pricing
    returns: tuple[dict[str, str], ...]


def remission_lines(order: SalesOrder, items: Mapping[str, ItemInfo]) -> Lines | Problem:
    """The remission lines of ``order``: returns left out (and listed), every other line as
    Handy charged it (promotional lines too), prices without IVA chosen so that Alegra's total
    equals Handy's to the cent where possible. An order whose lines disagree with its
    ``totalSales`` is not sent (``check_totals``)."""
    mismatch = check_totals(order)
    if mismatch is not None:
        return mismatch
    sold, returned = sold_and_returned(order)
    if not sold:
        return Problem("only_returns", {"order": order.id})
    for line in sold:
        if line.quantity <= 0 or line.price < 0 or handy_line_total(line) < 0:
            detail = {
                "code": clip(line.product_code),
                "quantity": str(line.quantity),
                "price": str(line.price),
            }
            return Problem("bad_line", detail)
    unknown = sorted({line.product_code for line in sold if line.product_code not in items})
    if unknown:
        return Problem("unknown_product", {"code": clip(", ".join(unknown))})
    for line in sold:
        iva = items[line.product_code].iva_percent
        if iva is not None and not is_percentage(iva):
            return Problem("bad_iva", {"code": line.product_code, "iva": str(iva)})
    inputs = [
        LineIn(
            charged_price=line.price,
            quantity=line.quantity,
            handy_total=handy_line_total(line),
            iva_percent=items[line.product_code].iva_percent,
        )
        for line in sold
    ]
    pricing = price_lines(inputs)
    for priced in pricing.lines:
        for amount in (priced.price, priced.quantity):
            if not is_plausible(amount):
                return Problem("amount_too_large", {"amount": str(amount)})
    drafts = tuple(
        _line_draft(items[line.product_code], priced)
        for line, priced in zip(sold, pricing.lines, strict=True)
    )
    returns = tuple(
        {"code": r.product_code, "quantity": str(r.quantity), "price": str(r.price)}
        for r in returned
    )
    return Lines(drafts, pricing, returns)


def _line_draft(info: ItemInfo, priced: PricedLine) -> RemissionLineDraft:
    taxed = priced.iva_percent is not None and info.iva_tax_id is not None
    return RemissionLineDraft(
        item_id=info.item_id,
        price=priced.price,
        quantity=priced.quantity,
        tax_ids=(info.iva_tax_id,) if taxed and info.iva_tax_id else (),
    )


def remission_draft(
    order: SalesOrder,
    lines: Lines,
    *,
    client_id: str,
    zone: ZoneInfo,
    seller_id: str | None,
    warehouse_id: str | None,
    price_list_id: str | None = None,
) -> RemissionDraft:
    return RemissionDraft(
        date=local_date(order.date_created, zone),
        due_date=due_date(order, zone),
        client_id=client_id,
        lines=lines.drafts,
        observations=observations(order),
        anotation=anotation(order),
        seller_id=seller_id,
        warehouse_id=warehouse_id,
        price_list_id=price_list_id,
    )
