"""Sales orders of the Handy simulator: lines, totals (handy.md §10.2) and the edit chain.

Orders are created by sellers in the app, never through the API, so these functions serve
the simulator's admin methods only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from handy_alegra.domain.money import HUNDRED, ZERO, cents, to_decimal
from handy_alegra.simulators import handy_catalog as catalog
from handy_alegra.simulators.handy_catalog import HandyState, Record, wire_number

STANDARD_IVA = Decimal(16)
#: The company's order type (Handy lets each company define them; SDK ``type``).
ORDER_TYPE = {"id": 501, "description": "Pedido de venta", "enabled": True}


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
    state: HandyState, product: Record | None, code: str, price: Decimal, tax: Record | None
) -> Record:
    """The product as an order line carries it: the product record without its audit fields
    (a code Handy does not know gets a record of the same shape, without an id)."""
    if product is None:
        stub = catalog.new_product_record(state, code, code, price, tax)
        return {k: v for k, v in stub.items() if k not in catalog.NOT_IN_ORDER_LINES}
    return {
        key: copy.deepcopy(value)
        for key, value in product.items()
        if key not in catalog.NOT_IN_ORDER_LINES
    }


def _plain(value: Decimal) -> str:
    """A percentage as Handy writes it in a reward line's ``discount``: ``"30"``."""
    return f"{value.normalize():f}"


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
        if product is not None and not is_return:
            product["hasBeenSold"] = True
        tax = _line_tax(state, raw, product)
        total = cents(price * quantity)
        tax_part = ZERO
        if tax is not None:
            tax_part = total - total / (1 + to_decimal(tax["amount"]) / HUNDRED)
        sign = -1 if is_return else 1
        sales += sign * total
        tax_sum += sign * tax_part
        item_id = state.next_id("item")
        if is_reward:  # a promotion's line: Handy names the promotion and writes its discount
            discount_text: str | None = _plain(discount)
            promo: tuple[str | None, str | None] = (
                f"PROMO-{item_id}",
                str(raw.get("promo_name") or "Promoción"),
            )
        else:
            discount_text = (
                f"Descuento de {wire_number(discount)}% para cliente" if discount else None
            )
            promo = (None, None)
        items.append(
            {
                "id": item_id,
                "product": _product_snapshot(state, product, code, original, tax),
                "quantity": wire_number(quantity),
                "originalPrice": wire_number(original),
                "discount": discount_text,
                "discountPercentage": wire_number(discount),
                "price": wire_number(price),
                "total": wire_number(total),
                "tax": tax,
                "taxOptional": None,
                "priceType": "REWARD" if is_reward else "REGULAR",
                "isReturn": is_return,
                "isReward": is_reward,
                "promoIds": promo[0],
                "promoNames": promo[1],
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


def _joined(items: list[Record], key: str) -> str | None:
    """The order's ``promoIds`` / ``promoNames``: its lines' values, each followed by a comma
    (as the SDK example writes them), or null."""
    values = [str(item[key]) for item in items if item.get(key)]
    return "".join(f"{value}," for value in values) or None


def new_order(
    state: HandyState,
    *,
    customer: Record,
    seller: Record,
    lines: Iterable[Mapping[str, Any]],
    created_at: str,
    mobile_created_at: str,
    comment: str | None,
    scheduled_for: str | None = None,
    edited_from: int | None = None,
) -> Record:
    items, totals = build_items(state, lines)
    order_id = state.next_id("order")
    while order_id in state.orders:  # ids taken by orders added as Handy rendered them
        order_id = state.next_id("order")
    order: Record = {
        "id": order_id,
        "mobileDateCreated": mobile_created_at,
        "dateCreated": created_at,
        "customer": copy.deepcopy(customer),
        "createdBy": dict(seller),
        "items": items,
        "type": dict(ORDER_TYPE),
        **totals,
        "sellerComment": comment,
        "scheduledDateForDelivery": scheduled_for,
        "priceList": copy.deepcopy(customer.get("priceList")),
        "latitude": None,
        "longitude": None,
        "accuracy": 0.0,
        "tookInPlace": False,
        "exported": False,
        "billable": False,
        "billed": False,
        "routeSalePaymentType": None,
        "promoIds": _joined(items, "promoIds"),
        "promoNames": _joined(items, "promoNames"),
        "networkSignalQuality": 4,
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


def add_rendered(state: HandyState, raw: Mapping[str, Any]) -> Record:
    """Store an order exactly as Handy renders it (a public example, say): the simulator then
    serves it as it is, ``editedFrom`` included."""
    order = copy.deepcopy(dict(raw))
    order_id = order.get("id")
    if isinstance(order_id, bool) or not isinstance(order_id, int):
        raise ValueError("the order needs an integer id")
    if order_id in state.orders:
        raise ValueError(f"order {order_id} already exists")
    for name in ("dateCreated", "mobileDateCreated", "dateDeleted"):
        if order.get(name) is not None:
            catalog.parse_iso(order[name])  # the routes filter on these dates
    if not isinstance(order.get("customer"), dict) or not isinstance(order.get("items"), list):
        raise ValueError("the order needs a customer object and a list of items")
    order["deleted"] = bool(order.get("deleted", False))
    state.orders[order_id] = order
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
    if previous is not None:
        order["editedFrom"] = render(state, previous)
    return order
