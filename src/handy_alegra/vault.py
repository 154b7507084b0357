"""Secrets at rest: Fernet encryption with key rotation.

The key comes from ``HANDY_ALEGRA_SECRET_KEY`` (one key, or several separated by commas,
newest first), or else from a key file created with mode 0600 on first use. Decryption tries
every key; encryption uses the first, so rotating is: put a new key first, run
``handy-alegra secrets rotate`` (re-encrypts every stored secret), then drop the old key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from handy_alegra.settings import Settings


class VaultError(Exception):
    pass


class Vault:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise VaultError("no encryption key")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError:
            raise VaultError(
                "the secret key is not a valid Fernet key (32 url-safe base64-encoded bytes)"
            ) from None

    def __repr__(self) -> str:
        return "Vault(***)"

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        if settings.secret_key:
            keys = [k.strip().encode() for k in settings.secret_key.split(",") if k.strip()]
            return cls(keys)
        return cls([_key_file(settings.key_file)])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultError(
                "a stored secret cannot be decrypted with the configured key(s); "
                f"is {('HANDY_ALEGRA_SECRET_KEY')} the key it was stored with?"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt with the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultError("a stored secret cannot be decrypted for rotation") from None


def _key_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key
