"""Scale-out on a real PostgreSQL: two schedulers and two Procrastinate workers (separate
processes) over 20 simulated accounts, on a shared clock that runs 60 times faster than real
time, across several sales cycles and a 03:00 daily run. Every due job ran exactly once, and
no account ever ran two jobs at the same time (a daily job runs catalog and customers
side by side, which is one job)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from handy_alegra.accounts import activation
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import ScaledClock, SystemClock
from handy_alegra.observability import logs
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.asgi import SimulatorApp, serve_in_thread
from handy_alegra.simulators.seed import build_world
from handy_alegra.store.tables import Run, Slot
from tests.conftest import _postgres_schema

ACCOUNTS = 20
SCALE = 60.0  # one real second is one simulated minute
START = datetime(2026, 11, 2, 8, 41, tzinfo=UTC)  # 02:41 in Mexico City: nine real seconds
# for four processes to start before the 08:50 sales slot replaces the 08:40 one
DAILY_0300 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 03:00 in Mexico City
END = datetime(2026, 11, 2, 9, 22, tzinfo=UTC)  # four sales cycles and the 03:00 daily run later
DEADLINE_SECONDS = 120


@pytest.fixture
def postgres_url() -> str:
    yield from _postgres_schema()


def expected_slots(first_daily_started: datetime) -> set[tuple[str, datetime]]:
    """The activation run (yesterday's 03:00 slot), the sales grid, and today's 03:00 run —
    unless the activation run itself started after 03:00, which makes it today's run."""
    daily = {("daily", datetime(2026, 11, 1, 9, 0, tzinfo=UTC))}
    if first_daily_started < DAILY_0300:
        daily.add(("daily", DAILY_0300))
    first = datetime(2026, 11, 2, 8, 40, tzinfo=UTC)
    return daily | {("sales", first + timedelta(minutes=10 * k)) for k in range(5)}


@pytest.mark.postgres
def test_two_schedulers_two_workers_twenty_accounts(postgres_url: str, tmp_path: Path) -> None:
    logs.configure(level="WARNING")
    worlds = [
        build_world(seed=100 + i, items=10, contacts=10, customers=8, clock=SystemClock())
        for i in range(ACCOUNTS)
    ]
    mounts = {}
    for i, world in enumerate(worlds):
        mounts[f"alegra{i}"], mounts[f"handy{i}"] = world.alegra, world.handy
    server = serve_in_thread(SimulatorApp(mounts))
    key = Fernet.generate_key().decode()
    rt = Runtime(Settings(home=tmp_path, database_url=postgres_url, secret_key=key))
    processes: list[subprocess.Popen[bytes]] = []
    log_files = []
    try:
        for i, world in enumerate(worlds):
            c = world.credentials
            creds = activation.Credentials(c.alegra_email, c.alegra_token, c.handy_token,
                                           f"{server.base_url}/alegra{i}/api/v1", f"{server.base_url}/handy{i}/api/v2")  # fmt: skip
            activation.activate(
                rt, f"company{i:02d}", creds, country="MX", price_list="Mayoreo", sales_since=START
            )
        anchor = time.time()  # the simulated clock starts now, shared by every process
        clock = ScaledClock(anchor, START, SCALE)
        env = {
            **os.environ,
            "HANDY_ALEGRA_DATABASE_URL": postgres_url,
            "HANDY_ALEGRA_SECRET_KEY": key,
            "HANDY_ALEGRA_HOME": str(tmp_path),
            "HANDY_ALEGRA_CLOCK": f"scaled:{anchor}:{START.isoformat()}:{SCALE}",
        }
        base = [sys.executable, "-m", "handy_alegra"]
        for name, args in (
            ("scheduler", ["scheduler", "--tick", "0.5"]),
            ("worker", ["worker", "--concurrency", "4"]),
        ):
            for n in range(2):
                log = (tmp_path / f"{name}{n}.log").open("wb")
                log_files.append(log)
                processes.append(subprocess.Popen([*base, *args], env=env, stdout=log, stderr=log))
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:  # wait for the simulated period to pass and its last jobs to finish
            with rt.store.session() as session:
                open_slots = (
                    session.query(Slot).filter(Slot.status.in_(("queued", "running"))).count()
                )
            if clock.now() >= END and open_slots == 0:
                break
            assert time.monotonic() < deadline, "the jobs did not finish in time"
            assert all(p.poll() is None for p in processes), "a service process died"
            time.sleep(0.25)
        for process in processes:
            process.send_signal(signal.SIGTERM)
        assert [p.wait(timeout=60) for p in processes] == [0, 0, 0, 0]  # a clean exit on SIGTERM

        with rt.store.session() as session:
            made = list(session.scalars(select(Slot)))
            runs = {r.id: r for r in session.scalars(select(Run))}
            session.expunge_all()
        by_account: dict[int, set[tuple[str, datetime]]] = defaultdict(set)
        for slot in made:
            if slot.due_at <= END:
                by_account[slot.account_id].add((slot.kind, slot.due_at))
        assert len(by_account) == ACCOUNTS
        first_catalog: dict[int, datetime] = {}
        for run in sorted(runs.values(), key=lambda r: r.started_at):
            if run.kind == "catalog":
                first_catalog.setdefault(run.account_id, run.started_at)
        for account_id, seen in by_account.items():  # every due job, none missing or extra
            assert seen == expected_slots(first_catalog[account_id]), account_id
        assert sum(("daily", DAILY_0300) in seen for seen in by_account.values()) >= ACCOUNTS // 2
        assert all(slot.status == "done" for slot in made)
        used = [run_id for slot in made for run_id in slot.run_ids]
        assert len(used) == len(set(used)) == len(runs)  # each run belongs to exactly one slot
        for slot in made:
            assert [runs[r].kind for r in slot.run_ids] == (
                ["catalog", "customers"] if slot.kind == "daily" else ["sales"]
            )
        intervals: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        for slot in made:  # a daily job runs catalog and customers side by side, so one job
            spans = [(runs[r].started_at, runs[r].finished_at) for r in slot.run_ids]
            assert all(end is not None for _, end in spans)
            intervals[slot.account_id].append(
                (min(s for s, _ in spans), max(e for _, e in spans if e is not None))
            )
        for account_id, spans in intervals.items():
            spans.sort()
            for (_, end), (start, _) in itertools.pairwise(spans):
                assert end <= start, f"account {account_id} ran two jobs at once"
        owners = {slot.owner for slot in made}
        assert len(owners) == 2, "both workers took jobs"
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in log_files:
            log.close()
        rt.close()
        server.stop()
