"""The accounts list at fleet size: 50 to a page, filtered by name, country and health, read
in the same few statements whatever the number of accounts; ``status --unhealthy``."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event
from typer.testing import CliRunner

from handy_alegra.accounts import registry as accounts
from handy_alegra.cli import app
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.store.tables import OrderRecord, Run
from handy_alegra.views.status import glance
from tests.web.conftest import Browser

ROW = re.compile(r'<tr data-account="([^"]+)">')


def health_of(i: int) -> str:
    """The health account ``i`` is given: every 10th failing, every 7th with an order not
    sent, every 25th paused (paused wins)."""
    if i % 25 == 0:
        return "paused"
    if i % 10 == 3:
        return "bad"
    if i % 7 == 1:
        return "warn"
    return "ok"


def fleet(rt: Runtime, clock: ManualClock, n: int) -> None:
    now = clock.now()
    with rt.store.session() as session:
        for i in range(n):
            row = accounts.insert(
                session, rt.vault, name=f"{'Norte' if i % 3 else 'sur'}-{i:03d}",
                alegra_token="a", handy_token="h", now=now, country="MX" if i % 2 else "CO",
                alegra_url="http://a/api/v1", alegra_email=f"a{i}@x.mx",
                handy_url="http://h/api/v2", price_list_id="2", price_list_name="Mayoreo",
                timezone="America/Mexico_City", sales_since=now, paused=health_of(i) == "paused",
            )  # fmt: skip
            for k, kind in enumerate(("catalog", "customers", "sales", "sales")):
                last = k == 3
                outcome = "interrupted" if last and health_of(i) == "bad" else "ok"
                started = now - timedelta(minutes=40 - 10 * k)
                session.add(Run(account_id=row.id, kind=kind, outcome=outcome, counts={},
                                started_at=started, finished_at=started))  # fmt: skip
            if health_of(i) == "warn":
                session.add(OrderRecord(account_id=row.id, handy_id=str(i), status="failed",
                                        reason="no_rfc", detail={}, order={}, ordered_at=now,
                                        first_seen_at=now, updated_at=now))  # fmt: skip


@pytest.fixture
def many(rt: Runtime, clock: ManualClock) -> Runtime:
    fleet(rt, clock, 120)
    return rt


def names(page: str) -> list[str]:
    return ROW.findall(page)


def test_fifty_to_a_page_in_name_order(signed_in: Browser, many: Runtime) -> None:
    first = signed_in.get("/accounts").text
    every = sorted([f"{'Norte' if i % 3 else 'sur'}-{i:03d}" for i in range(120)], key=str)
    assert names(first) == every[:50]
    assert "1–50 de 120 cuentas" in first and "Página 1 de 3" in first
    assert 'href="/accounts?page=2" rel="next"' in first and 'rel="prev"' not in first
    last = signed_in.get("/accounts?page=3").text
    assert names(last) == every[100:]
    assert "101–120 de 120 cuentas" in last and 'rel="next"' not in last
    assert names(signed_in.get("/accounts?page=99").text) == every[100:]  # past the end


def test_filters_by_health_country_and_name(signed_in: Browser, many: Runtime) -> None:
    expected = Counter(health_of(i) for i in range(120))
    page = signed_in.get("/accounts?health=bad").text
    assert len(names(page)) == expected["bad"]
    assert set(re.findall(r'data-health="(\w+)"', page)) == {"bad"}
    tally = dict(re.findall(r'data-tally="(\w+)">.*?</span> (\d+)</a>', page, re.S))
    assert {k: int(v) for k, v in tally.items()} == dict(expected)
    unhealthy = signed_in.get("/accounts?health=unhealthy").text
    assert len(names(unhealthy)) == expected["bad"] + expected["warn"]
    colombia = names(signed_in.get("/accounts?country=co").text)
    assert colombia and all(int(n[-3:]) % 2 == 0 for n in colombia)
    south = signed_in.get("/accounts?name=SUR&country=MX&health=ok").text
    chosen = [i for i in range(120) if i % 3 == 0 and i % 2 and health_of(i) == "ok"]
    assert names(south) == [f"sur-{i:03d}" for i in chosen]
    assert 'href="/accounts?name=SUR&amp;country=MX&amp;health=bad"' in south  # tally links
    nothing = signed_in.get("/accounts?name=zzz").text
    assert "Ninguna cuenta coincide con los filtros." in nothing
    assert signed_in.get("/accounts?health=nonsense&page=x&country=AR").status_code == 200


def test_the_list_reads_the_same_statements_at_any_size(rt: Runtime, clock: ManualClock) -> None:
    statements: list[str] = []
    event.listen(rt.store.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))  # fmt: skip

    def counted() -> tuple[int, int]:
        statements.clear()
        with rt.store.session() as session:
            found = glance(session, clock.now())
        return len(found), len(statements)

    fleet(rt, clock, 10)
    assert counted() == (10, 2)
    fleet_more(rt, clock, 90)
    assert counted() == (100, 2)


def fleet_more(rt: Runtime, clock: ManualClock, n: int) -> None:
    with rt.store.session() as session:
        for i in range(n):
            accounts.insert(
                session, rt.vault, name=f"mas-{i:03d}", alegra_token="a", handy_token="h",
                now=clock.now(), country="MX", alegra_url="http://a/api/v1",
                alegra_email=f"m{i}@x.mx", handy_url="http://h/api/v2", price_list_id="2",
                price_list_name="Mayoreo", timezone="America/Mexico_City",
                sales_since=clock.now(),
            )  # fmt: skip


def test_status_unhealthy_and_account(many: Runtime) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["status", "--unhealthy", "--json"], obj=many)
    assert result.exit_code == 0, result.output
    shown = {item["account"] for item in json.loads(result.stdout)}
    expected = {f"{'Norte' if i % 3 else 'sur'}-{i:03d}" for i in range(120)
                if health_of(i) in ("bad", "warn")}  # fmt: skip
    assert shown == expected
    one = runner.invoke(app, ["status", "--account", "sur-003", "--json"], obj=many)
    assert [item["account"] for item in json.loads(one.stdout)] == ["sur-003"]
    text = runner.invoke(app, ["status", "--unhealthy", "--account", "sur-000"], obj=many)
    assert text.exit_code == 0 and "sur-000" not in text.output  # paused is not unhealthy
    assert "Ninguna cuenta coincide." in text.output
