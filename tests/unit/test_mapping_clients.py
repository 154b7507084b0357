"""Client resolution rules (pure): exact names, identifications, Mexico's RFC, Colombia's NIT."""

from __future__ import annotations

from typing import Any

import pytest

from handy_alegra.clients.alegra_records import Contact
from handy_alegra.clients.drafts import ContactDraft
from handy_alegra.clients.handy_records import Customer
from handy_alegra.mapping.clients import (
    choose,
    dian_check_digit,
    new_client,
    normalize_id,
    same_name,
    split_nit,
)
from handy_alegra.mapping.problems import Problem


def contact(
    cid: str, name: str, identification: str | None = None, types: Any = ("client",)
) -> Contact:
    return Contact.model_validate(
        {"id": cid, "name": name, "identification": identification, "type": list(types)}
    )


def customer(**over: Any) -> Customer:
    raw: dict[str, Any] = {"code": "H-1", "description": "Abarrotes La Güera", "rfc": None}
    raw.update(over)
    return Customer.model_validate(raw)


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("Abarrotes La Güera", "Abarrotes La Güera", True),
        ("  Abarrotes La Güera ", "Abarrotes La Güera", True),
        ("Abarrotes La Güera", "abarrotes la güera", False),  # case counts
        ("Abarrotes La Güera", "Abarrotes La Guera", False),  # accents count
        ("Abarrotes  La Güera", "Abarrotes La Güera", False),  # inner spaces count
    ],
)
def test_exact_names(a: str, b: str, equal: bool) -> None:
    assert same_name(a, b) is equal


@pytest.mark.parametrize(
    ("candidates", "tax_id", "expected"),
    [
        pytest.param([contact("1", "Tienda Sol")], None, "1", id="one-exact"),
        pytest.param(
            [contact("1", "Tienda Sol 2"), contact("2", "tienda sol")],
            None,
            None,
            id="only-contains-matches",
        ),
        pytest.param(
            [
                contact("1", "Tienda Sol", "AAA010101AAA"),
                contact("2", "Tienda Sol", "BBB010101BBB"),
            ],
            "bbb-010101-bbb",
            "2",
            id="several-rfc-decides",
        ),
        pytest.param(
            [contact("1", "Tienda Sol", "AAA"), contact("2", "Tienda Sol", "BBB")],
            "CCC",
            "ambiguous",
            id="several-no-rfc-match",
        ),
        pytest.param(
            [contact("1", "Tienda Sol", "AAA"), contact("2", "Tienda Sol", "AAA")],
            "AAA",
            "ambiguous",
            id="several-same-rfc",
        ),
        pytest.param(
            [contact("1", "Tienda Sol", types=("provider",))],
            None,
            None,
            id="provider-only-is-not-a-client",
        ),
    ],
)
def test_choose(candidates: list[Contact], tax_id: str | None, expected: str | None) -> None:
    result = choose(candidates, "Tienda Sol", tax_id)
    if expected == "ambiguous":
        assert isinstance(result, Problem)
        assert result.reason == "ambiguous_client"
        assert result.detail["candidates"] == [f"{c.id} ({c.identification})" for c in candidates]
    else:
        assert result == expected


@pytest.mark.parametrize(
    ("nit", "dv"),
    [
        ("900123456", "8"),
        ("800197268", "4"),
        ("860069804", "2"),
        ("222222222", "7"),
        ("890900608", "9"),
        ("1", "8"),
    ],
)
def test_dian_check_digit(nit: str, dv: str) -> None:
    assert dian_check_digit(nit) == dv


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("900.123.456-8", ("900123456", "8")),
        ("900123456", ("900123456", None)),
        (" 800197268-4 ", ("800197268", "4")),
    ],
)
def test_split_nit(text: str, parts: tuple[str, str | None]) -> None:
    assert split_nit(text) == parts


def test_normalize_id() -> None:
    assert normalize_id(" aes-180.215 kj3 ") == "AES180215KJ3"
    assert normalize_id(None) == ""


@pytest.mark.parametrize(
    ("over", "country", "expected"),
    [
        pytest.param(
            {"rfc": "aes180215kj3"},
            "MX",
            {"identification": "AES180215KJ3", "identification_type": None, "kind_of_person": None},
            id="mx-rfc",
        ),
        pytest.param({"rfc": None}, "MX", "no_rfc", id="mx-no-rfc"),
        pytest.param({"rfc": "  "}, "MX", "no_rfc", id="mx-blank-rfc"),
        pytest.param(
            {"rfc": "900123456", "category": {"id": 1, "description": "Persona jurídica"}},
            "CO",
            {
                "identification": "900123456",
                "identification_type": "NIT",
                "check_digit": "8",
                "kind_of_person": "LEGAL_ENTITY",
            },
            id="co-legal-nit-dv-computed",
        ),
        pytest.param(
            {"rfc": "900.123.456-8", "category": {"id": 1, "description": "Persona jurídica"}},
            "CO",
            {"identification": "900123456", "check_digit": "8"},
            id="co-legal-nit-with-dv",
        ),
        pytest.param(
            {"rfc": None, "category": {"id": 1, "description": "Persona jurídica"}},
            "CO",
            {"identification": "222222222", "identification_type": "NIT", "check_digit": "7"},
            id="co-legal-default-nit",
        ),
        pytest.param(
            {"rfc": "1020304050", "category": {"id": 2, "description": "Persona natural"}},
            "CO",
            {
                "identification": "1020304050",
                "identification_type": "CC",
                "kind_of_person": "PERSON_ENTITY",
            },
            id="co-natural-cc",
        ),
        pytest.param(
            {"rfc": None, "category": {"id": 2, "description": "Persona natural"}},
            "CO",
            {
                "identification": "222222222",
                "identification_type": "NIT",
                "kind_of_person": "PERSON_ENTITY",
            },
            id="co-natural-default-nit",
        ),
        pytest.param(
            {"rfc": "900123456", "category": None}, "CO", "no_person_category", id="co-no-category"
        ),
        pytest.param(
            {"rfc": "900123456", "category": {"id": 3, "description": "Persona juridica"}},
            "CO",
            "no_person_category",
            id="co-category-without-accent",
        ),
        pytest.param({"rfc": None}, "PE", {"identification": None}, id="other-country"),
        pytest.param({"description": "  "}, "MX", "no_name", id="no-name"),
    ],
)
def test_new_client(over: dict[str, Any], country: str, expected: Any) -> None:
    result = new_client(customer(**over), country, "222222222", seller_id="7")
    if isinstance(expected, str):
        assert isinstance(result, Problem)
        assert result.reason == expected
        return
    assert isinstance(result, ContactDraft)
    assert result.types == ("client",)
    assert result.seller_id == "7"
    for key, value in expected.items():
        assert getattr(result, key) == value, key


def test_colombian_draft_sends_the_identification_object() -> None:
    draft = new_client(
        customer(rfc="900123456", category={"id": 1, "description": "Persona jurídica"}),
        "CO",
        "222222222",
        None,
    )
    assert isinstance(draft, ContactDraft)
    wire = draft.to_wire()
    assert wire["identification"] == {"type": "NIT", "number": "900123456", "dv": "8"}
    assert wire["kindOfPerson"] == "LEGAL_ENTITY"
    assert wire["type"] == ["client"]
