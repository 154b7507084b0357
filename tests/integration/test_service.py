"""``handy-alegra run``'s dispatcher keeping three seeded accounts in sync, the clock driven by
the test: activation run, sales every 10 minutes, daily at 03:00 local, one catch-up after
downtime, no overlap per account, leases that expire, a graceful stop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from handy_alegra.accounts import activation
from handy_alegra.accounts import registry as accounts
from handy_alegra.clients.http import MockTransport
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling import embedded, slots
from handy_alegra.scheduling.embedded import Dispatcher
from handy_alegra.simulators.seed import World, build_world, seed_orders
from handy_alegra.store.tables import Run, Slot
from handy_alegra.views.status import account_status

START = datetime(2026, 11, 2, 15, 0, 3, tzinfo=UTC)  # 09:00 in Mexico City


@pytest.fixture
def service(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Runtime, list[World], ManualClock]]:
    clock = ManualClock(START)
    worlds = [build_world(seed=50 + i, country=c, items=40, contacts=12, clock=clock)
              for i, c in enumerate(("MX", "CO", "MX"))]  # fmt: skip
    transports = {}
    for i, world in enumerate(worlds):
        transports[f"https://alegra{i}.sim"] = MockTransport(world.alegra.handle)
        transports[f"https://handy{i}.sim"] = MockTransport(world.handy.handle)
    rt = Runtime(
        Settings(home=tmp_path, database_url=sqlite_url, secret_key=Fernet.generate_key().decode()),
        clock=clock,
        transports=transports,
    )
    for i, world in enumerate(worlds):
        c = world.credentials
        creds = activation.Credentials(c.alegra_email, c.alegra_token, c.handy_token,
                                       f"https://alegra{i}.sim/api/v1", f"https://handy{i}.sim/api/v2")  # fmt: skip
        zone = "America/Bogota" if world.country == "CO" else "America/Mexico_City"
        activation.activate(
            rt, f"company{i}", creds, country=world.country, price_list="Mayoreo", timezone=zone
        )
    yield rt, worlds, clock
    rt.close()


def runs(rt: Runtime) -> list[Run]:
    with rt.store.session() as session:
        rows = list(session.scalars(select(Run).order_by(Run.id)))
        session.expunge_all()
    return rows


def step(dispatcher: Dispatcher, clock: ManualClock, seconds: float) -> list[int]:
    clock.advance(seconds)
    started = dispatcher.tick()
    dispatcher.drain()
    return started


def test_three_accounts_kept_in_sync(service: tuple[Runtime, list[World], ManualClock]) -> None:
    rt, worlds, clock = service
    dispatcher = Dispatcher(rt, concurrency=3)
    assert len(step(dispatcher, clock, 0)) == 3  # per account: the run after activation…
    assert len(step(dispatcher, clock, 0)) == 3  # …then a sales cycle (one job per account at once)
    assert {(r.kind, r.outcome) for r in runs(rt)} == {
        ("catalog", "ok"),
        ("customers", "ok"),
        ("sales", "ok"),
    }
    for world in worlds:
        assert len([p for p in world.handy.products() if not p["code"].startswith("LOCAL")]) > 5
    for world in worlds:
        seed_orders(world, 5, since=clock.now())
    assert step(dispatcher, clock, 60) == []  # nothing due a minute later
    assert len(step(dispatcher, clock, 540)) == 3  # 10 minutes: one sales cycle per account
    for world in worlds:
        assert world.alegra.remissions(), "orders reached Alegra"
    for _ in range(6):
        step(dispatcher, clock, 600)
    sales_runs = [r for r in runs(rt) if r.kind == "sales"]
    assert len(sales_runs) == 3 * 8

    def daily_started_at(moment: datetime) -> list[str]:
        clock.set(moment)
        started = dispatcher.tick()  # the sales cycles due at the same time go first…
        dispatcher.drain()
        started += dispatcher.dispatch()  # …then, as their threads free up, the daily runs
        dispatcher.drain()
        with rt.store.session() as session:
            chosen = [session.get(Slot, s) for s in started]
            return sorted(str(s.account_id) for s in chosen if s is not None and s.kind == "daily")

    assert daily_started_at(datetime(2026, 11, 3, 8, 0, 5, tzinfo=UTC)) == ["2"]  # 03:00 in Bogotá
    assert daily_started_at(datetime(2026, 11, 3, 9, 0, 5, tzinfo=UTC)) == ["1", "3"]  # in Mexico
    dispatcher.shutdown()


def test_at_a_peak_sales_cycles_go_before_daily_runs(
    service: tuple[Runtime, list[World], ManualClock],
) -> None:
    """03:00 in Mexico City with one thread: every account's sales cycle (due within a
    minute) runs before the two daily runs (due within the hour), which then follow."""
    rt, _, clock = service
    dispatcher = Dispatcher(rt, concurrency=3)
    step(dispatcher, clock, 0)
    step(dispatcher, clock, 0)
    clock.set(datetime(2026, 11, 3, 8, 0, 5, tzinfo=UTC))  # 03:00 in Bogotá
    dispatcher.run_once()
    dispatcher.shutdown()
    clock.set(datetime(2026, 11, 3, 9, 0, 5, tzinfo=UTC))
    one = Dispatcher(rt, concurrency=1)
    order = []
    started = one.tick()
    while started:
        one.drain()
        with rt.store.session() as session:
            order += [session.get(Slot, s).kind for s in started]  # type: ignore[union-attr]
        started = one.dispatch()
    assert order == ["sales", "sales", "sales", "daily", "daily"]
    one.shutdown()


def test_run_once_runs_everything_due_whatever_the_concurrency(
    service: tuple[Runtime, list[World], ManualClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    rt, _, _ = service
    monkeypatch.setattr(embedded, "RECENT", 2)  # the service runs for months: outcomes are
    dispatcher = Dispatcher(rt, concurrency=1)  # counted, and only the latest kept
    dispatcher.run_once()  # three accounts, a daily run and a sales cycle each, one at a time
    dispatcher.shutdown()
    assert dispatcher.counts == {"done": 6} and len(dispatcher.outcomes) == 2
    assert sorted((r.kind, r.outcome) for r in runs(rt)) == sorted(
        [("catalog", "ok"), ("customers", "ok"), ("sales", "ok")] * 3
    )
    with rt.store.session() as session:
        assert slots.queued(session) == []


def test_the_daily_job_prunes_the_accounts_old_history(
    service: tuple[Runtime, list[World], ManualClock],
) -> None:
    rt, _, clock = service
    dispatcher = Dispatcher(rt, concurrency=3)
    dispatcher.run_once()
    old = clock.now() - timedelta(days=100)
    with rt.store.session() as session:
        for account_id in (1, 2):  # an old run, and a newer one of its kind (the latest of
            for started in (old, clock.now()):  # each kind is kept, whatever the order of jobs)
                session.add(Run(account_id=account_id, kind="sales", started_at=started, counts={}))
    clock.set(datetime(2026, 11, 3, 8, 0, 5, tzinfo=UTC))  # 03:00 in Bogotá: company1's daily
    dispatcher.run_once()
    dispatcher.shutdown()
    with rt.store.session() as session:
        kept = session.scalars(select(Run.account_id).where(Run.started_at == old)).all()
    assert kept == [1]  # company0 (Mexico City) has not had its daily job yet


def test_downtime_is_caught_up_once(service: tuple[Runtime, list[World], ManualClock]) -> None:
    rt, _, clock = service
    dispatcher = Dispatcher(rt, concurrency=3)
    step(dispatcher, clock, 0)
    step(dispatcher, clock, 0)
    before = len(runs(rt))
    started = step(dispatcher, clock, 5 * 3600)  # the service was down for five hours
    assert len(started) == 3  # one sales cycle per account, not thirty
    assert len(runs(rt)) == before + 3
    dispatcher.shutdown()


def test_one_account_never_runs_twice_at_once(
    service: tuple[Runtime, list[World], ManualClock],
) -> None:
    rt, _, clock = service
    with rt.store.session() as session:
        account_id = accounts.find_row(session, "company0").id
        assert slots.take_lease(
            session,
            account_id,
            "another-machine",
            "sales",
            clock.now(),
            clock.now() + timedelta(minutes=5),
        )
    dispatcher = Dispatcher(rt, concurrency=3)
    step(dispatcher, clock, 0)
    busy = [o for o in dispatcher.outcomes if o.status == "busy"]
    assert len(busy) == 1  # company0's job waited: the other machine holds the account
    with rt.store.session() as session:
        waiting = [s for s in slots.queued(session) if s.account_id == account_id]
    assert len(waiting) == 2
    step(dispatcher, clock, 6 * 60)  # the other machine died: its lease expired
    step(dispatcher, clock, 0)
    with rt.store.session() as session:
        assert [s for s in slots.queued(session) if s.account_id == account_id] == []
    assert {o.status for o in dispatcher.outcomes if o.status != "busy"} == {"done"}
    dispatcher.shutdown()


def test_a_stop_request_checkpoints_the_job_in_hand(
    service: tuple[Runtime, list[World], ManualClock],
) -> None:
    rt, _, _ = service
    dispatcher = Dispatcher(rt, concurrency=1)
    dispatcher.stopping.set()  # SIGTERM before the first tick: no work is taken
    assert dispatcher.tick() == []
    dispatcher.shutdown()
    with rt.store.session() as session:
        assert session.scalar(select(Slot)) is None


def test_status_reports_every_account(service: tuple[Runtime, list[World], ManualClock]) -> None:
    rt, _, clock = service
    dispatcher = Dispatcher(rt, concurrency=3)
    step(dispatcher, clock, 0)
    with rt.store.session() as session:
        data = [
            account_status(session, a, clock.now()) for a in accounts.load_all(session, rt.vault)
        ]
    assert [d["account"] for d in data] == ["company0", "company1", "company2"]
    for item in data:
        assert item["jobs"]["catalog"]["last_run"]["outcome"] == "ok"
        assert item["jobs"]["sales"]["next_run"] == "2026-11-02T15:10:00+00:00"
        assert item["problems"]["products"]["count"] > 0
        assert all(
            e["explanation"] for ex in item["problems"]["products"]["examples"].values() for e in ex
        )
    dispatcher.shutdown()
