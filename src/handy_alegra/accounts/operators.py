"""Operators: the people who may use the dashboard, and their sessions.

Passwords are stored as scrypt hashes (``scrypt$n$r$p$salt$hash``, base64 parts) and checked in
constant time. A session is a row keyed by the sha256 of a random token that only the browser's
cookie holds; it ends when the operator logs out, changes password, is disabled or removed, or
leaves it unused for the idle limit, and after the lifetime limit whatever happens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from handy_alegra.accounts.registry import AccountError
from handy_alegra.store.tables import Operator, OperatorSession

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
        raise AccountError("error.operator_name")
    if len(password) < MIN_PASSWORD:
        raise AccountError("error.password_short", minimum=MIN_PASSWORD)
    if language not in LANGUAGES:
        raise AccountError("error.operator_language", languages=", ".join(LANGUAGES))


def find(session: Session, username: str) -> Operator | None:
    return session.scalar(select(Operator).where(Operator.username == username.strip()))


def add(
    session: Session, username: str, password: str, *, now: datetime, language: str = "es"
) -> Operator:
    _check(username, password, language)
    if find(session, username) is not None:
        raise AccountError("error.operator_exists", name=username)
    row = Operator(
        username=username.strip(),
        password_hash=hash_password(password),
        language=language,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _existing(session: Session, username: str) -> Operator:
    row = find(session, username)
    if row is None:
        raise AccountError("error.operator_unknown", name=username)
    return row


def set_password(session: Session, username: str, password: str) -> int:
    """A new password; every open session of the operator ends (returns how many)."""
    row = _existing(session, username)
    _check(row.username, password, row.language)
    row.password_hash = hash_password(password)
    return end_sessions(session, row.id)


def remove(session: Session, username: str) -> None:
    """Delete the operator (their sessions go with them)."""
    row = _existing(session, username)
    end_sessions(session, row.id)
    session.delete(row)


def set_disabled(session: Session, username: str, disabled: bool, *, now: datetime) -> int:
    """Disable (they may not log in; every open session ends) or enable an operator."""
    row = _existing(session, username)
    row.disabled_at = now if disabled else None
    return end_sessions(session, row.id) if disabled else 0


def listing(session: Session, now: datetime) -> list[dict[str, object]]:
    """Every operator with their state and how many of their sessions may still be in use
    (within the lifetime limit; the idle limit is the web server's setting). No hashes."""
    open_sessions = dict(
        session.execute(
            select(OperatorSession.operator_id, func.count())
            .where(OperatorSession.created_at > now - SESSION_LIFETIME)
            .group_by(OperatorSession.operator_id)
        ).all()
    )
    return [
        {
            "username": row.username,
            "language": row.language,
            "state": "disabled" if row.disabled_at else "active",
            "sessions": open_sessions.get(row.id, 0),
            "created_at": row.created_at.isoformat(),
        }
        for row in session.scalars(select(Operator).order_by(Operator.username))
    ]


#: Why a login failed (logged and counted; the person sees one message for all of them).
UNKNOWN, WRONG_PASSWORD, DISABLED = "unknown_operator", "wrong_password", "disabled"


def check_login(session: Session, username: str, password: str) -> tuple[Operator | None, str]:
    """The operator these credentials sign in, or None and why. Takes as long whether the
    username exists or not, and whether the operator is disabled or not."""
    row = find(session, username)
    ok = verify_password(password, row.password_hash if row else _DUMMY)
    if row is None:
        return None, UNKNOWN
    if not ok:
        return None, WRONG_PASSWORD
    if row.disabled_at is not None:
        return None, DISABLED
    return row, "ok"


def authenticate(session: Session, username: str, password: str) -> Operator | None:
    return check_login(session, username, password)[0]


# --- sessions -----------------------------------------------------------------------------

#: Defaults: a session unused for 30 minutes ends; none lives longer than 12 hours.
SESSION_IDLE = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=12)
#: ``last_seen_at`` is written at most this often (not on every page view).
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, operator: Operator, *, now: datetime, address: str | None
) -> str:
    """A new session for ``operator``; returns the token for the cookie (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    session.add(
        OperatorSession(
            id=_digest(token),
            operator_id=operator.id,
            created_at=now,
            last_seen_at=now,
            address=(address or "")[:64] or None,
        )
    )
    return token


def session_operator(
    session: Session, token: str, *, now: datetime, idle: timedelta, lifetime: timedelta
) -> Operator | None:
    """The operator a live session signs in (noting it was used), else None (and a session
    that ended is deleted)."""
    row = session.get(OperatorSession, _digest(token))
    if row is None:
        return None
    operator = session.get(Operator, row.operator_id)
    expired = row.last_seen_at <= now - idle or row.created_at <= now - lifetime
    if expired or operator is None or operator.disabled_at is not None:
        session.delete(row)
        return None
    if now - row.last_seen_at >= min(TOUCH_EVERY, idle / 4):
        row.last_seen_at = now
    return operator


def end_session(session: Session, token: str) -> None:
    session.execute(delete(OperatorSession).where(OperatorSession.id == _digest(token)))


def end_sessions(session: Session, operator_id: int) -> int:
    result = session.execute(
        delete(OperatorSession).where(OperatorSession.operator_id == operator_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_sessions(
    session: Session, *, now: datetime, idle: timedelta, lifetime: timedelta
) -> None:
    """Forget the sessions that ended by themselves (called on every login)."""
    session.execute(
        delete(OperatorSession).where(
            or_(
                OperatorSession.last_seen_at <= now - idle,
                OperatorSession.created_at <= now - lifetime,
            )
        )
    )
