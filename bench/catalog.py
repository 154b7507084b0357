"""Catalog and customers, Alegra → Handy, through the real CLI against the simulators on
loopback (80 ms a request, the APIs' real limits, time-scaled):

1. ``catalog.first``  — the first sync of 10,000 items and 3,000 client contacts;
2. ``catalog.second`` — the same daily sync again with nothing changed;
3. ``catalog.change1pct`` — the daily sync after the price of 100 items (1 %) changed.

Each job is one ``sync daily``: catalog and customers side by side, what the scheduler runs
every day (``--sequential``: ``sync catalog`` then ``sync customers``, for comparison). Options:
``--concurrency N`` (HANDY_ALEGRA_CONCURRENCY, default 32), ``--floor SECONDS`` (the time scale
of each job is chosen so that its rate-limit floor is about this long; default 75), ``--scale S``
(force one time scale for every job instead), ``--items N`` (a smaller catalog, for a quick
try; contacts follow in proportion), ``--first-only`` (only the first job).

    .venv/bin/python bench/catalog.py
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from decimal import Decimal

import harness as h

ITEMS = 10_000
CONTACTS = 3_333  # 3,000 of them clients (every tenth seeded contact is a provider only)
CHANGED = 100  # 1 % of the items


def change_prices(world: h.World, count: int) -> list[str]:
    """Raise the chosen-list price of ``count`` qualifying items by 1.00 (same value type)."""
    chosen = str(world.price_list["id"])
    wanted = h.wanted_products(world)
    ids = sorted((w["externalId"] for w in wanted.values()), key=int)
    step = max(1, len(ids) // count)
    picked = ids[::step][:count]
    for item_id in picked:
        item = world.alegra.store.items[item_id]
        prices = []
        for entry in item["price"]:
            entry = dict(entry)
            if str(entry["idPriceList"]) == chosen:
                new = Decimal(str(entry["price"])) + 1
                entry["price"] = str(new) if isinstance(entry["price"], str) else float(new)
            prices.append(entry)
        world.alegra.update_item(item_id, price=prices)
    return picked


def started_at(summary: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(summary["started_at"]))


def main(argv: list[str]) -> h.Report:
    report = h.Report()
    report.line(h.machine_line())
    concurrency = int(h.args_value(argv, "--concurrency", h.DEFAULT_CONCURRENCY))
    floor_target = h.args_value(argv, "--floor", 75.0)
    forced = h.args_value(argv, "--scale", 0.0)
    t = time.perf_counter()
    items = int(h.args_value(argv, "--items", ITEMS))  # smaller for a quick try
    contacts = int(h.args_value(argv, "--contacts", CONTACTS * items // ITEMS))
    world = h.new_world(items=items, contacts=contacts)
    clock = world.clock
    assert isinstance(clock, h.BenchClock)
    clock.jump(hours=1)  # the company's data is older than its activation
    clients = sum(1 for c in world.alegra.store.contacts.values() if "client" in c["type"])
    report.note(
        "catalog",
        f"seeded {items} items, {len(world.alegra.store.contacts)} contacts ({clients} clients), "
        f"{len(world.handy.state.customers)} Handy customers in {time.perf_counter() - t:.1f} s",
    )
    with h.Sandbox.start(world, concurrency=concurrency) as sb:
        sb.activate()
        report.note("catalog", f"CLI start-up without API calls: {h.startup_cost(sb):.1f} s")
        since: dict[str, datetime | None] = {"catalog": None, "customers": None}

        def catalog_minimum() -> h.Minimum:
            return h.catalog_minimum(world, since["catalog"])[0]

        def customers_minimum() -> h.Minimum:
            return h.customers_minimum(world, since["customers"])[0]

        def steps() -> list[h.Step]:
            if "--sequential" in argv:
                return [
                    h.Step("catalog", ["sync", "catalog", "--account", h.ACCOUNT, "--json"],
                           catalog_minimum),
                    h.Step("customers", ["sync", "customers", "--account", h.ACCOUNT, "--json"],
                           customers_minimum),
                ]  # fmt: skip
            return [
                h.Step("daily", ["sync", "daily", "--account", h.ACCOUNT, "--json"],
                       lambda: catalog_minimum() + customers_minimum()),
            ]  # fmt: skip

        def job(name: str) -> None:
            plan = steps()
            estimate = h.Minimum()
            for step in plan:
                estimate = estimate + step.minimum()
            scale = forced or h.scale_for(estimate, floor_target)
            _, _, runs = h.run_job(report, sb, name, plan, scale)
            said = [summary for run in runs for summary in run.summaries()]
            since["catalog"], since["customers"] = started_at(said[0]), started_at(said[1])
            left = h.product_changes(world, h.wanted_products(world))
            left_c = h.customer_changes(world, h.wanted_customers(world))
            report.note(
                name,
                f"  after the job, still to change: products {left.writes}, "
                f"customers {left_c.writes} (0 = Handy matches Alegra)",
            )

        job("catalog.first")
        if "--first-only" in argv:
            return report
        clock.jump(days=1)  # the next daily run
        job("catalog.second")
        clock.jump(days=1)
        picked = change_prices(world, max(1, items * CHANGED // ITEMS))
        report.note("catalog.change1pct", f"changed the chosen-list price of {len(picked)} items")
        job("catalog.change1pct")
    return report


if __name__ == "__main__":
    result = main(sys.argv[1:])
    sys.exit(0)
