"""The fleet bench's throughput phase, on PostgreSQL: a saturating backlog — about 400 sales
cycles due at once (every account's, in several rounds when there are fewer than 400
accounts) — drained by ``handy-alegra run``, by ``scheduler`` + 1 ``worker`` and by
``scheduler`` + 2 ``worker``s. Jobs per second from the first job's start to the last one's
end (the processes' start-up is left out), and CPU per job.

The question is whether a second worker doubles the capacity: whether anything the workers
share — the queue, the store, the leases — limits them. On this 2-core machine, which also
runs the simulators and PostgreSQL, two CPU-bound workers could not double whatever the
product did; so each process runs ``--throughput-concurrency`` jobs (default 4), few enough
that one worker is bounded by its jobs in flight, not by the machine. In production the
workers are on separate machines; capacity per worker is then min(concurrency ÷ job time,
1 core ÷ CPU per job) — both printed."""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import harness as h
from cryptography.fernet import Fernet
from fleet_service import Database, Service, base_env, engine_commands, set_up
from fleet_world import Fleet, OrderFeed, utc
from sqlalchemy import func, select

from handy_alegra.store.database import Store
from handy_alegra.store.tables import Account, Slot

DAY = "2026-11-03"
TARGET_RATIO = 1.8
JOBS = 400  # about this many sales cycles in the backlog
#: Each configuration's backlog is the sales slot of one 10-minute boundary, 12:00 UTC onwards
#: (no account's 03:00 is near: only sales cycles run).
FIRST = "12:00"


def drain(
    report: h.Report,
    name: str,
    fleet: Fleet,
    store: Store,
    db: Database,
    home: Path,
    key: str,
    due: datetime,
    commands: list[tuple[str, list[str]]],
    orders: int,
) -> tuple[float, float]:
    """The backlog queued, the clock at ``due``, the engine started; returns (jobs per second,
    CPU seconds per job) once every job of the backlog is done."""
    n = len(fleet.companies)
    rounds = max(1, -(-JOBS // n))
    fleet.clock.restart(due - timedelta(seconds=5), 1.0)
    feed = OrderFeed(fleet, due, due)
    for company in fleet.companies:
        for _ in range(orders):
            feed._order(company)
    first_due = due - timedelta(seconds=rounds - 1)
    with store.session() as session:  # rounds − 1 more cycles per account, due just before
        for account_id in session.scalars(select(Account.id)):
            for k in range(1, rounds):
                session.add(Slot(account_id=account_id, kind="sales", status="queued",
                                 due_at=due - timedelta(seconds=k), created_at=first_due,
                                 run_ids=[]))  # fmt: skip
    fleet.clock.wait_until(due + timedelta(seconds=1))
    service = Service.start(commands, base_env(home, db, key, fleet.clock), fleet.clock, home)
    cpu0, load0 = service.cpu(), os.getloadavg()[0]
    total = n * rounds
    deadline = time.perf_counter() + max(180.0, total * 1.0)
    done = 0
    backlog = (Slot.due_at >= first_due, Slot.due_at <= due)
    while time.perf_counter() < deadline and service.alive():
        with store.session() as session:
            done = (
                session.scalar(
                    select(func.count()).where(*backlog, Slot.status.in_(("done", "failed")))
                )
                or 0
            )
        if done >= total:
            break
        time.sleep(0.2)
    cpu = service.cpu() - cpu0
    service.stop()
    with store.session() as session:
        first, last = session.execute(
            select(func.min(Slot.started_at), func.max(Slot.finished_at)).where(*backlog)
        ).one()
        failed = session.scalar(select(func.count()).where(*backlog, Slot.status != "done"))
    seconds = (last - first).total_seconds() if first and last else float("nan")
    rate = done / seconds if seconds else float("nan")
    report.note(
        name,
        f"  {done} of {total} jobs in {seconds:.1f} s = {rate:.1f} jobs/s ({failed} not done); "
        f"service CPU {cpu:.1f} s = {cpu / max(1, done) * 1000:.0f} ms per job (start-up "
        f"included); load average {load0:.2f}",
    )
    for line in service.problems(4):
        report.note(name, f"  the service logged: {line}")
    return rate, cpu / max(1, done)


def run(
    report: h.Report,
    fleet: Fleet,
    n: int,
    args: argparse.Namespace,
    figures: Any,
    home: Path,
) -> None:
    name = f"fleet{n}.throughput"
    key = Fernet.generate_key().decode()
    with Database.create("postgresql", home) as db:
        first = utc(f"{DAY}T{FIRST}")
        store, _ = set_up(report, name, fleet, db, home, key, first - timedelta(minutes=30),
                       args.concurrency, daily=args.throughput_orders > 0)  # fmt: skip
        jobs = args.throughput_concurrency
        configs = (
            ("run (embedded, PostgreSQL)", engine_commands("postgresql", 0, jobs, 0.5)),
            ("scheduler + 1 worker", engine_commands("workers", 1, jobs, 0.5)),
            ("scheduler + 2 workers", engine_commands("workers", 2, jobs, 0.5)),
        )
        rates = []
        for k, (label, commands) in enumerate(configs):
            report.note(name, f"{label}, --concurrency {jobs}")
            due = first + timedelta(minutes=10 * k)
            rate, _ = drain(report, name, fleet, store, db, home, key, due, commands,
                            args.throughput_orders)  # fmt: skip
            rates.append(rate)
        store.dispose()
    ratio = rates[2] / rates[1] if rates[1] else float("nan")
    report.figure(
        name, "workers_2_vs_1", f"{ratio:.2f}",
        f"{rates[2]:.1f} / {rates[1]:.1f} jobs/s (run: {rates[0]:.1f})",
        f"target ≥{TARGET_RATIO:g}", ratio >= TARGET_RATIO,
    )  # fmt: skip
    figures.values["throughput_ratio"] = ratio
    figures.values["jobs_per_s_1_worker"] = rates[1]
