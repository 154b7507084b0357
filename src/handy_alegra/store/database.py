"""Opening the store: engine, sessions, and migrations (Alembic) on open.

Whatever keeps the store from opening — a malformed URL, a SQLite folder that does not exist,
a damaged file, a PostgreSQL that does not answer, a schema from a newer release — is a
``StoreError`` whose message says what failed, where, and what to do. A SQLite store is
created private (0600, like its lock file); an existing one readable by others is made
private on open, with a warning. Migrations are serialised across processes: a file lock
beside a SQLite database, an advisory lock on PostgreSQL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from handy_alegra.config.private_files import private_file, tighten
from handy_alegra.config.settings import DATABASE_URL_ENV
from handy_alegra.messages import Said, SaidError

try:  # POSIX; elsewhere concurrent first starts on SQLite are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

MIGRATIONS = Path(__file__).parent / "migrations"
#: Serialises concurrent upgrades of one PostgreSQL database (any constant will do).
_UPGRADE_LOCK = 7_246_115_001
#: Seconds to wait for PostgreSQL to accept a connection (unless the URL says otherwise).
CONNECT_TIMEOUT = 10
URL_HINT = Said("error.store.url_hint")
ENV = DATABASE_URL_ENV


class StoreError(SaidError):
    """The store cannot be used; the message (``error.store.*``) says what, where and what
    to do."""


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def masked(url: str) -> str:
    """A URL as it may be shown: its password replaced by ***."""
    return re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", url)


def parse_url(url: str) -> URL:
    """The store's URL, or a ``StoreError`` saying why it is not one we can use."""
    try:
        parsed = make_url(normalize_url(url.strip()))
    except (ArgumentError, ValueError):
        raise StoreError("error.store.not_url", env=ENV, url=masked(url), hint=URL_HINT) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(
            "error.store.unsupported", env=ENV, backend=backend, url=masked(url), hint=URL_HINT
        )
    if backend == "postgresql" and not parsed.database:
        raise StoreError("error.store.no_database", env=ENV, url=masked(url), hint=URL_HINT)
    return parsed


def where(engine_or_url: Engine | URL) -> Said:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else engine_or_url
    if url.get_backend_name() == "sqlite":
        return Said("error.store.sqlite", path=url.database or ":memory:")
    return Said("error.store.postgresql", url=url.render_as_string(hide_password=True))


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL (None: in memory)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if str(url.database).startswith("file:"):
        return None  # a URI filename: left to SQLite
    return Path(str(url.database)).expanduser()


def make_engine(url: str, pool_size: int | None = None) -> Engine:
    """``pool_size``: connections kept open (and as many more at a burst), for a process that
    runs that many jobs side by side; SQLAlchemy's default (5 + 10) otherwise."""
    parsed = parse_url(url)
    path = sqlite_file(parsed)
    pool: dict[str, Any] = (
        {"pool_size": pool_size, "max_overflow": pool_size} if pool_size is not None else {}
    )
    if parsed.get_backend_name() == "sqlite":
        if path is not None:
            if not path.parent.is_dir():
                raise StoreError("error.store.no_folder", folder=path.parent, env=ENV)
            if path.exists() and not path.is_file():
                raise StoreError("error.store.not_file", path=path, env=ENV)
            private_file(path)
            for companion in ("-wal", "-shm"):
                tighten(path.with_name(path.name + companion))
            engine = create_engine(parsed, connect_args={"timeout": 30}, **pool)
        else:  # in memory: one connection, no pool to size
            engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT}
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **pool)
    except NoSuchModuleError:
        raise StoreError("error.store.driver", env=ENV, url=masked(url), hint=URL_HINT) from None


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser escaping
    return config


@contextmanager
def _file_lock(path: Path | None) -> Iterator[None]:
    """An exclusive lock on ``<database>.lock`` (held by one process at a time)."""
    if path is None or fcntl is None:
        yield
        return
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (safe to call on every start, by many processes at
    once: they take turns)."""
    with _file_lock(sqlite_file(engine.url)), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _UPGRADE_LOCK})
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def explain(exc: BaseException, place: Said) -> Said:
    """One line about a database failure: what, where (``place``), what to do."""
    if isinstance(exc, StoreError):
        return Said(exc.key, **exc.values)
    if isinstance(exc, CommandError):
        return Said("error.store.newer_schema", place=place, detail=str(exc))
    original = getattr(exc, "orig", None) or exc
    detail = " ".join(str(original).split())[:300] or type(original).__name__
    lowered = detail.lower()
    if "file is not a database" in lowered or "malformed" in lowered:
        return Said("error.store.damaged", place=place, detail=detail, env=ENV)
    if "unable to open database file" in lowered or "readonly" in lowered:
        return Said("error.store.cannot_open", place=place, detail=detail)
    if "database is locked" in lowered:
        return Said("error.store.locked", place=place, detail=detail)
    if "connection" in lowered or "could not translate host" in lowered or "timeout" in lowered:
        return Said("error.store.cannot_connect", place=place, detail=detail, env=ENV)
    return Said("error.store.failed", place=place, detail=detail)


#: Failures of the store a person can fix (a bug in a statement is not one of them).
def is_store_failure(exc: BaseException) -> bool:
    return isinstance(exc, StoreError | CommandError) or (
        isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError)
    )


class Store:
    """The database of one deployment."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, pool_size: int | None = None) -> Store:
        """Open (and migrate) the store; raises ``StoreError`` saying what to fix."""
        engine = make_engine(url, pool_size)
        try:
            if migrate:
                upgrade(engine)
            else:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
        except Exception as exc:
            engine.dispose()
            if is_store_failure(exc):
                said = explain(exc, where(engine))
                raise StoreError(said.key, **said.values) from exc
            raise
        return cls(engine)

    def resize_pool(self, pool_size: int) -> None:
        """A new engine with ``pool_size`` connections (before the jobs start)."""
        old = self.engine
        self.engine = make_engine(old.url.render_as_string(hide_password=False), pool_size)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        old.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def where(self) -> Said:
        return where(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits at the end of the block (or rolls back)."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
