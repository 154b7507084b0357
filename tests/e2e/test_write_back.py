"""Write-back Handy can take: the remission (and the item) goes onto Handy's ``externalId``
as text, or as an integer when Handy wants one (its SDK types the field ``Integer``); the form
Handy took is remembered per account, and a refused form is never sent again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World, build_world, seed_orders
from tests.conftest import ALEGRA_SIM, HANDY_SIM, make_runtime
from tests.e2e.sales_checks import (
    activated,
    check_exactly_once,
    cli,
    records,
    remissions_by_order,
    sales,
    summary,
)


def setting(rt: Runtime, key: str) -> object:
    shown = cli(rt, "accounts", "show", "acme", "--json")
    return json.loads(shown.stdout)[key]


def refusals(world: World, method: str, path: str) -> int:
    return sum(1 for m, p, s in world.handy.requests if m == method and path in p and s == 422)


def test_an_integer_only_handy_gets_every_remission_number_and_one_refusal_at_most(
    clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    world, rt = activated(clock, database_url, tmp_path, items=120, seed=51)
    try:
        world.handy.state.integer_external_ids = True
        seed_orders(world, 30, since=clock.now())
        clock.advance(600)
        first = sales(rt)
        assert first["sent"] >= 20 and first.get("written_back") == first["sent"]
        check_exactly_once(world, rt)
        by_order = remissions_by_order(world)
        for handy_id, record in records(rt).items():
            if record.status != "sent":
                continue
            remission = by_order[handy_id][0]
            assert world.handy.order(int(handy_id))["externalId"] == int(remission["number"])
            assert record.external_id_form == "number"
        assert setting(rt, "order_external_id_form") == "number"
        # Orders sent in parallel may each have tried the text form before one learnt it.
        assert 1 <= refusals(world, "PUT", "salesOrder/") <= rt.concurrency
        before = refusals(world, "PUT", "salesOrder/")
        seed_orders(world, 10, since=clock.now())
        clock.advance(600)
        second = sales(rt)
        assert second["sent"] >= 5 and second.get("written_back") == second["sent"]
        assert refusals(world, "PUT", "salesOrder/") == before  # the refused form: never again
    finally:
        rt.close()


def test_an_order_refused_in_every_form_is_told_once_and_never_tried_again(
    clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    world, rt = activated(clock, database_url, tmp_path, items=60, seed=52)
    try:
        code = next(p["code"] for p in world.handy.products() if p["code"][:3] != "LOC")
        customer = next(c["code"] for c in world.handy.customers() if c["code"][:4] == "ALG-")
        kept = world.handy.create_order(customer, [{"code": code, "quantity": 1, "price": 5}])
        taken = world.handy.create_order(customer, [{"code": code, "quantity": 2, "price": 5}])
        answer = [{"field": "externalId", "message": "El pedido está cerrado", "object": "x"}]
        world.handy.refuse("PUT", f"salesOrder/{kept['id']}", 422, "cerrado", answer)
        clock.advance(600)
        first = sales(rt)
        assert (first["sent"], first.get("written_back"), first.get("write_back_refused")) == (
            2,
            1,
            1,
        )
        stored = records(rt)
        assert stored[str(kept["id"])].status == "sent"  # the remission exists all the same
        assert stored[str(kept["id"])].external_id_form == "refused"
        assert stored[str(taken["id"])].external_id_form == "id"
        tried = sum(1 for m, p, _ in world.handy.requests if p == f"salesOrder/{kept['id']}")
        assert tried == 2  # the remission id as text, then its number
        shown = cli(rt, "explain", "order", str(kept["id"]), "--account", "acme")
        assert "Handy rechazó el id de la remisión" in shown.output
        assert "El pedido está cerrado" in shown.output
        clock.advance(600)
        second = sales(rt)
        assert "write_back_refused" not in second
        again = sum(1 for m, p, _ in world.handy.requests if p == f"salesOrder/{kept['id']}")
        assert again == tried
    finally:
        rt.close()


@pytest.fixture
def integer_catalog(clock: ManualClock, database_url: str, tmp_path: Path) -> tuple[World, Runtime]:
    """A company whose Handy takes only integer externalIds, activated (first sync done)."""
    world = build_world(seed=53, country="MX", items=80, contacts=20, clock=clock)
    world.handy.state.integer_external_ids = True
    for n in range(3):  # items minted after Alegra's switch to UUIDv7 ids
        world.alegra.add_item(
            {
                "id": f"0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5{n}",
                "name": f"Producto nuevo {n}",
                "reference": f"UUID-{n}",
                "status": "active",
                "price": [{"idPriceList": world.price_list["id"], "price": 50}],
                "tax": [],
                "inventory": {"availableQuantity": 5},
            }
        )
    rt = make_runtime(world, database_url, tmp_path, clock)
    c = world.credentials
    result = cli(
        rt,
        *("accounts", "add", "acme", "--country", "MX", "--alegra-email", c.alegra_email),
        *("--alegra-token", c.alegra_token, "--handy-token", c.handy_token),
        *("--price-list", world.price_list["name"], "--alegra-url", ALEGRA_SIM),
        *("--handy-url", HANDY_SIM),
    )
    assert result.exit_code == 0, result.output
    yield world, rt
    rt.close()


def test_an_integer_only_handy_gets_item_ids_as_numbers_and_uuids_not_at_all(
    integer_catalog: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = integer_catalog
    assert setting(rt, "product_external_id_form") == "number"
    ids_by_code: dict[str, list[str]] = {}
    for item in world.alegra.items():
        reference = item.get("reference")
        reference = reference.get("reference") if isinstance(reference, dict) else reference
        ids_by_code.setdefault(str(reference), []).append(item["id"])
    synced = [p for p in world.handy.products() if not p["code"].startswith("LOCAL-")]
    assert len(synced) > 20
    for product in synced:
        ids = ids_by_code[product["code"]]  # several when only one of them qualifies
        if product["code"].startswith("UUID-"):
            assert product["externalId"] is None, product["code"]
        else:
            assert product["externalId"] in {int(i) for i in ids}, product["code"]
    assert {p["code"] for p in synced} >= {"UUID-0", "UUID-1", "UUID-2"}
    assert 1 <= refusals(world, "POST", "product") <= 4  # the text form, until one learnt it
    before = len(world.handy.requests)
    clock.advance(3600)
    again = summary(cli(rt, "sync", "catalog", "--account", "acme", "--json"))
    writes = [(m, p, s) for m, p, s in world.handy.requests[before:] if m in ("POST", "PUT")]
    assert writes == []  # nothing differs, nothing refused: no form is retried
    assert again["unchanged"] == len(synced)
