"""Sales orders of the Handy simulator: lines, totals (handy.md §10.2) and the edit chain.

Orders are created by sellers in the app, never through the API, so these functions serve
the simulator's admin methods only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from handy_alegra.money import HUNDRED, ZERO, cents, to_decimal
from handy_alegra.simulators.handy_catalog import HandyState, Record, wire_number

STANDARD_IVA = Decimal(16)


def _decimal(raw: Mapping[str, Any], name: str, default: object = None) -> Decimal:
    value = raw.get(name, default)
    try:
        return to_decimal(value)
    except ValueError as exc:
        raise ValueError(f"order line {raw.get('code')!r}: {name} {exc}") from None


def _line_tax(state: HandyState, raw: Mapping[str, Any], product: Record | None) -> Record | None:
    if "tax_percent" in raw:
        if raw["tax_percent"] is None:
            return None
        return dict(state.tax_for(_decimal(raw, "tax_percent")))
    if product is not None:
        return dict(product["tax"]) if product["tax"] else None
    return dict(state.tax_for(STANDARD_IVA))


def _product_snapshot(
    product: Record | None, code: str, price: Decimal, tax: Record | None
) -> Record:
    if product is None:
        return {
            "id": None,
            "code": code,
            "description": code,
            "price": wire_number(price),
            "enabled": True,
            "tax": tax,
            "family": None,
        }
    keys = ("id", "code", "description", "price", "enabled", "tax", "family")
    return {key: copy.deepcopy(product[key]) for key in keys}


def build_items(
    state: HandyState, lines: Iterable[Mapping[str, Any]]
) -> tuple[list[Record], Record]:
    """Order items from admin line dicts, and the order's ``totalSales``, ``totalTax`` and
    ``totalBeforeTax``: returns count negatively, each line's tax part is
    ``total − total / (1 + tax%)``, the tax sum is rounded half-up to cents."""
    items: list[Record] = []
    sales = ZERO
    tax_sum = ZERO
    for raw in lines:
        code = raw.get("code")
        if not isinstance(code, str) or not code:
            raise ValueError(f"order line without a product code: {raw!r}")
        quantity = _decimal(raw, "quantity")
        price = _decimal(raw, "price")
        if quantity <= ZERO or price < ZERO:
            raise ValueError(f"order line {code!r}: quantity must be > 0 and price >= 0")
        original = _decimal(raw, "original_price", price)
        discount = _decimal(raw, "discount_percentage", 0)
        is_return = bool(raw.get("is_return", False))
        is_reward = bool(raw.get("is_reward", False))
        product = state.products.get(code)
        tax = _line_tax(state, raw, product)
        total = cents(price * quantity)
        tax_part = ZERO
        if tax is not None:
            tax_part = total - total / (1 + to_decimal(tax["amount"]) / HUNDRED)
        sign = -1 if is_return else 1
        sales += sign * total
        tax_sum += sign * tax_part
        items.append(
            {
                "id": state.next_id("item"),
                "product": _product_snapshot(product, code, original, tax),
                "quantity": wire_number(quantity),
                "originalPrice": wire_number(original),
                "discount": f"Descuento de {wire_number(discount)}% para cliente"
                if discount
                else None,
                "discountPercentage": wire_number(discount),
                "price": wire_number(price),
                "total": wire_number(total),
                "tax": tax,
                "taxOptional": None,
                "priceType": "REWARD" if is_reward else "REGULAR",
                "isReturn": is_return,
                "isReward": is_reward,
                "delivered": 0.0,
                "comments": None,
            }
        )
    if not items:
        raise ValueError("an order needs at least one line")
    total_tax = cents(tax_sum)
    totals = {
        "totalSales": wire_number(sales),
        "totalTax": wire_number(total_tax),
        "totalBeforeTax": wire_number(sales - total_tax),
    }
    return items, totals


def new_order(
    state: HandyState,
    *,
    customer: Record,
    seller: Record,
    lines: Iterable[Mapping[str, Any]],
    created_at: str,
    mobile_created_at: str,
    comment: str | None,
    edited_from: int | None = None,
) -> Record:
    items, totals = build_items(state, lines)
    order_id = state.next_id("order")
    order: Record = {
        "id": order_id,
        "mobileDateCreated": mobile_created_at,
        "dateCreated": created_at,
        "customer": copy.deepcopy(customer),
        "createdBy": dict(seller),
        "items": items,
        **totals,
        "sellerComment": comment,
        "creationSource": "MOBILE",
        "salesType": "Preventa",
        "deleted": False,
        "dateDeleted": None,
        "deletedBy": None,
        "isEdited": False,
        "editedFrom": None,
        "externalId": None,
        "operativeStatus": "PENDING_DELIVERY",
        "prettyOperativeStatus": "Por entregar",
    }
    state.orders[order_id] = order
    if edited_from is not None:
        state.edited_from[order_id] = edited_from
    return order


def mark_deleted(order: Record, *, at: str, by: Record, edited: bool) -> None:
    if order["deleted"]:
        raise ValueError(f"order {order['id']} is already deleted")
    order.update(deleted=True, dateDeleted=at, deletedBy=dict(by), isEdited=edited)


def render(state: HandyState, order_id: int) -> Record:
    """The order as the API answers it: ``editedFrom`` is the previous version as it now
    stands, nested down the whole edit chain."""
    order = copy.deepcopy(state.orders[order_id])
    previous = state.edited_from.get(order_id)
    order["editedFrom"] = render(state, previous) if previous is not None else None
    return order
