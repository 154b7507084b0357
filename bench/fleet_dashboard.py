"""The fleet bench's dashboard step: a store (SQLite, the default deployment) with N accounts
and a month of history — a sales run every 10 minutes and the daily catalog and customers
runs, their slots, 20 orders a day (a few not sent), each company's current verdicts — then
the accounts page, timed through the real app (FastAPI TestClient, an operator signed in),
first page and filtered, and one account's page."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import harness as h
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from fleet_world import utc
from sqlalchemy import insert, select

from handy_alegra.accounts import operators
from handy_alegra.accounts import registry as accounts
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.store.tables import (
    Account,
    AccountLease,
    OrderRecord,
    Run,
    Slot,
    Verdict,
)
from handy_alegra.web.app import create_app

DAYS = 30
ORDERS_PER_DAY = 20
PRODUCTS, CUSTOMERS = 300, 110
NOW = utc("2026-11-30T18:00")
TARGET_MS = 300.0
SALES_COUNTS = {"read": 0, "sent": 0, "adopted": 0, "updated": 0, "voided": 0, "cancelled": 0,
                "needs_attention": 0, "pending": 0}  # fmt: skip
DAILY_COUNTS = {"created": 0, "updated": 2, "enabled": 0, "disabled": 0, "unchanged": 280,
                "left_alone": 3}  # fmt: skip


def fill(rt: Runtime, n: int) -> dict[str, int]:
    """N accounts with a month of history; returns the rows written per table."""
    written = dict.fromkeys(("runs", "slots", "orders", "verdicts"), 0)
    start = NOW - timedelta(days=DAYS)
    with rt.store.session() as session:
        for i in range(n):
            accounts.insert(
                session, rt.vault, name=f"co{i:04d}", alegra_token="a", handy_token="h",
                now=start, country="MX" if i % 2 == 0 else "CO", alegra_url="http://a/api/v1",
                alegra_email=f"admin{i}@x.mx", handy_url="http://h/api/v2", price_list_id="2",
                price_list_name="Mayoreo", timezone="America/Mexico_City", sales_since=start,
            )  # fmt: skip
    with rt.store.engine.begin() as conn:
        ids = [
            row[0] for row in conn.execute(Account.__table__.select().with_only_columns(Account.id))
        ]
        for i, account_id in enumerate(ids):
            runs: list[dict[str, Any]] = []
            slots: list[dict[str, Any]] = []
            for step in range(DAYS * 144):
                at = start + timedelta(minutes=10 * step)
                failing = step == DAYS * 144 - 1 and i % 50 == 7  # the last sales run, 2 %
                runs.append({"account_id": account_id, "kind": "sales", "started_at": at,
                             "finished_at": at + timedelta(seconds=1), "dry_run": False,
                             "outcome": "interrupted" if failing else "ok",
                             "counts": SALES_COUNTS})  # fmt: skip
                slots.append({"account_id": account_id, "kind": "sales", "due_at": at,
                              "status": "done", "created_at": at, "run_ids": []})  # fmt: skip
                if step % 144 == 54:  # 09:00 UTC: the daily job
                    for kind in ("catalog", "customers"):
                        runs.append({"account_id": account_id, "kind": kind, "started_at": at,
                                     "finished_at": at + timedelta(seconds=20),
                                     "dry_run": False, "outcome": "ok",
                                     "counts": DAILY_COUNTS})  # fmt: skip
                    slots.append({"account_id": account_id, "kind": "daily", "due_at": at,
                                  "status": "done", "created_at": at, "run_ids": []})  # fmt: skip
            conn.execute(insert(Run), runs)
            conn.execute(insert(Slot), slots)
            written["runs"] += len(runs)
            written["slots"] += len(slots)
            last_daily = conn.execute(
                select(Run.id)
                .where(Run.account_id == account_id, Run.kind == "catalog")
                .order_by(Run.id.desc())
                .limit(1)
            ).scalar_one()
            verdicts = [
                {"account_id": account_id, "run_id": last_daily,
                 "kind": "product" if k < PRODUCTS else "customer", "source_id": str(k),
                 "code": f"ABR-{k:05d}", "name": f"Artículo {k}", "sync": k % 10 != 3,
                 "reason": None if k % 10 != 3 else "inactive", "detail": {}, "desired": {}}
                for k in range(PRODUCTS + CUSTOMERS)
            ]  # fmt: skip
            conn.execute(insert(Verdict), verdicts)
            written["verdicts"] += len(verdicts)
            orders = []
            for k in range(DAYS * ORDERS_PER_DAY):
                at = start + timedelta(minutes=72 * k)
                stuck = i % 20 == 5 and k >= DAYS * ORDERS_PER_DAY - 2  # 5 %: two not sent
                orders.append({"account_id": account_id, "handy_id": f"{i}-{k}",
                               "status": "failed" if stuck else "sent",
                               "reason": "no_rfc" if stuck else None, "detail": {},
                               "order": {}, "customer_code": "ALG-1",
                               "customer_name": "Tienda", "ordered_at": at,
                               "remission_id": None if stuck else str(k),
                               "external_id_written": not stuck, "attempts": 1,
                               "first_seen_at": at, "updated_at": at})  # fmt: skip
            conn.execute(insert(OrderRecord), orders)
            written["orders"] += len(orders)
        conn.execute(
            insert(AccountLease),
            [{"account_id": a, "owner": "bench", "until": NOW + timedelta(minutes=3),
              "job": "sales"} for a in ids[::40]],
        )  # fmt: skip
    return written


def timed(client: TestClient, path: str, repeat: int = 5) -> tuple[float, float]:
    """(median, max) milliseconds of ``repeat`` GETs, after one to warm up."""
    assert client.get(path).status_code == 200
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(times), max(times)


def run(report: h.Report, n: int, figures: Any) -> None:
    name = f"fleet{n}.dashboard"
    with tempfile.TemporaryDirectory(prefix="handy-alegra-dash-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'dash.sqlite3'}"
        rt = Runtime(
            Settings(home=home, database_url=url, secret_key=Fernet.generate_key().decode()),
            ManualClock(NOW),
        )
        started = time.perf_counter()
        written = fill(rt, n)
        with rt.store.session() as session:
            operators.add(session, "bench", "bench-password-1", now=NOW)
        size = (home / "dash.sqlite3").stat().st_size
        report.note(
            name,
            f"{n} accounts, {DAYS} days: "
            + ", ".join(f"{v:,} {k}" for k, v in written.items())
            + f"; {size / 2**20:.0f} MiB; filled in {time.perf_counter() - started:.0f} s",
        )
        app = create_app(rt, secret_key="bench-session-key-" * 2)
        with TestClient(app) as client:
            page = client.get("/login").text
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"csrf_token": token, "username": "bench",
                                        "password": "bench-password-1"})  # fmt: skip
            results = {}
            for label, path in (
                ("first page", "/accounts"),
                ("with problems", "/accounts?health=unhealthy"),
                ("Colombia, page 2", "/accounts?country=CO&page=2"),
                ("by name", "/accounts?name=co00"),
                ("last page", f"/accounts?page={max(1, -(-n // 50))}"),
                ("one account", "/accounts/co0007"),
            ):
                results[label] = timed(client, path)
        rt.close()
    worst = max(median for median, _ in results.values())
    report.figure(
        name, "page_ms", f"{results['first page'][0]:.0f} ms",
        "; ".join(f"{k} {m:.0f} (max {x:.0f})" for k, (m, x) in results.items()),
        f"target <{TARGET_MS:g} ms", worst < TARGET_MS,
    )  # fmt: skip
    figures.values["page_ms"] = worst
