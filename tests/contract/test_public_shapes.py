"""The simulators against the public payloads (``tests/fixtures/public``): for every record
type, the records a simulator emits have the keys the public records have, at every depth.

One table, ``SHAPES``: record type → how to get the simulator's records of that type, plus
the key paths a simulator may emit beyond the public ones (``extra``) and those it leaves null
where the public record has an object (``null``), each with the reason. Both lists must be
needed: an entry that hides nothing fails the test, so they cannot go stale. To add a record
type: a fixture (README there), its ``FIXTURES`` row in ``tests/public_fixtures.py``, and a row
here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handy_alegra.clients.http import Client, MockTransport
from handy_alegra.domain.clock import ManualClock
from handy_alegra.simulators.alegra import AlegraSimulator
from handy_alegra.simulators.seed import World, build_world
from tests import public_fixtures as public

START = datetime(2026, 11, 2, 15, 0, 0, tzinfo=UTC)
Records = list[Any]


# --- the simulators' records ---------------------------------------------------------------
def _world(country: str) -> World:
    world = build_world(seed=5, country=country, items=40, orders=30, clock=ManualClock(START))
    world.handy.create_order(  # a return, a promotion and a scheduled delivery in one order
        world.handy.customers()[0]["code"],
        [
            {"code": world.handy.products()[0]["code"], "quantity": 2, "price": 40},
            {
                "code": world.handy.products()[0]["code"],
                "quantity": 1,
                "price": 40,
                "is_return": True,
            },
            {"code": "SIN-CATALOGO", "quantity": 1, "price": 28, "is_reward": True},
        ],
        scheduled_for=START + timedelta(days=3),
        comment="Pedido para la promoción",
    )
    return world


def _handy(world: World) -> Client:
    return Client(
        base_url="https://handy.test/api/v2",
        transport=MockTransport(world.handy.handle),
        headers={"Authorization": f"Bearer {world.credentials.handy_token}"},
    )


def _pages(world: World) -> Records:
    with _handy(world) as http:
        return [
            http.get("salesOrder", params={"max": 100, "deleted": deleted}).json()
            for deleted in ("false", "true")
        ]


def _orders(world: World) -> Records:
    """Every order the simulator serves, and every version nested in their edit chains."""
    found = []
    for page in _pages(world):
        for order in page["salesOrders"]:
            while isinstance(order, dict):
                found.append(order)
                order = order.get("editedFrom")
    return found


def sim_sales_orders() -> Records:
    return _orders(_world("MX"))


def sim_pages() -> Records:
    return _pages(_world("MX"))


def sim_products() -> Records:
    world = _world("MX")
    with _handy(world) as http:
        return [http.get(f"product/{p['code']}").json() for p in world.handy.products()]


def sim_order_products() -> Records:
    return [line["product"] for order in _orders(_world("MX")) for line in order["items"]]


def sim_customers() -> Records:
    world = _world("MX")
    with _handy(world) as http:
        read = [http.get(f"customer/{c['code']}").json() for c in world.handy.customers()]
    return read + [order["customer"] for order in _orders(world)]


def sim_422_bodies() -> Records:
    """What Handy answers the SDK's refused product body (only a code)."""
    (body,) = public.records(public.PRODUCT_REFUSED)
    with _handy(_world("MX")) as http:
        answer = http.post("product", json=body)
    assert answer.status_code == 422
    return [answer.json()]


def sim_422_entries() -> Records:
    return [entry for body in sim_422_bodies() for entry in body["errors"]]


class _Receiver:
    def __init__(self) -> None:
        self.bodies: list[Any] = []

    def __call__(self, url: str, body: bytes) -> int:
        if body:
            self.bodies.append(json.loads(body))
        return 200


def _deliveries(sim: AlegraSimulator, events: tuple[str, ...]) -> _Receiver:
    receiver = _Receiver()
    sim.webhook_sender = receiver
    with Client(base_url="https://alegra.test/api/v1", transport=MockTransport(sim.handle)) as http:
        email, token = next(iter(sim.store.users.items()))
        for event in events:
            answer = http.post(
                "webhooks/subscriptions",
                json={"event": event, "url": f"hooks.example.com/{event}"},
                auth=(email, token),
            )
            assert answer.status_code == 200, answer.text
    return receiver


def sim_webhook_items() -> Records:
    world = _world("MX")
    receiver = _deliveries(world.alegra, ("new-item", "edit-item"))
    for item in world.alegra.items():
        world.alegra.update_item(item["id"], name=f"{item['name']} (nuevo)")
    return receiver.bodies


#: A natural person of a Colombian account, stored the way Alegra reads it back.
PERSON = {
    "nameObject": {
        "firstName": "Luz",
        "secondName": "Ángela",
        "lastName": "Ríos",
        "secondLastName": "Peñaloza",
    },
    "identification": "1020304050",
    "identificationObject": {"type": "CC", "number": "1020304050"},
    "kindOfPerson": "PERSON_ENTITY",
    "regime": "SIMPLIFIED_REGIME",
    "type": ["client"],
    "email": "luz.rios@correo.com.co",
    "phonePrimary": "3001234567",
    "address": {"address": "Calle 10 # 43-12", "city": "Medellín", "department": "Antioquia"},
}


def sim_webhook_clients() -> Records:
    world = _world("CO")
    receiver = _deliveries(world.alegra, ("new-client", "edit-client"))
    world.alegra.add_contact(PERSON)
    for contact in world.alegra.contacts():
        world.alegra.update_contact(contact["id"], email="compras@cliente.com.co")
    return receiver.bodies


def sim_colombian_contacts() -> Records:
    world = _world("CO")
    world.alegra.add_contact(PERSON)
    email, token = next(iter(world.alegra.store.users.items()))
    transport = MockTransport(world.alegra.handle)
    with Client(base_url="https://alegra.test/api/v1", transport=transport) as http:
        return [
            http.get(f"contacts/{c['id']}", auth=(email, token)).json()
            for c in world.alegra.contacts()
        ]


# --- the table -----------------------------------------------------------------------------
WHY_NO_PRICE_LISTS = "the Handy simulator has no price lists (the sync never reads them)"
WHY_NO_CATEGORIES = "the Handy simulator has no product categories (the sync never reads them)"
WHY_NO_OPTIONAL_TAX = "the Handy simulator's products carry one tax (the sync reads `tax` only)"
WHY_CUSTOMER_FIELDS = (
    "fields of GET /customer the order copy of the SDK does not show: `rfc` (DECISIONS.md, a "
    "guess), `email`, `phoneNumber`, `category` (handy.md §7.2, S16), the dates (S6, S17)"
)


@dataclass(frozen=True)
class Shape:
    kind: str
    produce: Callable[[], Records] | None  # None: no simulator emits this type (see `why`)
    leaves: frozenset[str] = frozenset()  # keys compared as records of their own type
    extra: Mapping[str, str] = field(default_factory=dict)
    null: Mapping[str, str] = field(default_factory=dict)
    why: str = ""


SHAPES: dict[str, Shape] = {
    s.kind: s
    for s in (
        Shape(
            public.SALES_ORDER,
            sim_sales_orders,
            leaves=frozenset({"editedFrom", "customer", "product"}),
            extra={
                "operativeStatus": "delivery status, documented after the SDK (S3, S14)",
                "prettyOperativeStatus": "its Spanish label (S3)",
            },
            null={"priceList": WHY_NO_PRICE_LISTS},
        ),
        Shape(public.SALES_ORDER_PAGE, sim_pages, leaves=frozenset({"salesOrders"})),
        Shape(
            public.PRODUCT,
            sim_products,
            extra={
                "id": "every product of the SDK's orders has one (handy.md §6.2)",
                "pictureUrl": "every product of the SDK's orders has one",
            },
            null={"category": WHY_NO_CATEGORIES},
        ),
        Shape(
            public.ORDER_PRODUCT,
            sim_order_products,
            null={"category": WHY_NO_CATEGORIES, "taxOptional": WHY_NO_OPTIONAL_TAX},
        ),
        Shape(
            public.CUSTOMER,
            sim_customers,
            extra=dict.fromkeys(
                ("rfc", "email", "phoneNumber", "category", "dateCreated", "lastUpdated"),
                WHY_CUSTOMER_FIELDS,
            ),
            null={"priceList": WHY_NO_PRICE_LISTS},
        ),
        Shape(
            public.PRODUCT_REFUSED,
            None,
            why="a request body: the Handy 422 rows send it to the simulator",
        ),
        Shape(public.HANDY_422, sim_422_bodies),
        Shape(public.HANDY_422_ENTRY, sim_422_entries),
        Shape(
            public.WEBHOOK_ITEM,
            sim_webhook_items,
            extra={
                "message.item.reference.reference": "the object form of `reference`, which the "
                "seed keeps to test the parser (alegra.md §5: never seen in public material)",
                "message.item.tax[]": "the public event's item has no tax; entries are the "
                "API's (alegra.md §5)",
            },
        ),
        Shape(public.WEBHOOK_CLIENT, sim_webhook_clients),
        Shape(
            public.CONTACT_CO,
            sim_colombian_contacts,
            extra={
                "identificationObject.dv": "a NIT carries its check digit (DECISIONS.md, contacts)",
                "seller": "`{id, name, …}` when the contact has a seller (alegra.md §9)",
            },
        ),
    )
}


def _paths(records: Records, leaves: frozenset[str]) -> set[str]:
    return public.all_paths(_cut(r, leaves) for r in records)


def _cut(value: Any, leaves: frozenset[str]) -> Any:
    """``value`` with the objects under ``leaves`` replaced by a marker (compared apart)."""
    if isinstance(value, dict):
        return {k: ("…" if k in leaves else _cut(v, leaves)) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut(v, leaves) for v in value]
    return value


def test_every_fixture_file_is_registered_and_every_type_has_a_row() -> None:
    on_disk = {p.name for p in public.DIRECTORY.glob("*.json")}
    assert on_disk == set(public.FIXTURES), "register new fixtures in tests/public_fixtures.py"
    assert set(public.FIXTURES.values()) <= set(SHAPES)
    readme = (public.DIRECTORY / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in on_disk), "name each file's source in README"
    for shape in SHAPES.values():
        assert shape.produce is not None or shape.why
        assert public.records(shape.kind), shape.kind


@pytest.mark.parametrize("kind", [k for k, s in SHAPES.items() if s.produce], ids=str)
def test_the_simulators_emit_the_public_keys(kind: str) -> None:
    shape = SHAPES[kind]
    assert shape.produce is not None
    emitted = shape.produce()
    assert emitted, "the producer made no record"
    theirs = _paths(public.records(kind), shape.leaves)
    ours = _paths(emitted, shape.leaves)
    missing = {p for p in theirs - ours if not public.under(p, shape.null)}
    extra = {p for p in ours - theirs if not public.under(p, shape.extra)}
    assert not missing, f"{kind}: the simulator never emits {sorted(missing)}"
    assert not extra, f"{kind}: the simulator emits keys no public record has: {sorted(extra)}"
    for prefix in shape.extra:  # every allowance must still be needed
        assert any(public.under(p, [prefix]) for p in ours - theirs), f"stale extra {prefix}"
    for prefix in shape.null:
        assert any(public.under(p, [prefix]) for p in theirs - ours), f"stale null {prefix}"


def test_the_refused_product_gets_the_public_errors() -> None:
    """Beyond the keys: the SDK's body without description, price and family is refused on
    exactly those fields, with the messages of the SDK's 422 example."""
    (ours,) = sim_422_bodies()
    (theirs,) = public.records(public.HANDY_422)
    fields = {e["field"]: e for e in ours["errors"]}
    assert set(fields) == {e["field"] for e in theirs["errors"]}
    for entry in theirs["errors"]:
        assert fields[entry["field"]]["object"] == entry["object"]
        assert fields[entry["field"]]["message"] == entry["message"]
