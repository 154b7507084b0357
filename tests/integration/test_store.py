"""The state store on SQLite and PostgreSQL: migrations, accounts, exact values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, select, text

from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.vault import Vault, VaultError
from handy_alegra.config.settings import Settings
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.store import sync_state
from handy_alegra.store.database import Store, StoreError, make_engine, upgrade
from handy_alegra.store.tables import Account, HandyRecord

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def add_account(store: Store, vault: Vault, name: str = "acme") -> None:
    with store.session() as session:
        accounts.insert(
            session,
            vault,
            name=name,
            alegra_token="alegra-secret",
            handy_token="handy-secret",
            now=NOW,
            country="MX",
            alegra_url="http://a/api/v1",
            alegra_email="a@b.mx",
            handy_url="http://h/api/v2",
            price_list_id="2",
            price_list_name="Mayoreo",
            all_items=False,
            timezone="America/Mexico_City",
            colombia_default_nit="222222222",
            default_zone="Sin vendedor",
            default_family="General",
            warehouse_id=None,
            sales_since=NOW,
            paused=False,
        )


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    store = Store.open(database_url)
    upgrade(store.engine)  # a second upgrade is a no-op
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "accounts",
        "runs",
        "cursors",
        "verdicts",
        "snapshots",
        "handy_records",
        "alembic_version",
    } <= tables
    store.dispose()


def test_tokens_are_encrypted_at_rest_and_round_trip(database_url: str) -> None:
    store = Store.open(database_url)
    vault = Vault([Fernet.generate_key()])
    add_account(store, vault)
    with store.session() as session:
        row = session.scalar(select(Account))
        assert row is not None
        assert "alegra-secret" not in row.alegra_token
        assert "handy-secret" not in row.handy_token
        config = accounts.load(session, vault, "acme")
    assert config.alegra_token.get_secret_value() == "alegra-secret"
    assert "alegra-secret" not in repr(config)
    assert "alegra-secret" not in str(config.public())
    assert config.sales_since == NOW
    with store.session() as session, pytest.raises(VaultError) as wrong:
        accounts.load(session, Vault([Fernet.generate_key()]), "acme")
    assert "no se pueden descifrar" in str(wrong.value)  # the configured language: Spanish
    assert "cannot be decrypted" in wrong.value.text("en")
    store.dispose()


def test_key_rotation_re_encrypts_with_the_new_key(database_url: str) -> None:
    store = Store.open(database_url)
    old, new = Fernet.generate_key(), Fernet.generate_key()
    add_account(store, Vault([old]))
    with store.session() as session:
        assert accounts.rotate_secrets(session, Vault([new, old])) == 1
    with store.session() as session:
        assert (
            accounts.load(session, Vault([new]), "acme").handy_token.get_secret_value()
            == "handy-secret"
        )
    store.dispose()


def test_decimals_and_datetimes_stay_exact(database_url: str) -> None:
    store = Store.open(database_url)
    vault = Vault([Fernet.generate_key()])
    add_account(store, vault)
    with store.session() as session:
        account_id = session.scalar(select(Account.id))
        assert account_id is not None
        row = sync_state.record_for(session, account_id, "product", "ACE-1")
        row.known = {"price": Decimal("86.206897"), "enabled": True}
        sync_state.set_cursor(session, account_id, "handy_products", NOW)
    with store.session() as session:
        row2 = session.get(HandyRecord, (account_id, "product", "ACE-1"))
        assert row2 is not None
        assert row2.known == {"price": Decimal("86.206897"), "enabled": True}
        on_disk = session.execute(
            text("SELECT known FROM handy_records WHERE code = 'ACE-1'")
        ).scalar_one()
        kept = json.loads(on_disk) if isinstance(on_disk, str) else on_disk
        assert kept == {"price": "$dec:86.206897", "enabled": True}  # the encoding of old rows
        assert sync_state.get_cursor(session, account_id, "handy_products") == NOW
    store.dispose()


def test_a_new_cursor_set_by_two_sessions_keeps_the_last_value(database_url: str) -> None:
    """A cursor is set by one upsert: a session that saw no cursor sets it after another one
    created it (two workers' first cycle; the race itself: test_sales_two_processes)."""
    store = Store.open(database_url)
    add_account(store, Vault([Fernet.generate_key()]))
    with store.session() as first, store.session() as second:
        account_id = first.scalar(select(Account.id))
        assert account_id is not None
        assert sync_state.get_cursor(second, account_id, "sales_created") is None
        sync_state.set_cursor(first, account_id, "sales_created", NOW)
        first.commit()
        sync_state.set_cursor(second, account_id, "sales_created", NOW + timedelta(minutes=1))
    with store.session() as session:
        assert sync_state.get_cursor(session, account_id, "sales_created") == NOW + timedelta(
            minutes=1
        )
    store.dispose()


ODD_CODES = ["a-1", "A2", "b", "B-1", "_x", "Z", "ñ-3", "a 1", "A-0", "z"]


def test_planning_batches_load_every_code_in_any_collation(database_url: str) -> None:
    """Batches are read by range in the database's own order (PostgreSQL's may ignore case
    and punctuation): every code is loaded once, with its verdict, snapshot and record."""
    store = Store.open(database_url)
    add_account(store, Vault([Fernet.generate_key()]))
    with store.session() as session:
        account_id = session.scalar(select(Account.id))
        assert account_id is not None
        run_id = sync_state.start_run(session, account_id, "catalog", NOW, dry_run=False).id
        verdicts = [Verdict(f"id-{c}", c, c, True, None, {}, {"price": 1}) for c in ODD_CODES]
        sync_state.add_verdicts(session, account_id, run_id, "product", verdicts)
        sync_state.add_snapshots(session, run_id, "product", [(c, {"n": c}) for c in ODD_CODES])
        for code in ODD_CODES:
            sync_state.record_for(session, account_id, "product", code)
        sync_state.record_for(session, account_id, "product", "a-10")  # not managed, not planned
    loaded: list[str] = []
    with store.session() as session:
        for codes in sync_state.codes_to_plan(session, account_id, run_id, "product", batch=3):
            got, snapshots, records = sync_state.load_batch(
                session, account_id, run_id, "product", codes
            )
            assert set(got) == set(snapshots) == set(records) == set(codes)
            assert all(got[c][0].source_id == f"id-{c}" for c in codes)
            assert all(snapshots[c] == {"n": c} for c in codes)
            loaded += codes
    assert sorted(loaded) == sorted(ODD_CODES)
    store.dispose()


def test_removing_an_account_removes_its_state(database_url: str) -> None:
    store = Store.open(database_url)
    vault = Vault([Fernet.generate_key()])
    add_account(store, vault)
    with store.session() as session:
        account_id = session.scalar(select(Account.id))
        assert account_id is not None
        sync_state.record_for(session, account_id, "product", "X")
        sync_state.start_run(session, account_id, "catalog", NOW, dry_run=False)
    with store.session() as session:
        accounts.remove(session, "acme")
    with store.session() as session:
        assert session.scalar(select(HandyRecord)) is None
    store.dispose()


def test_the_key_file_is_created_private_on_first_use(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", database_url="sqlite://", secret_key=None)
    vault = Vault.from_settings(settings)
    assert settings.key_file.stat().st_mode & 0o777 == 0o600
    token = vault.encrypt("x")
    assert Vault.from_settings(settings).decrypt(token) == "x"  # the same key next time
    assert settings.key_file.parent.stat().st_mode & 0o777 == 0o700


def test_a_new_sqlite_store_is_private_and_an_existing_open_one_is_made_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    Store.open(f"sqlite:///{fresh}").dispose()
    assert fresh.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "fresh.sqlite3.lock").stat().st_mode & 0o777 == 0o600
    old = tmp_path / "old.sqlite3"
    Store.open(f"sqlite:///{old}").dispose()
    old.chmod(0o644)
    Store.open(f"sqlite:///{old}").dispose()
    assert old.stat().st_mode & 0o777 == 0o600
    assert "file_made_private" in capsys.readouterr().err
    key_file = tmp_path / "home" / "secret.key"
    Vault.from_settings(Settings(home=tmp_path / "home", database_url="sqlite://", secret_key=None))
    key_file.chmod(0o644)
    Vault.from_settings(Settings(home=tmp_path / "home", database_url="sqlite://", secret_key=None))
    assert key_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("url", "spanish", "english"),
    [
        ("sqlite:////nonexistent/dir/x.sqlite3", "la carpeta del almacén SQLite no existe",
         "the folder of the SQLite store does not exist"),
        ("postgresql://u:pw@127.0.0.1:1/x", "no se puede conectar con el almacén PostgreSQL",
         "cannot connect to the PostgreSQL store"),
        ("oracle://u@h/x", "base de datos no admitida", "unsupported database"),
        ("::", "no es una URL de base de datos", "is not a database URL"),
    ],
)  # fmt: skip
def test_a_store_that_cannot_open_says_what_where_and_what_to_do(
    url: str, spanish: str, english: str
) -> None:
    with pytest.raises(StoreError) as raised:
        Store.open(url)
    assert spanish in raised.value.text("es")
    assert english in raised.value.text("en")
    assert ":pw@" not in raised.value.text("es") + raised.value.text("en")
    assert not Path("/nonexistent").exists()


def test_a_damaged_sqlite_file_is_a_store_error_and_left_untouched(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"\x00garbage" * 512)
    with pytest.raises(StoreError) as raised:
        Store.open(f"sqlite:///{damaged}")
    assert "damaged or not an SQLite database" in raised.value.text("en")
    assert "está dañado o no es una base de datos SQLite" in raised.value.text("es")
    assert damaged.read_bytes() == b"\x00garbage" * 512


def test_the_security_migration_keeps_existing_webhook_tokens_findable(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0004")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts (name, country, alegra_url, alegra_email, alegra_token,"
                " handy_url, handy_token, price_list_id, price_list_name, all_items, timezone,"
                " colombia_default_nit, default_zone, default_family, sales_since, paused,"
                " daily_at, sales_every, alert_failed_runs, alert_order_minutes, webhook_token,"
                " created_at, updated_at) VALUES ('acme', 'MX', 'https://a', 'a@b.mx', 'x',"
                " 'https://h', 'y', '1', 'General', false, 'America/Mexico_City', '222222222',"
                " 'Sin vendedor', 'General', :now, false, '03:00', 10, 3, 120, 'tok-en-0123456789',"
                " :now, :now)"
            ),
            {"now": NOW.replace(tzinfo=None)},
        )
    upgrade(engine)
    with engine.connect() as connection:
        found = connection.execute(
            select(Account.name).where(
                Account.webhook_token_hash == accounts.token_digest("tok-en-0123456789")
            )
        ).scalar()
    engine.dispose()
    assert found == "acme"
