"""Alegra item → Handy product (the catalog rules of the product spec)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from handy_alegra.domain.money import HUNDRED, ZERO, is_percentage, round_half_up
from handy_alegra.mapping import write_back
from handy_alegra.mapping.verdict import Verdict, skip
from handy_alegra.records.alegra import Item, ItemTax
from handy_alegra.records.wire import is_plausible

IVA = "IVA"
#: Longest product code this service sends to Handy (it goes into URLs).
MAX_CODE = 100


@dataclass(frozen=True, slots=True)
class CatalogRules:
    price_list_id: str
    price_list_name: str
    all_items: bool = False
    default_family: str = "General"
    #: The ``externalId`` form Handy took for products (``mapping.write_back``; None: unknown).
    external_id_form: str | None = None


def active_iva_taxes(item: Item) -> list[ItemTax]:
    """The item's active taxes named exactly ``IVA``."""
    return [t for t in item.taxes if t.name == IVA and t.status == "active"]


def price_with_iva(price: Decimal, percentage: Decimal) -> Decimal:
    """The tax-included price Handy shows: rounded to cents, half up."""
    return round_half_up(price * (HUNDRED + percentage) / HUNDRED)


def stock(item: Item) -> Decimal | None:
    """Available quantity over all warehouses (None for a non-inventoriable item). Handy
    cannot show stock below zero, so an oversold total becomes 0."""
    if item.inventory is None:
        return None
    warehouses = item.inventory.warehouses
    if warehouses:
        total = sum((w.available_quantity or ZERO for w in warehouses), ZERO)
    else:
        total = item.inventory.available_quantity or ZERO
    return max(total, ZERO)


def code_problem(code: str) -> str | None:
    """Why a (stripped) reference cannot be a Handy product code; None when it can."""
    if not code:
        return "no_reference"
    if "/" in code:
        return "slash_in_reference"
    if len(code) > MAX_CODE:
        return "reference_too_long"
    return None


def evaluate(item: Item, rules: CatalogRules) -> Verdict:
    code = (item.reference or "").strip()
    name = item.name.strip()
    reasons = [problem] if (problem := code_problem(code)) else []
    if item.status != "active":
        reasons.append("inactive")
    if item.inventory is None and not rules.all_items:
        reasons.append("not_inventoriable")
    price = item.price_in(rules.price_list_id)
    if price is None:
        reasons.append("no_price_in_list")
    elif price < 0:
        reasons.append("negative_price")
    iva_taxes = active_iva_taxes(item)
    ivas = [t.percentage for t in iva_taxes]
    if len(ivas) > 1:
        reasons.append("two_iva")
    elif ivas and not is_percentage(ivas[0]):
        reasons.append("bad_iva")
    detail: dict[str, Any] = {"price_list": rules.price_list_name}
    if "bad_iva" in reasons:
        detail["iva"] = str(ivas[0])
    if reasons:
        return skip(item.id, code[:MAX_CODE] or None, name, reasons, **detail)
    assert price is not None
    shown_price = price_with_iva(price, ivas[0]) if ivas else price
    quantity = stock(item)
    amounts = (shown_price, quantity)
    too_large = next((v for v in amounts if v is not None and not is_plausible(v)), None)
    if too_large is not None:
        return skip(item.id, code, name, ["amount_too_large"], amount=str(too_large), **detail)
    desired: dict[str, object] = {
        "description": name or code,
        "price": shown_price,
        "family": item.item_category.name.strip()
        if item.item_category and item.item_category.name.strip()
        else rules.default_family,
        "enabled": True,
    }
    if write_back.product_value(rules.external_id_form, item.id) is not None:
        desired["externalId"] = item.id  # compared as text; sent in the account's form
    if quantity is not None:
        desired["quantity"] = quantity
    detail.update(
        alegra_price=str(price),
        iva=str(ivas[0]) if ivas else None,
        iva_tax_id=iva_taxes[0].id if iva_taxes else None,
    )
    return Verdict(item.id, code, name, True, None, detail, desired)
