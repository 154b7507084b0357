"""Orders held by another worker, through the CLI on the manual clock: a dead worker's orders
are free within a minute and sent by the next run — even one started right after; a live
worker's are waited for at most a lease, then reported (how many, by whom, until when)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World
from handy_alegra.store import orders as store_orders
from handy_alegra.sync.sales_leases import LEASE, RENEW_EVERY
from handy_alegra.sync.sales_orders import OrderHandler
from tests.e2e.sales_checks import activated, check_exactly_once, cli, records, sales

OTHER = "other-host:4242:0badf00d"


@pytest.fixture
def mx(clock: ManualClock, database_url: str, tmp_path: Path) -> Iterator[tuple[World, Runtime]]:
    world, rt = activated(clock, database_url, tmp_path)
    yield world, rt
    rt.close()


def orders_recorded_but_held(
    world: World, rt: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, *, held: int
) -> list[str]:
    """Three new orders, read and recorded by a cycle that sent nothing; then ``held`` of them
    are leased by another worker for a lease (as a worker that just took them, or just
    died, leaves them)."""
    products = [p for p in world.handy.products() if not p["code"].startswith("LOCAL-")]
    customers = [c["code"] for c in world.handy.customers() if c["code"].startswith("ALG-")]
    ids = []
    for n in range(3):
        clock.advance(30)
        lines = [{"code": products[n]["code"], "quantity": 1, "price": str(products[n]["price"])}]
        ids.append(str(world.handy.create_order(customers[n], lines, created_at=clock.now())["id"]))
    clock.advance(600)
    with monkeypatch.context() as patch:
        patch.setattr(OrderHandler, "handle", lambda self, record_id: None)
        assert sales(rt)["read"] == 3
    now = clock.now()
    with rt.store.session() as session:
        for handy_id in ids[:held]:
            record = store_orders.find(session, 1, handy_id)
            assert record is not None
            assert store_orders.take_lease(session, record.id, OTHER, now, now + LEASE)
    return ids


def sent(rt: Runtime, ids: list[str]) -> dict[str, str]:
    stored = records(rt)
    return {i: stored[i].status for i in ids}


def elapsed(result: dict[str, Any]) -> float:
    started = datetime.fromisoformat(result["started_at"])
    return (datetime.fromisoformat(result["finished_at"]) - started).total_seconds()


def test_a_run_90_seconds_after_a_worker_died_sends_its_orders_at_once(
    mx: tuple[World, Runtime], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, rt = mx
    ids = orders_recorded_but_held(world, rt, clock, monkeypatch, held=2)
    clock.advance(90)
    result = sales(rt)
    assert (result["outcome"], result["sent"], result["held"], result["pending"]) == ("ok", 3, 0, 0)
    assert elapsed(result) < 5  # nothing to wait for
    assert sent(rt, ids) == dict.fromkeys(ids, "sent")
    check_exactly_once(world, rt)


def test_a_run_right_after_a_worker_died_waits_for_its_leases_to_lapse(
    mx: tuple[World, Runtime], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, rt = mx
    ids = orders_recorded_but_held(world, rt, clock, monkeypatch, held=2)
    clock.advance(5)  # `sync sales` by hand, right after the kill
    result = sales(rt)
    assert (result["outcome"], result["sent"], result["held"], result["pending"]) == ("ok", 3, 0, 0)
    assert sent(rt, ids) == dict.fromkeys(ids, "sent")
    # It waited for the dead worker's leases (taken 5 s before it started) to lapse: about
    # 55 s, never a second lease.
    assert LEASE.total_seconds() - 5 <= elapsed(result) <= LEASE.total_seconds() + 5
    check_exactly_once(world, rt)


def test_orders_a_live_worker_keeps_are_waited_for_a_lease_then_reported(
    mx: tuple[World, Runtime], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, rt = mx
    ids = orders_recorded_but_held(world, rt, clock, monkeypatch, held=2)
    waiting = clock.sleep

    def a_live_worker_renews(seconds: float) -> None:  # its heartbeat, while we wait
        waiting(seconds)
        with rt.store.session() as session:
            store_orders.renew_leases(session, OTHER, clock.now() + LEASE)

    monkeypatch.setattr(clock, "sleep", a_live_worker_renews)
    result = sales(rt)
    assert (result["outcome"], result["sent"], result["held"]) == ("ok", 1, 2)
    assert result["pending"] == 2
    until = (clock.now() + LEASE).strftime("%Y-%m-%d %H:%M")
    assert f"another worker holds them ({OTHER} until {until}" in result["message"]
    assert result["message"].startswith("2 order(s) left alone")
    assert elapsed(result) <= (LEASE + RENEW_EVERY).total_seconds() + 6
    assert sent(rt, ids) == {ids[0]: "pending", ids[1]: "pending", ids[2]: "sent"}
    with rt.store.session() as session:  # the run's record says it too
        from handy_alegra.store.tables import Run

        run = session.get(Run, result["run_id"])
        assert run is not None
        assert json.loads(json.dumps(run.counts))["held"] == 2
        assert run.message == result["message"]


def test_a_lease_longer_than_ours_is_reported_without_waiting(
    mx: tuple[World, Runtime], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lease of 15 minutes (a worker of an older version) is not waited for."""
    world, rt = mx
    ids = orders_recorded_but_held(world, rt, clock, monkeypatch, held=0)
    now = clock.now()
    with rt.store.session() as session:
        record = store_orders.find(session, 1, ids[0])
        assert record is not None
        store_orders.take_lease(session, record.id, OTHER, now, now + timedelta(minutes=15))
    output = cli(rt, "sync", "sales", "--account", "acme")
    assert output.exit_code == 0, output.output
    text = " ".join(output.stdout.split())
    assert "│ held │ 1 │" in text
    assert f"1 order(s) left alone: another worker holds them ({OTHER} until" in text
    assert sent(rt, ids) == {ids[0]: "pending", ids[1]: "sent", ids[2]: "sent"}
    assert clock.now() - now < timedelta(seconds=5)
