"""A store or a key that cannot be used, as an operator meets it: the real command line in a
process prints one line (what, where, what to do) and exits 2 — no traceback unless
``--debug``; ``serve`` with a wrong key refuses to start. The line is Spanish by default and
English with ``HANDY_ALEGRA_LANG=en``."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from handy_alegra.accounts.vault import Vault
from handy_alegra.store.database import Store
from tests.integration.test_store import add_account

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HANDY_ALEGRA_HOME": str(home), **env}
    for name in (
        "HANDY_ALEGRA_DATABASE_URL",
        "HANDY_ALEGRA_SECRET_KEY",
        "HANDY_ALEGRA_DEBUG",
        "HANDY_ALEGRA_LANG",
    ):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "handy_alegra", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """The failure is exactly one line on stderr, names what was expected, exit code 2."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_a_corrupt_sqlite_file_is_one_line(tmp_path: Path) -> None:
    store = tmp_path / "handy-alegra.sqlite3"
    store.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    store.chmod(0o600)
    line = one_line(run(tmp_path, "status"), str(store), "dañado", "respaldo")
    assert "shopping" not in line
    english = run(tmp_path, "status", HANDY_ALEGRA_LANG="en")
    one_line(english, str(store), "damaged", "backup")
    debug = run(tmp_path, "--debug", "status")
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr  # --debug shows where it failed


def test_an_unreachable_postgresql_is_one_line_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://handy:s3cr3t-pw@127.0.0.1:1/handy"  # nothing listens on port 1
    line = one_line(
        run(tmp_path, "accounts", "list", HANDY_ALEGRA_DATABASE_URL=url, HANDY_ALEGRA_LANG="en"),
        "cannot connect",
        "127.0.0.1:1/handy",
        "HANDY_ALEGRA_DATABASE_URL",
    )
    assert "s3cr3t-pw" not in line


@pytest.mark.parametrize(
    ("url", "lang", "expected"),
    [
        ("not a url at all", "es", "no es una URL de base de datos"),
        ("postgresql://handy:pw@db:port/handy", "en", "is not a database URL"),
        ("mysql://handy@db/handy", "es", "nombra una base de datos no admitida"),
        ("mysql://handy@db/handy", "en", "unsupported database"),
    ],
)
def test_a_malformed_database_url_is_one_line(
    tmp_path: Path, url: str, lang: str, expected: str
) -> None:
    line = one_line(
        run(tmp_path, "operators", "list", HANDY_ALEGRA_DATABASE_URL=url, HANDY_ALEGRA_LANG=lang),
        expected,
        "HANDY_ALEGRA_DATABASE_URL",
    )
    assert ":pw@" not in line


def test_a_sqlite_url_into_a_missing_folder_is_an_error_not_a_new_store(tmp_path: Path) -> None:
    folder = tmp_path / "nonexistent" / "dir"
    url = f"sqlite:///{folder / 'x.sqlite3'}"
    one_line(run(tmp_path, "status", HANDY_ALEGRA_DATABASE_URL=url), str(folder), "no existe")
    assert not folder.parent.exists()


def _store_with_an_account(home: Path) -> str:
    key = Fernet.generate_key().decode()
    store = Store.open(f"sqlite:///{home / 'handy-alegra.sqlite3'}")
    add_account(store, Vault([key.encode()]))
    store.dispose()
    return key


def test_a_wrong_or_malformed_secret_key_is_one_line(tmp_path: Path) -> None:
    _store_with_an_account(tmp_path)
    other = Fernet.generate_key().decode()
    one_line(
        run(tmp_path, "accounts", "list", HANDY_ALEGRA_SECRET_KEY=other),
        "no se pueden descifrar",
        "HANDY_ALEGRA_SECRET_KEY",
    )
    one_line(
        run(tmp_path, "accounts", "list", HANDY_ALEGRA_SECRET_KEY=other, HANDY_ALEGRA_LANG="en"),
        "cannot be decrypted",
        "HANDY_ALEGRA_SECRET_KEY",
    )
    one_line(
        run(tmp_path, "accounts", "list", HANDY_ALEGRA_SECRET_KEY="not-a-fernet-key"),
        "no es una llave Fernet válida",
    )


def test_serve_with_a_wrong_key_refuses_to_start(tmp_path: Path) -> None:
    key = _store_with_an_account(tmp_path)
    one_line(
        run(
            tmp_path, "serve", "--port", "0", HANDY_ALEGRA_SECRET_KEY=Fernet.generate_key().decode()
        ),
        "acme",
        "no se pueden descifrar",
    )
    # with the right key the same store opens (the check is not what fails)
    listed = run(tmp_path, "accounts", "list", "--json", HANDY_ALEGRA_SECRET_KEY=key)
    assert listed.returncode == 0, listed.stderr
    assert '"name": "acme"' in listed.stdout


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({}, "error: HANDY_ALEGRA_CONCURRENCY debe ser un número, no 'lots'"),
        (
            {"HANDY_ALEGRA_LANG": "en"},
            "error: HANDY_ALEGRA_CONCURRENCY must be a number, not 'lots'",
        ),
        (  # the language itself malformed: said in Spanish
            {"HANDY_ALEGRA_LANG": "klingon"},
            "error: HANDY_ALEGRA_LANG debe ser es o en, no 'klingon'; "
            "HANDY_ALEGRA_CONCURRENCY debe ser un número, no 'lots'",
        ),
    ],
)
def test_a_malformed_setting_is_one_line(tmp_path: Path, env: dict[str, str], line: str) -> None:
    assert one_line(run(tmp_path, "status", HANDY_ALEGRA_CONCURRENCY="lots", **env)) == line
