"""Sales, Handy → Alegra: 1,000 orders in one cycle, through the real CLI (``sync sales``)
against the simulators on loopback (80 ms a request, the APIs' real limits, time-scaled).

Set-up (not measured): a company of 1,000 items and 300 contacts is activated with
``--sales-since`` two hours back, its catalog and customers are synced, then 1,000 orders are
seeded over the last hour by ``seed_orders`` (with its edits, cancellations, discounts, returns,
rewards, unknown codes and customers typed in by sellers). The measured job is the one cycle
that sends them.

    .venv/bin/python bench/sales.py [--orders N] [--concurrency N] [--floor SECONDS] [--scale S]
"""

from __future__ import annotations

import re
import sys
import time
from datetime import datetime, timedelta
from typing import Any

import harness as h

from handy_alegra.simulators.handy_catalog import parse_iso
from handy_alegra.simulators.seed import seed_orders

MARKER = re.compile(r"\[handy-order:(\d+)\]")
ORDERS = 1_000
ITEMS = 1_000
CONTACTS = 300
SETUP_SCALE = 30.0


def _normal_id(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch not in " .-\t").upper()


def _types(contact: dict[str, Any]) -> list[str]:
    kinds = contact.get("type")
    return kinds if isinstance(kinds, list) else [kinds]


def _reference(item: dict[str, Any]) -> str:
    ref = item.get("reference")
    if isinstance(ref, dict):
        ref = ref.get("reference")
    return ref.strip() if isinstance(ref, str) else ""


def _ivas(item: dict[str, Any]) -> int:
    taxes = item.get("tax") or []
    return sum(1 for t in taxes if t.get("name") == "IVA" and t.get("status") == "active")


def sales_minimum(world: h.World, since: datetime, until: datetime) -> tuple[h.Minimum, set[int]]:
    """The calls one cycle needs for the orders in ``[since, until]``, from the simulators'
    records and docs/sales.md (independent of the product's counts); also the orders due a
    remission.

    Handy: the created-orders listing and the deleted-orders listing (pages of 100; a deleted
    order, edited or cancelled, is only in the second), one ``PUT salesOrder`` per remission
    (the write-back). Alegra: ``GET sellers`` once; per distinct customer of a live order that
    is not an ``ALG-`` customer (those are linked by construction), one exact-name lookup
    ``GET contacts?type=client&name=`` (pages of 30 of the contains-matches), and one
    ``POST contacts`` when no client has that exact name and the customer has an RFC; per
    distinct product code no catalog verdict names exactly once, one ``GET items?reference=``;
    one ``POST remissions`` per order whose client and sold (not returned) codes resolve."""
    orders = world.handy.state.orders
    live, deleted = [], 0
    for order in orders.values():
        if order["deleted"]:
            stamp = parse_iso(order["dateDeleted"])
            deleted += since.replace(microsecond=0) <= stamp <= until
        elif since.replace(microsecond=0) <= parse_iso(order["dateCreated"]) <= until:
            live.append(order)
    clients = [c for c in world.alegra.store.contacts.values() if "client" in _types(c)]
    wanted = h.wanted_products(world)  # codes the catalog links (exactly one qualifying item)
    items_by_ref: dict[str, list[dict[str, Any]]] = {}
    for item in world.alegra.store.items.values():
        items_by_ref.setdefault(_reference(item), []).append(item)

    lookups = posts_contact = item_lookups = 0
    due: set[int] = set()
    resolved: dict[str, bool] = {}
    looked_codes: dict[str, bool] = {}
    for order in sorted(live, key=lambda o: o["id"]):
        customer = order["customer"]
        code = customer["code"]
        if code not in resolved:
            if code.startswith("ALG-"):
                resolved[code] = True
            else:
                name = (customer.get("description") or "").strip()
                needle = name.casefold()
                matches = [c for c in clients if needle in (c.get("name") or "").casefold()]
                lookups += h.pages(len(matches), h.ALEGRA_PAGE)
                exact = [c for c in matches if (c.get("name") or "").strip() == name]
                if len(exact) == 1:
                    resolved[code] = True
                elif exact:
                    rfc = _normal_id(customer.get("rfc"))
                    resolved[code] = (
                        sum(1 for c in exact if rfc and _normal_id(c.get("identification")) == rfc)
                        == 1
                    )
                elif (customer.get("rfc") or "").strip():
                    posts_contact += 1
                    resolved[code] = True
                else:
                    resolved[code] = False  # Mexico: no RFC, no new client
        if not resolved[code]:
            continue
        ok = True
        sold = [line for line in order["items"] if not line.get("isReturn")]
        for line in order["items"]:  # every code is resolved; only sold lines must resolve
            product = line["product"]["code"]
            if product in wanted:
                continue
            if product not in looked_codes:
                item_lookups += 1
                found = items_by_ref.get(product, [])
                looked_codes[product] = len(found) == 1 and _ivas(found[0]) <= 1
            ok = ok and bool(line.get("isReturn") or looked_codes[product])
        if ok and sold:
            due.add(int(order["id"]))
    minimum = h.Minimum(
        alegra={
            "GET sellers": 1,
            "GET contacts?name pages": lookups,
            "POST contacts": posts_contact,
            "GET items?reference": item_lookups,
            "POST remissions": len(due),
        },
        handy={
            "GET salesOrder pages": h.pages(len(live), h.HANDY_PAGE),
            "GET salesOrder deleted pages": h.pages(deleted, h.HANDY_PAGE),
            "PUT salesOrder": len(due),
        },
    )
    return minimum, due


def main(argv: list[str]) -> h.Report:
    report = h.Report()
    report.line(h.machine_line())
    count = int(h.args_value(argv, "--orders", ORDERS))
    concurrency = int(h.args_value(argv, "--concurrency", h.DEFAULT_CONCURRENCY))
    floor_target = h.args_value(argv, "--floor", 75.0)
    forced = h.args_value(argv, "--scale", 0.0)
    world = h.new_world(items=ITEMS, contacts=CONTACTS)
    clock = world.clock
    assert isinstance(clock, h.BenchClock)
    clock.jump(hours=1)
    with h.Sandbox.start(world, concurrency=concurrency) as sb:
        t = time.perf_counter()
        since = clock.now() - timedelta(hours=2)
        sb.activate("--sales-since", since.isoformat())
        h.set_time_scale(world, SETUP_SCALE)
        for kind in ("catalog", "customers"):
            sb.sync(kind, scale=SETUP_SCALE).check()
        clock.jump(minutes=5)
        start = clock.now() - timedelta(hours=1)
        live = seed_orders(world, count, since=start)
        report.note(
            "sales",
            f"set-up: {ITEMS} items, {CONTACTS} contacts, activation, catalog and customer "
            f"sync, {count} orders seeded ({len(live)} live after edits and cancellations) "
            f"in {time.perf_counter() - t:.1f} s",
        )
        minimum, due = sales_minimum(world, since, clock.now())
        scale = forced or h.scale_for(minimum, floor_target)
        step = h.Step("cycle", ["sync", "sales", "--account", h.ACCOUNT, "--json"], lambda: minimum)
        before = set(world.alegra.store.remissions)
        whole, _, runs = h.run_job(report, sb, "sales", [step], scale)
        marked: dict[int, int] = {}
        for rid, remission in world.alegra.store.remissions.items():
            if rid not in before:
                for found in MARKER.findall(remission.get("observations") or ""):
                    marked[int(found)] = marked.get(int(found), 0) + 1
        made = len(world.alegra.store.remissions) - len(before)
        summary = runs[0].summary()
        report.note(
            "sales.cycle",
            f"  remissions: due {len(due)} (oracle), created {made} (simulator), "
            f"sent {summary.get('sent')} (product); orders with two or more: "
            f"{sum(1 for n in marked.values() if n > 1)}",
        )
        unexpected, missing = sorted(set(marked) - due), sorted(due - set(marked))
        if unexpected or missing:
            report.note(
                "sales.cycle",
                f"  oracle and product disagree: sent but not due {unexpected[:10]}, "
                f"due but not sent {missing[:10]}",
            )
            for order_id in (unexpected + missing)[:5]:
                order = world.handy.state.orders[order_id]
                customer = order["customer"]
                codes = [line["product"]["code"] for line in order["items"]]
                report.note(
                    "sales.cycle",
                    f"    order {order_id}: customer {customer['code']} "
                    f"{customer.get('description')!r} rfc {customer.get('rfc')!r}; codes {codes}",
                )
        orders_s = made / whole.wall if whole.wall else 0.0
        report.note("sales.cycle", f"  {orders_s:.1f} remissions/s at S={scale:g}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
