"""Colombian clients as Alegra's API takes them, against the strict Colombian simulator:
``identificationObject``, ``kindOfPerson``, ``regime``, ``nameObject`` for natural persons
(never with ``name``), the default NIT sent as a repeat, and code 2006 handled."""

from __future__ import annotations

from pathlib import Path

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World
from tests.e2e.sales_checks import activated, check_exactly_once, cli, records, sales

LEGAL, NATURAL = "Persona jurídica", "Persona natural"


@pytest.fixture
def co(clock: ManualClock, database_url: str, tmp_path: Path) -> tuple[World, Runtime]:
    world, rt = activated(clock, database_url, tmp_path, country="CO", items=60, seed=41)
    yield world, rt
    rt.close()


def a_code(world: World) -> str:
    return next(p["code"] for p in world.handy.products() if not p["code"].startswith("LOCAL-"))


def new_customer(world: World, code: str, name: str, category: str, rfc: str | None = None) -> None:
    world.handy.add_customer(
        {"code": code, "description": name, "rfc": rfc},
        zone_name="Zona Centro",
        category_name=category,
    )


def contact_posts(world: World) -> list[int]:
    return [status for m, p, status in world.alegra.requests if (m, p) == ("POST", "contacts")]


def test_twenty_customers_without_nit_make_twenty_remissions_and_no_400(
    co: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = co
    code = a_code(world)
    names = {}
    for n in range(20):
        category = NATURAL if n % 2 else LEGAL
        name = f"Cliente Sin Nit {n:02d} Gómez" if n % 2 else f"Tienda Sin NIT {n:02d} S.A.S."
        names[f"SN-{n:02d}"] = (name, category)
        new_customer(world, f"SN-{n:02d}", name, category)
    orders = []
    for customer in names:
        clock.advance(10)
        orders.append(
            world.handy.create_order(
                customer, [{"code": code, "quantity": 1, "price": 10}], created_at=clock.now()
            )
        )
    before = len(contact_posts(world))
    clock.advance(600)
    result = sales(rt)
    posts = contact_posts(world)[before:]
    assert posts == [200] * 20  # one create per customer, none refused
    stored = records(rt)
    assert all(stored[str(o["id"])].status == "sent" for o in orders)
    check_exactly_once(world, rt)
    assert result["sent"] >= 20
    created = {
        c["name"]: c for c in world.alegra.contacts() if c.get("identification") == "222222222"
    }
    assert len(created) == 20
    for name, category in names.values():
        shown = " ".join(name.split())
        contact = created[shown]
        assert contact["identificationObject"] == {"type": "NIT", "number": "222222222", "dv": "7"}
        assert contact["regime"] == "SIMPLIFIED_REGIME"
        if category == NATURAL:
            assert contact["kindOfPerson"] == "PERSON_ENTITY"
            words = name.split()
            assert contact["nameObject"] == {
                "firstName": words[0],
                "secondName": " ".join(words[1:-2]),
                "lastName": words[-2],
                "secondLastName": words[-1],
            }
        else:
            assert contact["kindOfPerson"] == "LEGAL_ENTITY"
            assert contact.get("nameObject") is None  # read shape: null for a company


def test_the_accounts_regime_goes_on_every_new_client(
    co: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = co
    edited = cli(rt, "accounts", "edit", "acme", "--colombia-regime", "common_regime")
    assert edited.exit_code == 0, edited.output
    refused = cli(rt, "accounts", "edit", "acme", "--colombia-regime", "NO_REGIME")
    assert refused.exit_code == 2
    assert "SIMPLIFIED_REGIME" in refused.output  # the error lists the values
    new_customer(world, "RG-1", "Ferretería Regimen Común", LEGAL, "900.555.123-1")
    world.handy.create_order("RG-1", [{"code": a_code(world), "quantity": 1, "price": 10}])
    clock.advance(600)
    sales(rt)
    contact = next(c for c in world.alegra.contacts() if c["name"] == "Ferretería Regimen Común")
    assert contact["regime"] == "COMMON_REGIME"
    assert contact["identificationObject"] == {"type": "NIT", "number": "900555123", "dv": "1"}


def test_code_2006_adopts_a_same_named_contact_and_explains_any_other(
    co: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = co
    # A provider with the customer's exact name and NIT: not found as a client by name, so the
    # create runs into Alegra's 2006, whose answer names this contact: adopted.
    provider = world.alegra.add_contact(
        {
            "name": "Distribuidora Hermanos Peña",
            "type": ["provider"],
            "identification": "901111111",
            "identificationObject": {"type": "NIT", "number": "901111111", "dv": "0"},
        }
    )
    other = world.alegra.add_contact(
        {
            "name": "Otra Empresa Ltda",
            "type": ["client"],
            "identification": "902222222",
            "identificationObject": {"type": "NIT", "number": "902222222", "dv": "0"},
        }
    )
    new_customer(world, "DUP-1", "Distribuidora Hermanos Peña", LEGAL, "901111111")
    new_customer(world, "DUP-2", "Tienda Que No Es Otra", LEGAL, "902.222.222")
    code = a_code(world)
    adopted = world.handy.create_order("DUP-1", [{"code": code, "quantity": 1, "price": 10}])
    held = world.handy.create_order("DUP-2", [{"code": code, "quantity": 2, "price": 10}])
    contacts_before = len(world.alegra.contacts())
    clock.advance(600)
    sales(rt)
    stored = records(rt)
    assert stored[str(adopted["id"])].status == "sent"
    assert stored[str(adopted["id"])].alegra_client_id == provider["id"]
    record = stored[str(held["id"])]
    assert (record.status, record.reason) == ("failed", "identification_taken")
    assert record.detail == {
        "customer": "Tienda Que No Es Otra",
        "identification": "902222222",
        "contact_id": other["id"],
        "contact_name": "Otra Empresa Ltda",
    }
    assert len(world.alegra.contacts()) == contacts_before  # nothing created twice
    shown = cli(rt, "explain", "order", str(held["id"]), "--account", "acme")
    assert "Otra Empresa Ltda" in shown.output and "902222222" in shown.output
    # Fixed in Handy (the right NIT): the next cycle creates the client and sends the order.
    world.handy.update_customer("DUP-2", rfc="903333333")
    clock.advance(600)
    sales(rt)
    assert records(rt)[str(held["id"])].status == "sent"
