"""``POST /webhooks/alegra/{token}``: Alegra's deliveries, answered at once.

Alegra verifies a new subscription with an empty POST that must get a 2xx within 5 seconds,
and deletes a subscription after 10 deliveries in a row not answered 2xx, so the receiver does
nothing slow: it records the event (the record's id) and answers; a job syncs the record
within a minute. The URL's token is the only credential (Alegra signs nothing), so it is long
and random.

Order of work, so that a stranger costs nothing: the token is checked first — by the sha256
that the store keeps, so no comparison of the secret itself can be timed — and a wrong one is
answered 404 before a byte of the body is read. With the right token, a body declared or found
to be over 1 MiB is not read (or no further); whatever the body holds, the answer is 2xx, and
what could not be used is recorded as a problem of the account (``webhook_inbox``).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from handy_alegra.accounts.registry import token_digest
from handy_alegra.observability.metrics import WEBHOOK_DELIVERIES
from handy_alegra.runtime import Runtime
from handy_alegra.store.tables import Account
from handy_alegra.sync.webhook_inbox import TOO_LARGE, record_delivery

router = APIRouter()

MAX_BODY = 1024 * 1024
#: What a token can look like (``secrets.token_urlsafe``); anything else is not looked up.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,100}")
#: The body of a refused request is left unread: the connection is not reused.
CLOSE = {"Connection": "close"}


def _runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


def _account_for(runtime: Runtime, token: str) -> int | None:
    with runtime.store.session() as session:
        found = session.scalar(
            select(Account.id).where(Account.webhook_token_hash == token_digest(token))
        )
        return int(found) if found is not None else None


async def _body(request: Request) -> tuple[bytes | None, str | None]:
    """The body, or None and ``TOO_LARGE`` once it is known to pass ``MAX_BODY`` (from
    Content-Length, or while streaming a chunked body) — never read further than that."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > MAX_BODY:
        return None, TOO_LARGE
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None, TOO_LARGE
        chunks.append(chunk)
    return b"".join(chunks), None


@router.post("/webhooks/alegra/{token}", include_in_schema=False)
async def receive(token: str, request: Request) -> JSONResponse:
    runtime = _runtime(request)
    account_id = (
        await run_in_threadpool(_account_for, runtime, token) if TOKEN.fullmatch(token) else None
    )
    if account_id is None:
        WEBHOOK_DELIVERIES.labels("unknown_token").inc()
        return JSONResponse({"ok": False}, status_code=404, headers=CLOSE)
    try:
        body, problem = await _body(request)
    except ClientDisconnect:
        return JSONResponse({"ok": False}, status_code=200)  # nobody is left to read it
    outcome = await run_in_threadpool(_record, runtime, account_id, body, problem)
    WEBHOOK_DELIVERIES.labels(
        outcome if outcome in ("recorded", "verification") else "problem"
    ).inc()
    headers = CLOSE if problem == TOO_LARGE else None
    return JSONResponse({"ok": True, "outcome": outcome}, status_code=200, headers=headers)


def _record(runtime: Runtime, account_id: int, body: bytes | None, problem: str | None) -> str:
    with runtime.store.session() as session:
        return record_delivery(session, account_id, body, problem, runtime.clock.now())
