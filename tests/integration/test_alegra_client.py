"""Every AlegraClient operation against the in-package Alegra simulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from handy_alegra.clients.alegra import AlegraClient, RepeatedIdentification
from handy_alegra.domain.clock import ManualClock
from handy_alegra.domain.errors import (
    AmbiguousWriteError,
    AuthenticationError,
    NotFoundError,
    RecordParseError,
    ValidationError,
)
from handy_alegra.records.alegra import Contact, Item, Remission
from handy_alegra.records.drafts import ContactDraft, RemissionDraft, RemissionLineDraft
from handy_alegra.simulators.alegra import AlegraSimulator
from handy_alegra.simulators.seed import World
from tests.conftest import alegra_client_for


def bare_sim(clock: ManualClock, n_items: int) -> tuple[AlegraSimulator, AlegraClient]:
    sim = AlegraSimulator(clock=clock)
    sim.add_user("u@x.mx", "tok")
    for i in range(n_items):
        sim.add_item(
            {
                "name": f"Item {i}",
                "reference": f"R-{i}",
                "status": "active",
                "price": [{"idPriceList": "1", "price": "1.5"}],
            }
        )
    return sim, alegra_client_for(sim, "u@x.mx", "tok", clock)


@pytest.mark.parametrize(("n", "requests"), [(0, 1), (1, 1), (30, 2), (31, 2)])
def test_items_all_pages(n: int, requests: int, clock: ManualClock) -> None:
    sim, client = bare_sim(clock, n)
    items = list(client.iter_items())
    assert [i.reference for i in items if isinstance(i, Item)] == [f"R-{k}" for k in range(n)]
    assert sim.count_calls("GET", "^items$") == requests


def test_ten_thousand_items_stay_under_the_rate_limit_without_real_sleep(
    clock: ManualClock,
) -> None:
    sim, client = bare_sim(clock, 10_000)
    t0 = clock.now()
    items = list(client.iter_items())
    assert len(items) == 10_000
    assert all(isinstance(i, Item) for i in items)
    assert sim.count_calls("GET", "^items$") == 334
    assert sim.count_calls(None, None) == 334
    assert [s for m, p, s in sim.requests if s == 429] == []  # never a 429
    # 334 = 150 + 150 + 34: the end of two windows (the server's, aligned on the minute;
    # the last slots of each are spread over its end), then the third's first seconds.
    assert 120 - t0.second <= sum(clock.sleeps) <= 121 - t0.second


def test_item_filters_and_one_item(alegra: AlegraClient, world: World) -> None:
    active = [i for i in alegra.iter_items(status="active") if isinstance(i, Item)]
    assert active
    assert all(i.status == "active" for i in active)
    inventoriable = [i for i in alegra.iter_items(inventariable=True) if isinstance(i, Item)]
    assert inventoriable
    assert all(i.inventory is not None for i in inventoriable)
    services = [i for i in alegra.iter_items(inventariable=False) if isinstance(i, Item)]
    assert services
    assert all(i.inventory is None for i in services)
    listed = [
        i for i in alegra.iter_items(price_list_id=world.price_list["id"]) if isinstance(i, Item)
    ]
    assert listed
    assert all(i.price_in(world.price_list["id"]) is not None for i in listed)
    one = alegra.get_item(active[0].id)
    assert one == active[0]
    with pytest.raises(NotFoundError):
        alegra.get_item("999999")


def test_odd_item_values_from_the_seed_are_parsed(alegra: AlegraClient) -> None:
    items = [i for i in alegra.iter_items() if isinstance(i, Item)]
    assert any(i.reference is None for i in items)  # no reference
    assert any(i.reference and "/" in i.reference for i in items)  # a slash
    refs = [i.reference for i in items if i.reference]
    assert len(refs) != len(set(refs))  # a shared reference
    stocks = [w.available_quantity for i in items if i.inventory for w in i.inventory.warehouses]
    assert all(isinstance(q, Decimal) for q in stocks)
    assert any(q is not None and q < 0 for q in stocks)


def test_a_bad_record_does_not_abort_the_listing(clock: ManualClock) -> None:
    sim, client = bare_sim(clock, 3)
    sim.add_item(
        {"name": "Roto", "reference": "X-1", "price": [{"idPriceList": "1", "price": "gratis"}]}
    )
    sim.add_item({"name": "Bien", "reference": "X-2", "price": []})
    results = list(client.iter_items())
    assert len(results) == 5
    bad = [r for r in results if isinstance(r, RecordParseError)]
    assert len(bad) == 1
    assert bad[0].field == "price.0.price"
    assert bad[0].record_id == "4"
    assert [r.reference for r in results if isinstance(r, Item)] == ["R-0", "R-1", "R-2", "X-2"]


def test_company_price_lists_taxes_warehouses_sellers(alegra: AlegraClient) -> None:
    assert alegra.company().country == "MX"
    lists = alegra.list_price_lists()
    assert [p.name for p in lists if not isinstance(p, RecordParseError)][:2] == [
        "General",
        "Mayoreo",
    ]
    taxes = [t for t in alegra.list_taxes() if not isinstance(t, RecordParseError)]
    assert any(
        t.name == "IVA" and t.percentage == Decimal("16.00") and t.status == "active" for t in taxes
    )
    assert any(t.name == "IVA" and t.status == "inactive" for t in taxes)
    warehouses = [w for w in alegra.list_warehouses() if not isinstance(w, RecordParseError)]
    assert [w.is_default for w in warehouses] == [True, False, False]
    sellers = [s for s in alegra.list_sellers() if not isinstance(s, RecordParseError)]
    assert "María Fernanda Núñez" in [s.name for s in sellers]


def test_contacts_filters(alegra: AlegraClient, world: World) -> None:
    everyone = [c for c in alegra.iter_contacts() if isinstance(c, Contact)]
    clients = [c for c in alegra.iter_contacts(type="client") if isinstance(c, Contact)]
    assert 0 < len(clients) < len(everyone)
    assert all(c.is_client for c in clients)
    assert any(c.types == {"client", "provider"} for c in clients)
    target = next(c for c in clients if c.identification)
    by_id = [
        c
        for c in alegra.iter_contacts(identification=target.identification)
        if isinstance(c, Contact)
    ]
    assert target.id in [c.id for c in by_id]
    fragment = target.name.split()[0].lower()
    by_name = [c for c in alegra.iter_contacts(name=fragment) if isinstance(c, Contact)]
    assert target.id in [c.id for c in by_name]  # a contains match, case-insensitive
    assert alegra.get_contact(target.id).name == target.name


def test_create_contact_mexico_and_colombia(clock: ManualClock) -> None:
    for country, identification in (("MX", "AES180215KJ3"), ("CO", "901234567")):
        sim = AlegraSimulator(clock=clock, country=country)
        sim.add_user("u@x", "t")
        client = alegra_client_for(sim, "u@x", "t", clock)
        draft = ContactDraft(
            name="Ferretería El Tornillo",
            country=country,
            identification=identification,
            identification_type="NIT" if country == "CO" else None,
            check_digit="3" if country == "CO" else None,
            kind_of_person="LEGAL_ENTITY" if country == "CO" else None,
            regime="COMMON_REGIME" if country == "CO" else None,
            email="compras@tornillo.mx",
        )
        created = client.create_contact(draft)
        assert (created.name, created.identification, created.types) == (
            "Ferretería El Tornillo",
            identification,
            {"client"},
        )
        if country == "CO":
            assert created.identification_type == "NIT"
            assert created.kind_of_person == "LEGAL_ENTITY"


def test_a_repeated_identification_names_the_contact_that_has_it(clock: ManualClock) -> None:
    sim = AlegraSimulator(clock=clock, country="CO")
    sim.add_user("u@x", "t")
    client = alegra_client_for(sim, "u@x", "t", clock)
    draft = ContactDraft(
        name="Ferretería El Tornillo",
        country="CO",
        identification="901234567",
        identification_type="NIT",
        check_digit="3",
        kind_of_person="LEGAL_ENTITY",
        regime="COMMON_REGIME",
    )
    first = client.create_contact(draft)
    with pytest.raises(RepeatedIdentification) as caught:
        client.create_contact(replace(draft, name="Tornillos SAS"))
    assert (caught.value.contact_id, caught.value.contact_name) == (first.id, first.name)
    assert caught.value.status == 400
    assert "901234567" in str(caught.value) and "2006" in str(caught.value)
    again = client.create_contact(replace(draft, name="Tornillos SAS", ignore_repeated=True))
    assert again.id != first.id


def test_create_contact_refused_names_the_field(alegra: AlegraClient) -> None:
    with pytest.raises(ValidationError) as caught:
        alegra.create_contact(ContactDraft(name="X", country="MX", email="no-at-sign"))
    assert "email" in str(caught.value).lower() or "correo" in str(caught.value).lower()


def remission_draft(world: World, client_id: str, observations: str) -> RemissionDraft:
    item = next(i for i in world.alegra.items() if i.get("status") == "active")
    return RemissionDraft(
        date=date(2026, 11, 2),
        due_date=date(2026, 11, 2),
        client_id=client_id,
        lines=(
            RemissionLineDraft(
                item["id"], Decimal("86.206897"), Decimal(3), (world.taxes["iva"]["id"],)
            ),
        ),
        observations=observations,
        warehouse_id=world.warehouse_id,
    )


def test_remission_lifecycle(alegra: AlegraClient, world: World) -> None:
    client_id = world.alegra.contacts()[0]["id"]
    created = alegra.create_remission(remission_draft(world, client_id, "handy-order:1"))
    assert (created.status, created.total, created.observations) == (
        "open",
        Decimal("300.00"),
        "handy-order:1",
    )
    assert len(created.id) == 36
    assert alegra.get_remission(created.id) == created
    listed = [
        r
        for r in alegra.iter_remissions(client_id=client_id, on=date(2026, 11, 2))
        if isinstance(r, Remission)
    ]
    assert [r.id for r in listed] == [created.id]
    assert list(alegra.iter_remissions(client_id=client_id, after=date(2026, 11, 3))) == []
    draft = remission_draft(world, client_id, "handy-order:1 (editado)")
    updated = alegra.update_remission(created.id, draft)
    assert updated.observations == "handy-order:1 (editado)"
    alegra.void_remission(created.id)
    assert alegra.get_remission(created.id).status == "void"
    with pytest.raises(ValidationError):
        alegra.update_remission(created.id, draft)


def test_an_ambiguous_remission_post_leaves_a_document_to_look_for(
    alegra: AlegraClient, world: World
) -> None:
    client_id = world.alegra.contacts()[0]["id"]
    world.alegra.injector.script("POST", "^remissions$", "drop_after_commit")
    with pytest.raises(AmbiguousWriteError):
        alegra.create_remission(remission_draft(world, client_id, "handy-order:77"))
    found = [r for r in alegra.iter_remissions(client_id=client_id) if isinstance(r, Remission)]
    assert [r.observations for r in found] == ["handy-order:77"]
    assert world.alegra.count_calls("POST", "^remissions$") == 1  # never posted twice


def test_a_5xx_on_a_remission_post_is_ambiguous_and_not_retried(
    alegra: AlegraClient, world: World
) -> None:
    client_id = world.alegra.contacts()[0]["id"]
    world.alegra.injector.script("POST", "^remissions$", "error_503")
    with pytest.raises(AmbiguousWriteError):
        alegra.create_remission(remission_draft(world, client_id, "handy-order:78"))
    assert world.alegra.count_calls("POST", "^remissions$") == 1


def test_a_429_is_honoured_by_waiting_for_the_reset_then_retrying(
    alegra: AlegraClient, world: World, clock: ManualClock
) -> None:
    world.alegra.injector.script("GET", "^company$", "rate_limited")
    assert alegra.company().country == "MX"
    assert world.alegra.count_calls("GET", "^company$") == 2
    assert len(clock.sleeps) == 1
    assert 0 < clock.sleeps[0] <= 60


def test_a_429_storm_is_waited_out(alegra: AlegraClient, world: World, clock: ManualClock) -> None:
    world.alegra.faults.storm_seconds = 30
    world.alegra.injector.storm_until = clock.monotonic() + 30
    assert alegra.company().country == "MX"
    assert clock.sleeps
    assert sum(clock.sleeps) >= 29


def test_wrong_credentials(world: World, clock: ManualClock) -> None:
    client = alegra_client_for(world.alegra, world.credentials.alegra_email, "wrong", clock)
    with pytest.raises(AuthenticationError) as caught:
        client.company()
    assert caught.value.status == 401
    assert "wrong" not in str(caught.value)


def test_webhook_subscriptions(alegra: AlegraClient) -> None:
    created = alegra.create_webhook("edit-item", "https://sync.example.mx/webhooks/alegra/abc")
    assert (created.event, created.url) == ("edit-item", "sync.example.mx/webhooks/alegra/abc")
    assert [w.id for w in alegra.list_webhooks() if not isinstance(w, RecordParseError)] == [
        created.id
    ]
    alegra.delete_webhook(created.id)
    assert alegra.list_webhooks() == []
    with pytest.raises(ValueError, match="unknown webhook event"):
        alegra.create_webhook("new-invoice", "x.mx")
