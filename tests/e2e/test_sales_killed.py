"""A `sync sales` process killed with SIGKILL in the middle of its cycle (over loopback,
holding its orders' leases, one remission POST on the wire), then `sync sales` again "90 s
later": every order the killed run held is sent, exactly once.

"90 s later" is the second process's clock, not a wait: it runs with ``HANDY_ALEGRA_CLOCK``
anchored 90 s ahead of the real clock the killed process and the simulators use (so it also
reads Handy's rate-limit resets against a server clock 90 s behind its own)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select

from handy_alegra.clients.http import Request, Response
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import SystemClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.asgi import SimulatorApp, serve_in_thread
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.seed import World, build_world
from handy_alegra.store.tables import OrderRecord
from tests.e2e.sales_checks import remissions_by_order, synced_over_loopback

SCALE = 30.0  # rate-limit windows of 2 s instead of 60 s
ORDERS = 12


def new_orders(world: World, clock: SystemClock) -> list[str]:
    """Orders that all go through (synced customers, catalog products)."""
    products = [p for p in world.handy.products() if not p["code"].startswith("LOCAL-")]
    buyers = [c["code"] for c in world.handy.customers() if c["code"].startswith("ALG-")]
    ids = []
    for n in range(ORDERS):
        product = products[n % len(products)]
        lines = [{"code": product["code"], "quantity": 1 + n % 3, "price": str(product["price"])}]
        order = world.handy.create_order(buyers[n % len(buyers)], lines, created_at=clock.now())
        ids.append(str(order["id"]))
    return ids


def hold_remission_posts(world: World) -> tuple[threading.Event, ...]:
    """Remission POSTs wait at the server's door until ``gate`` opens; ``posted`` tells that
    one has arrived, ``committed`` that one has been carried out."""
    gate, posted, committed = threading.Event(), threading.Event(), threading.Event()
    answer = world.alegra.handle

    def handle(request: Request) -> Response:
        if request.method != "POST" or not request.url.path.endswith("/remissions"):
            return answer(request)
        posted.set()
        gate.wait(timeout=120)
        try:
            return answer(request)
        finally:
            committed.set()

    world.alegra.handle = handle  # type: ignore[method-assign]
    return gate, posted, committed


def stored(rt: Runtime) -> dict[str, OrderRecord]:
    with rt.store.session() as session:
        rows = list(session.scalars(select(OrderRecord)))
        session.expunge_all()
    return {r.handy_id: r for r in rows}


def test_a_sync_90_s_after_a_sigkill_sends_every_order_the_killed_run_held(
    database_url: str, tmp_path: Path
) -> None:
    clock = SystemClock()
    world = build_world(
        seed=43,
        items=80,
        contacts=20,
        clock=clock,
        alegra_faults=Faults(latency=0.02, time_scale=SCALE),
        handy_faults=Faults(time_scale=SCALE),
    )
    server = serve_in_thread(SimulatorApp({"alegra": world.alegra, "handy": world.handy}))
    key = Fernet.generate_key().decode()
    rt = Runtime(
        Settings(home=tmp_path, database_url=database_url, secret_key=key),
        clock=clock,
        rate_scale=SCALE,
    )
    gate = threading.Event()
    try:
        synced_over_loopback(rt, world, server.base_url)
        orders = new_orders(world, clock)
        gate, posted, committed = hold_remission_posts(world)
        env = {
            **os.environ,
            "HANDY_ALEGRA_DATABASE_URL": database_url,
            "HANDY_ALEGRA_SECRET_KEY": key,
            "HANDY_ALEGRA_HOME": str(tmp_path),
            "HANDY_ALEGRA_RATE_WINDOW_SCALE": str(SCALE),
        }
        command = [sys.executable, "-m", "handy_alegra", "sync", "sales", "-a", "acme", "--json"]
        victim = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert posted.wait(timeout=120), "the first cycle never reached a POST"
        finally:
            victim.send_signal(signal.SIGKILL)
            victim.communicate(timeout=30)
        killed_at = clock.now()
        assert victim.returncode == -signal.SIGKILL
        left = stored(rt)
        held = {i: r for i, r in left.items() if r.lease_owner is not None}
        assert held, "the killed run held no order"
        assert all(r.lease_until is not None and r.lease_until > killed_at for r in held.values())
        assert any(r.status == "sending" for r in held.values())  # cut in the middle of a POST
        gate.set()  # that POST now commits in Alegra; its answer goes to a dead process
        assert committed.wait(timeout=30)

        later = (killed_at + timedelta(seconds=90)).isoformat()
        env["HANDY_ALEGRA_CLOCK"] = f"scaled:{time.time()}:{later}:1"
        second = subprocess.run(command, env=env, capture_output=True, timeout=300)
        assert second.returncode == 0, second.stderr.decode()[-3000:]
        summary: dict[str, Any] = json.loads(second.stdout.decode().strip().splitlines()[-1])
        assert (summary["outcome"], summary["held"], summary["pending"]) == ("ok", 0, 0)
        assert summary["adopted"] >= 1  # the cut POST's remission, found by its marker
        after = stored(rt)
        assert {i: after[i].status for i in held} == dict.fromkeys(held, "sent")
        assert all(after[i].lease_owner is None for i in orders)
        by_order = remissions_by_order(world)
        assert {i: len(by_order.get(i, [])) for i in orders} == dict.fromkeys(orders, 1)
        posted_ok = [r for r in world.alegra.requests if r[:2] == ("POST", "remissions")]
        assert {status for _, _, status in posted_ok} <= {200, 429}
        assert sum(1 for *_, status in posted_ok if status == 200) == len(by_order) == ORDERS
    finally:
        gate.set()
        rt.close()
        server.stop()
