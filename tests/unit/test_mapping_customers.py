"""Customer rules, Alegra contact → Handy customer: clients only, zones by seller, CO category."""

from __future__ import annotations

from typing import Any

import pytest

from handy_alegra.mapping.customers import CustomerRules, customer_code, evaluate, zone_of
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.records.alegra import Contact

CO = CustomerRules(country="CO")
MX = CustomerRules(country="MX")
UNSET = object()
CO_ADDRESS = {
    "address": "Calle 13 # 68-45",
    "city": "Bogotá, D.C.",
    "department": "Bogotá",
    "country": "Colombia",
    "zipCode": None,
}
MX_ADDRESS = {
    "street": "Av. Insurgentes Sur",
    "exteriorNumber": "1234",
    "interiorNumber": "5B",
    "colony": "Del Valle",
    "municipality": "Benito Juárez",
    "locality": "Ciudad de México",
    "state": "Ciudad de México",
    "country": "México",
    "zipCode": "03100",
}


def wire(**over: Any) -> dict[str, Any]:
    """A Colombian client as ``GET /contacts`` reads it (alegra.md §9); ``UNSET`` drops a key."""
    raw: dict[str, Any] = {
        "id": "774",
        "name": "Ferretería El Tornillo S.A.S.",
        "identification": "901234567",
        "identificationObject": {"type": "NIT", "number": "901234567", "dv": "3"},
        "kindOfPerson": "LEGAL_ENTITY",
        "email": "compras@eltornillo.com.co",
        "phonePrimary": "6015551234",
        "mobile": "3001234567",
        "address": CO_ADDRESS,
        "type": ["client"],
        "status": "active",
        "seller": {"id": "2", "name": "Carmen Giraldo", "status": "active"},
    }
    raw.update(over)
    return {k: v for k, v in raw.items() if v is not UNSET}


def contact(**over: Any) -> Contact:
    return Contact.model_validate(wire(**over))


@pytest.mark.parametrize(
    ("contact_id", "code"),
    [
        pytest.param("774", "ALG-774", id="string-id"),
        pytest.param(774, "ALG-774", id="number-id"),
        pytest.param(
            "0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b",
            "ALG-0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b",
            id="uuid-v7",
        ),
    ],
)
def test_customer_code_derives_from_contact_id(contact_id: object, code: str) -> None:
    parsed = contact(id=contact_id)
    assert customer_code(parsed.id) == code
    assert evaluate(parsed, CO).code == code


# --- zones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seller", "rules", "zone"),
    [
        pytest.param({"id": "2", "name": "Carmen Giraldo"}, CO, "Carmen Giraldo", id="seller"),
        pytest.param(
            {"id": "3", "name": "José Peña Ñúñez"}, CO, "José Peña Ñúñez", id="accented-exact"
        ),
        pytest.param(
            {"id": "2", "name": "Carmen Giraldo"},
            CustomerRules(country="CO", sellers={"2": "Carmen Giraldo Ruiz"}),
            "Carmen Giraldo Ruiz",
            id="renamed-uses-current-name",
        ),
        pytest.param(
            {"id": "2", "name": "Carmen Giraldo"},
            CustomerRules(country="CO", sellers={"9": "Otro Vendedor"}),
            "Carmen Giraldo",
            id="other-sellers-known-only",
        ),
        pytest.param(2, CustomerRules(country="CO", sellers={"2": "Carmen"}), "Carmen", id="bare"),
        pytest.param(2, CO, "Sin vendedor", id="bare-id-unknown-seller"),
        pytest.param({"id": "2", "name": "  "}, CO, "Sin vendedor", id="blank-seller-name"),
        pytest.param([{"id": "2", "name": "Carmen"}], CO, "Carmen", id="wrapped-in-array"),
        pytest.param(None, CO, "Sin vendedor", id="no-seller-default"),
        pytest.param(UNSET, CO, "Sin vendedor", id="seller-absent-default"),
        pytest.param({}, CO, "Sin vendedor", id="seller-empty-object"),
        pytest.param(
            None, CustomerRules(country="MX", default_zone="General"), "General", id="set-default"
        ),
    ],
)
def test_zone_is_named_exactly_as_the_seller(
    seller: object, rules: CustomerRules, zone: str
) -> None:
    parsed = contact(seller=seller)
    assert zone_of(parsed, rules) == zone
    assert evaluate(parsed, rules).desired["zone"] == zone


# --- who is synced ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "types",
    [
        pytest.param(["client"], id="client"),
        pytest.param(["client", "provider"], id="client-and-provider"),
        pytest.param(["provider", "client"], id="provider-and-client"),
        pytest.param("client", id="type-as-string"),
    ],
)
def test_clients_are_synced(types: object) -> None:
    verdict = evaluate(contact(type=types), CO)
    assert verdict.sync is True
    assert verdict.reason is None


@pytest.mark.parametrize(
    ("over", "name", "reason", "also"),
    [
        pytest.param({"type": ["provider"]}, None, "not_client", None, id="provider-only"),
        pytest.param({"type": "provider"}, None, "not_client", None, id="provider-string"),
        pytest.param({"type": []}, None, "not_client", None, id="no-type"),
        pytest.param({"type": UNSET}, None, "not_client", None, id="type-absent"),
        pytest.param({"status": "inactive"}, None, "inactive_contact", None, id="inactive"),
        pytest.param({"name": ""}, "", "no_name", None, id="empty-name"),
        pytest.param({"name": "   "}, "", "no_name", None, id="blank-name"),
        pytest.param({"name": {}}, "", "no_name", None, id="empty-name-object"),
        pytest.param(
            {"type": "provider", "name": " ", "status": "inactive"},
            "",
            "not_client",
            ["no_name", "inactive_contact"],
            id="every-reason-at-once",
        ),
        pytest.param(
            {"type": ["client"], "name": "", "status": "inactive"},
            "",
            "no_name",
            ["inactive_contact"],
            id="no-name-and-inactive",
        ),
    ],
)
def test_skips_with_reasons(
    over: dict[str, Any], name: str | None, reason: str, also: list[str] | None
) -> None:
    verdict = evaluate(contact(**over), CO)
    assert verdict == Verdict(
        source_id="774",
        code="ALG-774",
        name="Ferretería El Tornillo S.A.S." if name is None else name,
        sync=False,
        reason=reason,
        detail={} if also is None else {"also": also},
        desired={},
    )


# --- what Handy gets --------------------------------------------------------------------------


def test_colombian_client_exact_verdict() -> None:
    verdict = evaluate(contact(name="  Ferretería El Tornillo S.A.S. "), CO)
    assert verdict == Verdict(
        source_id="774",
        code="ALG-774",
        name="Ferretería El Tornillo S.A.S.",
        sync=True,
        reason=None,
        detail={},
        desired={
            "description": "Ferretería El Tornillo S.A.S.",
            "rfc": "901234567",
            "email": "compras@eltornillo.com.co",
            "phoneNumber": "6015551234",
            "address": "Calle 13 # 68-45",
            "city": "Bogotá, D.C.",
            "postalCode": None,
            "zone": "Carmen Giraldo",
            "enabled": True,
            "category": "Persona jurídica",
        },
    )


def test_mexican_client_exact_desired_has_no_category() -> None:
    raw = wire(
        id="88",
        name="Abarrotes La Esperanza SA de CV",
        identification="AES180215KJ3",
        identificationObject=UNSET,
        email="facturas@laesperanza.mx",
        phonePrimary="5555123456",
        address=MX_ADDRESS,
        seller=None,
    )
    verdict = evaluate(Contact.model_validate(raw), MX)
    assert verdict.sync is True
    assert verdict.desired == {
        "description": "Abarrotes La Esperanza SA de CV",
        "rfc": "AES180215KJ3",
        "email": "facturas@laesperanza.mx",
        "phoneNumber": "5555123456",
        "address": "Av. Insurgentes Sur 1234 5B, Del Valle",
        "city": "Benito Juárez",
        "postalCode": "03100",
        "zone": "Sin vendedor",
        "enabled": True,
    }


@pytest.mark.parametrize(
    ("rules", "kind", "category"),
    [
        pytest.param(CO, "LEGAL_ENTITY", "Persona jurídica", id="co-legal"),
        pytest.param(CO, "PERSON_ENTITY", "Persona natural", id="co-person"),
        pytest.param(CO, "SOMETHING_ELSE", None, id="co-unknown"),
        pytest.param(CO, UNSET, None, id="co-absent"),
        pytest.param(CO, "", None, id="co-empty"),
        pytest.param(MX, "LEGAL_ENTITY", UNSET, id="mx-no-category-key"),
        pytest.param(MX, UNSET, UNSET, id="mx-absent-no-category-key"),
        pytest.param(CustomerRules(country="AR"), "LEGAL_ENTITY", UNSET, id="other-country"),
    ],
)
def test_kind_of_person_becomes_category_in_colombia(
    rules: CustomerRules, kind: object, category: object
) -> None:
    desired = evaluate(contact(kindOfPerson=kind), rules).desired
    if category is UNSET:
        assert "category" not in desired
    else:
        assert "category" in desired
        assert desired["category"] == category


@pytest.mark.parametrize(
    ("address", "line", "city", "postal"),
    [
        pytest.param(CO_ADDRESS, "Calle 13 # 68-45", "Bogotá, D.C.", None, id="co-shape"),
        pytest.param(
            {**CO_ADDRESS, "zipCode": "110111"},
            "Calle 13 # 68-45",
            "Bogotá, D.C.",
            "110111",
            id="co-with-zip",
        ),
        pytest.param(
            MX_ADDRESS,
            "Av. Insurgentes Sur 1234 5B, Del Valle",
            "Benito Juárez",
            "03100",
            id="mx-shape",
        ),
        pytest.param(
            {**MX_ADDRESS, "interiorNumber": None},
            "Av. Insurgentes Sur 1234, Del Valle",
            "Benito Juárez",
            "03100",
            id="mx-no-interior",
        ),
        pytest.param(
            {"colony": "Centro", "locality": "Toluca", "zipCode": 50000},
            "Centro",
            "Toluca",
            "50000",
            id="mx-colony-locality-numeric-zip",
        ),
        pytest.param(
            {**MX_ADDRESS, "address": "Insurgentes Sur 1234", "city": "CDMX"},
            "Insurgentes Sur 1234",
            "CDMX",
            "03100",
            id="mx-with-address-and-city",
        ),
        pytest.param("Calle 5 # 10-20", "Calle 5 # 10-20", None, None, id="plain-string"),
        pytest.param({"country": "México"}, None, None, None, id="country-only"),
        pytest.param(None, None, None, None, id="address-null"),
        pytest.param({}, None, None, None, id="address-empty-object"),
    ],
)
def test_address_copied_from_either_country_shape(
    address: object, line: str | None, city: str | None, postal: str | None
) -> None:
    desired = evaluate(contact(address=address), MX).desired
    assert (desired["address"], desired["city"], desired["postalCode"]) == (line, city, postal)


@pytest.mark.parametrize(
    ("over", "rfc"),
    [
        pytest.param({"identification": "AES180215KJ3"}, "AES180215KJ3", id="string"),
        pytest.param(
            {"identification": {"type": "NIT", "number": "901234567", "dv": "3"}},
            "901234567",
            id="object",
        ),
        pytest.param({"identification": 901234567}, "901234567", id="number"),
        pytest.param({"identification": None}, None, id="null"),
        pytest.param({"identification": "  "}, None, id="blank"),
    ],
)
def test_identification_becomes_tax_id(over: dict[str, Any], rfc: str | None) -> None:
    assert evaluate(contact(**over), CO).desired["rfc"] == rfc


@pytest.mark.parametrize(
    ("phone", "mobile", "expected"),
    [
        pytest.param("6015551234", "3001234567", "6015551234", id="primary-wins"),
        pytest.param(None, "3001234567", "3001234567", id="falls-back-to-mobile"),
        pytest.param("", "3001234567", "3001234567", id="empty-primary"),
        pytest.param(UNSET, "3001234567", "3001234567", id="primary-absent"),
        pytest.param(None, None, None, id="neither"),
    ],
)
def test_phone_falls_back_to_mobile(phone: object, mobile: object, expected: str | None) -> None:
    desired = evaluate(contact(phonePrimary=phone, mobile=mobile), CO).desired
    assert desired["phoneNumber"] == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("  Ana Ruiz ", "Ana Ruiz", id="padded-string"),
        pytest.param({"firstName": "Ana", "lastName": "Ruiz"}, "Ana Ruiz", id="name-object"),
        pytest.param({"fullname": "Ana María Ruiz"}, "Ana María Ruiz", id="fullname"),
    ],
)
def test_name_becomes_description(name: object, expected: str) -> None:
    verdict = evaluate(contact(name=name), CO)
    assert verdict.name == expected
    assert verdict.desired["description"] == expected
