"""Wire JSON → typed records: the odd values both APIs send, and per-record errors."""

from decimal import Decimal

import pytest

from handy_alegra.domain.errors import RecordParseError
from handy_alegra.records.alegra import Company, Contact, Item, Remission, Seller
from handy_alegra.records.handy import Customer, Product, SalesOrder
from handy_alegra.records.wire import json_number, parse_record


def item(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "1043",
        "name": "Aceite",
        "reference": "ACE-1",
        "status": "active",
    }
    base.update(over)
    return base


@pytest.mark.parametrize(
    ("raw", "attr", "expected"),
    [
        (item(id=1043), "id", "1043"),
        (
            item(id="0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"),
            "id",
            "0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b",
        ),
        (item(reference={"reference": "REF-9"}), "reference", "REF-9"),
        (item(reference=""), "reference", None),
        (item(reference="  "), "reference", None),
        (item(reference=None), "reference", None),
        (item(inventory=None), "inventory", None),
    ],
)
def test_alegra_item_odd_values(raw: dict[str, object], attr: str, expected: object) -> None:
    parsed = parse_record(Item, "item", raw)
    assert isinstance(parsed, Item)
    assert getattr(parsed, attr) == expected


def test_alegra_item_numbers_as_strings_become_decimals() -> None:
    parsed = parse_record(
        Item,
        "item",
        item(
            price=[{"idPriceList": "1", "price": "1001.00"}, {"idPriceList": 2, "price": 28800}],
            tax=[{"id": 3, "name": "IVA", "percentage": "19.00", "status": "active"}],
            inventory={
                "availableQuantity": 148,
                "warehouses": [
                    {"id": "1", "availableQuantity": "120"},
                    {"id": 2, "availableQuantity": "28.5"},
                ],
            },
            itemCategory={"id": 3, "name": "Lubricantes"},
        ),
    )
    assert isinstance(parsed, Item)
    assert parsed.price_in("1") == Decimal("1001.00")
    assert parsed.price_in("2") == Decimal("28800")
    assert parsed.price_in("9") is None
    assert parsed.taxes[0].percentage == Decimal("19.00")
    assert parsed.inventory is not None
    assert [w.available_quantity for w in parsed.inventory.warehouses] == [
        Decimal(120),
        Decimal("28.5"),
    ]
    assert parsed.item_category is not None and parsed.item_category.id == "3"


def test_webhook_price_entries_use_id_instead_of_id_price_list() -> None:
    parsed = parse_record(Item, "item", item(price=[{"id": "123", "price": 1}]))
    assert isinstance(parsed, Item)
    assert parsed.price_in("123") == Decimal(1)


@pytest.mark.parametrize(
    ("raw", "field", "problem"),
    [
        (item(price=[{"idPriceList": "1", "price": "gratis"}]), "price.0.price", "is not a number"),
        (item(id=None), "id", "must be a non-empty string or an integer id"),
        (item(tax=[{"id": "3", "percentage": True}]), "tax.0.percentage", "is a boolean"),
    ],
)
def test_a_bad_field_names_the_record_and_the_field(
    raw: dict[str, object], field: str, problem: str
) -> None:
    parsed = parse_record(Item, "item", raw)
    assert isinstance(parsed, RecordParseError)
    assert parsed.field == field
    assert problem in parsed.problem
    assert parsed.kind == "item"
    assert str(parsed).startswith(("item 1043: field", "item without id: field"))


def test_a_record_that_is_not_an_object_is_a_parse_error() -> None:
    parsed = parse_record(Item, "item", ["not", "a", "dict"])
    assert isinstance(parsed, RecordParseError)
    assert parsed.field == "(record)"


@pytest.mark.parametrize(
    ("type_value", "expected"),
    [
        ("client", {"client"}),
        (["client", "provider"], {"client", "provider"}),
        ([], set()),
        (None, set()),
    ],
)
def test_contact_type_is_a_string_or_an_array(type_value: object, expected: set[str]) -> None:
    parsed = parse_record(Contact, "contact", {"id": 7, "name": "Ana", "type": type_value})
    assert isinstance(parsed, Contact)
    assert parsed.types == expected
    assert parsed.is_client == ("client" in expected)


def test_contact_name_and_identification_objects() -> None:
    parsed = parse_record(
        Contact,
        "contact",
        {
            "id": "774",
            "name": {"firstName": "José", "lastName": "Pérez", "secondLastName": "Núñez"},
            "identification": "901234567",
            "identificationObject": {"type": "NIT", "number": "901234567", "dv": "3"},
            "seller": {"id": 2, "name": "Carmen Giraldo"},
            "address": {
                "street": "Av. Insurgentes Sur",
                "exteriorNumber": "1234",
                "colony": "Del Valle",
                "zipCode": "03100",
            },
        },
    )
    assert isinstance(parsed, Contact)
    assert parsed.name == "José Pérez Núñez"
    assert parsed.identification == "901234567"
    assert parsed.identification_type == "NIT"
    assert parsed.seller is not None and parsed.seller.id == "2"
    assert parsed.address is not None
    assert parsed.address.line == "Av. Insurgentes Sur 1234, Del Valle"


def test_seller_identification_may_be_a_number() -> None:
    parsed = parse_record(Seller, "seller", {"id": 1, "name": "Carmen", "identification": 1957845})
    assert isinstance(parsed, Seller)
    assert parsed.identification == "1957845"


def test_company_country_from_application_version() -> None:
    assert Company.model_validate({"applicationVersion": "colombia"}).country == "CO"
    assert Company.model_validate({"applicationVersion": "mexico"}).country == "MX"
    assert Company.model_validate({"applicationVersion": "marte"}).country is None


def test_remission_number_object_and_string_totals() -> None:
    parsed = parse_record(
        Remission,
        "remission",
        {
            "id": "0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b",
            "number": {"prefix": "R", "number": "12", "fullNumber": "R12"},
            "date": "2026-03-02",
            "client": "774",
            "items": [
                {
                    "id": "1043",
                    "price": "28800",
                    "quantity": 12,
                    "tax": [{"id": "3", "percentage": "19.00"}],
                }
            ],
            "total": "411264.00",
            "observations": None,
        },
    )
    assert isinstance(parsed, Remission)
    assert parsed.number == "R12"
    assert parsed.client is not None and parsed.client.id == "774"
    assert parsed.total == Decimal("411264.00")
    assert parsed.observations == ""
    assert parsed.lines[0].taxes[0].percentage == Decimal("19.00")


def test_handy_order_with_edit_chain_and_lines() -> None:
    raw = {
        "id": 29079294,
        "dateCreated": "2023-02-26T07:14:32Z",
        "customer": {
            "id": 9112069,
            "code": "9112069",
            "description": "Gru Inc",
            "zone": {"id": 1, "description": "Zona 1"},
        },
        "createdBy": {"id": 1, "name": "German Arrieta"},
        "items": [
            {
                "id": 1,
                "product": {"code": "M-001", "description": "Rayo"},
                "quantity": 1.0,
                "price": 1833.3,
                "tax": {"name": "IVA", "amount": 8.0},
                "isReturn": False,
                "priceType": "REWARD",
            }
        ],
        "totalSales": 1833.3,
        "editedFrom": {"id": 29079292, "editedFrom": {"id": 29079290, "editedFrom": None}},
        "externalId": 55,
    }
    parsed = parse_record(SalesOrder, "sales order", raw)
    assert isinstance(parsed, SalesOrder)
    assert parsed.id == "29079294"
    assert parsed.edited_from == ("29079292", "29079290")
    assert parsed.external_id == "55"
    assert parsed.seller_name == "German Arrieta"
    line = parsed.lines[0]
    assert (line.product_code, line.price, line.tax_name, line.tax_percent) == (
        "M-001",
        Decimal("1833.3"),
        "IVA",
        Decimal("8.0"),
    )
    assert line.reward
    assert parsed.customer.zone is not None and parsed.customer.zone.description == "Zona 1"


def test_handy_order_without_time_zone_is_refused() -> None:
    parsed = parse_record(
        SalesOrder,
        "sales order",
        {"id": 1, "dateCreated": "2023-02-26T07:14:32", "customer": {"code": "C"}, "totalSales": 1},
    )
    assert isinstance(parsed, RecordParseError)
    assert parsed.field == "dateCreated"


def test_handy_product_and_customer() -> None:
    product = parse_record(
        Product, "product", {"id": 1, "code": "A", "price": "10.50", "family": 3, "enabled": None}
    )
    assert isinstance(product, Product)
    assert (product.price, product.family and product.family.id, product.enabled) == (
        Decimal("10.50"),
        "3",
        True,
    )
    customer = parse_record(
        Customer, "customer", {"code": 7, "description": "Tienda", "rfc": " ", "category": None}
    )
    assert isinstance(customer, Customer)
    assert (customer.code, customer.rfc, customer.category) == ("7", None, None)


@pytest.mark.parametrize(
    ("value", "wire"), [("10", 10), ("86.206897", 86.206897), ("0.10", 0.1), ("-3.5", -3.5)]
)
def test_json_number_is_exact(value: str, wire: object) -> None:
    assert json_number(Decimal(value)) == wire


def test_json_number_refuses_what_a_float_would_change() -> None:
    with pytest.raises(ValueError, match="cannot be sent exactly"):
        json_number(Decimal("12345678901234567.891"))


def test_a_stored_order_reads_back_the_same() -> None:
    """The sales sync keeps orders as JSON dumps of the record; they must parse back equal."""
    raw = {
        "id": 9,
        "dateCreated": "2026-11-02T15:00:00Z",
        "customer": {
            "code": "C-1",
            "description": "Tienda",
            "rfc": "AAA010101AAA",
            "zone": {"id": 1, "description": "Z"},
        },
        "createdBy": {"name": "Ana"},
        "items": [
            {
                "product": {"code": "A"},
                "quantity": "0.333",
                "price": 33.33,
                "total": 11.1,
                "isReturn": True,
            }
        ],
        "totalSales": "11.10",
        "editedFrom": {"id": 8, "editedFrom": {"id": 7}},
        "sellerComment": "hola",
    }
    order = parse_record(SalesOrder, "sales order", raw)
    assert isinstance(order, SalesOrder)
    again = SalesOrder.model_validate(order.model_dump(mode="json", by_alias=True))
    assert again == order
    assert again.edited_from == ("8", "7")
