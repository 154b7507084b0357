"""Two processes syncing one account's sales at the same time, over loopback: still exactly
one remission per order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import SystemClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.asgi import SimulatorApp, serve_in_thread
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.seed import build_world, seed_orders
from tests.e2e.sales_checks import remissions_by_order, synced_over_loopback

SCALE = 30.0  # rate-limit windows of 2 s instead of 60 s


def test_two_processes_never_both_post_an_order(database_url: str, tmp_path: Path) -> None:
    clock = SystemClock()
    faults = Faults(latency=0.01, time_scale=SCALE)
    world = build_world(
        seed=41,
        items=120,
        contacts=30,
        clock=clock,
        alegra_faults=faults,
        handy_faults=Faults(time_scale=SCALE),
    )
    server = serve_in_thread(SimulatorApp({"alegra": world.alegra, "handy": world.handy}))
    key = Fernet.generate_key().decode()
    rt = Runtime(
        Settings(home=tmp_path, database_url=database_url, secret_key=key),
        clock=clock,
        rate_scale=SCALE,
    )
    try:
        synced_over_loopback(rt, world, server.base_url)
        live = seed_orders(world, 40, since=clock.now())
        env = {
            **os.environ,
            "HANDY_ALEGRA_DATABASE_URL": database_url,
            "HANDY_ALEGRA_SECRET_KEY": key,
            "HANDY_ALEGRA_HOME": str(tmp_path),
            "HANDY_ALEGRA_RATE_WINDOW_SCALE": str(SCALE),
        }
        command = [
            sys.executable,
            "-m",
            "handy_alegra",
            "sync",
            "sales",
            "--account",
            "acme",
            "--json",
        ]
        workers = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=300) for w in workers]
        assert all(w.returncode in (0, 1) for w in workers), [
            o[1].decode()[-2000:] for o in outputs
        ]
        by_order = remissions_by_order(world)
        assert all(len(found) == 1 for found in by_order.values()), {
            k: len(v) for k, v in by_order.items()
        }
        sent = {str(o["id"]) for o in live} & set(by_order)
        assert len(sent) >= 30
        assert world.alegra.count_calls("POST", "^remissions$") == len(world.alegra.remissions())
    finally:
        rt.close()
        server.stop()
