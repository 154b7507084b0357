"""What every page shares: the templates, the runtime, the session's language, its CSRF token
and its one-time messages."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from handy_alegra import messages
from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.registry import AccountConfig, AccountError
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.runtime import Runtime

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))


def account_url(name: str, *parts: str) -> str:
    return "/".join(["/accounts", quote(name, safe=""), *(quote(p, safe="") for p in parts)])


TEMPLATES.env.globals["account_url"] = account_url


class NotFound(Exception):
    """Answered with a 404 page that shows this message."""


def runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


def language(request: Request) -> str:
    return messages.normalize(request.session.get("lang"))


def t(request: Request, key: str, **values: object) -> str:
    return messages.translator(language(request), "web.")(key, **values)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def flash(request: Request, kind: str, message: str) -> None:
    """A message shown once, on the next page rendered (``kind``: ok, error, info)."""
    request.session["flash"] = [*request.session.get("flash", []), [kind, message]]


def local_path(target: str | None, default: str = "/accounts") -> str:
    """``target`` when it is a path on this site (never another host: no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def load_account(request: Request, name: str) -> AccountConfig:
    rt = runtime(request)
    try:
        with rt.store.session() as session:
            return accounts.load(session, rt.vault, name)
    except AccountError:
        raise NotFound(t(request, "unknown_account", name=name)) from None


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    shared = {
        "lang": lang,
        "t": messages.translator(lang, "web."),
        "csrf_token": csrf_token(request),
        "operator": request.session.get("username"),
        "flashes": request.session.pop("flash", []),
        "label": lambda code: reasons.label(code, lang),
        "here": (
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.method == "GET"
            else "/accounts"
        ),
    }
    return TEMPLATES.TemplateResponse(request, template, {**shared, **context}, status_code)
