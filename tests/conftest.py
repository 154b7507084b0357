"""Shared fixtures: a manual clock, retries without backoff, and both simulators wired to
their clients in-process (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import stamina

from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.ratelimit import RateLimiter
from handy_alegra.clock import ManualClock
from handy_alegra.http import Client, MockTransport
from handy_alegra.simulators.alegra import AlegraSimulator
from handy_alegra.simulators.handy import HandySimulator
from handy_alegra.simulators.seed import World, build_world


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
    http = Client(base_url="http://alegra.test/api/v1/", transport=MockTransport(sim.handle))
    limiter = RateLimiter(150, 60.0, clock, api="alegra")
    return AlegraClient(http, email=email, token=token, clock=clock, limiter=limiter)


def handy_client_for(sim: HandySimulator, token: str, clock: ManualClock) -> HandyClient:
    http = Client(base_url="http://handy.test/api/v2/", transport=MockTransport(sim.handle))
    limiter = RateLimiter(500, 60.0, clock, api="handy")
    return HandyClient(http, token=token, clock=clock, limiter=limiter)


@pytest.fixture
def alegra(world: World, clock: ManualClock) -> AlegraClient:
    c = world.credentials
    return alegra_client_for(world.alegra, c.alegra_email, c.alegra_token, clock)


@pytest.fixture
def handy(world: World, clock: ManualClock) -> HandyClient:
    return handy_client_for(world.handy, world.credentials.handy_token, clock)
