"""Where things live. Read from the environment when asked, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATABASE_URL_ENV = "HANDY_ALEGRA_DATABASE_URL"
SECRET_KEY_ENV = "HANDY_ALEGRA_SECRET_KEY"
HOME_ENV = "HANDY_ALEGRA_HOME"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    secret_key: str | None  # Fernet key(s), comma-separated, newest first

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


def load_settings() -> Settings:
    home = default_home()
    url = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{home / 'handy-alegra.sqlite3'}"
    return Settings(home=home, database_url=url, secret_key=os.environ.get(SECRET_KEY_ENV))
