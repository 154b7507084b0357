"""A sales cycle under 429 storms on both APIs, through the CLI against the simulators, on
the manual clock (every duration here is simulated time, measured by the clock): the cycle
waits exactly what the servers announce, and every order still gets exactly one remission."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World
from tests.e2e.sales_checks import activated, check_exactly_once, remissions_by_order, sales

STORM = 8  # 429s in a row on each API


@pytest.fixture
def mx(clock: ManualClock, sqlite_url: str, tmp_path: Path) -> Iterator[tuple[World, Runtime]]:
    world, rt = activated(clock, sqlite_url, tmp_path)
    yield world, rt
    rt.close()


def two_new_orders(world: World, clock: ManualClock) -> list[str]:
    products = [p for p in world.handy.products() if not p["code"].startswith("LOCAL-")]
    customers = [c["code"] for c in world.handy.customers() if c["code"].startswith("ALG-")]
    ids = []
    for n in range(2):
        clock.advance(30)
        lines = [{"code": products[n]["code"], "quantity": 2, "price": str(products[n]["price"])}]
        ids.append(str(world.handy.create_order(customers[n], lines, created_at=clock.now())["id"]))
    clock.advance(600)
    return ids


def storm(world: World, reset_in: float) -> None:
    """The next 8 requests to each API are answered 429, announcing a reset ``reset_in``
    seconds away in the API's own format (Alegra: seconds left; Handy: a Unix timestamp)."""
    for sim in (world.alegra, world.handy):
        sim.injector.script("*", ".*", "rate_limited", times=STORM, reset_in=reset_in)


def seconds(result: dict[str, object]) -> float:
    started = datetime.fromisoformat(str(result["started_at"]))
    finished = datetime.fromisoformat(str(result["finished_at"]))
    return (finished - started).total_seconds()


def test_eight_429s_of_one_second_on_each_api_cost_seconds_not_minutes(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    orders = two_new_orders(world, clock)
    storm(world, 1.0)
    result = sales(rt)
    assert seconds(result) <= 30
    assert world.alegra.injector.injected["rate_limited"] == STORM
    assert world.handy.injector.injected["rate_limited"] == STORM
    assert (result["outcome"], result["sent"], result["pending"]) == ("ok", 2, 0)
    by_order = remissions_by_order(world)
    assert {order: len(by_order.get(order, [])) for order in orders} == dict.fromkeys(orders, 1)
    # Every wait was a 1-second reset (plus its jitter): never a whole guessed window.
    assert clock.sleeps and max(clock.sleeps) <= 1.25
    check_exactly_once(world, rt)


def test_eight_429s_of_sixty_seconds_wait_once_per_announced_reset(
    mx: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = mx
    orders = two_new_orders(world, clock)
    storm(world, 60.0)
    result = sales(rt)
    assert (result["outcome"], result["sent"], result["pending"]) == ("ok", 2, 0)
    by_order = remissions_by_order(world)
    assert {order: len(by_order.get(order, [])) for order in orders} == dict.fromkeys(orders, 1)
    assert world.alegra.count_calls("POST", "^remissions$") == 2 + sum(
        1 for m, p, s in world.alegra.requests if m == "POST" and p == "remissions" and s == 429
    )
    # Each 429 announced 60 s; each wait is one announced reset (Handy's whole-second
    # timestamp makes it 59–60 s, Alegra's adds a jitter of at most 0.25 s) — a wait per
    # 429 at most (429s answered together share one), and nothing else waited.
    waits = [s for s in clock.sleeps if s > 1]
    assert all(59 <= s <= 60.25 for s in waits), waits
    assert 1 <= len(waits) <= 2 * STORM
    assert seconds(result) == pytest.approx(sum(clock.sleeps), abs=5)
    check_exactly_once(world, rt)
