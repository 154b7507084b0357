"""A Colombian account in the dashboard: the guessed Handy endpoints a real Handy refuses are
named at activation, and the regime of new clients is an account setting."""

from __future__ import annotations

from html import unescape

import pytest

from handy_alegra.accounts import registry as accounts
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World, build_world
from tests.web.conftest import Browser, activate, credentials_form


@pytest.fixture
def world(clock: ManualClock) -> World:
    return build_world(seed=9, country="CO", items=20, clock=clock)


def test_a_refused_guess_is_named_on_the_checked_credentials(
    signed_in: Browser, world: World
) -> None:
    world.handy.refuse("GET", "zone", 404)
    checked = signed_in.post(
        "/accounts/new/check", credentials_form(world, timezone="America/Bogota")
    )
    assert checked.status_code == 200, checked.text
    text = unescape(checked.text)
    assert 'id="probe-warnings"' in text
    assert "Handy GET /zone (zonas; supuesto): FALLA (404)" in text
    assert "«No existe el recurso /zone»" in text
    assert "Handy tiene las categorías «Persona jurídica» y «Persona natural»." in text


def test_the_regime_of_new_clients_is_a_setting(
    signed_in: Browser, rt: Runtime, world: World
) -> None:
    assert activate(signed_in, world).status_code == 303
    form = signed_in.get("/accounts/acme/edit").text
    assert '<option value="SIMPLIFIED_REGIME" selected>' in form
    bad = signed_in.post("/accounts/acme/edit", {"colombia_regime": "NO_REGIME"})
    assert bad.status_code == 400
    assert "No se guardó nada: régimen colombiano desconocido 'NO_REGIME'" in unescape(bad.text)
    saved = signed_in.post("/accounts/acme/edit", {"colombia_regime": "COMMON_REGIME"})
    assert saved.status_code == 303
    with rt.store.session() as session:
        assert accounts.load(session, rt.vault, "acme").colombia_regime == "COMMON_REGIME"
    assert '<option value="COMMON_REGIME" selected>' in signed_in.get("/accounts/acme/edit").text
