"""``POST /webhooks/alegra/{token}``: Alegra's deliveries, answered at once.

Alegra verifies a new subscription with an empty POST that must get a 2xx within 5 seconds,
and deletes a subscription after 10 failed deliveries, so the receiver does nothing slow: it
records the event (the record's id) and answers; a job syncs the record within a minute. The
URL's token is the only credential (Alegra signs nothing), so it is long and random.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from handy_alegra.runtime import Runtime
from handy_alegra.store.tables import Account
from handy_alegra.webhook_sync import record_event

router = APIRouter()


def _runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


@router.post("/webhooks/alegra/{token}", include_in_schema=False)
async def receive(token: str, request: Request) -> JSONResponse:
    body = await request.body()
    runtime = _runtime(request)
    payload: Any = None
    if body.strip():
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"ok": False, "error": "not JSON"}, status_code=400)
    stored = await run_in_threadpool(_store, runtime, token, payload)
    if stored is None:
        return JSONResponse({"ok": False}, status_code=404)
    return JSONResponse({"ok": True, "recorded": stored})


def _store(runtime: Runtime, token: str, payload: Any) -> bool | None:
    with runtime.store.session() as session:
        account_id = session.scalar(select(Account.id).where(Account.webhook_token == token))
        if account_id is None:
            return None
        if payload is None:  # the verification POST
            return False
        return record_event(session, account_id, payload, runtime.clock.now())
