"""Shared fixtures: a manual clock, retries without backoff, and both simulators wired to
their clients in-process (no sockets)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import stamina
from cryptography.fernet import Fernet

from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.http import Client, MockTransport
from handy_alegra.clients.ratelimit import RateLimiter
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import ManualClock
from handy_alegra.observability import logs
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.alegra import AlegraSimulator
from handy_alegra.simulators.handy import HandySimulator
from handy_alegra.simulators.seed import World, build_world


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs() -> None:
    logs.configure(level="WARNING")


@pytest.fixture(autouse=True, scope="session")
def _no_default_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test (nor a process it starts) reads or writes the user's own default home."""
    before = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if before is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = before


@pytest.fixture(autouse=True)
def _retries_without_backoff() -> Iterator[None]:
    """stamina retries still happen (up to 6 attempts) but never sleep."""
    with stamina.set_testing(True, attempts=6, cap=True):
        yield


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 2, 15, 0, 7, tzinfo=UTC))


@pytest.fixture
def world(clock: ManualClock) -> World:
    """A small seeded Mexican company in both simulators, on the manual clock."""
    return build_world(seed=7, country="MX", items=60, orders=0, clock=clock)


def alegra_client_for(
    sim: AlegraSimulator, email: str, token: str, clock: ManualClock
) -> AlegraClient:
    http = Client(base_url="https://alegra.test/api/v1/", transport=MockTransport(sim.handle))
    limiter = RateLimiter(150, 60.0, clock, api="alegra")
    return AlegraClient(http, email=email, token=token, clock=clock, limiter=limiter)


def handy_client_for(sim: HandySimulator, token: str, clock: ManualClock) -> HandyClient:
    http = Client(base_url="https://handy.test/api/v2/", transport=MockTransport(sim.handle))
    limiter = RateLimiter(500, 60.0, clock, api="handy")
    return HandyClient(http, token=token, clock=clock, limiter=limiter)


@pytest.fixture
def alegra(world: World, clock: ManualClock) -> AlegraClient:
    c = world.credentials
    return alegra_client_for(world.alegra, c.alegra_email, c.alegra_token, clock)


@pytest.fixture
def handy(world: World, clock: ManualClock) -> HandyClient:
    return handy_client_for(world.handy, world.credentials.handy_token, clock)


# --- the store, on SQLite and PostgreSQL ------------------------------------------------------

POSTGRES_URL = os.environ.get(
    "HANDY_ALEGRA_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_schema() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL database, dropped afterwards."""
    import psycopg

    plain = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        conn = psycopg.connect(plain, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {plain} ({exc.__class__.__name__}); set HANDY_ALEGRA_TEST_POSTGRES"
        if os.environ.get("HANDY_ALEGRA_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            sep = "&" if "?" in POSTGRES_URL else "?"
            yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        yield from _postgres_schema()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


ALEGRA_SIM = "https://alegra.sim/api/v1"
HANDY_SIM = "https://handy.sim/api/v2"


def make_runtime(world: World, url: str, tmp_path: Path, clock: ManualClock) -> Runtime:
    settings = Settings(home=tmp_path, database_url=url, secret_key=Fernet.generate_key().decode())
    transports = {
        "https://alegra.sim": MockTransport(world.alegra.handle),
        "https://handy.sim": MockTransport(world.handy.handle),
    }
    return Runtime(settings, clock=clock, transports=transports)
