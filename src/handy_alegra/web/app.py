"""The web app: the operators' dashboard (server-rendered, Spanish by default), ``/healthz``,
and the routers that must stay public (``/metrics``, the Alegra webhook receiver)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from handy_alegra.accounts import operators
from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.vault import VaultError
from handy_alegra.runtime import Runtime
from handy_alegra.web import auth, metrics, pages_account, pages_accounts, webhooks
from handy_alegra.web.headers import SecurityHeaders
from handy_alegra.web.render import HERE, NotFound, page, runtime, t
from handy_alegra.web.throttle import LoginThrottle

log = structlog.get_logger("handy_alegra.web")

SESSION_COOKIE = "handy_alegra_session"


def create_app(
    runtime_: Runtime,
    *,
    secret_key: str | None = None,
    https_only: bool = False,
    session_idle: timedelta = operators.SESSION_IDLE,
    throttle: LoginThrottle | None = None,
) -> FastAPI:
    """``secret_key`` signs the cookies (default: derived from the deployment's key);
    ``https_only`` marks them Secure and asks browsers for HTTPS (behind TLS);
    ``session_idle``: a session unused this long ends."""
    app = FastAPI(title="handy-alegra", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime_
    runtime_.store  # noqa: B018 — open (and migrate) the store before requests arrive
    secret = secret_key or auth.session_key(runtime_)
    app.state.auth = auth.AuthSettings(
        secret=secret,
        throttle=throttle or LoginThrottle(runtime_.clock),
        idle=session_idle,
        https_only=https_only,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=int(operators.SESSION_LIFETIME.total_seconds()),
        same_site="lax",
        https_only=https_only,
    )
    app.add_middleware(SecurityHeaders, https_only=https_only)
    app.add_exception_handler(auth.LoginRequired, _login_required)
    app.add_exception_handler(auth.CsrfRejected, _csrf_rejected)
    app.add_exception_handler(NotFound, _not_found)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_api_route("/healthz", healthz, methods=["GET"])
    for router in (
        webhooks.router,
        metrics.router,
        auth.router,
        pages_accounts.router,
        pages_account.router,
    ):
        app.include_router(router)
    return app


HEALTHY = "ok"  # what /healthz says of the service and of each check


def healthz(request: Request) -> JSONResponse:
    """The store answers and the key opens every stored secret: 200 ``ok``; else 503 with
    what fails (no detail that could help an attacker: the logs have it)."""
    rt = runtime(request)
    checks = {"store": HEALTHY, "key": HEALTHY}
    try:
        with rt.store.session() as session:
            session.execute(text("SELECT 1"))
            try:
                accounts.check_key(session, rt.vault)
            except VaultError as exc:
                checks["key"] = "cannot open the stored secrets"
                log.error("healthz_key_failed", error=str(exc))
    except Exception as exc:  # any failure of the store means "not healthy"
        checks["store"] = f"unavailable ({type(exc).__name__})"
        checks["key"] = "unknown"
        log.error("healthz_store_failed", error=type(exc).__name__)
    ok = all(v == HEALTHY for v in checks.values())
    return JSONResponse({"status": HEALTHY if ok else "unavailable", **checks}, 200 if ok else 503)


async def _login_required(request: Request, exc: Exception) -> Response:
    return auth.login_redirect(request)


async def _csrf_rejected(request: Request, exc: Exception) -> HTMLResponse:
    return auth.csrf_rejected(request)


async def _not_found(request: Request, exc: Exception) -> HTMLResponse:
    return page(request, "error.html", 404, title=t(request, "notfound.title"), message=str(exc))
