"""The dashboard in-process: a TestClient on a runtime whose API base URLs go to the
simulators, an operator, and helpers that fill the forms as a browser would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from handy_alegra.accounts import operators
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling.embedded import Dispatcher
from handy_alegra.simulators.seed import World
from handy_alegra.store.tables import OrderRecord
from handy_alegra.web.app import create_app
from tests.conftest import ALEGRA_SIM, HANDY_SIM, make_runtime

PASSWORD = "buen-password-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SEALED = re.compile(r'name="sealed" value="([^"]+)"')


class Browser:
    """A TestClient that sends this session's CSRF token with every form, like a page would."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def token(self) -> str:
        found = CSRF.search(self.client.get("/login").text)
        assert found is not None
        return found.group(1)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True) -> Any:
        form = {"csrf_token": self.token()} if csrf else {}
        return self.client.post(path, data={**form, **(data or {})}, follow_redirects=False)

    def login(self, username: str = "ana", password: str = PASSWORD) -> Any:
        return self.post("/login", {"username": username, "password": password})


@pytest.fixture
def rt(world: World, sqlite_url: str, tmp_path: Path, clock: ManualClock) -> Iterator[Runtime]:
    runtime = make_runtime(world, sqlite_url, tmp_path, clock)
    with runtime.store.session() as session:
        operators.add(session, "ana", PASSWORD, now=clock.now())
    yield runtime
    runtime.close()


@pytest.fixture
def web(rt: Runtime) -> Iterator[Browser]:
    with TestClient(create_app(rt, secret_key="test-session-key-" * 2)) as client:
        yield Browser(client)


@pytest.fixture
def signed_in(web: Browser) -> Browser:
    assert web.login().status_code == 303
    return web


def credentials_form(world: World, **changes: str) -> dict[str, str]:
    c = world.credentials
    return {
        "name": "acme",
        "country": world.country,
        "alegra_email": c.alegra_email,
        "alegra_token": c.alegra_token,
        "handy_token": c.handy_token,
        "alegra_url": ALEGRA_SIM,
        "handy_url": HANDY_SIM,
        "timezone": "America/Mexico_City",
        **changes,
    }


def activate(web: Browser, world: World, choose: str = "Mayoreo", **settings: str) -> Any:
    """Both steps of the activation form: check the credentials, then activate with the price
    list chosen by name from the drop-down."""
    checked = web.post("/accounts/new/check", credentials_form(world))
    assert checked.status_code == 200, checked.text
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<(]+)', checked.text))
    chosen = next(value for value, name in options.items() if name.strip() == choose)
    sealed = SEALED.search(checked.text)
    assert sealed is not None
    form = credentials_form(world, alegra_token="", handy_token="")
    form.update(sealed=sealed.group(1), price_list=chosen, daily_at="03:00", sales_every="10")
    return web.post("/accounts/new", {**form, **settings})


def step(dispatcher: Dispatcher, clock: ManualClock, seconds: float = 0) -> None:
    clock.advance(seconds)
    dispatcher.tick()
    dispatcher.drain()


@pytest.fixture
def synced(
    signed_in: Browser, rt: Runtime, world: World, clock: ManualClock
) -> Iterator[Dispatcher]:
    """An activated account after its first catalog, customer and sales runs."""
    assert activate(signed_in, world).status_code == 303
    dispatcher = Dispatcher(rt, concurrency=1)
    step(dispatcher, clock)  # catalog and customers, right after activation
    step(dispatcher, clock)  # the first sales cycle
    yield dispatcher
    dispatcher.shutdown()


def order_without_rfc(world: World, code: str = "NUEVO-1") -> str:
    """A seller types in a new customer without RFC and takes an order from it."""
    world.handy.add_customer(
        {"code": code, "description": "Tienda Nueva del Centro", "rfc": None},
        zone_name="Zona Centro",
    )
    product = next(p for p in world.handy.products() if not p["code"].startswith("LOCAL-"))
    line = {"code": product["code"], "quantity": 3, "price": str(product["price"])}
    return str(world.handy.create_order(code, [line])["id"])


def order_record(rt: Runtime, handy_id: str) -> OrderRecord:
    with rt.store.session() as session:
        row = session.scalar(select(OrderRecord).where(OrderRecord.handy_id == handy_id))
        assert row is not None
        session.expunge(row)
    return row
