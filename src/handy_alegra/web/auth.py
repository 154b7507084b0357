"""Operators' sessions: log in and out, the language switch, the login requirement and the CSRF
check every form goes through.

The browser keeps Starlette's signed cookie: the session token (whose sha256 is a row in the
store: ``operators.session_operator``), the language, the CSRF token and one-time messages.
Ending the row ends the session whatever the cookie says. Failed logins are throttled
(``throttle``), logged and counted; a browser where an operator logged in before carries a
signed device cookie that its username's lock does not hold back.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from handy_alegra import messages
from handy_alegra.accounts import operators
from handy_alegra.observability.metrics import LOGIN_FAILURES, LOGIN_THROTTLED
from handy_alegra.runtime import Runtime
from handy_alegra.store.tables import Operator
from handy_alegra.web.render import (
    csrf_token,
    language,
    local_path,
    page,
    redirect,
    runtime,
    t,
)
from handy_alegra.web.throttle import LoginThrottle, username_key

log = structlog.get_logger("handy_alegra.web.auth")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
DEVICE_COOKIE = "handy_alegra_device"
DEVICE_DAYS = 30
DEVICE_NAMES = 5  # operators remembered per browser


class LoginRequired(Exception):
    """The request needs a signed-in operator (answered with a redirect to the login page)."""


class CsrfRejected(Exception):
    """A form came without this session's CSRF token (answered with 403)."""


@dataclass(frozen=True)
class SignedIn:
    id: int
    username: str


@dataclass
class AuthSettings:
    """How the dashboard signs operators in (``create_app`` builds it)."""

    secret: str
    throttle: LoginThrottle
    idle: timedelta = operators.SESSION_IDLE
    lifetime: timedelta = operators.SESSION_LIFETIME
    https_only: bool = False
    devices: URLSafeTimedSerializer = field(init=False)

    def __post_init__(self) -> None:
        self.devices = URLSafeTimedSerializer(self.secret, salt="handy-alegra device")


def settings(request: Request) -> AuthSettings:
    found = request.app.state.auth
    assert isinstance(found, AuthSettings)
    return found


def session_key(rt: Runtime) -> str:
    """The cookie-signing key, derived from the deployment's secret key (or key file), so that
    every process of one deployment agrees and nothing new needs keeping."""
    key = rt.settings.secret_key
    base = key.get_secret_value() if key else ""
    if not base:
        rt.vault  # noqa: B018 — creates the key file on first use
        base = rt.settings.key_file.read_text().strip()
    return hmac.new(base.encode(), b"handy-alegra dashboard sessions", hashlib.sha256).hexdigest()


def current(request: Request) -> SignedIn | None:
    """The operator this request's session signs in, if it is still alive."""
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    rt, auth = runtime(request), settings(request)
    with rt.store.session() as session:
        row = operators.session_operator(
            session, token, now=rt.clock.now(), idle=auth.idle, lifetime=auth.lifetime
        )
        return SignedIn(row.id, row.username) if row is not None else None


def require_operator(request: Request) -> SignedIn:
    signed_in = current(request)
    if signed_in is None:
        _sign_out(request)
        raise LoginRequired
    return signed_in


async def check_csrf(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = (await request.form()).get("csrf_token")
    expected = request.session.get("csrf")
    if not (
        isinstance(sent, str)
        and isinstance(expected, str)
        and hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfRejected


#: Every dashboard router but this one's: a signed-in operator, then the CSRF check.
PROTECTED = [Depends(require_operator), Depends(check_csrf)]

router = APIRouter(dependencies=[Depends(check_csrf)])


def _sign_out(request: Request) -> None:
    lang = language(request)
    request.session.clear()
    request.session["lang"] = lang


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in SAFE_METHODS or target in ("/", "/accounts"):
        return redirect("/login")
    return redirect(f"/login?next={quote(target)}")


def csrf_rejected(request: Request) -> HTMLResponse:
    return page(
        request,
        "error.html",
        403,
        title=t(request, "csrf.title"),
        message=t(request, "csrf.failed"),
    )


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _known_devices(request: Request) -> list[str]:
    """The usernames that logged in from this browser (from its signed device cookie)."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return []
    try:
        names = settings(request).devices.loads(cookie, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _remember_device(request: Request, response: Response, username: str) -> None:
    auth = settings(request)
    names = [username_key(username)] + [
        n for n in _known_devices(request) if n != username_key(username)
    ]
    response.set_cookie(
        DEVICE_COOKIE,
        auth.devices.dumps(names[:DEVICE_NAMES]),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=auth.https_only,
    )


@router.get("/login")
def login_page(
    request: Request, next_url: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    if current(request) is not None:
        return redirect(local_path(next_url))
    if "sid" in request.session:
        _sign_out(request)
    return page(request, "login.html", next=local_path(next_url))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    rt, auth, client = runtime(request), settings(request), address(request)
    trusted = username_key(username) in _known_devices(request)
    held = auth.throttle.locked(username, client, trusted=trusted)
    if held is not None:
        scope, seconds = held
        LOGIN_THROTTLED.labels(scope).inc()
        log.warning("login_throttled", scope=scope, address=client, retry_after=seconds)
        answer = page(
            request,
            "login.html",
            429,
            error=t(request, "login.throttled", minutes=math.ceil(seconds / 60)),
            username=username,
            next=next_url,
        )
        answer.headers["Retry-After"] = str(seconds)
        return answer
    now = rt.clock.now()
    with rt.store.session() as session:
        row, why = operators.check_login(session, username, password)
        if row is not None:
            operators.purge_sessions(session, now=now, idle=auth.idle, lifetime=auth.lifetime)
            token = operators.start_session(session, row, now=now, address=client)
            found = (row.username, row.language)
    if row is None:
        auth.throttle.failed(username, client, trusted=trusted)
        LOGIN_FAILURES.labels(why).inc()
        log.warning(
            "login_failed",
            reason=why,
            username=username[:100] if why != operators.UNKNOWN else "(unknown)",
            address=client,
        )
        error = t(request, "login.failed")
        return page(request, "login.html", 401, error=error, username=username, next=next_url)
    auth.throttle.succeeded(username, client)
    name, preferred = found
    log.info("login", username=name, address=client)
    lang = request.session.get("lang") or preferred
    request.session.clear()  # a fresh session (and CSRF token) on every login
    request.session.update(sid=token, username=name, lang=lang)
    csrf_token(request)
    response = redirect(local_path(next_url))
    _remember_device(request, response, name)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    token = request.session.get("sid")
    if isinstance(token, str):
        with runtime(request).store.session() as session:
            operators.end_session(session, token)
    _sign_out(request)
    return redirect("/login")


@router.post("/language")
def switch_language(
    request: Request,
    lang: Annotated[str, Form()] = messages.DEFAULT,
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    chosen = messages.normalize(lang)
    request.session["lang"] = chosen
    signed_in = current(request)
    if signed_in is not None:
        with runtime(request).store.session() as session:
            row = session.get(Operator, signed_in.id)
            if row is not None:
                row.language = chosen
    return redirect(local_path(next_url))
