"""What goes into Handy's externalId, form by form (pure rules)."""

from __future__ import annotations

import pytest

from handy_alegra.mapping import write_back as wb
from handy_alegra.mapping.products import CatalogRules, evaluate
from handy_alegra.records.alegra import Item

UUID = "0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"


@pytest.mark.parametrize(
    ("remembered", "expected"),
    [
        (None, ("id", "number")),
        ("id", ("id", "number")),
        ("number", ("number", "id")),
        ("refused", ("id", "number")),
    ],
)
def test_the_remembered_form_goes_first(remembered: str | None, expected: tuple[str, ...]) -> None:
    assert wb.in_order(wb.ORDER_FORMS, remembered) == expected


@pytest.mark.parametrize(
    ("form", "number", "expected"),
    [
        pytest.param("id", "12", UUID, id="id-is-the-uuid-as-text"),
        pytest.param("number", "318", 318, id="plain-number"),
        pytest.param("number", "REM-0318", 318, id="prefixed"),
        pytest.param("number", "A2-77 ", 77, id="trailing-digits-only"),
        pytest.param("number", "REM", None, id="no-digits"),
        pytest.param("number", None, None, id="no-number"),
        pytest.param("number", str(2**31 - 1), 2**31 - 1, id="int32-max"),
        pytest.param("number", str(2**31), None, id="past-int32"),
        pytest.param("none", "1", None, id="unknown-form"),
    ],
)
def test_order_values(form: str, number: str | None, expected: object) -> None:
    assert wb.order_value(form, UUID, number) == expected


@pytest.mark.parametrize(
    ("form", "item_id", "expected"),
    [
        (None, "1043", "1043"),
        ("id", UUID, UUID),
        ("number", "1043", 1043),
        ("number", UUID, None),
        ("number", "12a", None),
        ("none", "1043", None),
    ],
)
def test_product_values(form: str | None, item_id: str, expected: object) -> None:
    assert wb.product_value(form, item_id) == expected


@pytest.mark.parametrize(
    ("form", "item_id", "wanted"),
    [
        (None, UUID, UUID),
        ("id", "1043", "1043"),
        ("number", "1043", "1043"),  # compared as text; sent as 1043
        ("number", UUID, None),  # a UUID cannot be an integer: never asked for
        ("none", "1043", None),
    ],
)
def test_the_catalog_wants_an_external_id_only_in_a_form_handy_takes(
    form: str | None, item_id: str, wanted: str | None
) -> None:
    raw = {
        "id": item_id,
        "name": "Aceite",
        "reference": "ACE-1",
        "status": "active",
        "price": [{"idPriceList": "1", "price": 100}],
        "inventory": {"availableQuantity": 3},
    }
    rules = CatalogRules(price_list_id="1", price_list_name="General", external_id_form=form)
    verdict = evaluate(Item.model_validate(raw), rules)
    assert verdict.sync
    assert verdict.desired.get("externalId") == wanted
