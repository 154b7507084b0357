"""The CLI against both simulators, as an operator uses it: activate, sync catalog and
customers, re-run, change things in Alegra and in Handy, explain. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from handy_alegra.cli import app
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World, build_world
from tests.conftest import ALEGRA_SIM, HANDY_SIM, make_runtime

runner = CliRunner()


def cli(rt: Runtime, *args: str, **env: str) -> Any:
    """``handy-alegra ARGS`` in-process; ``env``: variables for this run (``HANDY_ALEGRA_LANG``)."""
    return runner.invoke(app, list(args), obj=rt, catch_exceptions=False, env=env or None)


def activate(rt: Runtime, world: World, *extra: str) -> Any:
    c = world.credentials
    return cli(
        rt,
        "accounts",
        "add",
        "acme",
        "--country",
        world.country,
        "--alegra-email",
        c.alegra_email,
        "--alegra-token",
        c.alegra_token,
        "--handy-token",
        c.handy_token,
        "--price-list",
        world.price_list["name"],
        "--alegra-url",
        ALEGRA_SIM,
        "--handy-url",
        HANDY_SIM,
        *extra,
    )


def writes(world: World) -> int:
    return world.handy.count_calls("POST") + world.handy.count_calls("PUT")


def summary(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- an independent oracle of the catalog and customer rules ---------------------------------


def expected_products(world: World) -> dict[str, tuple[Decimal, Decimal, str]]:
    chosen = world.price_list["id"]
    qualifying: dict[str, list[tuple[Decimal, Decimal, str]]] = defaultdict(list)
    for item in world.alegra.items():
        ref = item["reference"]
        ref = (ref.get("reference") if isinstance(ref, dict) else ref or "").strip()
        try:
            prices = [
                Decimal(str(p["price"])) for p in item["price"] if str(p["idPriceList"]) == chosen
            ]
        except ArithmeticError:  # an unreadable price: the item is skipped
            continue
        ivas = [
            Decimal(str(t["percentage"]))
            for t in item["tax"]
            if t["name"] == "IVA" and t["status"] == "active"
        ]
        if not ref or "/" in ref or item["status"] != "active" or "inventory" not in item:
            continue
        if not prices or len(ivas) > 1:
            continue
        price = prices[0]
        if ivas:
            price = (price * (100 + ivas[0]) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        stock = sum(Decimal(str(w["availableQuantity"])) for w in item["inventory"]["warehouses"])
        family = (item.get("itemCategory") or {}).get("name") or "General"
        qualifying[ref].append((price, max(stock, Decimal(0)), family))
    return {ref: entries[0] for ref, entries in qualifying.items() if len(entries) == 1}


def expected_customers(world: World) -> dict[str, str]:
    sellers = {s["id"]: s["name"] for s in world.alegra.store.sellers.values()}
    expected = {}
    for contact in world.alegra.contacts():
        types = contact["type"] if isinstance(contact["type"], list) else [contact["type"]]
        if "client" in types and contact["status"] == "active":
            seller = contact.get("seller")
            expected[f"ALG-{contact['id']}"] = sellers[seller["id"]] if seller else "Sin vendedor"
    return expected


def handy_products(world: World) -> dict[str, dict[str, Any]]:
    return {p["code"]: p for p in world.handy.products() if not p["code"].startswith("LOCAL-")}


@pytest.fixture
def mx(clock: ManualClock) -> World:
    return build_world(seed=11, country="MX", items=400, contacts=120, clock=clock)


@pytest.fixture
def mx_full(clock: ManualClock) -> World:
    """The size the issue's acceptance names: 2,000 items and 500 contacts."""
    return build_world(seed=11, country="MX", items=2000, contacts=500, clock=clock)


@pytest.fixture
def rt(mx: World, database_url: str, tmp_path: Path, clock: ManualClock) -> Runtime:
    runtime = make_runtime(mx, database_url, tmp_path, clock)
    yield runtime
    runtime.close()


def test_activation_syncs_everything_and_a_second_run_writes_nothing(
    mx_full: World, database_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    rt = make_runtime(mx_full, database_url, tmp_path, clock)
    try:
        check_full_activation(rt, mx_full, clock)
    finally:
        rt.close()


def check_full_activation(rt: Runtime, mx: World, clock: ManualClock) -> None:
    result = activate(rt, mx)
    assert result.exit_code == 0, result.output
    assert "Cuenta acme activada" in result.stdout  # one language: Spanish, as the explanations
    assert mx.credentials.alegra_token not in result.output
    assert mx.credentials.handy_token not in result.output

    expected = expected_products(mx)
    got = handy_products(mx)
    assert set(got) == set(expected)
    for code, (price, stock, family) in expected.items():
        product = got[code]
        assert (
            Decimal(str(product["price"])),
            Decimal(str(product["quantity"])),
            product["family"]["description"],
        ) == (price, stock, family), code
        assert product["enabled"] is True
    assert [p["code"] for p in mx.handy.products() if p["code"].startswith("LOCAL-")] == [
        "LOCAL-001",
        "LOCAL-002",
        "LOCAL-003",
    ]

    customers = {c["code"]: c for c in mx.handy.customers() if c["code"].startswith("ALG-")}
    assert {code: c["zone"]["description"] for code, c in customers.items()} == expected_customers(
        mx
    )
    zones = {z["description"] for z in mx.handy.zones()}
    assert set(expected_customers(mx).values()) <= zones
    assert "Vendedor Retirado" not in zones  # a seller without clients gets no zone

    before = writes(mx)
    clock.advance(3600)
    catalog = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    customers_run = cli(rt, "sync", "customers", "--account", "acme", "--json")
    assert catalog.exit_code == customers_run.exit_code == 0
    assert writes(mx) == before
    assert summary(catalog)["unchanged"] == len(expected)
    assert summary(catalog)["created"] == summary(catalog)["updated"] == 0
    assert summary(customers_run)["unchanged"] == len(expected_customers(mx))


def test_every_skipped_item_has_its_reason(rt: Runtime, mx: World) -> None:
    assert activate(rt, mx, "--no-initial-sync").exit_code == 0
    result = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    data = summary(result)
    skipped = data["skipped"]
    assert set(skipped) >= {
        "no_reference",
        "slash_in_reference",
        "inactive",
        "not_inventoriable",
        "no_price_in_list",
        "two_iva",
        "duplicate_reference",
    }
    synced = len(expected_products(mx))
    total = len(mx.alegra.items())
    assert data["created"] == synced
    assert sum(skipped.values()) == total - synced


def test_an_item_made_inactive_is_disabled_and_comes_back(
    rt: Runtime, mx: World, clock: ManualClock
) -> None:
    assert activate(rt, mx).exit_code == 0
    code, item = next(
        (p["code"], i)
        for p in handy_products(mx).values()
        for i in mx.alegra.items()
        if i["reference"] == p["code"]
    )
    mx.alegra.update_item(item["id"], status="inactive")
    clock.advance(86_400)
    result = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    assert summary(result)["disabled"] == 1
    assert mx.handy.product(code)["enabled"] is False
    explained = cli(rt, "explain", "product", code, "--account", "acme")
    assert "inactivo en Alegra" in explained.stdout
    assert "se deshabilitó" in explained.stdout

    mx.alegra.update_item(item["id"], status="active")
    clock.advance(86_400)
    result = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    assert summary(result)["enabled"] == 1
    assert mx.handy.product(code)["enabled"] is True


def test_price_and_stock_changes_and_hand_edits_in_handy(
    rt: Runtime, mx: World, clock: ManualClock
) -> None:
    assert activate(rt, mx).exit_code == 0
    products = list(handy_products(mx))
    changed, edited = products[0], products[1]
    item = next(i for i in mx.alegra.items() if i["reference"] == changed)
    prices = [
        dict(p, price="999.00") if p["idPriceList"] == mx.price_list["id"] else p
        for p in item["price"]
    ]
    mx.alegra.update_item(item["id"], price=prices)
    clock.advance(600)
    mx.handy.update_product(edited, price=1.0, description="editado a mano")  # someone edits Handy
    clock.advance(86_400)
    before = writes(mx)
    result = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    assert summary(result)["updated"] == 2
    assert writes(mx) - before == 2  # one PUT each, nothing else
    assert Decimal(str(mx.handy.product(changed)["price"])) == expected_products(mx)[changed][0]
    assert mx.handy.product(edited)["description"] != "editado a mano"
    assert Decimal(str(mx.handy.product(edited)["price"])) == expected_products(mx)[edited][0]


def test_dry_run_writes_nothing_anywhere(rt: Runtime, mx: World) -> None:
    assert activate(rt, mx, "--no-initial-sync").exit_code == 0
    result = cli(rt, "sync", "catalog", "--account", "acme", "--dry-run", "--json")
    data = summary(result)
    assert data["dry_run"] is True
    assert data["created"] == len(expected_products(mx))
    assert {line["action"] for line in data["plan"]} >= {"create", "create_family"}
    assert writes(mx) == 0
    real = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    assert summary(real)["created"] == len(expected_products(mx))  # the dry run changed nothing


def test_an_api_outage_ends_the_run_cleanly_and_the_next_run_resumes(
    rt: Runtime, mx: World
) -> None:
    assert activate(rt, mx, "--no-initial-sync").exit_code == 0
    mx.handy.injector.script("POST", "^product$", "error_503", times=1)
    mx.handy.injector.script(
        "GET", "^product/", "error_503", times=10
    )  # resolving the ambiguity fails
    first = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    assert first.exit_code == 3
    assert summary(first)["outcome"] == "interrupted"
    second = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    assert second.exit_code == 0
    assert set(handy_products(mx)) == set(expected_products(mx))


def test_a_create_that_timed_out_after_commit_is_adopted_not_duplicated(
    rt: Runtime, mx: World
) -> None:
    assert activate(rt, mx, "--no-initial-sync").exit_code == 0
    mx.handy.injector.script("POST", "^product$", "drop_after_commit", times=3)
    result = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    assert result.exit_code == 0
    assert summary(result)["created"] == len(expected_products(mx))
    assert set(handy_products(mx)) == set(expected_products(mx))


def test_an_unreadable_item_is_skipped_and_the_rest_sync(rt: Runtime, mx: World) -> None:
    assert activate(rt, mx, "--no-initial-sync").exit_code == 0
    mx.alegra.add_item(
        {
            "name": "Roto",
            "reference": "ROTO-1",
            "status": "active",
            "inventory": {},
            "price": [{"idPriceList": mx.price_list["id"], "price": "gratis"}],
            "tax": [],
        }
    )
    result = cli(rt, "sync", "catalog", "--account", "acme", "--json")
    assert result.exit_code == 0
    assert summary(result)["skipped"]["unreadable"] == 1
    assert set(handy_products(mx)) == set(expected_products(mx))


def test_wrong_credentials_store_nothing(
    rt: Runtime, mx: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDY_ALEGRA_LANG", "en")  # the refusal below is read in English
    c = mx.credentials
    result = cli(
        rt,
        "accounts",
        "add",
        "acme",
        "--country",
        "MX",
        "--alegra-email",
        c.alegra_email,
        "--alegra-token",
        "wrong-token",
        "--handy-token",
        c.handy_token,
        "--price-list",
        "Mayoreo",
        "--alegra-url",
        ALEGRA_SIM,
        "--handy-url",
        HANDY_SIM,
    )
    assert result.exit_code == 2
    assert "Alegra refused the credentials (401)" in result.output
    assert "wrong-token" not in result.output
    assert "nothing was stored" in result.output
    assert "there is no account" not in cli(rt, "accounts", "list", "--json").output
    assert json.loads(cli(rt, "accounts", "list", "--json").stdout) == []


def test_unknown_price_list_lists_the_existing_ones(rt: Runtime, mx: World) -> None:
    c = mx.credentials
    result = cli(
        rt,
        "accounts",
        "add",
        "acme",
        "--country",
        "MX",
        "--alegra-email",
        c.alegra_email,
        "--alegra-token",
        c.alegra_token,
        "--handy-token",
        c.handy_token,
        "--price-list",
        "Menudeo",
        "--alegra-url",
        ALEGRA_SIM,
        "--handy-url",
        HANDY_SIM,
    )
    assert result.exit_code == 2
    assert "1 — General; 2 — Mayoreo; 3 — Ruta" in result.output


def test_accounts_list_show_edit_pause_resume_remove(rt: Runtime, mx: World) -> None:
    assert activate(rt, mx, "--no-initial-sync").exit_code == 0
    shown = json.loads(cli(rt, "accounts", "show", "acme", "--json").stdout)
    assert shown["price_list_name"] == "Mayoreo"
    assert mx.credentials.alegra_token not in json.dumps(shown)
    assert (
        cli(rt, "accounts", "edit", "acme", "--price-list", "General", "--all-items").exit_code == 0
    )
    shown = json.loads(cli(rt, "accounts", "show", "acme", "--json").stdout)
    assert (shown["price_list_id"], shown["all_items"]) == ("1", True)
    assert cli(rt, "accounts", "pause", "acme").exit_code == 0
    assert json.loads(cli(rt, "accounts", "list", "--json").stdout)[0]["paused"] is True
    assert cli(rt, "accounts", "resume", "acme").exit_code == 0
    assert cli(rt, "accounts", "remove", "acme", "--yes").exit_code == 0
    assert json.loads(cli(rt, "accounts", "list", "--json").stdout) == []


def test_a_seller_renamed_in_alegra_gets_its_zone(
    rt: Runtime, mx: World, clock: ManualClock
) -> None:
    assert activate(rt, mx).exit_code == 0
    seller = next(iter(mx.alegra.store.sellers.values()))
    mx.alegra.rename_seller(seller["id"], "José Martínez Ñúñez")
    clock.advance(86_400)
    result = cli(rt, "sync", "customers", "--account", "acme", "--json")
    moved = sum(1 for z in expected_customers(mx).values() if z == "José Martínez Ñúñez")
    assert moved > 0
    assert summary(result)["updated"] == moved
    zones = {
        c["code"]: c["zone"]["description"]
        for c in mx.handy.customers()
        if c["code"].startswith("ALG-")
    }
    assert zones == expected_customers(mx)


def test_an_inactive_contact_disables_its_customer(
    rt: Runtime, mx: World, clock: ManualClock
) -> None:
    assert activate(rt, mx).exit_code == 0
    code, contact_id = next((code, code[4:]) for code in expected_customers(mx))
    mx.alegra.update_contact(contact_id, status="inactive")
    clock.advance(86_400)
    result = cli(rt, "sync", "customers", "--account", "acme", "--json")
    assert summary(result)["disabled"] == 1
    assert mx.handy.customer(code)["enabled"] is False
    explained = cli(rt, "explain", "customer", code, "--account", "acme")
    assert "inactivo en Alegra" in explained.stdout


def test_colombia_person_categories_and_missing_category(
    clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    co = build_world(seed=12, country="CO", items=200, contacts=120, clock=clock)
    rt = make_runtime(co, database_url, tmp_path, clock)
    try:
        assert activate(rt, co).exit_code == 0
        kinds = {c["id"]: c.get("kindOfPerson") for c in co.alegra.contacts()}
        categories = {
            c["code"]: (c["category"] or {}).get("description")
            for c in co.handy.customers()
            if c["code"].startswith("ALG-")
        }
        assert categories
        for code, category in categories.items():
            wanted = {"LEGAL_ENTITY": "Persona jurídica", "PERSON_ENTITY": "Persona natural"}[
                kinds[code[4:]]
            ]
            assert category == wanted
    finally:
        rt.close()


def test_colombia_activation_needs_the_person_categories(
    clock: ManualClock, sqlite_url: str, tmp_path: Path
) -> None:
    co = build_world(seed=13, country="CO", items=20, clock=clock)
    category = next(
        c for c in co.handy.state.categories.values() if c["description"] == "Persona jurídica"
    )
    category["description"] = "Persona juridica"  # no accent: not the category the rules need
    rt = make_runtime(co, sqlite_url, tmp_path, clock)
    result = activate(rt, co)
    assert result.exit_code == 2
    assert "'Persona jurídica'" in result.output
    assert "Clientes › Categorías" in result.output
    rt.close()


def test_sync_daily_runs_catalog_and_customers_together(
    rt: Runtime, mx: World, clock: ManualClock
) -> None:
    assert activate(rt, mx, "--no-initial-sync").exit_code == 0
    result = cli(rt, "sync", "daily", "--account", "acme", "--json")
    assert result.exit_code == 0, result.output
    runs = {s["kind"]: s for s in map(json.loads, result.stdout.strip().splitlines())}
    assert set(runs) == {"catalog", "customers"}
    assert runs["catalog"]["created"] == len(expected_products(mx))
    assert runs["customers"]["created"] == len(expected_customers(mx))
    assert set(handy_products(mx)) == set(expected_products(mx))
    clock.advance(3600)
    before = writes(mx)
    again = cli(rt, "sync", "daily", "--account", "acme", "--json")
    assert again.exit_code == 0
    assert writes(mx) == before


def test_daily_reads_customers_from_alegra_before_the_catalog(rt: Runtime, mx: World) -> None:
    """Customers read Alegra alone, then the catalog reads it while customers write Handy."""
    assert activate(rt, mx, "--no-initial-sync").exit_code == 0
    start = len(mx.alegra.requests)
    assert cli(rt, "sync", "daily", "--account", "acme").exit_code == 0
    paths = [p for _, p, _ in mx.alegra.requests[start:]]
    contacts = [i for i, p in enumerate(paths) if "contacts" in p]
    items = [i for i, p in enumerate(paths) if p.rstrip("/").endswith("items")]
    assert contacts and items
    assert max(contacts) < min(items)
