"""A fleet of small companies served by the real service: does it keep every account on
schedule, what does an idle cycle cost, what do the 03:00 peaks do, how do CPU, memory and the
store grow with the number of accounts, and does a second worker double the capacity?

    .venv/bin/python bench/fleet.py [--accounts 1000] [--sweep 100,300,1000] [--hours 3]
                                    [--scale auto|S] [--engine sqlite|postgresql|workers]
                                    [--workers 2] [--concurrency C] [--items 300]
                                    [--no-throughput] [--no-dashboard] [--dashboard-only]

Phases, for each number of accounts N (``bench/README.md``, "The fleet bench", says more):

1. **World**: N companies (MX and CO in turn), each its own seed, data, credentials and rate
   windows, behind one loopback server (``simulators.tenants``), 80 ms of real latency.
2. **Set-up** (not measured): the accounts go into a fresh store; ``handy-alegra run --once``
   twice makes every account's first daily run and first sales cycle.
3. **The day**: the service as in production (``run``; or ``scheduler`` + workers) on a clock
   sped up S times, from ``--start`` for ``--hours`` simulated hours, while every company's
   sellers take 0–5 orders per 10 minutes. Figures below.
4. **Throughput** (PostgreSQL): a saturating backlog (one sales cycle with two new orders for
   every account, all due at once), drained by ``run``, by ``scheduler`` + 1 ``worker`` and by
   ``scheduler`` + 2 ``worker``s.
5. **Dashboard**: a store with N accounts and a month of history; the accounts page timed.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import harness as h
from cryptography.fernet import Fernet
from fleet_service import Database, Service, base_env, engine_commands, set_up
from fleet_world import ZONES, Company, Fleet, FleetClock, OrderFeed, utc
from sqlalchemy import select, text

from handy_alegra.scheduling.schedule import DAILY, SALES
from handy_alegra.store.database import Store
from handy_alegra.store.tables import Account, Run, Slot

DAY = "2026-11-03"  # a Tuesday
LEAD = timedelta(minutes=10)  # the service runs this long before the measured hours
TICK = 15.0  # the service's seconds between looks at what is due (its default), simulated
#: Accounts × time scale the service kept up with on the bench machine (see README): the
#: default time scale is the largest at which it keeps up, at most 60.
CAPACITY = 6_000.0
MAX_SCALE = 60.0  # a sales cycle every 10 real seconds: an idle one takes ~0.2 s

TARGET_LAG_P99 = 60.0  # seconds, due → finished
TARGET_DAILY_MINUTES = 60.0
TARGET_RSS_MB_AT_1000 = 1024.0
TARGET_RATIO = 1.8
TARGET_PAGE_MS = 300.0


# --- one fleet -------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Figures:
    """One fleet's figures (for the sweep's growth table)."""

    accounts: int
    scale: float
    values: dict[str, float] = field(default_factory=dict)


def auto_scale(n: int, hours: float) -> float:
    return max(1.0, min(MAX_SCALE, round(CAPACITY / n, 1)))


def run_day(report: h.Report, fleet: Fleet, n: int, args: argparse.Namespace,
            figures: Figures, home: Path) -> None:  # fmt: skip
    name = f"fleet{n}.day"
    scale = figures.scale
    start = utc(f"{DAY}T{args.start}")
    end = start + timedelta(hours=args.hours)
    key = Fernet.generate_key().decode()
    engine = args.engine
    with Database.create("sqlite" if engine == "sqlite" else "postgresql", home) as db:
        store, first_daily = set_up(report, name, fleet, db, home, key, start - timedelta(hours=1),
                       args.concurrency)  # fmt: skip
        # The service starts 10 simulated minutes early: its start-up (imports, the store)
        # and the catch-up of the set-up's sales cycle are not part of the day measured.
        fleet.clock.restart(start - LEAD, scale)
        env = base_env(home, db, key, fleet.clock)
        service = Service.start(
            engine_commands(engine, args.workers, args.concurrency, TICK / scale), env,
            fleet.clock, home,
        )  # fmt: skip
        feed = OrderFeed(fleet, start - LEAD, end)
        feed.start()
        fleet.clock.wait_until(start)
        size0 = db.size(store)
        mark = fleet.clock.epoch()
        load0 = os.getloadavg()
        bench_cpu0, wall0 = time.process_time(), time.perf_counter()
        loads = []
        while fleet.clock.now() < end and service.alive():
            time.sleep(min(5.0, max(0.1, fleet.clock.real_at(end) - time.time())))
            loads.append(os.getloadavg()[0])
        feed.stopping.set()
        drained = wait_drained(store, end, service, timeout=180)
        wall = time.perf_counter() - wall0
        bench_cpu = time.process_time() - bench_cpu0
        codes = service.stop()
        size1 = db.size(store)
        report.note(
            name,
            f"engine {engine}"
            + (f" ({args.workers} workers)" if engine == "workers" else "")
            + f"; {start:%H:%M}–{end:%H:%M} UTC simulated at S={scale:g} in {wall:.0f} s; "
            f"{feed.created} orders; exit codes {codes}; "
            f"load average {load0[0]:.2f} at the start, {statistics.mean(loads or [0]):.2f} mean",
        )
        if not drained:
            report.note(name, "  the service had not finished the day's slots 180 s after it")
        for line in service.problems():
            report.note(name, f"  the service logged: {line}")
        day_figures(report, name, fleet, store, service, figures, start, end, mark,
                    (size0, size1), bench_cpu, feed.created, first_daily)  # fmt: skip
        store.dispose()


def wait_drained(store: Store, end: datetime, service: Service, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and service.alive():
        with store.session() as session:
            open_slots = session.scalar(
                select(text("count(*)"))
                .select_from(Slot)
                .where(Slot.due_at <= end, Slot.status.in_(("queued", "running")))
            )
        if not open_slots:
            return True
        time.sleep(1.0)
    return False


def production_seconds(slot: Any, scale: float) -> float:
    """Due → finished, as production (scale 1) would see it: the wait for the tick that made
    the slot is simulated time (the bench's tick is 15 simulated seconds, as production's is
    15 real ones); from then on — waiting for a free job, the run itself — real seconds,
    which at S× the load are an upper bound of production's (its 80 ms latencies are real)."""
    tick_wait = (slot.created_at - slot.due_at).total_seconds()
    rest = (slot.finished_at - slot.created_at).total_seconds() / scale
    return max(0.0, tick_wait) + rest


def day_figures(report: h.Report, name: str, fleet: Fleet, store: Store, service: Service,
                figures: Figures, start: datetime, end: datetime, mark: float,
                sizes: tuple[int, int], bench_cpu: float, orders: int,
                first_daily: float) -> None:  # fmt: skip
    scale, n = figures.scale, len(fleet.companies)
    with store.session() as session:
        slots = session.scalars(select(Slot).where(Slot.due_at >= start, Slot.due_at <= end)).all()
        runs = session.scalars(
            select(Run).where(Run.started_at >= start, Run.dry_run.is_(False))
        ).all()
        names = dict(session.execute(select(Account.id, Account.name)).all())
        session.expunge_all()
    by_name = {c.name: c for c in fleet.companies}

    # sales-cycle lag
    sales = [s for s in slots if s.kind == SALES]
    done = [s for s in sales if s.finished_at is not None and s.status == "done"]
    lags = [production_seconds(s, scale) for s in done]
    sim_lags = [(s.finished_at - s.due_at).total_seconds() for s in done]
    unfinished = len(sales) - len(done)
    ticks = [(s.created_at - s.due_at).total_seconds() for s in done]
    queue = [(s.started_at - s.created_at).total_seconds() / scale for s in done]
    running = [(s.finished_at - s.started_at).total_seconds() / scale for s in done]
    p50, p99 = pct(lags, 0.50), pct(lags, 0.99)
    report.figure(name, "lag_p50", f"{p50:.1f} s", f"of {len(done)} sales cycles", "(info)")
    report.figure(
        name, "lag_p99", f"{p99:.1f} s",
        f"max {max(lags or [math.nan]):.1f} s; {unfinished} not done",
        f"target <{TARGET_LAG_P99:g} s", p99 < TARGET_LAG_P99 and unfinished == 0,
    )  # fmt: skip
    report.note(
        name,
        f"  lag in simulated seconds (due → finished on the sped-up clock): p50 "
        f"{pct(sim_lags, 0.5):.0f} s, p99 {pct(sim_lags, 0.99):.0f} s; of which waiting for "
        f"the tick (simulated s): p50 {pct(ticks, 0.5):.0f}, p99 {pct(ticks, 0.99):.0f}; "
        f"then waiting for a job (real s): p99 {pct(queue, 0.99):.2f}; the run (real s): p50 "
        f"{pct(running, 0.5):.2f}, p99 {pct(running, 0.99):.2f}",
    )

    # daily runs within 60 minutes of 03:00
    daily = [s for s in slots if s.kind == DAILY and s.due_at > start]
    delays = [production_seconds(s, scale) if s.finished_at else math.inf for s in daily]
    in_time = sum(1 for d, s in zip(delays, daily, strict=True)
                  if d <= TARGET_DAILY_MINUTES * 60 and s.status == "done")  # fmt: skip
    share = in_time / len(daily) if daily else math.nan
    expected = sum(1 for c in fleet.companies if _has_three_am(c, start, end))
    report.figure(
        name, "daily_in_60min", f"{share * 100:.1f} %",
        f"{in_time} of {len(daily)} daily runs (expected {expected})",
        "target 100 %", bool(daily) and in_time == len(daily) == expected,
    )  # fmt: skip
    if daily:
        sim_delay = [
            (s.finished_at - s.due_at).total_seconds() / 60 for s in daily if s.finished_at
        ]
        report.note(
            name,
            f"  03:00 → finished, production seconds: p50 {pct(delays, 0.5):.1f}, max "
            f"{max(delays):.1f}; simulated minutes: max {max(sim_delay or [math.nan]):.1f}",
        )

    # calls of an idle sales cycle
    idle_calls: list[tuple[int, int]] = []
    for run in runs:
        counts = run.counts or {}
        if run.kind != "sales" or run.finished_at is None or run.outcome != "ok":
            continue
        if any(counts.get(k) for k in ("read", "sent", "pending", "adopted", "updated")):
            continue
        company = by_name.get(names.get(run.account_id, ""))
        if company is None:
            continue
        lo, hi = run.started_at.timestamp(), run.finished_at.timestamp()
        idle_calls.append(
            (
                sum(1 for t, *_ in company.alegra_log.entries if lo <= t <= hi),  # type: ignore[union-attr]
                sum(1 for t, *_ in company.handy_log.entries if lo <= t <= hi),  # type: ignore[union-attr]
            )
        )
    if idle_calls:
        most = (max(a for a, _ in idle_calls), max(hh for _, hh in idle_calls))
        least = (min(a for a, _ in idle_calls), min(hh for _, hh in idle_calls))
        report.figure(
            name, "idle_calls", f"{most[1]} + {most[0]}",
            f"Handy + Alegra, most of {len(idle_calls)} idle cycles "
            f"(least {least[1]} + {least[0]})",
            "target 2 + 0", most == (0, 2) and least == (0, 2),
        )  # fmt: skip
    else:
        report.figure(name, "idle_calls", "none", "no idle cycle in the window", "target 2 + 0",
                      False)  # fmt: skip

    # CPU per account per day (peaks once a day, the rest at the rate measured outside them)
    peaks = _peaks(daily)
    cpu_total, cpu_peak, hours_peak = _cpu_split(service.samples, peaks, mark, end)
    hours = (end.timestamp() - mark) / 3600
    if hours - hours_peak >= 0.25:
        rate = (cpu_total - cpu_peak) / (hours - hours_peak)
        per_day = cpu_peak + rate * (24 - hours_peak)
    else:  # the peaks filled the window (the service fell behind): no rest to measure; the
        # daily runs' CPU is then taken from the set-up's (first, so heavier) daily runs
        daily_cpu = n * first_daily
        rate = max(0.0, cpu_total - daily_cpu) / hours
        per_day = daily_cpu + rate * 24
        report.note(
            name,
            f"  (the peaks filled the window: daily runs counted at the set-up's "
            f"{daily_cpu / n:.2f} s each, the rest at {rate:.1f} s per simulated hour)",
        )
    report.figure(
        name, "cpu_per_acct_day", f"{per_day / n:.2f} s",
        f"service CPU {cpu_total:.0f} s in {hours:.1f} h simulated", "(info)",
    )  # fmt: skip
    report.note(
        name,
        f"  the 03:00 peaks: {cpu_peak:.0f} s CPU in {hours_peak * 60:.0f} simulated minutes; "
        f"the rest: {rate:.1f} s per simulated hour; {orders} orders "
        f"({orders / max(1e-9, hours) / n * 24:.0f} per account per day); simulators' CPU "
        f"{bench_cpu:.0f} s (this process)",
    )
    figures.values["cpu_per_account_day"] = per_day / n

    # peak RSS
    peak_mb = max(service.peak_kb.values() or [0]) / 1024
    target_mb = TARGET_RSS_MB_AT_1000 * (n / 1000) if n < 1000 else TARGET_RSS_MB_AT_1000
    report.figure(
        name, "peak_rss", f"{peak_mb:.0f} MB",
        ", ".join(f"{k} {v / 1024:.0f} MB" for k, v in service.peak_kb.items()),
        f"target <{TARGET_RSS_MB_AT_1000:g} MB at 1,000" if n >= 1000 else "(1 GiB at 1,000)",
        peak_mb < TARGET_RSS_MB_AT_1000 if n >= 1000 else None,
    )  # fmt: skip
    del target_mb
    figures.values["peak_rss_mb"] = peak_mb

    # store growth
    growth = (sizes[1] - sizes[0]) / n / hours * 24
    report.figure(
        name, "store_per_acct_day", f"{growth / 1024:.0f} KiB",
        f"store {sizes[0] / 2**20:.0f} → {sizes[1] / 2**20:.0f} MiB", "(info)",
    )  # fmt: skip
    figures.values["store_kib_per_account_day"] = growth / 1024

    # 429s
    limited = fleet.limited(since=mark)
    total = limited["alegra"] + limited["handy"]
    report.figure(
        name, "429s", str(total), f"alegra {limited['alegra']}, handy {limited['handy']}",
        "target 0", total == 0,
    )  # fmt: skip
    figures.values.update(
        lag_p50=p50,
        lag_p99=p99,
        daily_share=share,
        idle_handy=float(most[1]) if idle_calls else math.nan,
        limited=float(total),
    )


def _has_three_am(company: Company, start: datetime, end: datetime) -> bool:
    zone = ZoneInfo(ZONES[company.country])
    local = start.astimezone(zone)
    three = local.replace(hour=3, minute=0, second=0, microsecond=0)
    if three <= local:
        three += timedelta(days=1)
    return three.astimezone(start.tzinfo) <= end


def _peaks(daily: list[Any]) -> list[tuple[float, float]]:
    """Per 03:00 (one per zone): from it to the end of its last daily run, simulated epochs."""
    by_due: dict[datetime, float] = {}
    for s in daily:
        if s.finished_at is not None:
            by_due[s.due_at] = max(by_due.get(s.due_at, 0.0), s.finished_at.timestamp())
    return sorted((due.timestamp(), last) for due, last in by_due.items())


def _cpu_split(samples: list[tuple[float, float]], peaks: list[tuple[float, float]],
               mark: float, end: datetime) -> tuple[float, float, float]:  # fmt: skip
    """CPU seconds in [mark, end], of which in the peaks, and the peaks' simulated hours."""
    inside = [(t, c) for t, c in samples if mark <= t <= end.timestamp()]
    total = inside[-1][1] - inside[0][1] if len(inside) > 1 else 0.0
    in_peaks = 0.0
    for (t0, c0), (t1, c1) in itertools.pairwise(inside):
        middle = (t0 + t1) / 2
        if any(lo <= middle <= hi for lo, hi in peaks):
            in_peaks += c1 - c0
    merged: list[list[float]] = []
    for lo, hi in sorted(peaks):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return total, in_peaks, sum(hi - lo for lo, hi in merged) / 3600


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--sweep", default="", help="e.g. 100,300,1000: one fleet after another")
    parser.add_argument("--hours", type=float, default=2.0, help="simulated hours measured")
    parser.add_argument("--start", default="07:40", help="UTC time the measured hours start")
    parser.add_argument("--scale", default="auto")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "workers"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=None,
                        help="jobs in flight per process (default: the product's)")  # fmt: skip
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--throughput-concurrency", type=int, default=4,
                        help="jobs in flight per process in the throughput phase")  # fmt: skip
    parser.add_argument("--throughput-orders", type=int, default=0,
                        help="new orders per account in the throughput backlog")  # fmt: skip
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--no-dashboard", action="store_true")
    parser.add_argument("--no-day", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sweep.split(",") if x] or [args.accounts]
    report = h.Report()
    report.line(h.machine_line())
    results = []
    for n in sizes:
        scale = auto_scale(n, args.hours) if args.scale == "auto" else float(args.scale)
        figures = Figures(n, scale)
        if not (args.no_day and args.no_throughput):
            run_fleet(report, n, args, figures)
        if not args.no_dashboard:
            import fleet_dashboard

            fleet_dashboard.run(report, n, figures)
        results.append(figures)
    if len(results) > 1:
        growth(report, results)
    passed = sum(x.rstrip().endswith("PASS") for x in report.lines)
    report.line(f"== {passed} PASS, {len(report.missed)} MISS")
    path = h.write_results(report.lines, h.RESULTS_DIR / "fleet.txt")
    print(f"written to {path}", flush=True)
    return 0


def run_fleet(report: h.Report, n: int, args: argparse.Namespace, figures: Figures) -> None:
    """The world served, then the day and the throughput phases against it."""
    with tempfile.TemporaryDirectory(prefix="handy-alegra-fleet-") as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        clock = FleetClock(utc(f"{DAY}T00:00"), 1.0)
        fleet = Fleet.build(n, clock, args.items)
        fleet.serve()
        report.note(
            f"fleet{n}",
            f"{n} companies of {args.items} items built and served in "
            f"{time.perf_counter() - started:.0f} s",
        )
        try:
            if not args.no_day:
                run_day(report, fleet, n, args, figures, home)
            if not args.no_throughput:
                import fleet_throughput

                fleet_throughput.run(report, fleet, n, args, figures, home)
        finally:
            fleet.stop()


def growth(report: h.Report, results: list[Figures]) -> None:
    """How each figure grows from the smallest fleet to the largest: per-account figures must
    not grow (linear or better), lag must not grow, RSS at most in proportion."""
    first, last = results[0], results[-1]
    factor = last.accounts / first.accounts
    report.line(f"growth from {first.accounts} to {last.accounts} accounts (×{factor:g}):")
    for key, rule in (
        ("lag_p99", "flat"), ("cpu_per_account_day", "flat"), ("store_kib_per_account_day", "flat"),
        ("peak_rss_mb", "linear"), ("page_ms", "linear"), ("throughput_ratio", "flat"),
    ):  # fmt: skip
        row = [r.values.get(key, math.nan) for r in results]
        if any(math.isnan(v) for v in row):
            continue
        ratio = row[-1] / row[0] if row[0] else math.inf
        limit = factor if rule == "linear" else 1.10
        ok = row[-1] >= TARGET_RATIO if key == "throughput_ratio" else ratio <= limit
        cells = "  ".join(f"{r.accounts}: {v:.3g}" for r, v in zip(results, row, strict=True))
        report.figure(
            "fleet.growth", key, f"×{ratio:.2f}", cells,
            "≤ ×N" if rule == "linear" else "≤ ×1.10", ok,
        )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
