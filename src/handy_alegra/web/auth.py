"""Operators' sessions: log in and out, the language switch, the login requirement and the CSRF
check every form goes through.

The session is Starlette's signed cookie. It holds the operator's id, a fingerprint of their
password hash (changing the password ends every session), the language and the CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from handy_alegra import operators
from handy_alegra.runtime import Runtime
from handy_alegra.store.tables import Operator
from handy_alegra.web import i18n
from handy_alegra.web.render import (
    csrf_token,
    language,
    local_path,
    page,
    redirect,
    runtime,
    t,
)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class LoginRequired(Exception):
    """The request needs a signed-in operator (answered with a redirect to the login page)."""


class CsrfRejected(Exception):
    """A form came without this session's CSRF token (answered with 403)."""


@dataclass(frozen=True)
class SignedIn:
    id: int
    username: str


def session_key(rt: Runtime) -> str:
    """The cookie-signing key, derived from the deployment's secret key (or key file), so that
    every process of one deployment agrees and nothing new needs keeping."""
    base = rt.settings.secret_key
    if not base:
        rt.vault  # noqa: B018 — creates the key file on first use
        base = rt.settings.key_file.read_text().strip()
    return hmac.new(base.encode(), b"handy-alegra dashboard sessions", hashlib.sha256).hexdigest()


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def require_operator(request: Request) -> SignedIn:
    operator_id = request.session.get("operator_id")
    if not isinstance(operator_id, int):
        raise LoginRequired
    with runtime(request).store.session() as session:
        row = session.get(Operator, operator_id)
        if row is None or request.session.get("pw") != _fingerprint(row.password_hash):
            _sign_out(request)
            raise LoginRequired
        return SignedIn(row.id, row.username)


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


@router.get("/login")
def login_page(
    request: Request, next_url: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    if isinstance(request.session.get("operator_id"), int):
        return redirect(local_path(next_url))
    return page(request, "login.html", next=local_path(next_url))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    with runtime(request).store.session() as session:
        row = operators.authenticate(session, username, password)
        found = (row.id, row.username, row.language, row.password_hash) if row else None
    if found is None:
        error = t(request, "login.failed")
        return page(request, "login.html", 401, error=error, username=username, next=next_url)
    operator_id, name, preferred, password_hash = found
    lang = request.session.get("lang") or preferred
    request.session.clear()  # a fresh session (and CSRF token) on every login
    request.session.update(
        operator_id=operator_id, username=name, pw=_fingerprint(password_hash), lang=lang
    )
    csrf_token(request)
    return redirect(local_path(next_url))


@router.post("/logout")
def logout(request: Request) -> Response:
    _sign_out(request)
    return redirect("/login")


@router.post("/language")
def switch_language(
    request: Request,
    lang: Annotated[str, Form()] = i18n.DEFAULT,
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    chosen = i18n.normalize(lang)
    request.session["lang"] = chosen
    operator_id = request.session.get("operator_id")
    if isinstance(operator_id, int):
        with runtime(request).store.session() as session:
            row = session.get(Operator, operator_id)
            if row is not None:
                row.language = chosen
    return redirect(local_path(next_url))
