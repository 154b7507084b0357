"""The web app: the operators' dashboard (server-rendered, Spanish by default), ``/healthz``,
and the routers that must stay public (``/metrics``, the Alegra webhook receiver)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from handy_alegra.runtime import Runtime
from handy_alegra.web import auth, metrics, pages_account, pages_accounts, webhooks
from handy_alegra.web.render import HERE, NotFound, page, runtime, t

SESSION_COOKIE = "handy_alegra_session"
SESSION_HOURS = 12


def create_app(
    runtime_: Runtime, *, secret_key: str | None = None, https_only: bool = False
) -> FastAPI:
    """``secret_key`` signs the session cookie (default: derived from the deployment's key);
    ``https_only`` marks the cookie Secure (behind TLS)."""
    app = FastAPI(title="handy-alegra", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime_
    runtime_.store  # noqa: B018 — open (and migrate) the store before requests arrive
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key or auth.session_key(runtime_),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=https_only,
    )
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


def healthz(request: Request) -> JSONResponse:
    try:
        with runtime(request).store.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure of the store means "not healthy"
        return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, 503)
    return JSONResponse({"status": "ok"})


async def _login_required(request: Request, exc: Exception) -> Response:
    return auth.login_redirect(request)


async def _csrf_rejected(request: Request, exc: Exception) -> HTMLResponse:
    return auth.csrf_rejected(request)


async def _not_found(request: Request, exc: Exception) -> HTMLResponse:
    return page(request, "error.html", 404, title=t(request, "notfound.title"), message=str(exc))
