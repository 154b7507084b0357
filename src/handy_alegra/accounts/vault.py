"""Secrets at rest: Fernet encryption with key rotation.

The key comes from ``HANDY_ALEGRA_SECRET_KEY`` (one key, or several separated by commas,
newest first), or else from a key file created with mode 0600 on first use. Decryption tries
every key; encryption uses the first, so rotating is: put a new key first, run
``handy-alegra secrets rotate`` (re-encrypts every stored secret), then drop the old key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from handy_alegra.config.private_files import tighten
from handy_alegra.config.settings import SECRET_KEY_ENV, Settings
from handy_alegra.messages import Said, SaidError


class VaultError(SaidError):
    """The key cannot open the stored secrets, or is no key (``error.vault.*``)."""


class Vault:
    def __init__(self, keys: list[bytes], source: str | Said = SECRET_KEY_ENV) -> None:
        """``source``: where the keys came from, named in error messages."""
        self.source = source
        if not keys:
            raise VaultError("error.vault.no_key", source=source)
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError:
            raise VaultError("error.vault.not_fernet", source=source) from None

    def __repr__(self) -> str:
        return "Vault(***)"

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        if settings.secret_key:
            given = settings.secret_key.get_secret_value()
            keys = [k.strip().encode() for k in given.split(",") if k.strip()]
            return cls(keys)
        source = Said("error.vault.key_file", path=settings.key_file)
        return cls([_key_file(settings.key_file)], source)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultError(
                "error.vault.wrong_key", source=self.source, env=SECRET_KEY_ENV
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt with the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultError("error.vault.rotation") from None


def _key_file(path: Path) -> bytes:
    """The key in ``path``, created (0600, in a 0700 folder) on first use. Processes starting
    together agree on one key: each writes a candidate apart and links it into place; the
    first link wins and the others read it."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    tighten(path)
    try:
        return path.read_bytes().strip()
    except OSError as exc:
        raise VaultError("error.vault.unreadable", path=path, reason=exc.strerror) from None
