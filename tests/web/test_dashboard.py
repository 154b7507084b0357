"""The dashboard through its forms, against the simulators in-process: login, CSRF,
activation, the account page, retry, sync now, lookup, language."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from handy_alegra.accounts import registry as accounts
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling.embedded import Dispatcher
from handy_alegra.simulators.seed import World, build_world
from handy_alegra.store.tables import Account, Operator, Slot
from tests.conftest import make_runtime
from tests.web.conftest import (
    Browser,
    activate,
    credentials_form,
    order_record,
    order_without_rfc,
    step,
)

PUBLIC = {"/login", "/logout", "/language", "/healthz", "/metrics", "/webhooks/alegra/{token}"}


def slots_of(rt: Runtime, kind: str) -> list[tuple[str, str]]:
    with rt.store.session() as session:
        rows = session.execute(select(Slot.status, Slot.kind).where(Slot.kind == kind)).all()
    return [(status, k) for status, k in rows]


def account_count(rt: Runtime) -> int:
    with rt.store.session() as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


# --- login, sessions, CSRF -------------------------------------------------------------------


def test_every_page_but_the_public_ones_needs_login(web: Browser) -> None:
    routes = web.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    checked = 0
    for route, methods in routes.items():
        if route in PUBLIC:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: {"kind": "sales"}.get(m.group(1), "acme"), route)
        for method in methods:
            response = web.client.request(method, path, follow_redirects=False)
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login"), (method, path)
            checked += 1
    assert checked >= 14
    assert web.get("/accounts/acme", follow_redirects=False).headers["location"] == (
        "/login?next=/accounts/acme"
    )
    assert web.get("/healthz").json() == {"status": "ok", "store": "ok", "key": "ok"}
    assert web.get("/metrics").status_code == 200
    assert web.client.post("/webhooks/alegra/not-a-token").status_code == 404
    assert "Contraseña" in web.get("/login").text


def test_login_takes_the_operator_to_the_page_asked_for(web: Browser) -> None:
    response = web.post("/login", {"username": "ana", "password": "buen-password-1", "next": "/x"})
    assert response.headers["location"] == "/x"
    web.post("/logout")
    evil = web.post(
        "/login",
        {"username": "ana", "password": "buen-password-1", "next": "//evil.example/"},
    )
    assert evil.headers["location"] == "/accounts"
    page = web.get("/accounts")
    assert "Sesión de ana" in page.text
    web.post("/logout")
    assert web.get("/accounts", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(("username", "password"), [("ana", "otra-cosa-1"), ("nadie", "x" * 9)])
def test_a_wrong_password_is_refused(web: Browser, username: str, password: str) -> None:
    response = web.login(username, password)
    assert response.status_code == 401
    assert "Usuario o contraseña incorrectos." in response.text
    assert web.get("/accounts", follow_redirects=False).headers["location"] == "/login"


def test_forms_without_this_sessions_csrf_token_are_refused(
    signed_in: Browser, rt: Runtime, world: World
) -> None:
    assert activate(signed_in, world).status_code == 303
    for data in ({}, {"csrf_token": "forged"}):
        for path in ("/accounts/acme/sync/sales", "/accounts/acme/pause", "/language"):
            response = signed_in.client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, path
            assert "El formulario caducó" in response.text
    assert slots_of(rt, "sales") == []
    with rt.store.session() as session:
        assert accounts.load(session, rt.vault, "acme").paused is False
    stranger = signed_in.client.post(
        "/login", data={"username": "ana", "password": "buen-password-1"}
    )
    assert stranger.status_code == 403


def test_a_new_password_ends_open_sessions(signed_in: Browser, rt: Runtime) -> None:
    from handy_alegra.accounts import operators

    assert signed_in.get("/accounts", follow_redirects=False).status_code == 200
    with rt.store.session() as session:
        operators.set_password(session, "ana", "nueva-clave-22")
    assert signed_in.get("/accounts", follow_redirects=False).headers["location"] == "/login"
    assert signed_in.login(password="nueva-clave-22").status_code == 303


# --- activation ------------------------------------------------------------------------------


def test_checking_the_credentials_offers_the_price_lists(signed_in: Browser, world: World) -> None:
    response = signed_in.post("/accounts/new/check", credentials_form(world))
    assert response.status_code == 200
    assert "Credenciales correctas: Alegra y Handy respondieron." in response.text
    select_html = response.text.split('id="price_list"')[1].split("</select>")[0]
    assert re.findall(r">([^<]+)</option>", select_html) == ["General", "Mayoreo", "Ruta"]
    assert world.credentials.alegra_token not in response.text
    assert world.credentials.handy_token not in response.text
    assert 'name="all_items"' in response.text


def test_activation_stores_the_account_with_the_chosen_list(
    signed_in: Browser, rt: Runtime, world: World
) -> None:
    response = activate(signed_in, world, all_items="true", sales_every="15")
    assert response.headers["location"] == "/accounts/acme"
    page = signed_in.get("/accounts/acme")
    assert "Cuenta «acme» activada." in page.text
    assert "Lista de precios: Mayoreo (todos los productos)" in page.text
    with rt.store.session() as session:
        account = accounts.load(session, rt.vault, "acme")
        row = accounts.find_row(session, "acme")
    assert (account.price_list_name, account.price_list_id) == ("Mayoreo", world.price_list["id"])
    assert (account.all_items, account.sales_every, account.country) == (True, 15, "MX")
    assert account.alegra_token.get_secret_value() == world.credentials.alegra_token
    assert world.credentials.alegra_token not in row.alegra_token
    assert slots_of(rt, "daily") == [("queued", "daily")]  # the run after activation
    assert 'id="refreshing"' in page.text
    listing = signed_in.get("/accounts").text
    assert 'data-account="acme"' in listing
    assert 'data-health="ok"' in listing


def test_a_bad_token_shows_the_error_and_stores_nothing(
    signed_in: Browser, rt: Runtime, world: World
) -> None:
    bad_alegra = signed_in.post(
        "/accounts/new/check", credentials_form(world, alegra_token="not-the-token")
    )
    assert bad_alegra.status_code == 400
    assert "Las credenciales no pasaron la comprobación: Alegra rechazó las credenciales" in (
        bad_alegra.text
    )
    assert 'name="sealed"' not in bad_alegra.text
    bad_handy = signed_in.post(
        "/accounts/new/check", credentials_form(world, handy_token="not-the-token")
    )
    # The token is checked where Handy's API guide checks it, and the answer is quoted.
    assert "Handy GET /user" in bad_handy.text and "FALLA (401)" in bad_handy.text
    assert "Handy rechazó el token" in unescape(bad_handy.text)
    tampered = credentials_form(world, sealed="gAAAA-not-sealed", price_list="2")
    assert "Vuelve a escribir y comprobar" in signed_in.post("/accounts/new", tampered).text
    vanished = activate(signed_in, world, price_list="999")  # a list gone since the check
    assert vanished.status_code == 400
    assert (
        "No se pudo activar la cuenta: ninguna lista de precios de Alegra tiene el id o nombre"
        in unescape(vanished.text)
    )
    assert "No se guardó nada." in vanished.text
    assert 'id="price_list"' in vanished.text  # the drop-down is offered again
    assert account_count(rt) == 0


def test_colombia_needs_handys_two_person_categories(
    signed_in: Browser, rt: Runtime, world: World
) -> None:
    response = signed_in.post("/accounts/new/check", credentials_form(world, country="CO"))
    assert response.status_code == 400
    assert "Handy no tiene la categoría de cliente 'Persona jurídica'" in unescape(response.text)
    assert account_count(rt) == 0


def test_a_colombian_company_with_the_categories_passes(
    sqlite_url: str, tmp_path: object, clock: ManualClock
) -> None:
    from pathlib import Path

    from fastapi.testclient import TestClient

    from handy_alegra.accounts import operators
    from handy_alegra.web.app import create_app

    world = build_world(seed=8, country="CO", items=20, clock=clock)
    rt = make_runtime(world, sqlite_url, Path(str(tmp_path)), clock)
    with rt.store.session() as session:
        operators.add(session, "ana", "buen-password-1", now=clock.now())
    with TestClient(create_app(rt, secret_key="k" * 32)) as client:
        web = Browser(client)
        web.login()
        form = credentials_form(world, timezone="America/Bogota")
        response = web.post("/accounts/new/check", form)
    rt.close()
    assert "Handy tiene las categorías «Persona jurídica» y «Persona natural»." in response.text


def test_a_wrong_time_zone_is_explained(signed_in: Browser, world: World) -> None:
    response = signed_in.post("/accounts/new/check", credentials_form(world, timezone="Mars/Base"))
    assert "zona horaria desconocida 'Mars/Base'" in unescape(response.text)


# --- one account -----------------------------------------------------------------------------


def test_the_account_page_shows_runs_problems_and_explanations(
    signed_in: Browser, synced: Dispatcher, rt: Runtime, world: World, clock: ManualClock
) -> None:
    handy_id = order_without_rfc(world)
    step(synced, clock, 600)
    page = signed_in.get("/accounts/acme").text
    kinds = re.findall(r'data-run="\d+" data-kind="(\w+)"', page)
    assert sorted(kinds) == ["catalog", "customers", "sales", "sales"]
    assert page.count("<rect ") >= 1
    assert 'data-job="catalog"' in page
    row = page.split(f'data-order="{handy_id}"')[1].split("</tr>")[0]
    assert "Tienda Nueva del Centro" in row
    assert "no tiene RFC en Handy" in row
    assert "Agrégale el RFC en Handy" in row
    assert f'data-retry="{handy_id}"' in row
    products = page.split('id="skipped-products"')[1].split("</table>")[0]
    assert 'data-reason="no_price_in_list"' in products
    assert "sin precio en la lista" in products
    assert "no tiene precio en la lista de precios «Mayoreo»" in products


def test_retry_now_changes_the_order_and_queues_a_sales_cycle(
    signed_in: Browser, synced: Dispatcher, rt: Runtime, world: World, clock: ManualClock
) -> None:
    customer = next(c for c in world.handy.customers() if c.get("rfc"))
    product = next(p for p in world.handy.products() if not p["code"].startswith("LOCAL-"))
    returns = [{"code": product["code"], "quantity": 1, "price": "10", "is_return": True}]
    only_returns = str(world.handy.create_order(customer["code"], returns)["id"])
    step(synced, clock, 600)
    assert order_record(rt, only_returns).status == "needs_attention"
    response = signed_in.post(f"/accounts/acme/orders/{only_returns}/retry")
    assert response.headers["location"] == f"/accounts/acme/orders/{only_returns}"
    record = order_record(rt, only_returns)
    assert (record.status, record.reason) == ("failed", None)
    assert slots_of(rt, "sales").count(("queued", "sales")) == 1
    page = signed_in.get(f"/accounts/acme/orders/{only_returns}").text
    assert "se enviará en la próxima sincronización de ventas" in page
    assert '<meta http-equiv="refresh"' in page
    sent = signed_in.post("/accounts/acme/orders/999999/retry")
    assert "No se pudo reintentar" in signed_in.get(sent.headers["location"]).text


def test_an_order_fixed_in_handy_is_sent_after_retry_now(
    signed_in: Browser, synced: Dispatcher, rt: Runtime, world: World, clock: ManualClock
) -> None:
    handy_id = order_without_rfc(world)
    step(synced, clock, 600)
    assert order_record(rt, handy_id).reason == "no_rfc"
    world.handy.update_customer("NUEVO-1", rfc="TNC180215KJ3")
    signed_in.post(f"/accounts/acme/orders/{handy_id}/retry")
    step(synced, clock, 1)
    page = signed_in.get(f"/accounts/acme/orders/{handy_id}").text
    assert 'data-status="sent"' in page
    assert "Remisión en Alegra:" in page
    assert order_record(rt, handy_id).status == "sent"


def test_sync_now_queues_a_job_for_the_service(
    signed_in: Browser, synced: Dispatcher, rt: Runtime, clock: ManualClock
) -> None:
    clock.advance(60)
    response = signed_in.post("/accounts/acme/sync/daily")
    assert response.headers["location"] == "/accounts/acme"
    assert slots_of(rt, "daily").count(("queued", "daily")) == 1
    assert "Catálogo y clientes: en cola" in signed_in.get("/accounts/acme").text
    signed_in.post("/accounts/acme/sync/daily")
    assert "ya había una sincronización en cola" in signed_in.get("/accounts/acme").text
    assert slots_of(rt, "daily").count(("queued", "daily")) == 1
    assert signed_in.post("/accounts/acme/sync/everything").status_code == 404


def test_the_lookup_shows_the_same_explanation_as_explain(
    signed_in: Browser, synced: Dispatcher, world: World, clock: ManualClock
) -> None:
    handy_id = order_without_rfc(world)
    step(synced, clock, 600)
    found = signed_in.get(f"/accounts/acme/lookup?kind=order&key={handy_id}")
    assert found.url.path == f"/accounts/acme/orders/{handy_id}"
    assert f"Pedido {handy_id} (acme)" in found.text
    assert "Estado: no enviado todavía; se reintenta en cada sincronización." in found.text
    assert "Motivo: el cliente «Tienda Nueva del Centro» no tiene RFC en Handy" in found.text
    assert 'data-status="failed"' in found.text
    product = signed_in.get("/accounts/acme/lookup?kind=product&key=ABR-00001")
    assert "Producto ABR-00001 (acme)" in product.text
    assert "se sincroniza" in product.text
    missing = signed_in.get("/accounts/acme/lookup?kind=customer&key=NOBODY")
    assert missing.status_code == 404
    assert "Ningún registro de Alegra ni de Handy tiene el código o nombre 'NOBODY'" in (
        unescape(missing.text)
    )
    assert signed_in.get("/accounts/nope").status_code == 404


def test_switching_to_english_sticks_to_the_operator(
    signed_in: Browser, synced: Dispatcher, rt: Runtime, world: World, clock: ManualClock
) -> None:
    handy_id = order_without_rfc(world)
    step(synced, clock, 600)
    switched = signed_in.post("/language", {"lang": "en", "next": "/accounts/acme"})
    assert switched.headers["location"] == "/accounts/acme"
    page = signed_in.get("/accounts/acme").text
    assert '<html lang="en">' in page
    assert "Orders not sent" in page
    assert "customer 'Tienda Nueva del Centro' has no RFC in Handy" in unescape(page)
    order = signed_in.get(f"/accounts/acme/orders/{handy_id}").text
    assert "Status: not sent yet; retried every cycle." in order
    with rt.store.session() as session:
        assert session.scalar(select(Operator.language).where(Operator.username == "ana")) == "en"
    signed_in.post("/logout")
    assert "Log in" in signed_in.get("/login").text
    signed_in.login()
    assert "Accounts" in signed_in.get("/accounts").text


def test_settings_pause_and_resume(
    signed_in: Browser, rt: Runtime, world: World, synced: Dispatcher
) -> None:
    form = signed_in.get("/accounts/acme/edit").text
    assert re.findall(r">([^<]+)</option>", form.split("</select>")[0]) == [
        "General",
        "Mayoreo",
        "Ruta",
    ]
    bad = signed_in.post("/accounts/acme/edit", {"price_list": "1", "daily_at": "25:00"})
    assert bad.status_code == 400
    assert "No se guardó nada: la hora diaria debe ser HH:MM" in bad.text
    saved = signed_in.post(
        "/accounts/acme/edit",
        {"price_list": "1", "daily_at": "04:30", "sales_every": "15", "default_zone": "Ruta 9"},
    )
    assert saved.headers["location"] == "/accounts/acme"
    with rt.store.session() as session:
        account = accounts.load(session, rt.vault, "acme")
    assert (account.price_list_name, account.daily_at, account.sales_every) == (
        "General",
        "04:30",
        15,
    )
    assert (account.default_zone, account.all_items) == ("Ruta 9", False)
    signed_in.post("/accounts/acme/pause")
    page = signed_in.get("/accounts/acme").text
    assert "Cuenta en pausa" in page
    assert 'data-health="paused"' in signed_in.get("/accounts").text
    signed_in.post("/accounts/acme/resume")
    with rt.store.session() as session:
        assert accounts.load(session, rt.vault, "acme").paused is False
