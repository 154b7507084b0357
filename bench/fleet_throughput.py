"""The fleet bench's throughput phase, on PostgreSQL: a saturating backlog — every account's
sales cycle due at once, each with two new orders — drained by ``handy-alegra run``, by
``scheduler`` + 1 ``worker`` and by ``scheduler`` + 2 ``worker``s. Jobs per second from the
first job's start to the last one's end (the processes' start-up is left out)."""

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
from handy_alegra.store.tables import Slot

DAY = "2026-11-03"
TARGET_RATIO = 1.8
ORDERS_EACH = 2
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
) -> float:
    """Orders for every account, the clock just past ``due``, the engine started; returns jobs
    per second once all of ``due``'s slots are done."""
    n = len(fleet.companies)
    fleet.clock.restart(due - timedelta(seconds=5), 1.0)
    feed = OrderFeed(fleet, due, due)
    for company in fleet.companies:
        for _ in range(ORDERS_EACH):
            feed._order(company)
    fleet.clock.wait_until(due + timedelta(seconds=1))
    service = Service.start(commands, base_env(home, db, key, fleet.clock), fleet.clock, home)
    cpu0, load0 = service.cpu(), os.getloadavg()[0]
    deadline = time.perf_counter() + max(120.0, n * 2.0)
    done = 0
    while time.perf_counter() < deadline and service.alive():
        with store.session() as session:
            done = (
                session.scalar(
                    select(func.count()).where(
                        Slot.due_at == due, Slot.status.in_(("done", "failed"))
                    )
                )
                or 0
            )
        if done >= n:
            break
        time.sleep(0.2)
    cpu = service.cpu() - cpu0
    service.stop()
    with store.session() as session:
        first, last = session.execute(
            select(func.min(Slot.started_at), func.max(Slot.finished_at)).where(Slot.due_at == due)
        ).one()
        failed = session.scalar(
            select(func.count()).where(Slot.due_at == due, Slot.status != "done")
        )
    seconds = (last - first).total_seconds() if first and last else float("nan")
    rate = done / seconds if seconds else float("nan")
    report.note(
        name,
        f"  {done} of {n} jobs in {seconds:.1f} s = {rate:.1f} jobs/s ({failed} not done); "
        f"service CPU {cpu:.0f} s; load average {load0:.2f}",
    )
    for line in service.problems(4):
        report.note(name, f"  the service logged: {line}")
    return rate


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
        store = set_up(report, name, fleet, db, home, key, first - timedelta(minutes=30),
                       args.concurrency)  # fmt: skip
        configs = (
            ("run (embedded, PostgreSQL)", engine_commands("postgresql", 0, args.concurrency, 0.5)),
            ("scheduler + 1 worker", engine_commands("workers", 1, args.concurrency, 0.5)),
            ("scheduler + 2 workers", engine_commands("workers", 2, args.concurrency, 0.5)),
        )
        rates = []
        for k, (label, commands) in enumerate(configs):
            report.note(name, label)
            due = first + timedelta(minutes=10 * k)
            rates.append(drain(report, name, fleet, store, db, home, key, due, commands))
        store.dispose()
    ratio = rates[2] / rates[1] if rates[1] else float("nan")
    report.figure(
        name, "workers_2_vs_1", f"{ratio:.2f}",
        f"{rates[2]:.1f} / {rates[1]:.1f} jobs/s (run: {rates[0]:.1f})",
        f"target ≥{TARGET_RATIO:g}", ratio >= TARGET_RATIO,
    )  # fmt: skip
    figures.values["throughput_ratio"] = ratio
    figures.values["jobs_per_s_1_worker"] = rates[1]
