"""The deployment's settings: ONE object, ``Settings``, whose every field is an environment
variable ``HANDY_ALEGRA_<FIELD>`` (pydantic-settings), typed, with its default and what it does.
Read from the environment when asked (``load_settings``), never at import.
``docs/configuration.md`` is generated from it
(``python -m handy_alegra.config.settings --markdown``) and a test fails when the page is stale.

A value that cannot be used is a ``SettingsError`` naming the variable — one line and exit
code 2 on the command line, never a traceback. It holds catalog keys and their values (this
layer is below the catalog): the command line says them in the language the environment asks
for when that much can be read (``SettingsError.lang``), else in Spanish.
"""

from __future__ import annotations

import math
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, ValidationError
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from handy_alegra.domain.clock import clock_from_env

PREFIX = "HANDY_ALEGRA_"
LANGS = ("es", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(Exception):
    """Environment variables hold what they cannot: ``problems``, each a catalog key
    (``error.settings.*``) and its values (``name``: the variable); ``lang``: the language
    the line is said in. ``str()`` is for logs: the keys and values, not a sentence."""

    def __init__(
        self, problems: tuple[tuple[str, dict[str, object]], ...], lang: str = LANGS[0]
    ) -> None:
        super().__init__(problems)
        self.problems = problems
        self.lang = lang

    def __str__(self) -> str:
        return "; ".join(f"{key} {values}" for key, values in self.problems)


class _Invalid(ValueError):
    """A variable's text cannot be read: the catalog key that says why, and its values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def env_name(field: str) -> str:
    """The environment variable of a field of ``Settings``."""
    return PREFIX + field.upper()


#: Names other modules quote in their messages.
DATABASE_URL_ENV = env_name("database_url")
SECRET_KEY_ENV = env_name("secret_key")
INSECURE_HTTP_ENV = env_name("allow_insecure_http")


# --- how the text of a variable is read ---------------------------------------------------------


def _number(minimum: float, *, whole: bool = False) -> BeforeValidator:
    """A number of at least ``minimum`` (float ok: counts, seconds and time ratios, not money);
    ``whole``: cut to an integer, as the command line always did."""

    def check(value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        try:
            number = float(text)  # float ok: a timeout or a scale, not money
        except ValueError:
            raise _Invalid("error.settings.number", value=text) from None
        if not number >= minimum or math.isinf(number):
            raise _Invalid("error.settings.at_least", minimum=f"{minimum:g}", value=text)
        return int(number) if whole else number

    return BeforeValidator(check)


def _range(low: int, high: int) -> BeforeValidator:
    def check(value: object) -> object:
        text = str(value).strip()
        if not text.isdigit() or not low <= int(text) <= high:
            raise _Invalid("error.settings.range", low=low, high=high, value=text)
        return int(text)

    return BeforeValidator(check)


def _language(value: object) -> object:
    """``es`` or ``en``; a locale's spelling (``en_US.UTF-8``) is read as its language."""
    text = str(value).strip().lower()
    lang = text[:2]
    if lang not in LANGS or text[2:3] not in ("", "_", "-", "."):
        raise _Invalid("error.settings.language", value=value)
    return lang


def _log_level(value: object) -> object:
    level = str(value).strip().upper()
    if level not in LOG_LEVELS:
        raise _Invalid("error.settings.log_level", levels=", ".join(LOG_LEVELS), value=value)
    return level


def _clock(value: object) -> object:
    if value is not None:
        try:
            clock_from_env(str(value))
        except ValueError:
            raise _Invalid("error.settings.clock") from None
    return value


def default_home() -> Path:
    """``$XDG_DATA_HOME/handy-alegra``, else ``~/.local/share/handy-alegra``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "handy-alegra"


def setting(
    default: Any = None, *, what: str, kind: str, shown: str | None = None, **kw: Any
) -> Any:
    """A field: its default, what it does, the kind of value (for the generated table) and how
    its default reads when it is not a plain value (``shown``)."""
    extra: JsonDict = {"kind": kind, **({"shown": shown} if shown else {})}
    if callable(default):
        return Field(default_factory=default, description=what, json_schema_extra=extra, **kw)
    return Field(default, description=what, json_schema_extra=extra, **kw)


class Settings(BaseSettings):
    """Every setting of a deployment. Fields are read from ``HANDY_ALEGRA_<FIELD>`` (an empty
    variable counts as unset); tests build one with the fields they need."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )

    def __init__(self, **values: Any) -> None:
        """Keywords only: ``BaseSettings`` would take positional arguments as its own options
        (``_case_sensitive``, …) and quietly read the default home instead."""
        super().__init__(**values)

    # --- where things live ---------------------------------------------------------------
    home: Path = setting(
        default_home,
        kind="path",
        shown="`$XDG_DATA_HOME/handy-alegra`, else `~/.local/share/handy-alegra`",
        what="The folder of the default SQLite store and of the key file (created 0700).",
    )
    database_url: str | None = setting(
        kind="URL",
        shown="`sqlite:///<home>/handy-alegra.sqlite3`",
        what="The store: `sqlite:///…` or `postgresql://…` (PostgreSQL is needed for "
        "`worker` and `scheduler`). A SQLite file given here must be in a folder that exists.",
    )
    secret_key: SecretStr | None = setting(
        kind="secret",
        shown="the key file `<home>/secret.key` (created 0600)",
        what="Fernet key(s) that encrypt the stored tokens, comma-separated, newest first "
        "(`secrets generate-key`, `secrets rotate`).",
    )
    allow_insecure_http: bool = setting(
        False,
        kind="true/false",
        what="Lab setups only: API and public URLs may be plain `http://` to hosts other than "
        "loopback (credentials travel in clear; warned on every start).",
    )
    # --- what people read ------------------------------------------------------------------
    lang: Annotated[Literal["es", "en"], BeforeValidator(_language)] = setting(
        "es",
        kind="es or en",
        what="The language of the command line's output, its `--help` and its errors, and of "
        "alerts (the dashboard's is "
        "each operator's). The locale (`LANG`) is not read: servers' locales rarely say "
        "who reads the output.",
    )
    log_level: Annotated[str, BeforeValidator(_log_level)] = setting(
        "WARNING",
        kind=" / ".join(LOG_LEVELS),
        what="Logs written to stderr from this level up (`--log-level`).",
    )
    log_json: bool = setting(
        False, kind="true/false", what="Logs as JSON lines, for services (`--log-json`)."
    )
    debug: bool = setting(
        False, kind="true/false", what="Show the traceback of a failure (`--debug`)."
    )
    # --- the syncs ------------------------------------------------------------------------
    concurrency: Annotated[int, _number(1, whole=True)] = setting(
        4,
        kind="whole number ≥ 1",
        what="Pages read ahead and Handy writes (or orders) sent in parallel per sync; the "
        "rate limiter paces them.",
    )
    http_timeout: Annotated[float | None, _number(0.001)] = setting(
        kind="seconds",
        shown="30",
        what="How long to wait for an API's answer before the call counts as failed.",
    )
    rate_window_scale: Annotated[float, _number(1e-9)] = setting(
        1.0,
        kind="number",
        what="Tests and benchmarks only: divides the APIs' 60-second rate windows (for "
        "time-scaled simulators).",
    )
    clock: Annotated[str | None, BeforeValidator(_clock)] = setting(
        kind="`scaled:<epoch>:<ISO time>:<scale>`",
        shown="the system clock",
        what="Tests and benchmarks only: a sped-up clock that processes given the same "
        "anchor agree on.",
    )
    retention_days: Annotated[int, _number(0, whole=True)] = setting(
        90,
        kind="days ≥ 0",
        what="History kept: each account's daily job (and `db prune`) deletes runs, finished "
        "slots, attempts of settled orders, processed webhook events and cleared alerts older "
        "than this; order records are kept for ever. 0 keeps everything.",
    )
    # --- credentials given to commands ------------------------------------------------------
    alegra_token: SecretStr | None = setting(
        kind="secret",
        shown="asked",
        what="`accounts add` / `accounts edit`: the Alegra API token (else `--alegra-token`, "
        "else asked without echo).",
    )
    handy_token: SecretStr | None = setting(
        kind="secret",
        shown="asked",
        what="`accounts add` / `accounts edit`: the Handy API token (else `--handy-token`, "
        "else asked without echo).",
    )
    operator_password: SecretStr | None = setting(
        kind="secret",
        shown="asked",
        what="`operators add` / `operators passwd`: the password (else asked twice, without echo).",
    )
    # --- the dashboard --------------------------------------------------------------------
    session_idle_minutes: Annotated[int, _range(1, 12 * 60)] = setting(
        30,
        kind="minutes, 1 to 720",
        what="`serve`: a dashboard session unused this long ends (`--session-idle-minutes`).",
    )
    # --- e-mail alerts --------------------------------------------------------------------
    smtp_host: str | None = setting(
        kind="host",
        shown="none: no e-mail alerts",
        what="The SMTP server that sends e-mail alerts (`accounts edit --alert-email`).",
    )
    smtp_port: Annotated[int, _range(1, 65535)] = setting(
        587, kind="port", what="The SMTP server's port."
    )
    smtp_user: str | None = setting(kind="text", what="SMTP user (with the password: login).")
    smtp_password: SecretStr | None = setting(kind="secret", what="SMTP password.")
    smtp_from: str = setting(
        "handy-alegra@localhost", kind="e-mail", what="The sender of e-mail alerts."
    )
    smtp_starttls: bool = setting(
        True, kind="true/false", what="Upgrade the SMTP connection with STARTTLS."
    )

    @property
    def store_url(self) -> str:
        """``database_url``, else the SQLite file in ``home``."""
        return self.database_url or f"sqlite:///{self.home / 'handy-alegra.sqlite3'}"

    @property
    def create_home(self) -> bool:
        """The store is the default SQLite file in ``home``, so ``home`` is created (0700) if
        missing; a store URL given explicitly must point into a folder that exists."""
        return self.database_url is None

    @property
    def key_file(self) -> Path:
        return self.home / "secret.key"


#: Variables only the test suite reads (not the service).
TEST_ONLY = {
    "HANDY_ALEGRA_TEST_POSTGRES": "The PostgreSQL the tests make their schemas in (default "
    "`postgresql+psycopg://postgres@127.0.0.1:5432/test`).",
    "HANDY_ALEGRA_REQUIRE_POSTGRES": "`1`: a PostgreSQL that does not answer fails the tests "
    "instead of skipping them.",
    "HANDY_ALEGRA_REQUIRE_BROWSER": "`1`: the browser test fails instead of skipping when "
    "Chromium cannot start.",
    "HANDY_ALEGRA_SCREENSHOTS": "Where the browser test saves its screenshots.",
    "HANDY_ALEGRA_CHAOS": "`long`: the chaos test runs 500 orders and 20 kills.",
    "HANDY_ALEGRA_FUZZ_SHRINK": "`1`: the sync fuzz test shrinks a failure to a minimal one.",
    "HANDY_ALEGRA_BENCH_POSTGRES": "The PostgreSQL the fleet bench runs the scheduler and "
    "workers on (default `postgresql://postgres@127.0.0.1:5432/test`).",
}


def _problem(error: Any) -> tuple[str, dict[str, object]]:
    field = str(error["loc"][0]) if error.get("loc") else "?"
    name = env_name(field)
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, _Invalid):
        return cause.key, {"name": name, **cause.values}
    if error["type"] == "bool_parsing":
        return "error.settings.bool", {"name": name}
    return "error.settings.other", {"name": name, "detail": error["msg"]}


def _wanted_lang(environment: tuple[tuple[str, str], ...]) -> str:
    """The language the environment asks for, when that variable can be read; else Spanish."""
    given = dict(environment).get(env_name("lang"), "").strip()
    try:
        return str(_language(given)) if given else LANGS[0]
    except ValueError:
        return LANGS[0]


def _environment() -> tuple[tuple[str, str], ...]:
    """What the settings are read from: the variables, and what the default home rests on."""
    return tuple(
        sorted(
            (k, v)
            for k, v in os.environ.items()
            if k.upper().startswith(PREFIX) or k in ("XDG_DATA_HOME", "HOME")
        )
    )


@lru_cache(maxsize=16)
def _load(environment: tuple[tuple[str, str], ...]) -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = tuple(_problem(e) for e in exc.errors())
        raise SettingsError(problems, _wanted_lang(environment)) from None


def load_settings() -> Settings:
    """The settings the environment holds now (read again whenever it changed)."""
    return _load(_environment())


# --- docs/configuration.md ----------------------------------------------------------------------


def _extra(field: FieldInfo) -> JsonDict:
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _default(field: FieldInfo) -> str:
    extra = _extra(field)
    if "shown" in extra:
        return str(extra["shown"])
    value = field.default
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return "none" if value is None else f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def markdown() -> str:
    """``docs/configuration.md``: one table, made from ``Settings``."""
    rows = [
        f"| `{env_name(name)}` | {_extra(field)['kind']} | {_default(field)} "
        f"| {field.description} |"
        for name, field in Settings.model_fields.items()
    ]
    tests = [f"| `{name}` | {what} |" for name, what in TEST_ONLY.items()]
    return "\n".join(
        [
            "# Configuration",
            "",
            "<!-- Generated from handy_alegra/config/settings.py by "
            "`python -m handy_alegra.config.settings --markdown > docs/configuration.md`; "
            "tests/unit/test_settings.py fails when this page is stale. -->",
            "",
            "Every setting of a deployment is an environment variable, read by one object "
            "(`handy_alegra.config.settings.Settings`, pydantic-settings). An empty variable "
            "counts as unset. A value that cannot be used stops every command with one line "
            "naming the variable and exit code 2, in the command line's language (for example "
            "`error: HANDY_ALEGRA_CONCURRENCY debe ser un número, no 'lots'`, or with "
            "`HANDY_ALEGRA_LANG=en` `error: HANDY_ALEGRA_CONCURRENCY must be a number, not "
            "'lots'`; a malformed `HANDY_ALEGRA_LANG` is reported in Spanish). Account "
            "settings (price list, schedule, alerts, …) live in the store: `accounts edit` "
            "or the dashboard (docs/accounts.md).",
            "",
            "| Variable | Value | Default | What it does |",
            "|---|---|---|---|",
            *rows,
            "",
            "## Read by the test suite only",
            "",
            "| Variable | What it does |",
            "|---|---|",
            *tests,
            "",
        ]
    )


def main(argv: list[str]) -> int:
    if argv != ["--markdown"]:
        sys.stderr.write("usage: python -m handy_alegra.config.settings --markdown\n")
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
