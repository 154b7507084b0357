"""The dashboard in a real browser (Playwright driving Debian's headless Chromium): an operator
logs in, activates a company against the simulators on loopback, watches the first sync, opens
an order that failed, fixes its customer in Handy, presses "retry now" and sees it sent.

Everything runs in this process: the simulators and the web app under uvicorn in threads, and
the service (the embedded dispatcher) ticking every half second, as `serve --with-service`
does. Screenshots go to $HANDY_ALEGRA_SCREENSHOTS when set (docs/screenshots for the README).
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from handy_alegra.cli import app as cli
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import SystemClock
from handy_alegra.mapping.remission import marked_orders
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling.embedded import Dispatcher
from handy_alegra.simulators.asgi import SimulatorApp, serve_in_thread
from handy_alegra.simulators.seed import World, build_world
from handy_alegra.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "contraseña-de-prueba"
WAIT_MS = 60_000  # the longest a page may take to show what the service did


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing:
        if os.environ.get("HANDY_ALEGRA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here, but {missing}")
        pytest.skip(f"browser test skipped: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        yield chromium
        chromium.close()


class Deployment:
    """Simulators, the dashboard and the service, all on loopback."""

    def __init__(self, home: Path) -> None:
        clock = SystemClock()
        self.world: World = build_world(seed=11, country="MX", items=40, clock=clock)
        self.sims = serve_in_thread(
            SimulatorApp({"alegra": self.world.alegra, "handy": self.world.handy})
        )
        settings = Settings(
            home=home,
            database_url=f"sqlite:///{home / 'store.sqlite3'}",
            secret_key=Fernet.generate_key().decode(),
        )
        self.rt = Runtime(settings, clock=clock)
        self.web = serve_in_thread(create_app(self.rt))
        self.dispatcher = Dispatcher(self.rt, concurrency=2)
        self.service = threading.Thread(target=self.dispatcher.serve, args=(0.5,), daemon=True)
        self.service.start()

    @property
    def url(self) -> str:
        return self.web.base_url

    def stop(self) -> None:
        self.dispatcher.stopping.set()
        self.service.join(timeout=60)
        self.web.stop()
        self.sims.stop()
        self.rt.close()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    running = Deployment(tmp_path)
    yield running
    running.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("HANDY_ALEGRA_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settled(page: Any) -> None:
    """Wait until the page stops refreshing itself (no work pending), so a click lands."""
    from playwright.sync_api import expect

    expect(page.locator("#refreshing")).to_have_count(0, timeout=WAIT_MS)


def test_an_operator_activates_a_company_and_fixes_a_failed_order(
    browser: Any, deployment: Deployment, shots: Path
) -> None:
    from playwright.sync_api import expect

    world, url = deployment.world, deployment.url
    added = CliRunner().invoke(
        cli,
        ["operators", "add", "maria"],
        obj=deployment.rt,
        env={"HANDY_ALEGRA_OPERATOR_PASSWORD": PASSWORD},
    )
    assert added.exit_code == 0, added.output

    page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="es-MX")
    page.set_default_timeout(15_000)
    blocked: list[str] = []  # what the Content-Security-Policy refused (nothing, we expect)
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{url}/accounts")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator(".brand")).to_have_css("font-weight", "700")  # the stylesheet applied
    page.screenshot(path=shots / "login.png")
    page.get_by_label("Usuario").fill("maria")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", name="Cuentas")).to_be_visible()

    page.get_by_role("link", name="Activar una cuenta").click()
    c = world.credentials
    page.get_by_label("Nombre corto de la empresa").fill("acme")
    page.get_by_label("Usuario de Alegra (correo)").fill(c.alegra_email)
    page.get_by_label("Token de la API de Alegra").fill(c.alegra_token)
    page.get_by_label("Token de la API de Handy").fill(c.handy_token)
    page.get_by_label("Dirección de la API de Alegra").fill(
        f"{deployment.sims.base_url}/alegra/api/v1"
    )
    page.get_by_label("Dirección de la API de Handy").fill(
        f"{deployment.sims.base_url}/handy/api/v2"
    )
    page.get_by_role("button", name="Comprobar credenciales").click()
    expect(page.locator("#checked")).to_contain_text("Credenciales correctas")
    page.get_by_label("Lista de precios de Alegra").select_option(label="Mayoreo")
    page.screenshot(path=shots / "activation.png", full_page=True)
    page.get_by_role("button", name="Activar", exact=True).click()

    expect(page).to_have_url(f"{url}/accounts/acme")
    expect(page.locator(".flash.ok")).to_contain_text("Cuenta «acme» activada")
    for kind in ("catalog", "customers"):  # the first sync, shown as it happens
        expect(page.locator(f'#runs [data-kind="{kind}"]')).to_have_count(1, timeout=WAIT_MS)
    settled(page)
    expect(page.locator('#jobs [data-job="catalog"] [data-outcome]')).to_have_attribute(
        "data-outcome", re.compile("ok|partial")
    )

    world.handy.add_customer(
        {"code": "NUEVO-1", "description": "Tienda Nueva del Centro", "rfc": None},
        zone_name="Zona Centro",
    )
    product = next(p for p in world.handy.products() if not p["code"].startswith("LOCAL-"))
    line = {"code": product["code"], "quantity": 3, "price": str(product["price"])}
    order_id = str(world.handy.create_order("NUEVO-1", [line])["id"])
    page.locator("#sync-sales").click()
    failed = page.locator(f'#order-problems [data-order="{order_id}"]')
    expect(failed).to_contain_text("no tiene RFC", timeout=WAIT_MS)
    settled(page)
    page.screenshot(path=shots / "account.png", full_page=True)
    page.get_by_role("link", name="Cuentas", exact=True).click()
    expect(page.locator('[data-account="acme"] [data-health]')).to_have_attribute(
        "data-health", "warn"
    )
    page.screenshot(path=shots / "accounts.png", full_page=True)
    page.get_by_role("link", name="acme").click()

    failed.get_by_role("link", name=f"#{order_id}").click()
    expect(page.locator("#explanation")).to_contain_text("no tiene RFC en Handy")
    expect(page.locator("#order-status")).to_have_attribute("data-status", "failed")
    settled(page)
    page.screenshot(path=shots / "order.png", full_page=True)

    world.handy.update_customer("NUEVO-1", rfc="TNC180215KJ3")
    page.get_by_role("button", name="Reintentar ahora").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"El pedido {order_id} se enviará")
    expect(page.locator("#order-status")).to_have_attribute("data-status", "sent", timeout=WAIT_MS)
    expect(page.locator("#explanation")).to_contain_text("Remisión en Alegra")
    page.screenshot(path=shots / "order-sent.png", full_page=True)

    page.goto(f"{url}/accounts")
    expect(page.locator('[data-account="acme"] td.num').first).to_have_text("0")
    sent = [
        r for r in world.alegra.remissions() if order_id in marked_orders(r["observations"] or "")
    ]
    assert len(sent) == 1
    assert blocked == []
    page.close()
