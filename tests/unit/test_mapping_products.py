"""Catalog rules, Alegra item → Handy product: price with IVA, stock, family, skip reasons."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from handy_alegra.mapping.products import (
    CatalogRules,
    active_iva_taxes,
    evaluate,
    price_with_iva,
    stock,
)
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.records.alegra import Item

RULES = CatalogRules(price_list_id="1", price_list_name="General")
IVA_16 = {"id": "2", "name": "IVA", "percentage": 16, "status": "active"}
IVA_8 = {"id": "9", "name": "IVA", "percentage": "8", "status": "active"}
IEPS_8 = {"id": "5", "name": "IEPS", "percentage": "8.00", "status": "active"}
UNSET = object()


def wire(**over: Any) -> dict[str, Any]:
    """A qualifying Alegra item (alegra.md §5 read shape); ``UNSET`` drops a key."""
    raw: dict[str, Any] = {
        "id": "1043",
        "name": "Aceite de motor 20W50 1L",
        "reference": "ACE-20W50-1L",
        "status": "active",
        "category": {"id": "5049", "name": "Ventas"},  # accounting account, never the family
        "itemCategory": {"id": "3", "name": "Lubricantes"},
        "price": [
            {"idPriceList": "1", "name": "General", "price": 100},
            {"idPriceList": "2", "name": "Mayorista", "price": "90.00"},
        ],
        "tax": [],
        "inventory": {
            "unit": "unit",
            "availableQuantity": 148,
            "warehouses": [
                {"id": "1", "name": "Principal", "availableQuantity": "120"},
                {"id": "2", "name": "Norte", "availableQuantity": "28"},
            ],
        },
    }
    raw.update(over)
    return {k: v for k, v in raw.items() if v is not UNSET}


def item(**over: Any) -> Item:
    return Item.model_validate(wire(**over))


def general(price: object) -> list[dict[str, object]]:
    return [{"idPriceList": "1", "name": "General", "price": price}]


# --- price_with_iva ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "percentage", "expected"),
    [
        pytest.param("12.345", "16", "14.32", id="12.345x1.16=14.3202-down"),
        pytest.param("0.125", "16", "0.15", id="exact-.005-0.145-half-up"),
        pytest.param("2.625", "16", "3.05", id="exact-.005-3.045-up-not-even"),
        pytest.param("1.50", "19", "1.79", id="exact-.005-1.785-co-19"),
        pytest.param("10.05", "16", "11.66", id="11.658-up"),
        pytest.param("100", "16", "116.00", id="integer-gets-cents"),
        pytest.param("100", "16.00", "116.00", id="percentage-with-decimals"),
        pytest.param("12.345", "0", "12.35", id="iva-0-still-rounded"),
        pytest.param("0", "16", "0.00", id="zero"),
    ],
)
def test_price_with_iva_rounds_to_cents_half_up(price: str, percentage: str, expected: str) -> None:
    assert str(price_with_iva(Decimal(price), Decimal(percentage))) == expected


# --- active_iva_taxes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taxes", "expected"),
    [
        pytest.param([], [], id="untaxed"),
        pytest.param(None, [], id="tax-null"),
        pytest.param([IVA_16], [Decimal(16)], id="iva-active"),
        pytest.param([{**IVA_16, "percentage": "16.00"}], [Decimal("16.00")], id="pct-string"),
        pytest.param([{**IVA_16, "status": "inactive"}], [], id="iva-inactive"),
        pytest.param([{**IVA_16, "name": "IVA 16%"}], [], id="named-IVA-16%"),
        pytest.param([{**IVA_16, "name": "iva"}], [], id="lowercase-iva"),
        pytest.param([{**IVA_16, "name": " IVA"}], [], id="leading-space"),
        pytest.param([{**IVA_16, "type": "IVA", "name": "Impuesto"}], [], id="type-iva-not-name"),
        pytest.param([IVA_16, IEPS_8], [Decimal(16)], id="iva-plus-ieps"),
        pytest.param([IVA_16, IVA_8], [Decimal(16), Decimal(8)], id="two-active-ivas"),
        pytest.param([{**IVA_16, "status": "inactive"}, IVA_8], [Decimal(8)], id="off-and-on"),
    ],
)
def test_active_ivas_only_exactly_named_and_active(taxes: object, expected: list[Decimal]) -> None:
    assert [t.percentage for t in active_iva_taxes(item(tax=taxes))] == expected


# --- stock ------------------------------------------------------------------------------------


def warehouses(*quantities: object) -> dict[str, object]:
    return {
        "warehouses": [
            {"id": str(n), "name": f"W{n}", "availableQuantity": q}
            for n, q in enumerate(quantities, 1)
        ]
    }


@pytest.mark.parametrize(
    ("inventory", "expected"),
    [
        pytest.param(UNSET, None, id="no-inventory-not-inventoriable"),
        pytest.param(None, None, id="inventory-null"),
        pytest.param([], None, id="inventory-empty-array"),
        pytest.param(warehouses("120", "28.5"), Decimal("148.5"), id="strings-summed"),
        pytest.param(warehouses(120, 28), Decimal(148), id="numbers-summed"),
        pytest.param(warehouses(0, "0"), Decimal(0), id="zero-stock"),
        pytest.param(warehouses(10, -3), Decimal(7), id="one-warehouse-negative"),
        pytest.param(warehouses("2", "-5"), Decimal(0), id="negative-total-clamps-to-0"),
        pytest.param(warehouses(None, 4), Decimal(4), id="warehouse-quantity-null"),
        pytest.param(
            {"availableQuantity": 999, **warehouses(3)}, Decimal(3), id="warehouses-win-over-top"
        ),
        pytest.param({"availableQuantity": "42"}, Decimal(42), id="no-warehouses-uses-top"),
        pytest.param({"availableQuantity": 42, "warehouses": []}, Decimal(42), id="empty-wh"),
        pytest.param({"availableQuantity": 42, "warehouses": None}, Decimal(42), id="null-wh"),
        pytest.param({"availableQuantity": -6}, Decimal(0), id="top-negative-clamps"),
        pytest.param({"unit": "unit"}, Decimal(0), id="no-quantity-anywhere"),
    ],
)
def test_stock_sums_warehouses(inventory: object, expected: Decimal | None) -> None:
    result = stock(item(inventory=inventory))
    assert result == expected
    assert (result is None) is (expected is None)


# --- evaluate: the price Handy gets -----------------------------------------------------------


OFF_IVA = {**IVA_16, "status": "inactive"}
IVA_16_PERCENT = {**IVA_16, "name": "IVA 16%"}
STR_IVA = {**IVA_16, "percentage": "16.00"}


@pytest.mark.parametrize(
    ("price", "taxes", "expected", "iva"),
    [
        pytest.param(100, [], "100", None, id="untaxed-copied"),
        pytest.param("1001.00", [], "1001.00", None, id="string-untaxed-as-is"),
        pytest.param("12.345", [], "12.345", None, id="untaxed-not-rounded"),
        pytest.param(100, [IVA_16], "116.00", "16", id="iva-16"),
        pytest.param("12.345", [IVA_16], "14.32", "16", id="14.3202"),
        pytest.param(2.625, [IVA_16], "3.05", "16", id="exact-.005-up"),
        pytest.param("12.345", [OFF_IVA], "12.345", None, id="iva-inactive-as-is"),
        pytest.param("12.345", [IVA_16_PERCENT], "12.345", None, id="IVA-16%-as-is"),
        pytest.param("12.345", [IEPS_8, IVA_16], "14.32", "16", id="iva-plus-ieps-only-iva"),
        pytest.param("12.345", [OFF_IVA, IVA_16], "14.32", "16", id="inactive-and-active-iva"),
        pytest.param("1001.00", [STR_IVA], "1161.16", "16.00", id="numeric-strings"),
        pytest.param(19.99, [IVA_16], "23.19", "16", id="float-price"),
        pytest.param(0, [IVA_16], "0.00", "16", id="zero-price-syncs"),
    ],
)
def test_evaluate_price(price: object, taxes: list[Any], expected: str, iva: str | None) -> None:
    verdict = evaluate(item(price=general(price), tax=taxes), RULES)
    assert verdict.sync is True
    assert str(verdict.desired["price"]) == expected
    assert verdict.detail["iva"] == iva
    assert verdict.detail["alegra_price"] == str(Decimal(str(price)))


@pytest.mark.parametrize(
    ("prices", "list_id", "expected"),
    [
        pytest.param(UNSET, "2", "90.00", id="chosen-list-not-general"),
        pytest.param(UNSET, "1", "100", id="general"),
        pytest.param([{"idPriceList": 7, "price": 10}], "7", "10", id="list-id-as-number"),
        pytest.param([{"id": "7", "price": "10.5"}], "7", "10.5", id="webhook-id-key"),
        pytest.param(50, "1", "50", id="bare-number-is-general"),
    ],
)
def test_price_comes_from_the_chosen_list(prices: object, list_id: str, expected: str) -> None:
    raw = wire() if prices is UNSET else wire(price=prices)
    verdict = evaluate(Item.model_validate(raw), CatalogRules(list_id, "Lista"))
    assert str(verdict.desired["price"]) == expected
    assert verdict.detail["price_list"] == "Lista"


# --- evaluate: the whole verdict --------------------------------------------------------------


def test_evaluate_qualifying_item_exact_verdict() -> None:
    verdict = evaluate(item(tax=[IVA_16, IEPS_8]), RULES)
    assert verdict == Verdict(
        source_id="1043",
        code="ACE-20W50-1L",
        name="Aceite de motor 20W50 1L",
        sync=True,
        reason=None,
        detail={"price_list": "General", "alegra_price": "100", "iva": "16", "iva_tax_id": "2"},
        desired={
            "description": "Aceite de motor 20W50 1L",
            "price": Decimal("116.00"),
            "family": "Lubricantes",
            "enabled": True,
            "externalId": "1043",
            "quantity": Decimal(148),
        },
    )


@pytest.mark.parametrize(
    ("over", "all_items", "quantity"),
    [
        pytest.param({}, False, Decimal(148), id="inventoriable"),
        pytest.param({}, True, Decimal(148), id="inventoriable-all-items"),
        pytest.param({"inventory": UNSET}, True, None, id="service-all-items-no-quantity"),
        pytest.param({"inventory": warehouses(0)}, False, Decimal(0), id="zero-stock-kept"),
    ],
)
def test_quantity_only_for_inventoriable(
    over: dict[str, Any], all_items: bool, quantity: Decimal | None
) -> None:
    rules = CatalogRules(price_list_id="1", price_list_name="General", all_items=all_items)
    verdict = evaluate(item(**over), rules)
    assert verdict.sync is True
    expected = {"description", "price", "family", "enabled", "externalId"}
    if quantity is not None:
        expected.add("quantity")
    assert set(verdict.desired) == expected
    assert verdict.desired.get("quantity") == quantity


@pytest.mark.parametrize(
    ("over", "code", "description"),
    [
        pytest.param({"reference": {"reference": "X-1"}}, "X-1", None, id="object-form"),
        pytest.param({"reference": "  ACE-1 "}, "ACE-1", None, id="padded"),
        pytest.param({"reference": 12345}, "12345", None, id="numeric"),
        pytest.param({"name": "  Aceite  "}, "ACE-20W50-1L", "Aceite", id="name-stripped"),
        pytest.param({"name": ""}, "ACE-20W50-1L", "ACE-20W50-1L", id="no-name-uses-code"),
    ],
)
def test_reference_is_the_code(over: dict[str, Any], code: str, description: str | None) -> None:
    verdict = evaluate(item(**over), RULES)
    assert verdict.sync is True
    assert verdict.code == code
    assert verdict.desired["description"] == (description or "Aceite de motor 20W50 1L")


NO_CATEGORY = {"itemCategory": UNSET, "category": UNSET}


@pytest.mark.parametrize(
    ("over", "rules", "family"),
    [
        pytest.param({}, RULES, "Lubricantes", id="item-category"),
        pytest.param(
            {"itemCategory": {"id": "3", "name": " Lubricantes "}}, RULES, "Lubricantes", id="pad"
        ),
        pytest.param(
            {"itemCategory": {"id": "4", "name": "Llantas"}}, RULES, "Llantas", id="other"
        ),
        pytest.param(NO_CATEGORY, RULES, "General", id="no-category-default"),
        pytest.param({"itemCategory": None}, RULES, "General", id="category-null-default"),
        pytest.param({"itemCategory": {"id": "3", "name": "  "}}, RULES, "General", id="blank"),
        pytest.param(
            NO_CATEGORY,
            CatalogRules(price_list_id="1", price_list_name="General", default_family="Varios"),
            "Varios",
            id="configured-default",
        ),
        pytest.param(
            {"itemCategory": UNSET},
            RULES,
            "General",
            id="accounting-category-is-not-the-family",
        ),
    ],
)
def test_category_becomes_family(over: dict[str, Any], rules: CatalogRules, family: str) -> None:
    verdict = evaluate(item(**over), rules)
    assert verdict.desired["family"] == family


# --- evaluate: skips --------------------------------------------------------------------------

ONLY_MAYORISTA = [{"idPriceList": "2", "name": "Mayorista", "price": 90}]
TWO_IVAS = [IVA_16, IVA_8]
REF = "ACE-20W50-1L"
ALL = CatalogRules(price_list_id="1", price_list_name="General", all_items=True)
EVERYTHING_WRONG = {
    "reference": "",
    "status": "inactive",
    "inventory": UNSET,
    "price": ONLY_MAYORISTA,
    "tax": TWO_IVAS,
}


@pytest.mark.parametrize(
    ("over", "rules", "code", "reasons"),
    [
        pytest.param({"reference": UNSET}, RULES, None, ["no_reference"], id="no-reference"),
        pytest.param({"reference": None}, RULES, None, ["no_reference"], id="ref-null"),
        pytest.param({"reference": "   "}, RULES, None, ["no_reference"], id="ref-blank"),
        pytest.param({"reference": {"reference": ""}}, RULES, None, ["no_reference"], id="obj-"),
        pytest.param({"reference": "A/1"}, RULES, "A/1", ["slash_in_reference"], id="slash"),
        pytest.param(
            {"reference": {"reference": "A/B"}}, RULES, "A/B", ["slash_in_reference"], id="obj/"
        ),
        pytest.param({"status": "inactive"}, RULES, REF, ["inactive"], id="inactive"),
        pytest.param({"status": "inactive"}, ALL, REF, ["inactive"], id="inactive-all-items"),
        pytest.param({"inventory": UNSET}, RULES, REF, ["not_inventoriable"], id="service"),
        pytest.param({"price": ONLY_MAYORISTA}, RULES, REF, ["no_price_in_list"], id="other-list"),
        pytest.param({"price": []}, RULES, REF, ["no_price_in_list"], id="no-prices"),
        pytest.param({"price": general("-1")}, RULES, REF, ["negative_price"], id="neg-price"),
        pytest.param({"tax": TWO_IVAS}, RULES, REF, ["two_iva"], id="two-active-iva"),
        pytest.param(
            EVERYTHING_WRONG,
            RULES,
            None,
            ["no_reference", "inactive", "not_inventoriable", "no_price_in_list", "two_iva"],
            id="every-reason-at-once",
        ),
        pytest.param(
            {**EVERYTHING_WRONG, "reference": "A/1"},
            ALL,
            "A/1",
            ["slash_in_reference", "inactive", "no_price_in_list", "two_iva"],
            id="all-items-drops-not-inventoriable",
        ),
    ],
)
def test_evaluate_skips_with_reasons(
    over: dict[str, Any], rules: CatalogRules, code: str | None, reasons: list[str]
) -> None:
    detail: dict[str, Any] = {"price_list": "General"}
    if len(reasons) > 1:
        detail["also"] = reasons[1:]
    assert evaluate(item(**over), rules) == Verdict(
        source_id="1043",
        code=code,
        name="Aceite de motor 20W50 1L",
        sync=False,
        reason=reasons[0],
        detail=detail,
        desired={},
    )
