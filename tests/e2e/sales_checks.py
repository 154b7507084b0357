"""Shared setup and invariant checks for the sales tests: exactly one open remission per live
order, with Handy's total to the cent (or the difference recorded); void for cancelled ones."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from handy_alegra.accounts import activation
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.cli import app
from handy_alegra.domain.clock import ManualClock
from handy_alegra.mapping.remission import marked_orders
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World, build_world
from handy_alegra.store.tables import OrderRecord
from handy_alegra.sync import catalog, customers
from tests.conftest import ALEGRA_SIM, HANDY_SIM, make_runtime

runner = CliRunner()


def cli(rt: Runtime, *args: str, **env: str) -> Any:
    """``handy-alegra ARGS`` in-process; ``env``: variables for this run (``HANDY_ALEGRA_LANG``)."""
    return runner.invoke(app, list(args), obj=rt, catch_exceptions=False, env=env or None)


def summary(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout.strip().splitlines()[-1])


def activated(
    clock: ManualClock,
    url: str,
    tmp_path: Path,
    *,
    country: str = "MX",
    items: int = 300,
    seed: int = 21,
) -> tuple[World, Runtime]:
    world = build_world(seed=seed, country=country, items=items, contacts=items // 4, clock=clock)
    rt = make_runtime(world, url, tmp_path, clock)
    c = world.credentials
    result = cli(
        rt,
        "accounts",
        "add",
        "acme",
        "--country",
        country,
        "--alegra-email",
        c.alegra_email,
        "--alegra-token",
        c.alegra_token,
        "--handy-token",
        c.handy_token,
        "--price-list",
        world.price_list["name"],
        "--alegra-url",
        ALEGRA_SIM,
        "--handy-url",
        HANDY_SIM,
        "--warehouse",
        "Principal",
    )
    assert result.exit_code == 0, result.output
    clock.advance(60)
    return world, rt


def synced_over_loopback(rt: Runtime, world: World, base_url: str) -> AccountConfig:
    """``acme`` activated against simulators served at ``base_url`` (a real server on
    loopback, for tests that run the product in other processes), catalog and customers
    synced: ready for sales."""
    c = world.credentials
    creds = activation.Credentials(
        c.alegra_email,
        c.alegra_token,
        c.handy_token,
        f"{base_url}/alegra/api/v1",
        f"{base_url}/handy/api/v2",
    )
    account, _ = activation.activate(rt, "acme", creds, country="MX", price_list="Mayoreo")
    catalog.run(rt, account)
    customers.run(rt, account)
    return account


def sales(rt: Runtime) -> dict[str, Any]:
    return summary(cli(rt, "sync", "sales", "--account", "acme", "--json"))


def remissions_by_order(world: World) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for remission in world.alegra.remissions():
        for order_id in marked_orders(remission.get("observations") or ""):
            found.setdefault(order_id, []).append(remission)
    return found


def sold_total(order: dict[str, Any]) -> Decimal:
    return sum(
        (Decimal(str(line["total"])) for line in order["items"] if not line["isReturn"]), Decimal(0)
    )


def records(rt: Runtime) -> dict[str, OrderRecord]:
    with rt.store.session() as session:
        rows = list(session.scalars(select(OrderRecord)))
        session.expunge_all()
    return {r.handy_id: r for r in rows}


def check_exactly_once(world: World, rt: Runtime) -> Counter[str]:
    """Every live order sent has exactly one open remission, carrying its marker, whose
    total equals Handy's to the cent or whose difference is recorded; no order has two
    remissions; a cancelled order's remission (if any) is void. Returns the statuses."""
    by_order = remissions_by_order(world)
    stored = records(rt)
    statuses: Counter[str] = Counter()
    holders = Counter(id(r) for rems in by_order.values() for r in rems)
    assert all(n == 1 for n in holders.values())
    assert all(len(rems) == 1 for rems in by_order.values()), {
        k: len(v) for k, v in by_order.items() if len(v) > 1
    }
    for order in world.handy.orders():
        record = stored.get(str(order["id"]))
        status = record.status if record else "unseen"
        statuses[status] += 1
        remission = (by_order.get(str(order["id"])) or [None])[0]
        if not order["deleted"] and status == "sent":
            assert remission is not None, order["id"]
            assert remission["status"] == "open"
            assert record is not None and record.remission_id == remission["id"]
            difference = Decimal(record.detail.get("difference", "0"))
            assert Decimal(str(remission["total"])) + difference == sold_total(order), order["id"]
        elif order["deleted"] and not order["isEdited"] and remission is not None:
            assert remission["status"] == "void", order["id"]
        elif not order["deleted"]:
            assert remission is None or status in ("sent",), (order["id"], status)
            assert record is None or record.reason or status in ("pending",), order["id"]
    return statuses
