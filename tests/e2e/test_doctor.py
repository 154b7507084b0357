"""Guesses that announce themselves: activation checks Handy's token where Handy's API guide
does (``GET /user``) and probes every guessed Handy endpoint read-only; ``accounts doctor``
runs the same probes (and the Alegra checks) later, one line each, failing loudly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World, build_world
from tests.conftest import ALEGRA_SIM, HANDY_SIM, make_runtime
from tests.e2e.sales_checks import activated, cli


@pytest.fixture
def mx(clock: ManualClock, sqlite_url: str, tmp_path: Path) -> tuple[World, Runtime]:
    world, rt = activated(clock, sqlite_url, tmp_path, items=40, seed=61)
    yield world, rt
    rt.close()


def doctor(rt: Runtime) -> Any:
    return cli(rt, "accounts", "doctor", "acme")


def line_of(output: str, text: str) -> str:
    found = [line for line in output.splitlines() if text in line]
    assert len(found) == 1, (text, output)
    return found[0]


def test_a_healthy_account_passes_every_check_in_spanish(mx: tuple[World, Runtime]) -> None:
    _, rt = mx
    result = doctor(rt)
    assert result.exit_code == 0, result.output
    out = result.output
    assert line_of(out, "Alegra GET /company").startswith("✓")
    assert line_of(out, "Lista de precios de Alegra «Mayoreo»").startswith("✓")
    assert line_of(out, "Handy GET /user (token").startswith("✓")
    for path in ("/family", "/zone", "/customerCategory", "/customer (clientes)"):
        assert line_of(out, f"Handy GET {path}").startswith("✓ "), path
    assert line_of(out, "Clave «rfc»").startswith("✓")
    assert line_of(out, "Handy GET /customer/{código}").startswith("✓")
    write = line_of(out, "Handy POST /customer")
    assert write.startswith("–") and "sería una escritura" in write
    assert "con falla" in out and " 0 con falla" in out


def test_each_refused_guess_is_named_with_its_status_and_answer(
    mx: tuple[World, Runtime],
) -> None:
    world, rt = mx
    world.handy.refuse("GET", "zone", 404)
    world.handy.refuse("GET", "family", 405, "Método no permitido")
    world.handy.refuse(
        "GET",
        "customerCategory",
        422,
        "rechazado",
        [{"field": "max", "message": "parámetro desconocido", "object": "x"}],
    )
    result = doctor(rt)
    assert result.exit_code == 1
    out = result.output
    assert line_of(out, "Handy GET /user (token").startswith("✓")  # never "bad credentials"
    zone = line_of(out, "Handy GET /zone")
    assert zone.startswith("✗") and "FALLA (404)" in zone and "no tiene este endpoint" in zone
    assert "«No existe el recurso /zone»" in zone
    family = line_of(out, "Handy GET /family")
    assert "FALLA (405)" in family and "Método no permitido" in family
    categories = line_of(out, "Handy GET /customerCategory")
    assert "FALLA (422)" in categories and "max: parámetro desconocido" in categories
    assert "3 con falla" in out


def test_english_on_request_and_json_for_machines(
    mx: tuple[World, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    world, rt = mx
    world.handy.refuse("GET", "zone", 404)
    monkeypatch.setenv("HANDY_ALEGRA_LANG", "en")
    result = doctor(rt)
    assert result.exit_code == 1
    assert "Handy GET /zone (zones; a guess): FAILED (404)" in result.output
    assert "1 failed" in result.output
    as_json = cli(rt, "accounts", "doctor", "acme", "--json")
    checks = {c["check"]: c for c in json.loads(as_json.stdout)}
    assert checks["handy.zone"]["outcome"] == "failed" and checks["handy.zone"]["status"] == 404
    assert checks["handy.token"]["outcome"] == "ok"


def test_a_missing_rfc_key_and_a_vanished_price_list_fail(mx: tuple[World, Runtime]) -> None:
    world, rt = mx
    for customer in world.handy.state.customers.values():
        customer["taxId"] = customer.pop("rfc")  # a Handy that names the field otherwise
    world.alegra.store.price_lists.pop(world.price_list["id"])
    result = doctor(rt)
    assert result.exit_code == 1
    rfc = line_of(result.output, "Clave «rfc»")
    assert rfc.startswith("✗") and "taxId" in rfc
    assert "ya no existe en Alegra" in line_of(result.output, "Lista de precios de Alegra")


def test_a_bad_handy_token_is_reported_on_get_user(mx: tuple[World, Runtime]) -> None:
    world, rt = mx
    world.handy._tokens.clear()  # the token was revoked in Handy
    result = doctor(rt)
    assert result.exit_code == 1
    token = line_of(result.output, "Handy GET /user")
    assert "FALLA (401)" in token and "Handy rechazó el token" in token
    assert "Handy GET /zone" not in result.output  # nothing else is probed with a dead token


def test_activation_names_a_refused_guess_and_activates(
    clock: ManualClock, sqlite_url: str, tmp_path: Path
) -> None:
    world = build_world(seed=62, country="CO", items=20, clock=clock)
    world.handy.refuse("GET", "zone", 404)
    world.handy.refuse("GET", "customerCategory", 404)
    rt = make_runtime(world, sqlite_url, tmp_path, clock)
    c = world.credentials
    try:
        result = cli(
            rt,
            *("accounts", "add", "acme", "--country", "CO", "--alegra-email", c.alegra_email),
            *("--alegra-token", c.alegra_token, "--handy-token", c.handy_token),
            *("--price-list", world.price_list["name"], "--alegra-url", ALEGRA_SIM),
            *("--handy-url", HANDY_SIM, "--no-initial-sync"),
        )
        assert result.exit_code == 0, result.output
        warning = line_of(result.output, "Handy GET /zone")
        assert "404" in warning and "No existe el recurso /zone" in warning
        assert "GET /customerCategory" in result.output
        doctor_result = doctor(rt)
        assert doctor_result.exit_code == 1
        categories = line_of(doctor_result.output, "Categorías «Persona jurídica»")
        assert categories.startswith("✗") and "404" in categories
    finally:
        rt.close()


def test_activation_with_a_bad_handy_token_says_where_it_was_checked(
    clock: ManualClock, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDY_ALEGRA_LANG", "en")  # the refusal below is read in English
    world = build_world(seed=63, country="MX", items=20, clock=clock)
    rt = make_runtime(world, sqlite_url, tmp_path, clock)
    c = world.credentials
    try:
        result = cli(
            rt,
            *("accounts", "add", "acme", "--country", "MX", "--alegra-email", c.alegra_email),
            *("--alegra-token", c.alegra_token, "--handy-token", "revoked"),
            *("--price-list", world.price_list["name"], "--alegra-url", ALEGRA_SIM),
            *("--handy-url", HANDY_SIM, "--no-initial-sync"),
        )
        assert result.exit_code == 2
        assert "Handy GET /user" in result.output and "401" in result.output
        assert "nothing was stored" in result.output
        assert not any(p == "family" for _, p, _ in world.handy.requests)
    finally:
        rt.close()
