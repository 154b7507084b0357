"""Alerts fire once when a problem opens and once when it clears; /metrics exposes the series."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handy_alegra.accounts import registry as accounts
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling import alerts
from handy_alegra.scheduling.embedded import Dispatcher
from handy_alegra.simulators.seed import World
from handy_alegra.web import metrics
from tests.e2e.sales_checks import activated, sales


@pytest.fixture
def setup(clock: ManualClock, sqlite_url: str, tmp_path: Path) -> Iterator[tuple[World, Runtime]]:
    world, rt = activated(clock, sqlite_url, tmp_path, items=60)
    with rt.store.session() as session:
        accounts.update(session, rt.vault, "acme", now=clock.now(), alert_webhook_url="http://hooks.example/alerts",
                        alert_email="admin@acme.mx", alert_failed_runs=3, alert_order_minutes=60)  # fmt: skip
    yield world, rt
    rt.close()


class Outbox:
    def __init__(self) -> None:
        self.posts: list[dict[str, str]] = []
        self.mails: list[tuple[str, str]] = []

    def post(self, url: str, body: bytes) -> int:
        assert url == "http://hooks.example/alerts"
        self.posts.append(json.loads(body))
        return 200

    def mail(self, to: str, subject: str, body: str) -> None:
        self.mails.append((to, subject))


def evaluate(rt: Runtime, outbox: Outbox, **scope: tuple[str, ...]) -> list[alerts.Notice]:
    with rt.store.session() as session:
        account = accounts.load(session, rt.vault, "acme")
    return alerts.run(
        rt.store.session, account, rt.clock.now(), mailer=outbox.mail, post=outbox.post, **scope
    )


def test_failed_runs_alert_fires_once_and_clears_once(
    setup: tuple[World, Runtime], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, rt = setup
    outbox = Outbox()
    world.handy.injector.script("GET", "^salesOrder$", "error_503", times=1000)  # Handy is down
    for _ in range(2):
        clock.advance(600)
        assert sales(rt)["outcome"] == "interrupted"
    assert evaluate(rt, outbox) == []  # two failures: not yet
    clock.advance(600)
    sales(rt)
    (opened,) = evaluate(rt, outbox)
    assert (opened.key, opened.state) == ("runs:sales", "open")
    assert "acme: las últimas 3 ejecuciones de Ventas fallaron" in outbox.posts[0]["message"]
    assert outbox.mails == [("admin@acme.mx", "[handy-alegra] acme: runs:sales abierto")]
    assert set(outbox.posts[0]) == {"account", "problem", "state", "message", "at"}
    assert (outbox.posts[0]["problem"], outbox.posts[0]["state"]) == ("runs:sales", "open")
    with rt.store.session() as session, monkeypatch.context() as english:
        english.setenv("HANDY_ALEGRA_LANG", "en")  # the lang setting says what people read
        account = accounts.load(session, rt.vault, "acme")
        found = alerts.problems(session, account, clock.now(), ("sales",))
        assert found["runs:sales"].startswith("acme: the last 3 Sales runs failed; ")
    with rt.store.session() as session:  # after a daily job only its kinds are judged:
        account = accounts.load(session, rt.vault, "acme")  # the sales alert stays open
        assert alerts.evaluate(session, account, clock.now(), ("catalog", "customers")) == []
    clock.advance(600)
    sales(rt)
    assert evaluate(rt, outbox) == []  # still failing: no second notice
    world.handy.injector.clear()
    world.handy.faults.error_rate = 0
    world.handy.injector._script.clear()
    clock.advance(600)
    assert sales(rt)["outcome"] in ("ok", "partial")
    # as after a sales job whose run ended well: cleared without reading the runs
    (cleared,) = evaluate(rt, outbox, kinds=("sales",), fine=("sales",))
    assert (cleared.key, cleared.state) == ("runs:sales", "cleared")
    assert [p["state"] for p in outbox.posts] == ["open", "cleared"]
    assert evaluate(rt, outbox) == []


def test_an_order_stuck_too_long_alerts_and_clears_when_sent(
    setup: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = setup
    outbox = Outbox()
    world.handy.add_customer(
        {"code": "S-1", "description": "Sin RFC", "rfc": None}, zone_name="Zona Centro"
    )
    code = next(p["code"] for p in world.handy.products() if not p["code"].startswith("LOCAL"))
    clock.advance(30)
    order = world.handy.create_order(
        "S-1", [{"code": code, "quantity": 1, "price": "10"}], created_at=clock.now()
    )
    clock.advance(600)
    sales(rt)
    assert evaluate(rt, outbox) == []  # failing, but not for an hour yet
    clock.advance(3600)
    (opened,) = evaluate(rt, outbox)
    assert opened.key == f"order:{order['id']}"
    assert "no tiene RFC" in opened.message
    world.handy.update_customer("S-1", rfc="SRF010101AAA")
    clock.advance(600)
    sales(rt)
    (cleared,) = evaluate(rt, outbox)
    assert (cleared.key, cleared.state) == (f"order:{order['id']}", "cleared")


def test_the_service_evaluates_alerts_after_each_job(
    setup: tuple[World, Runtime], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, rt = setup
    outbox = Outbox()
    monkeypatch.setattr(alerts, "_post", outbox.post)
    world.handy.injector.script("GET", "^salesOrder$", "error_503", times=1000)
    dispatcher = Dispatcher(rt, concurrency=1)
    for _ in range(5):
        dispatcher.tick()
        dispatcher.drain()
        clock.advance(600)
    assert [(p["problem"], p["state"]) for p in outbox.posts] == [("runs:sales", "open")]
    dispatcher.shutdown()


def test_metrics_expose_runs_records_api_calls_and_the_oldest_unsent_order(
    setup: tuple[World, Runtime], clock: ManualClock
) -> None:
    world, rt = setup
    world.handy.add_customer(
        {"code": "S-2", "description": "Otro Sin RFC", "rfc": None}, zone_name="Zona Centro"
    )
    code = next(p["code"] for p in world.handy.products() if not p["code"].startswith("LOCAL"))
    clock.advance(30)
    world.handy.create_order(
        "S-2", [{"code": code, "quantity": 1, "price": "10"}], created_at=clock.now()
    )
    clock.advance(600)
    sales(rt)
    clock.advance(timedelta(minutes=30).total_seconds())
    app = FastAPI()
    app.state.runtime = rt
    app.include_router(metrics.router)
    with TestClient(app) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'handy_alegra_runs_total{kind="sales",outcome="partial"} 1.0' in text
    assert 'handy_alegra_runs_total{kind="catalog",outcome="ok"} 1.0' in text
    assert 'handy_alegra_records{kind="order",outcome="failed",reason="no_rfc"} 1.0' in text
    assert 'handy_alegra_records{kind="product",outcome="skipped",reason="inactive"}' in text
    assert 'handy_alegra_oldest_unsent_order_age_seconds{account="acme"} 2400.0' in text
    assert 'handy_alegra_api_calls_total{api="alegra",status="200"}' in text
    assert "handy_alegra_rate_limit_wait_seconds_total" in text
