"""The fleet bench's service side: the store (SQLite or a PostgreSQL schema of its own), the
accounts, the set-up runs, and the service's processes — ``run``, or ``scheduler`` + workers —
with their CPU and memory sampled against the simulated time."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import harness as h
from fleet_world import Fleet, FleetClock
from sqlalchemy import select, text

from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.vault import Vault
from handy_alegra.config.settings import Settings
from handy_alegra.store.database import Store
from handy_alegra.store.tables import Account, Run, Slot

POSTGRES = os.environ.get(
    "HANDY_ALEGRA_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


# --- processes -------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Service:
    """The service's processes (``run``, or ``scheduler`` + workers), their CPU and memory
    sampled every half second against the simulated time."""

    procs: list[subprocess.Popen[bytes]]
    names: list[str]
    clock: FleetClock
    logs: list[Path]
    samples: list[tuple[float, float]] = field(default_factory=list)  # (sim epoch, CPU s)
    peak_kb: dict[str, int] = field(default_factory=dict)
    _cpu_last: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @classmethod
    def start(
        cls, commands: list[tuple[str, list[str]]], env: dict[str, str], clock: FleetClock,
        logdir: Path,
    ) -> Service:  # fmt: skip
        procs, names, logs = [], [], []
        for name, args in commands:
            log = logdir / f"{name}-{uuid.uuid4().hex[:6]}.log"
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "handy_alegra", *args],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            names.append(name)
            logs.append(log)
        service = cls(procs, names, clock, logs)
        service._thread = threading.Thread(target=service._sample, daemon=True)
        service._thread.start()
        return service

    def cpu(self) -> float:
        total = 0.0
        for proc in self.procs:
            now = _cpu_seconds(proc.pid)
            if now is not None:
                self._cpu_last[proc.pid] = now
            total += self._cpu_last.get(proc.pid, 0.0)
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.samples.append((self.clock.epoch(), self.cpu()))
            for name, proc in zip(self.names, self.procs, strict=True):
                self.peak_kb[name] = max(self.peak_kb.get(name, 0), _status_kb(proc.pid, "VmHWM"))
            self._stop.wait(0.5)

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def stop(self, timeout: float = 120) -> list[int]:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        for proc in self.procs:
            try:
                codes.append(proc.wait(timeout))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return codes

    def problems(self, limit: int = 8) -> list[str]:
        found = []
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                if any(w in line.lower() for w in ("error", "traceback", "warning")):
                    found.append(f"{log.stem}: {line[:300]}")
        return found[:limit]


def cli(env: dict[str, str], *args: str, timeout: float = 3600) -> h.CliRun:
    return h.run_cli(["-m", "handy_alegra", *args], env, timeout)


# --- the store -------------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    schema: str | None = None  # PostgreSQL: our own schema in the test database

    @classmethod
    @contextlib.contextmanager
    def create(cls, kind: str, home: Path) -> Iterator[Database]:
        if kind == "sqlite":
            yield cls(f"sqlite:///{home / 'fleet.sqlite3'}")
            return
        import psycopg

        schema = f"fleet_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            sep = "&" if "?" in POSTGRES else "?"
            yield cls(f"{POSTGRES}{sep}options=-csearch_path%3D{schema}", schema)
        finally:
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    def size(self, store: Store) -> int:
        """Bytes the store's data takes (SQLite: pages in use; PostgreSQL: our tables with
        their indexes and TOAST)."""
        with store.engine.connect() as conn:
            if self.schema is None:
                page = conn.execute(text("PRAGMA page_size")).scalar_one()
                pages = conn.execute(text("PRAGMA page_count")).scalar_one()
                free = conn.execute(text("PRAGMA freelist_count")).scalar_one()
                return int((pages - free) * page)
            return int(
                conn.execute(
                    text(
                        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :s AND c.relkind = 'r' "
                        "AND c.relname NOT LIKE 'procrastinate%'"
                    ),
                    {"s": self.schema},
                ).scalar_one()
            )


def add_accounts(store: Store, vault: Vault, fleet: Fleet, base: str, since: datetime) -> None:
    """Every company as an account, as ``accounts add`` leaves one (the activation's checks
    against the APIs are left out: 1,000 of them are not what this bench measures)."""
    with store.session() as session:
        for company in fleet.companies:
            world, c = company.world, company.world.credentials
            accounts.insert(
                session, vault, name=company.name, alegra_token=c.alegra_token,
                handy_token=c.handy_token, now=since, country=company.country,
                alegra_url=f"{base}/alegra/api/v1", alegra_email=c.alegra_email,
                handy_url=f"{base}/handy/api/v2", price_list_id=world.price_list["id"],
                price_list_name=world.price_list["name"], timezone=company.zone,
                sales_since=since,
            )  # fmt: skip


def engine_commands(engine: str, workers: int, concurrency: int | None, tick: float,
                    once: bool = False) -> list[tuple[str, list[str]]]:  # fmt: skip
    extra = ["--concurrency", str(concurrency)] if concurrency else []
    if engine in ("sqlite", "postgresql"):
        run = ["run", "--tick", f"{tick:.4f}", *extra] + (["--once"] if once else [])
        return [("run", run)]
    commands = [("scheduler", ["scheduler", "--tick", f"{tick:.4f}"])]
    commands += [(f"worker{i + 1}", ["worker", *extra]) for i in range(workers)]
    return commands


def base_env(home: Path, db: Database, key: str, clock: FleetClock) -> dict[str, str]:
    env = {
        **os.environ,
        "HANDY_ALEGRA_HOME": str(home),
        "HANDY_ALEGRA_DATABASE_URL": db.url,
        "HANDY_ALEGRA_SECRET_KEY": key,
        "HANDY_ALEGRA_CLOCK": clock.env(),
        "HANDY_ALEGRA_LOG_LEVEL": "WARNING",
    }
    env.pop("HANDY_ALEGRA_RATE_WINDOW_SCALE", None)  # the clock is sped up, not the windows
    return env


def set_up(report: h.Report, name: str, fleet: Fleet, db: Database, home: Path, key: str,
           at: datetime, concurrency: int | None, *,
           daily: bool = True) -> tuple[Store, float]:  # fmt: skip
    """Accounts in a fresh store, then every account's first daily run and sales cycle (with
    ``daily`` False, a daily slot marked done instead of the daily run: for a phase that runs
    only sales cycles with no order). Returns the store and the CPU seconds per account of
    those first runs."""
    store = Store.open(db.url)
    vault = Vault.from_settings(Settings(home=home, database_url=db.url, secret_key=key))
    assert fleet.server is not None
    add_accounts(store, vault, fleet, fleet.server.base_url, at - timedelta(hours=1))
    if not daily:
        with store.session() as session:
            for account_id in session.scalars(select(Account.id)):
                done = at - timedelta(hours=1)
                session.add(Slot(account_id=account_id, kind="daily", status="done",
                                 due_at=done, created_at=done, run_ids=[]))  # fmt: skip
    fleet.clock.restart(at, 1.0)
    started, answers = time.perf_counter(), fleet.answers()
    cpu = []
    for _ in range(2):  # every due job (both runs of each account), then nothing: start-up
        env = base_env(home, db, key, fleet.clock)
        extra = ["--concurrency", str(concurrency)] if concurrency else []
        run = cli(env, "run", "--once", *extra)
        cpu.append(run.cpu)
        if run.returncode not in (0, 1):
            report.note(name, f"set-up FAILED: exit {run.returncode}: {run.stderr[-2000:]}")
            raise SystemExit(2)
        for line in [x for x in run.stderr.splitlines() if "error" in x.lower()][:3]:
            report.note(name, f"  set-up logged: {line[:300]}")
    with store.session() as session:
        outcomes = session.execute(select(Run.kind, Run.outcome, Run.counts)).all()
        troubles = session.execute(
            select(Run.kind, Run.outcome, Run.message).where(Run.outcome != "ok").limit(3)
        ).all()
    writes = sum(
        sum(v for k, v in (counts or {}).items() if k in ("created", "updated", "disabled"))
        for _, _, counts in outcomes
    )
    report.note(
        name,
        f"set-up: {len(fleet.companies)} accounts, {len(outcomes)} runs "
        f"({sum(1 for _, o, _ in outcomes if o == 'ok')} ok), {fleet.answers() - answers} "
        f"calls, {writes} Handy writes, {time.perf_counter() - started:.0f} s; CPU of the "
        f"first daily run and sales cycle {(cpu[0] - cpu[1]) / len(fleet.companies):.2f} s per "
        f"account (the second `run --once`, with nothing due: {cpu[1]:.1f} s)",
    )
    for kind, outcome, message in troubles:
        report.note(name, f"  set-up run {kind} {outcome}: {(message or '')[:200]}")
    return store, max(0.0, (cpu[0] - cpu[1]) / len(fleet.companies))
