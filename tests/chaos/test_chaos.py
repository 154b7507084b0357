"""Chaos: orders across three accounts while the simulators fail (5xx on 10% of requests,
remission POSTs committed and then dropped, 429 storms), the service is killed with SIGKILL
at random moments and restarted, and a second service instance races the first. At the end:
every live order has exactly one open remission, every cancelled order's remission is void,
nothing is lost.

Short by default (CI); ``HANDY_ALEGRA_CHAOS=long`` runs 500 orders and 20 kills.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from handy_alegra.accounts import activation
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import ScaledClock
from handy_alegra.mapping.remission import marked_orders
from handy_alegra.observability import logs
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.asgi import SimulatorApp, serve_in_thread
from handy_alegra.simulators.seed import World, build_world
from handy_alegra.sync import catalog, customers

LONG = os.environ.get("HANDY_ALEGRA_CHAOS") == "long"
ORDERS = 500 if LONG else 150
KILLS = 20 if LONG else 4
ACCOUNTS = 3
SCALE = 60.0  # one real second is one simulated minute: a sales cycle every 10 seconds
START = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
ALEGRA_CHAOS = {"error_rate": 0.10, "drop_after_commit_rate": 0.05, "storm_rate": 0.002}
HANDY_CHAOS = {"error_rate": 0.10, "storm_rate": 0.002}


def faults_on(world: World, on: bool) -> None:
    """5xx on 10% of requests, 5% of remission POSTs committed then dropped, rare 429 storms."""
    for sim, chaos in ((world.alegra, ALEGRA_CHAOS), (world.handy, HANDY_CHAOS)):
        sim.faults.storm_seconds, sim.faults.hang_seconds = 90.0, 1.0
        sim.faults.drop_paths = "^remissions$"
        for key, value in chaos.items():
            setattr(sim.faults, key, value if on else 0.0)
        if not on:
            sim.injector.storm_until = None


def sellable(world: World) -> list[tuple[str, str]]:
    return [
        (p["code"], str(p["price"]))
        for p in world.handy.products()
        if not p["code"].startswith("LOCAL")
    ]


def place_order(world: World, rng: random.Random, clock: ScaledClock) -> dict[str, Any]:
    customers_ = [c["code"] for c in world.handy.customers() if c["code"].startswith("ALG-")]
    products = sellable(world)
    lines = [{"code": code, "quantity": rng.choice((1, 2, 3, "0.5")), "price": price}
             for code, price in rng.sample(products, rng.randint(1, 3))]  # fmt: skip
    return world.handy.create_order(rng.choice(customers_), lines, created_at=clock.now())


def service(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "handy_alegra", "run", "--tick", "0.3", "--concurrency", "4"],
            env=env, stdout=handle, stderr=handle,
        )  # fmt: skip
    finally:
        handle.close()


def test_chaos_exactly_once(tmp_path: Path) -> None:
    logs.configure(level="WARNING")
    rng = random.Random(20261128)
    anchor = time.time()
    clock = ScaledClock(anchor, START, SCALE)
    worlds = [
        build_world(seed=300 + i, items=40, contacts=16, customers=4, clock=clock)
        for i in range(ACCOUNTS)
    ]
    mounts: dict[str, Any] = {}
    for i, world in enumerate(worlds):
        mounts[f"alegra{i}"], mounts[f"handy{i}"] = world.alegra, world.handy
    server = serve_in_thread(SimulatorApp(mounts))
    key = Fernet.generate_key().decode()
    url = f"sqlite:///{tmp_path / 'chaos.sqlite3'}"
    rt = Runtime(Settings(home=tmp_path, database_url=url, secret_key=key), clock=clock)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for i, world in enumerate(worlds):
            c = world.credentials
            creds = activation.Credentials(c.alegra_email, c.alegra_token, c.handy_token,
                                           f"{server.base_url}/alegra{i}/api/v1", f"{server.base_url}/handy{i}/api/v2")  # fmt: skip
            account, _ = activation.activate(
                rt, f"company{i}", creds, country="MX", price_list="Mayoreo"
            )
            catalog.run(rt, account)
            customers.run(rt, account)
        env = {**os.environ, "HANDY_ALEGRA_DATABASE_URL": url, "HANDY_ALEGRA_SECRET_KEY": key,
               "HANDY_ALEGRA_HOME": str(tmp_path), "HANDY_ALEGRA_CLOCK": f"scaled:{anchor}:{START.isoformat()}:{SCALE}",
               "HANDY_ALEGRA_HTTP_TIMEOUT": "0.5"}  # fmt: skip
        for world in worlds:
            faults_on(world, True)
        racer = service(env, tmp_path / "racer.log")
        victim = service(env, tmp_path / "victim.log")
        processes = [racer, victim]
        placed: list[tuple[World, dict[str, Any]]] = []
        kills_at = sorted(rng.sample(range(ORDERS), KILLS))
        for n in range(ORDERS):
            world = worlds[n % ACCOUNTS]
            placed.append((world, place_order(world, rng, clock)))
            if n and n % 12 == 0:  # now and then a seller edits or cancels an earlier order
                earlier_world, earlier = rng.choice(placed[:-1])
                current = earlier_world.handy.order(earlier["id"])
                if not current["deleted"]:
                    if rng.random() < 0.5:
                        earlier_world.handy.delete_order(earlier["id"], at=clock.now())
                    else:
                        lines = [{"code": ln["product"]["code"], "quantity": 4, "price": str(ln["price"])}
                                 for ln in current["items"]]  # fmt: skip
                        placed.append(
                            (
                                earlier_world,
                                earlier_world.handy.edit_order(
                                    earlier["id"], lines, at=clock.now()
                                ),
                            )
                        )
            if n in kills_at:
                victim.send_signal(signal.SIGKILL)  # no chance to clean up
                victim.wait()
                victim = service(env, tmp_path / "victim.log")
                processes = [racer, victim]
            time.sleep(0.12)  # sellers take orders over simulated time (about 7 minutes per second)
        for world in worlds:
            faults_on(world, False)  # the weather clears: everything due must now go through
        deadline = time.monotonic() + 180
        while not all_sent(worlds):
            assert time.monotonic() < deadline, "orders still unsent long after the faults stopped"
            assert racer.poll() is None, "the racing service died"
            time.sleep(0.5)
        for process in processes:
            process.send_signal(signal.SIGTERM)
        assert [p.wait(timeout=60) for p in processes] == [0, 0]
        counts = check(worlds)
        print(f"\nchaos: {ORDERS} orders, {KILLS} kills, {dict(counts)}")
        assert counts["live_orders"] == counts["live_with_one_open_remission"]
        assert counts["duplicates"] == 0
        assert counts["cancelled_with_open_remission"] == 0
        injected = Counter()
        for world in worlds:
            for sim in (world.alegra, world.handy):
                injected.update({k: v for k, v in sim.injector.injected.items() if v})
        print(f"faults injected: {dict(injected)}")
        assert (
            injected["drop_after_commit"] > 0 and injected["error_500"] + injected["error_503"] > 0
        )
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        rt.close()
        server.stop()


def all_sent(worlds: list[World]) -> bool:
    for world in worlds:
        by_order = {
            o
            for r in world.alegra.remissions()
            if r["status"] == "open"
            for o in marked_orders(r["observations"])
        }
        live = {str(o["id"]) for o in world.handy.orders() if not o["deleted"]}
        cancelled_open = {
            str(o["id"])
            for o in world.handy.orders()
            if o["deleted"] and not o["isEdited"] and str(o["id"]) in by_order
        }
        if live - by_order or cancelled_open:
            return False
    return True


def check(worlds: list[World]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for world in worlds:
        remissions = world.alegra.remissions()
        marks: Counter[str] = Counter(
            o for r in remissions for o in marked_orders(r["observations"])
        )
        counts["duplicates"] += sum(1 for n in marks.values() if n > 1)
        counts["remissions"] += len(remissions)
        by_order = {o: r for r in remissions for o in marked_orders(r["observations"])}
        for order in world.handy.orders():
            oid = str(order["id"])
            remission = by_order.get(oid)
            if not order["deleted"]:
                counts["live_orders"] += 1
                counts["live_with_one_open_remission"] += int(
                    remission is not None and remission["status"] == "open" and marks[oid] == 1
                )
            elif not order["isEdited"]:
                counts["cancelled_orders"] += 1
                counts["cancelled_with_open_remission"] += int(
                    remission is not None and remission["status"] == "open"
                )
                counts["cancelled_remission_void"] += int(
                    remission is not None and remission["status"] == "void"
                )
        counts["void_remissions"] += sum(1 for r in remissions if r["status"] == "void")
    return counts
