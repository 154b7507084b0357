"""Where things live, and the deployment's switches. Read from the environment when asked,
never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATABASE_URL_ENV = "HANDY_ALEGRA_DATABASE_URL"
SECRET_KEY_ENV = "HANDY_ALEGRA_SECRET_KEY"
HOME_ENV = "HANDY_ALEGRA_HOME"
#: Lab setups only: lets API and public URLs use plain http to hosts other than loopback.
INSECURE_HTTP_ENV = "HANDY_ALEGRA_ALLOW_INSECURE_HTTP"
TRUE = ("1", "true", "yes", "on")


class SettingsError(Exception):
    """An environment variable holds what it cannot; the message names it."""


def number(name: str, default: float, *, minimum: float = 0) -> float:
    """A number from the environment variable ``name`` (``default`` when unset)."""
    text = (os.environ.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)  # float ok: counts, seconds and time ratios, not money
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {text!r}") from None
    if not value >= minimum or value == float("inf"):
        raise SettingsError(f"{name} must be a number of at least {minimum:g}, not {text!r}")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    secret_key: str | None  # Fernet key(s), comma-separated, newest first
    #: The store is the default SQLite file in ``home``, so ``home`` is created (0700) if
    #: missing; a store URL given explicitly must point into a folder that exists.
    create_home: bool = False
    #: Plain http to non-loopback hosts accepted (credentials travel in clear): lab only.
    allow_insecure_http: bool = False

    @property
    def key_file(self) -> Path:
        return self.home / "secret.key"


def default_home() -> Path:
    """``$HANDY_ALEGRA_HOME``, else ``$XDG_DATA_HOME/handy-alegra``, else
    ``~/.local/share/handy-alegra``."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "handy-alegra"


def flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in TRUE


def load_settings() -> Settings:
    home = default_home()
    given = os.environ.get(DATABASE_URL_ENV)
    return Settings(
        home=home,
        database_url=given or f"sqlite:///{home / 'handy-alegra.sqlite3'}",
        secret_key=os.environ.get(SECRET_KEY_ENV),
        create_home=not given,
        allow_insecure_http=flag(INSECURE_HTTP_ENV),
    )
