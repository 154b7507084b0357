"""Every parser reads every public payload of its record type (``tests/fixtures/public``):
the Handy and Alegra record parsers, Handy's 422 error parsing, the webhook event recording.

One table, ``PARSERS``: record type → a check that parses one public record and asserts what
it read. Every record type of the fixtures needs a row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from handy_alegra.clients.handy import HandyClient, error_details
from handy_alegra.clients.http import Client, MockTransport, Request, Response
from handy_alegra.clients.ratelimit import RateLimiter
from handy_alegra.domain.clock import ManualClock
from handy_alegra.domain.errors import FieldMessage, RecordParseError
from handy_alegra.mapping.remission import check_totals
from handy_alegra.records.alegra import Contact, Item
from handy_alegra.records.handy import Customer, Product, SalesOrder
from handy_alegra.records.wire import parse_record
from handy_alegra.simulators import handy_catalog as catalog
from handy_alegra.simulators.routing import HttpProblem
from handy_alegra.store.tables import WebhookEvent
from handy_alegra.sync.webhook_inbox import record_delivery
from tests import public_fixtures as public

D = Decimal


def parsed(model: Any, kind: str, raw: Any) -> Any:
    result = parse_record(model, kind, raw)
    assert not isinstance(result, RecordParseError), str(result)
    return result


def read_order(raw: dict[str, Any]) -> None:
    order = parsed(SalesOrder, "sales order", raw)
    assert order.id == str(raw["id"])
    assert len(order.lines) == len(raw["items"])
    assert all(line.product_code for line in order.lines)
    assert order.customer.code == "9112069"
    assert order.seller_name == "German Arrieta"
    assert order.scheduled_for is not None
    assert check_totals(order) is None  # Handy's own orders pass the independent check


def read_page(raw: dict[str, Any]) -> None:
    """The page as HandyClient reads it, through its own HTTP path."""
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return Response(200, json=raw)

    clock = ManualClock()
    http = Client(base_url="https://handy.test/api/v2/", transport=MockTransport(answer))
    client = HandyClient(
        http, token="t", clock=clock, limiter=RateLimiter(500, 60.0, clock, api="handy")
    )
    moment = datetime(2023, 2, 26, tzinfo=UTC)
    orders = list(client.iter_sales_orders(moment, moment))
    assert len(seen) == 1  # nextPage is null: one page
    assert [o.id for o in orders if isinstance(o, SalesOrder)] == ["29079293", "29079294"]
    assert orders[1].edited_from == ("29079292", "29079290")  # type: ignore[union-attr]


def read_product(raw: dict[str, Any]) -> None:
    product = parsed(Product, "product", raw)
    assert product.code == raw["code"]
    assert product.price == D(str(raw["price"]))
    assert product.quantity == D(str(raw["quantity"]))
    assert product.family is not None and product.family.description == raw["family"]["description"]
    assert product.external_id is None
    assert product.id == (str(raw["id"]) if "id" in raw else None)


def read_customer(raw: dict[str, Any]) -> None:
    customer = parsed(Customer, "customer", raw)
    assert (customer.code, customer.description, customer.city) == (
        "9112069",
        "Gru Inc",
        "Cuernavaca",
    )
    assert customer.zone is not None and customer.zone.description == "Zona 1"
    assert customer.business_name is None


def read_refused_product(raw: dict[str, Any]) -> None:
    """The Handy simulator's product validation reads the SDK's refused body as Handy did."""
    with pytest.raises(HttpProblem) as refused:
        catalog.product_values(catalog.HandyState(), raw)
    assert refused.value.status == 422
    assert {f["field"] for f in refused.value.fields} == {"description", "price", "family"}


def read_422(raw: dict[str, Any]) -> None:
    message, fields = error_details(Response(422, json=raw))
    assert message == "Handy rejected the data"
    assert fields == tuple(
        FieldMessage(
            e["field"],
            e["message"],
            None if e["rejected-value"] is None else str(e["rejected-value"]),
        )
        for e in raw["errors"]
    )
    assert fields[0] == FieldMessage(
        "price", "La propiedad Precio debe ser un número válido", "$500.00"
    )


def read_422_entry(raw: dict[str, Any]) -> None:
    for body in (raw, {"errors": [raw]}):  # the entry alone, and inside a body
        _, fields = error_details(Response(422, json=body))
        rejected = raw["rejected-value"]
        assert fields == (
            FieldMessage(raw["field"], raw["message"], None if rejected is None else str(rejected)),
        )


class _Session:
    def __init__(self) -> None:
        self.added: list[Any] = []

    def add(self, row: Any) -> None:
        self.added.append(row)


def recorded(raw: dict[str, Any]) -> WebhookEvent:
    session = _Session()
    body = json.dumps(raw).encode()
    assert record_delivery(session, 1, body, None, datetime(2026, 11, 2, tzinfo=UTC)) == "recorded"
    (event,) = session.added
    assert isinstance(event, WebhookEvent)
    return event


def read_webhook_item(raw: dict[str, Any]) -> None:
    event = recorded(raw)
    assert (event.subject, event.record_id) == ("new-item", "865")
    item = parsed(Item, "item", raw["message"]["item"])
    assert (item.id, item.name, item.reference, item.status) == (
        "865",
        "Un Ítem / S",
        "423424134213",
        "active",
    )
    assert [(p.price_list_id, p.price) for p in item.prices] == [("123", D(1)), ("124", D(2))]
    assert item.inventory is not None and item.inventory.warehouses[0].id == "10"
    assert item.item_category is not None and item.item_category.id == "19"
    assert item.taxes == ()


def read_webhook_client(raw: dict[str, Any]) -> None:
    event = recorded(raw)
    assert (event.subject, event.record_id) == ("new-client", "774")
    contact = parsed(Contact, "contact", raw["message"]["client"])
    assert contact.name == "Primer Nombre Segundo Nombre Primer Apellido Segundo Apellido"
    assert contact.types == frozenset({"client", "provider"})
    assert contact.identification == "3211233"
    assert contact.address is not None and contact.address.city_name == "Abriaquí"


def read_colombian_contact(raw: dict[str, Any]) -> None:
    contact = parsed(Contact, "contact", raw)
    assert (contact.id, contact.name) == ("1", "Pedro Antonio Arias Bastidas")
    assert (contact.identification, contact.identification_type) == ("1231232288", "CC")
    assert contact.kind_of_person == "PERSON_ENTITY"
    assert contact.is_client and contact.active
    assert contact.seller is None
    assert contact.address is not None and contact.address.line is None


PARSERS: dict[str, Callable[[Any], None]] = {
    public.SALES_ORDER: read_order,
    public.SALES_ORDER_PAGE: read_page,
    public.PRODUCT: read_product,
    public.ORDER_PRODUCT: read_product,
    public.CUSTOMER: read_customer,
    public.PRODUCT_REFUSED: read_refused_product,
    public.HANDY_422: read_422,
    public.HANDY_422_ENTRY: read_422_entry,
    public.WEBHOOK_ITEM: read_webhook_item,
    public.WEBHOOK_CLIENT: read_webhook_client,
    public.CONTACT_CO: read_colombian_contact,
}


def test_every_record_type_has_a_parser() -> None:
    assert set(public.FIXTURES.values()) <= set(PARSERS)


@pytest.mark.parametrize(
    ("kind", "index"),
    [(kind, i) for kind in PARSERS for i in range(len(public.records(kind)))],
    ids=lambda value: str(value),
)
def test_every_public_record_is_read(kind: str, index: int) -> None:
    PARSERS[kind](public.records(kind)[index])


def test_the_sdk_example_order_as_read() -> None:
    order = parsed(SalesOrder, "sales order", public.load("handy-sdk-SalesOrderExample.json"))
    assert order.id == "29079293"
    assert order.total_sales == D("36807.3")
    assert (order.total_tax, order.total_before_tax) == (D("4959.8"), D("31847.5"))
    assert order.seller_comment == "Pedido para aprovechar la promo"
    assert order.scheduled_for == datetime(2023, 3, 3, 16, 0, tzinfo=UTC)
    regular, airship, promo = order.lines
    assert (regular.product_code, regular.price, regular.tax_percent) == (
        "M-001",
        D("1833.3"),
        D(8),
    )
    assert (airship.total, airship.tax_percent) == (D("33756"), D(16))
    assert (promo.product_code, promo.is_reward, promo.price_type) == ("Q-001", True, "REWARD")
    assert (promo.original_price, promo.discount_percentage, promo.total) == (
        D("1740"),
        D("30"),
        D("1218"),
    )
    assert not any(line.is_return for line in order.lines)
