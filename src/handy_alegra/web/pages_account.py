"""One account: runs and their chart, problems with what to do, "sync now", "retry now" on an
order, and the lookup that shows the same explanations as ``handy-alegra explain``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from handy_alegra.accounts.registry import AccountError
from handy_alegra.domain.statuses import RETRYABLE, WORK
from handy_alegra.scheduling import slots
from handy_alegra.views import explain, order_actions
from handy_alegra.web import auth, queries
from handy_alegra.web.render import (
    NotFound,
    account_url,
    flash,
    language,
    load_account,
    local_path,
    page,
    redirect,
    runtime,
    t,
)

router = APIRouter(dependencies=auth.PROTECTED)

SYNC_KINDS = ("daily", "sales")
LOOKUP_KINDS = ("order", "product", "customer")
REFRESH_SECONDS = 3


@router.get("/accounts/{name}")
def account_page(request: Request, name: str) -> Response:
    rt = runtime(request)
    account = load_account(request, name)
    with rt.store.session() as session:
        data = queries.account_page(session, account, rt.clock.now(), language(request))
    return page(
        request,
        "account.html",
        view=data,
        account=account,
        status=data.status,
        problems=data.status["problems"],
        sync_kinds=SYNC_KINDS,
        lookup_kinds=LOOKUP_KINDS,
        retryable=RETRYABLE,
        refresh=REFRESH_SECONDS if data.work_pending else None,
    )


@router.post("/accounts/{name}/sync/{kind}")
def sync_now(
    request: Request, name: str, kind: str, next_url: Annotated[str, Form(alias="next")] = ""
) -> Response:
    if kind not in SYNC_KINDS:
        raise NotFound(kind)
    rt = runtime(request)
    account = load_account(request, name)
    with rt.store.session() as session:
        queued = slots.request_now(session, account.id, kind, rt.clock.now())
    label = t(request, f"kind.{kind}")
    message = "account.sync_queued" if queued else "account.sync_waiting"
    flash(request, "ok", t(request, message, kind=label))
    return redirect(local_path(next_url, account_url(name)))


@router.get("/accounts/{name}/orders/{handy_id}")
def order_page(request: Request, name: str, handy_id: str) -> Response:
    rt = runtime(request)
    account = load_account(request, name)
    with rt.store.session() as session:
        shown = explain.explain_order(session, account, handy_id, language(request))
        waiting = queries.sales_waiting(session, account.id)
    status = shown.data.get("status")
    return page(
        request,
        "explanation.html",
        404 if not shown.found else 200,
        account=account,
        shown=shown,
        kind="order",
        key=handy_id,
        status=status,
        can_retry=status in RETRYABLE,
        waiting=waiting and status in WORK,  # it may still change without anyone acting
        refresh=REFRESH_SECONDS if waiting and status in WORK else None,
        lookup_kinds=LOOKUP_KINDS,
    )


@router.post("/accounts/{name}/orders/{handy_id}/retry")
def retry_order(
    request: Request, name: str, handy_id: str, next_url: Annotated[str, Form(alias="next")] = ""
) -> Response:
    rt = runtime(request)
    account = load_account(request, name)
    try:
        with rt.store.session() as session:
            order_actions.retry(session, account.id, handy_id)
            slots.request_now(session, account.id, "sales", rt.clock.now())
    except AccountError as exc:
        flash(request, "error", t(request, "account.retry_failed", error=str(exc)))
    else:
        flash(request, "ok", t(request, "account.retried", id=handy_id))
    return redirect(local_path(next_url, account_url(name, "orders", handy_id)))


@router.get("/accounts/{name}/lookup")
def lookup(
    request: Request,
    name: str,
    kind: Annotated[str, Query()] = "order",
    key: Annotated[str, Query()] = "",
) -> Response:
    rt = runtime(request)
    account = load_account(request, name)
    key = key.strip()
    if kind not in LOOKUP_KINDS:
        raise NotFound(kind)
    if not key:
        flash(request, "error", t(request, "lookup.nothing"))
        return redirect(account_url(name))
    if kind == "order":
        return redirect(account_url(name, "orders", key))
    with rt.store.session() as session:
        shown = explain.explain_record(session, account, kind, key, language(request))
    return page(
        request,
        "explanation.html",
        404 if not shown.found else 200,
        account=account,
        shown=shown,
        kind=kind,
        key=key,
        status=None,
        can_retry=False,
        waiting=False,
        refresh=None,
        lookup_kinds=LOOKUP_KINDS,
    )
