"""Every HandyClient operation against the in-package Handy simulator."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from handy_alegra.clients.handy import HandyClient, wall_time
from handy_alegra.domain.clock import ManualClock
from handy_alegra.domain.errors import (
    AmbiguousWriteError,
    AuthenticationError,
    NotFoundError,
    RecordParseError,
    ValidationError,
)
from handy_alegra.records.drafts import CustomerDraft, ProductDraft
from handy_alegra.records.handy import Customer, Named, Product, SalesOrder
from handy_alegra.simulators.handy import HandySimulator
from handy_alegra.simulators.seed import World, seed_orders
from tests.conftest import handy_client_for


def bare_sim(clock: ManualClock, n_products: int) -> tuple[HandySimulator, HandyClient]:
    sim = HandySimulator(clock=clock)
    sim.add_token("tok")
    family = sim.add_family("General")
    for i in range(n_products):
        sim.add_product(
            {
                "code": f"P-{i}",
                "description": f"Producto {i}",
                "price": 10.5,
                "family": {"id": family["id"]},
            }
        )
    return sim, handy_client_for(sim, "tok", clock)


@pytest.mark.parametrize(("n", "requests"), [(0, 1), (1, 1), (100, 1), (101, 2)])
def test_products_all_pages(n: int, requests: int, clock: ManualClock) -> None:
    sim, client = bare_sim(clock, n)
    products = [p for p in client.iter_products() if isinstance(p, Product)]
    assert [p.code for p in products] == [f"P-{k}" for k in range(n)]
    assert sim.count_calls("GET", "^product$") == requests


def test_ten_thousand_products_in_pages_of_100(clock: ManualClock) -> None:
    sim, client = bare_sim(clock, 10_000)
    assert sum(1 for p in client.iter_products() if isinstance(p, Product)) == 10_000
    assert sim.count_calls("GET", "^product$") == 100
    assert [s for *_, s in sim.requests if s == 429] == []


def test_enabled_none_walks_enabled_and_disabled(clock: ManualClock) -> None:
    sim, client = bare_sim(clock, 3)
    sim.update_product("P-1", enabled=False)
    assert [p.code for p in client.iter_products() if isinstance(p, Product)] == ["P-0", "P-2"]
    assert [p.code for p in client.iter_products(enabled=False) if isinstance(p, Product)] == [
        "P-1"
    ]
    assert sorted(p.code for p in client.iter_products(enabled=None) if isinstance(p, Product)) == [
        "P-0",
        "P-1",
        "P-2",
    ]


def test_product_create_get_update_and_last_updated_window(clock: ManualClock) -> None:
    _, client = bare_sim(clock, 0)
    family = next(f for f in client.iter_families() if isinstance(f, Named))
    created = client.create_product(
        ProductDraft("ACE-1", "Aceite 1 L", Decimal("37.12"), family.id, Decimal(12))
    )
    assert (
        created.code,
        created.price,
        created.quantity,
        created.family and created.family.id,
    ) == (
        "ACE-1",
        Decimal("37.12"),
        Decimal(12),
        family.id,
    )
    assert client.get_product("ACE-1") == created
    before = clock.now()
    clock.advance(600)
    updated = client.update_product("ACE-1", {"price": Decimal("38.00"), "enabled": False})
    assert (updated.price, updated.enabled, updated.description) == (
        Decimal("38.00"),
        False,
        "Aceite 1 L",
    )
    window = (before + timedelta(seconds=1), clock.now())
    changed = [
        p.code
        for p in client.iter_products(enabled=None, updated_between=window)
        if isinstance(p, Product)
    ]
    assert changed == ["ACE-1"]
    with pytest.raises(NotFoundError):
        client.get_product("NOPE")
    with pytest.raises(ValueError, match="contains '/'"):
        client.get_product("A/B")


def test_product_validation_names_the_fields(clock: ManualClock) -> None:
    _, client = bare_sim(clock, 0)
    with pytest.raises(ValidationError) as caught:
        client.create_product(ProductDraft("X", "X", Decimal(1), "999999"))
    assert [f.field for f in caught.value.fields] == ["family"]


def test_families_zones_categories_customers(handy: HandyClient, world: World) -> None:
    assert client_names(handy.iter_families()) == ["Varios"]
    created = handy.create_family("Bebidas")
    assert client_names(handy.iter_families()) == ["Varios", "Bebidas"]
    assert created.description == "Bebidas"
    zone = handy.create_zone("María Fernanda Núñez")
    assert "María Fernanda Núñez" in client_names(handy.iter_zones())
    assert client_names(handy.list_customer_categories()) == ["Mayoreo", "Menudeo"]
    customer = handy.create_customer(
        CustomerDraft(
            "A-774",
            "Ferretería El Tornillo",
            zone.id,
            rfc="AES180215KJ3",
            email="a@b.mx",
            city="León",
        )
    )
    assert (customer.code, customer.rfc, customer.zone and customer.zone.id) == (
        "A-774",
        "AES180215KJ3",
        zone.id,
    )
    assert handy.get_customer("A-774") == customer
    updated = handy.update_customer("A-774", {"rfc": "AES180215KJ4", "enabled": False})
    assert (updated.rfc, updated.enabled, updated.description) == (
        "AES180215KJ4",
        False,
        "Ferretería El Tornillo",
    )
    codes = [c.code for c in handy.iter_customers(enabled=None) if isinstance(c, Customer)]
    assert "A-774" in codes
    assert len(codes) == len(world.handy.customers())


def client_names(records: object) -> list[str]:
    return [r.description for r in records if isinstance(r, Named)]  # type: ignore[attr-defined]


def test_sales_orders_window_deleted_and_external_id(
    handy: HandyClient, world: World, clock: ManualClock
) -> None:
    start = clock.now()
    clock.advance(3600)
    live = seed_orders(world, 30, since=start)
    end = clock.now()
    created = [o for o in handy.iter_sales_orders(start, end) if isinstance(o, SalesOrder)]
    assert {o.id for o in created} == {str(o["id"]) for o in live}
    assert all(not o.deleted for o in created)
    deleted = [
        o for o in handy.iter_sales_orders(start, end, deleted=True) if isinstance(o, SalesOrder)
    ]
    assert deleted
    assert all(o.deleted and o.date_deleted is not None for o in deleted)
    edited = [o for o in created if o.edited_from]
    assert edited
    assert {o.edited_from[0] for o in edited} <= {o.id for o in deleted if o.is_edited}
    one = handy.get_sales_order(created[0].id)
    assert one.lines == created[0].lines
    handy.set_order_external_id(one.id, "0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b")
    assert handy.get_sales_order(one.id).external_id == "0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"
    assert list(handy.iter_sales_orders(end + timedelta(seconds=1), end + timedelta(hours=1))) == []


def test_order_window_bounds_are_inclusive_in_mexico_city_wall_time(
    handy: HandyClient, world: World, clock: ManualClock
) -> None:
    order = world.handy.create_order(
        world.handy.customers()[0]["code"], [{"code": "ABR-00001", "quantity": 1, "price": "10"}]
    )
    at = clock.now()
    assert wall_time(at) == "02/11/2026 09:00:07"  # 15:00:07 UTC is 09:00:07 in Mexico City
    found = [o.id for o in handy.iter_sales_orders(at, at) if isinstance(o, SalesOrder)]
    assert found == [str(order["id"])]


def test_a_product_post_that_times_out_after_commit_is_ambiguous(clock: ManualClock) -> None:
    sim, client = bare_sim(clock, 0)
    sim.injector.script("POST", "^product$", "drop_after_commit")
    family = next(f for f in client.iter_families() if isinstance(f, Named))
    with pytest.raises(AmbiguousWriteError):
        client.create_product(ProductDraft("ACE-1", "Aceite", Decimal(1), family.id))
    assert client.get_product("ACE-1").code == "ACE-1"  # the caller resolves it by code


def test_puts_retry_transient_errors(clock: ManualClock) -> None:
    sim, client = bare_sim(clock, 1)
    sim.injector.script("PUT", "^product/", "error_500", times=2)
    assert client.update_product("P-0", {"price": 11}).price == Decimal(11)
    assert sim.count_calls("PUT") == 3


def test_a_429_on_handy_waits_for_the_unix_reset(clock: ManualClock) -> None:
    sim, client = bare_sim(clock, 1)
    sim.injector.script("GET", "^product$", "rate_limited")
    assert len(list(client.iter_products())) == 1
    assert len(clock.sleeps) == 1
    assert 0 < clock.sleeps[0] <= 60


def test_probe_and_wrong_token(world: World, clock: ManualClock) -> None:
    handy_client_for(world.handy, world.credentials.handy_token, clock).check_token()
    with pytest.raises(AuthenticationError):
        handy_client_for(world.handy, "nope", clock).check_token()


def test_a_bad_order_does_not_abort_the_listing(
    handy: HandyClient, world: World, clock: ManualClock
) -> None:
    start = clock.now()
    customer = world.handy.customers()[0]["code"]
    world.handy.create_order(customer, [{"code": "A", "quantity": 1, "price": "1"}])
    broken = world.handy.create_order(customer, [{"code": "B", "quantity": 1, "price": "2"}])
    world.handy.state.orders[broken["id"]]["totalSales"] = "n/a"
    results = list(handy.iter_sales_orders(start, clock.now()))
    assert len(results) == 2
    bad = [r for r in results if isinstance(r, RecordParseError)]
    assert [(b.record_id, b.field) for b in bad] == [(str(broken["id"]), "totalSales")]
