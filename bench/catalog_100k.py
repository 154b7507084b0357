"""A catalog of 100,000 items:

1. ``catalog100k.rss`` — peak RSS of the CLI process syncing it. A real first sync writes about
   65,000 Handy products, which takes 130 minutes of Handy's rate limit: no time scale this
   2-core machine can serve brings that under 2 minutes, so the default is a ``--dry-run`` of
   the first sync (it reads and judges every item, reads Handy and plans every code, and writes
   nothing). ``--real`` runs the real first sync instead (at ``--scale``, default 40; it takes
   about 11 minutes here, bounded by the product's write throughput, not by the limits).
2. ``catalog100k.plan`` — CPU time per record of the pure planning step, in this process: the
   100,000 wire items are parsed once, then ``mapping.products.evaluate`` and
   ``sync.keyed_plan.plan`` are timed (``time.process_time``) over all of them; best of
   ``--repeat`` (default 3). Plan is timed twice: a first run (Handy knows nothing: every code
   is a create) and a daily run (Handy holds every product as wanted: every field compared).

    .venv/bin/python bench/catalog_100k.py [--real] [--scale S] [--concurrency N]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

import harness as h

from handy_alegra.domain.errors import RecordParseError
from handy_alegra.mapping import products
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.records.alegra import Item
from handy_alegra.records.wire import parse_record
from handy_alegra.sync.keyed_plan import Known, plan

ITEMS = 100_000


def timed(work: Any, repeat: int) -> list[float]:
    """CPU seconds of ``work()`` for each of ``repeat`` tries."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return times


def planning(report: h.Report, world: h.World, repeat: int) -> None:
    name = "catalog100k.plan"
    records = list(world.alegra.store.items.values())
    wire: list[dict[str, Any]] = json.loads(json.dumps(records))  # what the client receives
    start = time.process_time()
    parsed = [parse_record(Item, "item", raw) for raw in wire]
    parse_s = time.process_time() - start
    items = [i for i in parsed if not isinstance(i, RecordParseError)]
    rules = products.CatalogRules(
        price_list_id=str(world.price_list["id"]), price_list_name=world.price_list["name"]
    )
    verdicts: list[Verdict] = []

    def evaluate_all() -> None:
        verdicts[:] = [products.evaluate(item, rules) for item in items]

    evaluate_s = timed(evaluate_all, repeat)
    by_code: dict[str, list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        if verdict.code:
            by_code[verdict.code].append(verdict)
    groups = list(by_code.items())
    known = {
        code: Known(dict(found[0].desired), managed=True)
        for code, found in groups
        if len(found) == 1 and found[0].sync
    }

    def plan_first() -> None:
        for code, found in groups:
            plan(code, found, None)

    def plan_daily() -> None:
        for code, found in groups:
            plan(code, found, known.get(code))

    first_s = timed(plan_first, repeat)
    daily_s = timed(plan_daily, repeat)
    n = len(wire)
    us = 1e6 / n
    best_eval, best_first, best_daily = min(evaluate_s), min(first_s), min(daily_s)
    report.note(
        name,
        f"{n} items parsed once in {parse_s:.1f} s CPU ({parse_s * us:.0f} µs/record, not "
        f"part of planning); {len(groups)} codes; best of {repeat}, gc on",
    )
    report.figure(name, "evaluate", f"{best_eval * us:.1f} µs", "per record (CPU)",
                  f"median {statistics.median(evaluate_s) * us:.1f} µs")  # fmt: skip
    report.figure(name, "plan_first", f"{best_first * us:.1f} µs", "per record; nothing known",
                  f"median {statistics.median(first_s) * us:.1f} µs")  # fmt: skip
    report.figure(name, "plan_daily", f"{best_daily * us:.1f} µs", "per record; all known",
                  f"median {statistics.median(daily_s) * us:.1f} µs")  # fmt: skip
    total = (best_eval + max(best_first, best_daily)) * us
    report.figure(
        name,
        "evaluate+plan",
        f"{total:.1f} µs",
        "per record, the slower plan",
        f"target ≤{h.TARGET_PLAN_US:g} µs",
        total <= h.TARGET_PLAN_US,
    )


def rss(report: h.Report, world: h.World, argv: list[str]) -> None:
    real = "--real" in argv
    name = "catalog100k.rss"
    concurrency = int(h.args_value(argv, "--concurrency", h.DEFAULT_CONCURRENCY))
    with h.Sandbox.start(world, concurrency=concurrency) as sb:
        sb.activate()
        minimum = h.catalog_minimum(world, None)[0]
        if not real:  # a dry run writes nothing
            minimum.handy = {k: v for k, v in minimum.handy.items() if k.startswith("GET")}
        scale = h.args_value(argv, "--scale", 40.0 if real else h.scale_for(minimum, 75.0))
        args = ["sync", "catalog", "--account", h.ACCOUNT, "--json"]
        report.note(
            name,
            "a REAL first sync"
            if real
            else "a --dry-run of the first sync (a real one needs "
            "~65,000 Handy writes: 130 min of Handy's limit, see README)",
        )
        step = h.Step("rss", [*args] if real else [*args, "--dry-run"], lambda: minimum)
        whole, _, _ = h.run_job(report, sb, "catalog100k", [step], scale, timeout=3600)
        peak = max(r.rss_mb for r in whole.runs)
        report.figure(name, "peak_rss", f"{peak:.0f} MB",
                      "CLI process, " + ("real sync" if real else "dry run"),
                      f"target ≤{h.TARGET_RSS_MB:g} MB", peak <= h.TARGET_RSS_MB)  # fmt: skip


def main(argv: list[str]) -> h.Report:
    report = h.Report()
    report.line(h.machine_line())
    t = time.perf_counter()
    world = h.new_world(items=ITEMS, contacts=10, customers=8)
    report.note("catalog100k", f"seeded {ITEMS} items in {time.perf_counter() - t:.1f} s")
    planning(report, world, int(h.args_value(argv, "--repeat", 3)))
    rss(report, world, argv)
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
