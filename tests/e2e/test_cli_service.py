"""The service commands as an operator runs them: demo, run --once, status, orders retry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from handy_alegra.domain.clock import ManualClock
from handy_alegra.simulators.seed import seed_orders
from tests.e2e.sales_checks import activated, cli, records, sales


def test_the_demo_shows_the_product_in_one_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "handy_alegra", "demo", "--items", "80", "--orders", "8", "--home", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Distribuidora del Bajío SA de CV activada" in out  # one language: Spanish
    assert "Catálogo — demo" in out
    assert "Ventas — demo" in out
    assert (
        "no tiene precio en la lista de precios «Mayoreo»" in out
    )  # a skipped product, and the fix
    assert "no tiene RFC en Handy" in out  # a failed order, and the fix
    assert "Agrégale el RFC en Handy" in out
    assert (tmp_path / "demo.sqlite3").exists()


def test_run_once_status_and_retry(clock: ManualClock, sqlite_url: str, tmp_path: Path) -> None:
    world, rt = activated(clock, sqlite_url, tmp_path, items=80)
    world.handy.add_customer(
        {"code": "N-1", "description": "Nueva Sin RFC", "rfc": None}, zone_name="Zona Centro"
    )
    code = next(p["code"] for p in world.handy.products() if not p["code"].startswith("LOCAL"))
    clock.advance(30)
    order = world.handy.create_order(
        "N-1", [{"code": code, "quantity": 1, "price": "10"}], created_at=clock.now()
    )
    seed_orders(world, 5, since=clock.now())
    clock.advance(600)
    first = cli(rt, "run", "--once")
    assert first.exit_code == 0, first.output
    second = cli(rt, "run", "--once")  # the sales slot, after the daily run (one job per account)
    assert second.exit_code == 0
    status = json.loads(cli(rt, "status", "--json").stdout)
    (acme,) = status
    assert acme["account"] == "acme"
    assert acme["jobs"]["sales"]["last_run"]["outcome"] == "partial"
    assert acme["jobs"]["catalog"]["next_run"].startswith("2026-11-03T09:00")
    problems = acme["problems"]["orders"]
    assert problems["by_reason"] == {"no_rfc": 1}
    assert "no tiene RFC" in problems["orders"][0]["explanation"]
    text = cli(rt, "status", "--account", "acme")
    assert "Pedidos no enviados: 1" in text.stdout  # one language: Spanish, as the reasons
    world.handy.update_customer("N-1", rfc="NSR010101AAA")
    assert records(rt)[str(order["id"])].status == "failed"
    retried = cli(rt, "orders", "retry", str(order["id"]), "--account", "acme", "--now")
    assert retried.exit_code == 0
    assert records(rt)[str(order["id"])].status == "sent"
    not_again = cli(rt, "orders", "retry", str(order["id"]), "--account", "acme")
    assert not_again.exit_code == 2
    assert "está enviado" in not_again.output
    listed = json.loads(
        cli(rt, "orders", "list", "--account", "acme", "--status", "sent", "--json").stdout
    )
    assert str(order["id"]) in {row["order"] for row in listed}
    assert sales(rt)["sent"] == 0
    rt.close()
