"""Retention (``store.retention``): history older than the period goes; what the service needs
— the latest run of each kind, the run that explains today's verdicts, unfinished slots, the
attempts of orders still open, the order records themselves — stays. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from handy_alegra import messages
from handy_alegra.accounts.vault import Vault
from handy_alegra.cli import app
from handy_alegra.config.settings import Settings, SettingsError, load_settings
from handy_alegra.domain.clock import ManualClock
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.runtime import Runtime
from handy_alegra.store import retention, sync_state
from handy_alegra.store.database import Store
from handy_alegra.store.tables import (
    Account,
    Alert,
    OrderAttempt,
    OrderRecord,
    Run,
    Slot,
    WebhookEvent,
)
from tests.e2e.test_store_failures import one_line, run
from tests.integration.test_store import NOW, add_account

OLD = NOW - timedelta(days=120)
RECENT = NOW - timedelta(days=10)


def history(store: Store) -> dict[str, Any]:
    """An account with a little of everything, old and recent; the ids of what matters."""
    ids: dict[str, Any] = {}
    with store.session() as session:
        account_id = session.scalar(select(Account.id))
        ids["account"] = account_id

        def run(kind: str, at: datetime) -> int:
            row = sync_state.start_run(session, account_id, kind, at, dry_run=False)
            sync_state.finish_run(session, row.id, at + timedelta(seconds=5), "ok", {}, None)
            return row.id

        ids["old_sales"] = [run("sales", OLD + timedelta(minutes=10 * k)) for k in range(3)]
        ids["recent_sales"] = run("sales", RECENT)
        ids["explaining"] = run("catalog", OLD)  # its verdicts are today's: it stays
        sync_state.add_verdicts(
            session, account_id, ids["explaining"], "product",
            [Verdict("1", "ABR-1", "Arroz", False, "inactive", {}, {})],
        )  # fmt: skip
        ids["only_customers"] = run("customers", OLD)  # the latest of its kind: it stays
        for due, status in ((OLD, "done"), (OLD + timedelta(minutes=10), "failed"),
                            (OLD + timedelta(minutes=20), "queued"), (RECENT, "done")):  # fmt: skip
            session.add(Slot(account_id=account_id, kind="sales", due_at=due, status=status,
                             created_at=due, run_ids=[]))  # fmt: skip
        for handy_id, status, at in (("100", "sent", OLD), ("101", "failed", OLD),
                                     ("102", "sent", RECENT)):  # fmt: skip
            record = OrderRecord(
                account_id=account_id, handy_id=handy_id, status=status, detail={},
                order={"id": handy_id, "lines": [{"code": "ABR-1"}]}, remission_id="9",
                ordered_at=at, first_seen_at=at, updated_at=at,
            )  # fmt: skip
            session.add(record)
            session.flush()
            ids[f"order_{handy_id}"] = record.id
            for at in (OLD, RECENT):
                session.add(OrderAttempt(record_id=record.id, at=at, action="create",
                                         outcome=status, detail={}))  # fmt: skip
        session.add_all(
            [
                WebhookEvent(account_id=account_id, subject="edit-item", record_id="1",
                             received_at=OLD, processed_at=OLD),
                WebhookEvent(account_id=account_id, subject="edit-item", record_id="2",
                             received_at=OLD),  # never processed: still to do
                Alert(account_id=account_id, key="runs:sales", message="", opened_at=OLD,
                      opened_notified=True, cleared_at=OLD, cleared_notified=True),
                Alert(account_id=account_id, key="order:101", message="", opened_at=OLD,
                      opened_notified=True),  # still open
            ]
        )  # fmt: skip
    return ids


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Any:
    store = Store.open(database_url)
    add_account(store, Vault.from_settings(Settings(home=tmp_path, database_url=database_url)))
    yield store
    store.dispose()


def test_prune_keeps_what_the_service_needs_and_drops_the_rest(store: Store) -> None:
    ids = history(store)
    with store.session() as session:
        pruned = retention.prune(session, ids["account"], NOW, 90)
    assert (pruned.runs, pruned.slots, pruned.attempts, pruned.events, pruned.alerts,
            pruned.compacted) == (3, 2, 2, 1, 1, 1)  # fmt: skip
    with store.session() as session:
        runs = set(session.scalars(select(Run.id)))
        assert runs == {ids["recent_sales"], ids["explaining"], ids["only_customers"]}
        slots = {(s.due_at, s.status) for s in session.scalars(select(Slot))}
        assert slots == {(OLD + timedelta(minutes=20), "queued"), (RECENT, "done")}
        attempts = {(a.record_id, a.at) for a in session.scalars(select(OrderAttempt))}
        assert attempts == {
            (ids["order_100"], RECENT),
            (ids["order_101"], OLD),  # an order still open keeps its whole story
            (ids["order_101"], RECENT),
            (ids["order_102"], RECENT),
        }
        records = {r.handy_id: r for r in session.scalars(select(OrderRecord))}
        assert set(records) == {"100", "101", "102"}  # the ledger: for ever
        assert (records["100"].order, records["100"].remission_id) == ({}, "9")  # compacted
        assert records["101"].order and records["102"].order  # still open; recent
        assert [e.record_id for e in session.scalars(select(WebhookEvent))] == ["2"]
        assert [a.key for a in session.scalars(select(Alert))] == ["order:101"]
    with store.session() as session:  # nothing more to do a second time
        assert retention.prune(session, ids["account"], NOW, 90).total() == 0


def test_zero_days_keeps_everything(store: Store) -> None:
    ids = history(store)
    with store.session() as session:
        assert retention.prune(session, ids["account"], NOW, 0).total() == 0
        assert retention.prune(session, ids["account"], NOW, 200).total() == 0  # none that old


def test_the_retention_period_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HANDY_ALEGRA_RETENTION_DAYS", raising=False)
    assert load_settings().retention_days == 90
    for text, days in (("30", 30), ("0", 0)):
        monkeypatch.setenv("HANDY_ALEGRA_RETENTION_DAYS", text)
        assert load_settings().retention_days == days
    monkeypatch.setenv("HANDY_ALEGRA_RETENTION_DAYS", "90d")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert messages.settings_problems(caught.value, "en").startswith(
        "HANDY_ALEGRA_RETENTION_DAYS must be a number"
    )


def test_db_prune_by_hand(store: Store, database_url: str, tmp_path: Path) -> None:
    ids = history(store)
    settings = Settings(
        home=tmp_path, database_url=database_url, secret_key=Fernet.generate_key().decode()
    )
    rt = Runtime(settings, ManualClock(NOW))
    result = CliRunner().invoke(app, ["db", "prune", "--days", "90"], obj=rt)
    assert result.exit_code == 0, result.output
    assert (
        "3 ejecuciones, 2 turnos, 2 intentos de pedidos, 1 avisos de Alegra y 1 alertas"
        in result.output
    )
    with store.session() as session:
        assert ids["recent_sales"] in set(session.scalars(select(Run.id)))
    rt.close()


def test_a_bad_retention_setting_stops_the_service_with_one_line(tmp_path: Path) -> None:
    one_line(
        run(tmp_path, "run", "--once", HANDY_ALEGRA_RETENTION_DAYS="ninety"),
        "HANDY_ALEGRA_RETENTION_DAYS debe ser un número, no 'ninety'",
    )


def test_the_fleet_indexes_exist(database_url: str) -> None:
    store = Store.open(database_url)
    found = {
        table: {i["name"]: i["column_names"] for i in inspect(store.engine).get_indexes(table)}
        for table in ("slots", "verdicts", "order_records", "runs")
    }
    assert found["slots"]["ix_slots_status_kind_due"] == ["status", "kind", "due_at"]
    assert "ix_slots_status" not in found["slots"]
    assert found["verdicts"]["ix_verdicts_account_kind_sync"] == [
        "account_id", "kind", "sync", "reason",
    ]  # fmt: skip
    assert found["order_records"]["ix_order_records_status_account"] == ["status", "account_id"]
    assert found["runs"]["ix_runs_account_started"] == ["account_id", "started_at"]
    store.dispose()
