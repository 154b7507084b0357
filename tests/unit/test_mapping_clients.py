"""Client resolution rules (pure): exact names, identifications, Mexico's RFC, Colombia's NIT."""

from __future__ import annotations

from typing import Any

import pytest

from handy_alegra.mapping.clients import (
    choose,
    dian_check_digit,
    new_client,
    normalize_id,
    same_name,
    split_nit,
    split_person_name,
)
from handy_alegra.mapping.problems import Problem
from handy_alegra.records.alegra import Contact
from handy_alegra.records.drafts import ContactDraft
from handy_alegra.records.handy import Customer


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


def test_colombian_legal_entity_sends_the_identification_object_and_name() -> None:
    draft = new_client(
        customer(rfc="900123456", category={"id": 1, "description": "Persona jurídica"}),
        "CO",
        "222222222",
        None,
        regime="COMMON_REGIME",
    )
    assert isinstance(draft, ContactDraft)
    assert draft.to_wire() == {
        "name": "Abarrotes La Güera",
        "identificationObject": {"type": "NIT", "number": "900123456", "dv": "8"},
        "kindOfPerson": "LEGAL_ENTITY",
        "regime": "COMMON_REGIME",
        "type": ["client"],
    }


def test_colombian_natural_person_sends_the_name_object_never_the_name() -> None:
    draft = new_client(
        customer(
            description="  Luz  Ángela Ríos Peñaloza ",
            rfc="1.020.304.050",
            category={"id": 2, "description": "Persona natural"},
        ),
        "CO",
        "222222222",
        None,
    )
    assert isinstance(draft, ContactDraft)
    wire = draft.to_wire()
    assert "name" not in wire
    assert wire == {
        "nameObject": {
            "firstName": "Luz",
            "secondName": "Ángela",
            "lastName": "Ríos",
            "secondLastName": "Peñaloza",
        },
        "identificationObject": {"type": "CC", "number": "1020304050"},
        "kindOfPerson": "PERSON_ENTITY",
        "regime": "SIMPLIFIED_REGIME",
        "type": ["client"],
    }
    assert draft.shown_name == "Luz Ángela Ríos Peñaloza"


@pytest.mark.parametrize(
    ("category", "rfc", "ignore"),
    [
        pytest.param("Persona natural", None, True, id="natural-default-nit"),
        pytest.param("Persona jurídica", None, True, id="legal-default-nit"),
        pytest.param("Persona jurídica", "222.222.222-7", True, id="default-typed-in"),
        pytest.param("Persona jurídica", "900123456", False, id="own-nit"),
        pytest.param("Persona natural", "1020304050", False, id="own-cc"),
    ],
)
def test_only_the_default_nit_is_sent_as_a_repeat(
    category: str, rfc: str | None, ignore: bool
) -> None:
    draft = new_client(
        customer(rfc=rfc, category={"id": 1, "description": category}), "CO", "222222222", None
    )
    assert isinstance(draft, ContactDraft)
    assert draft.ignore_repeated is ignore
    assert draft.to_wire().get("ignoreRepeated") is (True if ignore else None)


@pytest.mark.parametrize(
    ("rfc", "ignore"),
    [("XAXX010101000", True), ("xexx-010101-000", True), ("AES180215KJ3", False)],
)
def test_mexicos_generic_rfcs_are_sent_as_repeats(rfc: str, ignore: bool) -> None:
    draft = new_client(customer(rfc=rfc), "MX", "222222222", None)
    assert isinstance(draft, ContactDraft)
    wire = draft.to_wire()
    assert isinstance(wire["identification"], str)
    assert "identificationObject" not in wire and "regime" not in wire
    assert wire.get("ignoreRepeated") is (True if ignore else None)


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        pytest.param("Chucho", ("Chucho", None, "Chucho", None), id="one-word"),
        pytest.param("Ana López", ("Ana", None, "López", None), id="two"),
        pytest.param("Raúl Peña Núñez", ("Raúl", None, "Peña", "Núñez"), id="three"),
        pytest.param("Luz Ángela Ríos Peñaloza", ("Luz", "Ángela", "Ríos", "Peñaloza"), id="four"),
        pytest.param(
            "María de los Ángeles Gómez Díaz",
            ("María", "de los Ángeles", "Gómez", "Díaz"),
            id="five-middle-words-join-the-second-name",
        ),
        pytest.param(
            "  Iñaki \t Ibáñez   Muñoz  ", ("Iñaki", None, "Ibáñez", "Muñoz"), id="extra-spaces"
        ),
        pytest.param("ÓSCAR peña", ("ÓSCAR", None, "peña", None), id="case-and-accents-kept"),
        pytest.param("   ", None, id="blank"),
    ],
)
def test_split_person_name(name: str, parts: tuple[str | None, ...] | None) -> None:
    split = split_person_name(name)
    if parts is None:
        assert split is None
        return
    assert split is not None
    assert (split.first, split.second, split.last, split.second_last) == parts
    if len(name.split()) > 1:  # Alegra's joined name is the Handy name, spaces collapsed
        assert split.full == " ".join(name.split())


@pytest.mark.parametrize(
    ("rfc", "expected"),
    [
        pytest.param("1020304050", ("CC", "1020304050", None), id="cedula"),
        pytest.param("1.020.304.050", ("CC", "1020304050", None), id="cedula-with-dots"),
        pytest.param("1020304-5", ("NIT", "1020304", "5"), id="nit-of-a-person"),
        pytest.param(None, ("NIT", "222222222", "7"), id="default"),
    ],
)
def test_natural_person_document_types(
    rfc: str | None, expected: tuple[str, str, str | None]
) -> None:
    draft = new_client(
        customer(rfc=rfc, category={"id": 2, "description": "Persona natural"}),
        "CO",
        "222222222",
        None,
    )
    assert isinstance(draft, ContactDraft)
    assert (draft.identification_type, draft.identification, draft.check_digit) == expected
    assert draft.kind_of_person == "PERSON_ENTITY"


def test_a_natural_person_without_digits_is_a_bad_nit() -> None:
    result = new_client(
        customer(rfc="N/A", category={"id": 2, "description": "Persona natural"}),
        "CO",
        "222222222",
        None,
    )
    assert isinstance(result, Problem) and result.reason == "bad_nit"
