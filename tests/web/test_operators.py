"""Operators: scrypt hashes checked in constant time, and the CLI that manages them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from handy_alegra.accounts import operators
from handy_alegra.accounts.registry import AccountError
from handy_alegra.cli import app
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.store.tables import Operator

runner = CliRunner()


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the command line's lines and refusals in English."""
    monkeypatch.setenv("HANDY_ALEGRA_LANG", "en")


@pytest.fixture
def rt(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> Iterator[Runtime]:
    runtime = Runtime(
        Settings(home=tmp_path, database_url=sqlite_url, secret_key=None), clock=clock
    )
    yield runtime
    runtime.close()


def stored(rt: Runtime, username: str) -> Operator | None:
    with rt.store.session() as session:
        row = session.scalar(select(Operator).where(Operator.username == username))
        if row is not None:
            session.expunge(row)
    return row


def test_a_password_is_stored_as_a_salted_scrypt_hash() -> None:
    first, second = (
        operators.hash_password("s3creto-largo"),
        operators.hash_password("s3creto-largo"),
    )
    assert first.startswith("scrypt$16384$8$1$")
    assert first != second  # salted
    assert operators.verify_password("s3creto-largo", first)
    assert not operators.verify_password("s3creto-larga", first)
    assert not operators.verify_password("s3creto-largo", "md5$abc")
    assert not operators.verify_password("s3creto-largo", "not a hash")


def test_operators_add_and_passwd_from_the_command_line(rt: Runtime) -> None:
    env = {"HANDY_ALEGRA_OPERATOR_PASSWORD": "primera-clave"}
    added = runner.invoke(app, ["operators", "add", "maria", "--language", "en"], obj=rt, env=env)
    assert added.exit_code == 0, added.output
    assert "Operator maria added." in added.output
    row = stored(rt, "maria")
    assert row is not None and row.language == "en"
    assert "primera-clave" not in row.password_hash
    with rt.store.session() as session:
        assert operators.authenticate(session, "maria", "primera-clave") is not None
    again = runner.invoke(app, ["operators", "add", "maria"], obj=rt, env=env)
    assert again.exit_code == 2
    assert "already exists" in again.output
    changed = runner.invoke(
        app, ["operators", "passwd", "maria"], obj=rt, input="segunda-clave\nsegunda-clave\n"
    )
    assert changed.exit_code == 0, changed.output
    with rt.store.session() as session:
        assert operators.authenticate(session, "maria", "primera-clave") is None
        assert operators.authenticate(session, "maria", "segunda-clave") is not None


@pytest.mark.parametrize(
    ("username", "password", "language", "complaint"),
    [
        ("ana", "corta", "es", "at least 8 characters"),
        (" ", "bastante-larga", "es", "1 to 100 characters"),
        ("ana", "bastante-larga", "fr", "es, en"),
    ],
)
def test_operators_need_a_name_a_long_password_and_a_known_language(
    rt: Runtime, username: str, password: str, language: str, complaint: str
) -> None:
    with pytest.raises(AccountError, match=complaint), rt.store.session() as session:
        operators.add(session, username, password, now=rt.clock.now(), language=language)
    with pytest.raises(AccountError, match="no operator named"), rt.store.session() as session:
        operators.set_password(session, "nadie", "bastante-larga")


def test_operators_list_disable_enable_and_remove(rt: Runtime) -> None:
    env = {"HANDY_ALEGRA_OPERATOR_PASSWORD": "primera-clave"}
    for name in ("maria", "jose"):
        assert runner.invoke(app, ["operators", "add", name], obj=rt, env=env).exit_code == 0
    with rt.store.session() as session:
        row = operators.find(session, "maria")
        assert row is not None
        operators.start_session(session, row, now=rt.clock.now(), address="10.0.0.1")
    listed = runner.invoke(app, ["operators", "list", "--json"], obj=rt)
    assert listed.exit_code == 0, listed.output
    rows = {r["username"]: r for r in json.loads(listed.stdout)}
    assert rows["maria"]["state"] == "active" and rows["maria"]["sessions"] == 1
    assert rows["jose"]["sessions"] == 0
    assert "scrypt" not in listed.stdout
    disabled = runner.invoke(app, ["operators", "disable", "maria"], obj=rt)
    assert disabled.exit_code == 0
    assert "1 open session(s) ended" in disabled.output
    with rt.store.session() as session:
        assert operators.authenticate(session, "maria", "primera-clave") is None
    assert runner.invoke(app, ["operators", "enable", "maria"], obj=rt).exit_code == 0
    with rt.store.session() as session:
        assert operators.authenticate(session, "maria", "primera-clave") is not None
    removed = runner.invoke(app, ["operators", "remove", "jose", "--yes"], obj=rt)
    assert removed.exit_code == 0
    assert stored(rt, "jose") is None
    unknown = runner.invoke(app, ["operators", "disable", "nadie"], obj=rt)
    assert unknown.exit_code == 2
    assert "no operator named 'nadie'" in unknown.output
