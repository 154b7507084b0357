"""Operators: the people who may use the dashboard. Passwords are stored as scrypt hashes
(``scrypt$n$r$p$salt$hash``, base64 parts) and checked in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handy_alegra.accounts import AccountError
from handy_alegra.store.tables import Operator

LANGUAGES = ("es", "en")
N, R, P = 2**14, 8, 1
MIN_PASSWORD = 8
#: Checked against when the username is unknown, so that both answers take as long.
_DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        found = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(found, expected)


def _check(username: str, password: str, language: str) -> None:
    if not username.strip() or len(username) > 100:
        raise AccountError("the username must have 1 to 100 characters")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if language not in LANGUAGES:
        raise AccountError(f"the language must be one of {', '.join(LANGUAGES)}")


def find(session: Session, username: str) -> Operator | None:
    return session.scalar(select(Operator).where(Operator.username == username.strip()))


def add(
    session: Session, username: str, password: str, *, now: datetime, language: str = "es"
) -> Operator:
    _check(username, password, language)
    if find(session, username) is not None:
        raise AccountError(f"an operator named {username!r} already exists; use `operators passwd`")
    row = Operator(
        username=username.strip(),
        password_hash=hash_password(password),
        language=language,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def set_password(session: Session, username: str, password: str) -> None:
    row = find(session, username)
    if row is None:
        raise AccountError(f"there is no operator named {username!r}")
    _check(row.username, password, row.language)
    row.password_hash = hash_password(password)


def authenticate(session: Session, username: str, password: str) -> Operator | None:
    row = find(session, username)
    ok = verify_password(password, row.password_hash if row else _DUMMY)
    return row if row is not None and ok else None
