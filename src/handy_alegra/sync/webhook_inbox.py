"""What the webhook receiver keeps: each usable delivery as an event for the account's next
job (``webhook_sync`` re-reads the record and syncs it), and each delivery it could not use —
not JSON, nested too deep, over 1 MiB, an event we do not use, no record id — as a problem of
the account, shown by ``status`` and the dashboard. Either way the delivery is acknowledged:
Alegra deletes a subscription after 10 answers in a row that are not 2xx.

A ``delete-item`` or ``delete-client`` event is used like any other: the job re-reads the
record, Alegra answers 404, and the product or customer is disabled in Handy (never deleted),
as the daily run would; a delete event for a record that still exists changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select

from handy_alegra.clients.alegra import WEBHOOK_EVENTS
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.store.tables import WebhookEvent

log = structlog.get_logger("handy_alegra.webhooks")

#: Why a delivery could not be used (reason codes in ``reasons``; kept on the account).
TOO_LARGE, NOT_JSON, TOO_DEEP = "webhook_too_large", "webhook_not_json", "webhook_too_deep"
UNKNOWN_EVENT, NO_RECORD = "webhook_unknown_event", "webhook_no_record"
PROBLEMS = (TOO_LARGE, NOT_JSON, TOO_DEEP, UNKNOWN_EVENT, NO_RECORD)
#: Deliveries that could not be used are kept this many per account (the newest).
PROBLEMS_KEPT = 200
#: ``status`` and the dashboard show the problems of this many days.
PROBLEM_DAYS = 7


def read_event(payload: Any) -> tuple[str, str] | tuple[None, tuple[str, str]]:
    """``(subject, record id)`` of a delivery we can use, else ``(None, (reason, detail))``.

    Only the six item and client events are used. The record id is read from
    ``message.item|client.id`` (Alegra's documented shape), or from ``message.item|client``
    or ``message.id`` when it is a bare id (delete events' shape is undocumented)."""
    if not isinstance(payload, dict):
        return None, (UNKNOWN_EVENT, f"not an event ({type(payload).__name__})")
    subject = payload.get("subject")
    if not isinstance(subject, str) or subject not in WEBHOOK_EVENTS:
        shown = subject[:60] if isinstance(subject, str) else "(no subject)"
        return None, (UNKNOWN_EVENT, shown)
    kind = "item" if subject.endswith("-item") else "client"
    message = payload.get("message")
    found: Any = None
    if isinstance(message, dict):
        record = message.get(kind)
        found = record.get("id") if isinstance(record, dict) else record
        if found in (None, ""):
            found = message.get("id")
    if isinstance(found, bool) or not isinstance(found, str | int) or str(found).strip() == "":
        return None, (NO_RECORD, subject)
    record_id = str(found).strip()
    if len(record_id) > 64:
        return None, (NO_RECORD, subject)
    return subject, record_id


def record_delivery(
    session: Any, account_id: int, body: bytes | None, problem: str | None, now: datetime
) -> str:
    """Keep what one delivery with a valid token brought: an event for the next job, or the
    reason it could not be used (a problem on the account). Returns the outcome: ``recorded``,
    ``verification`` (Alegra's empty POST) or the problem's reason code. Never raises for
    anything in the body."""
    if problem is None and body is not None and not body.strip():
        return "verification"
    subject, detail = None, ""
    if problem is None:
        try:
            payload = json.loads(body or b"")
        except RecursionError:
            problem, detail = TOO_DEEP, "JSON nested too deep to read"
        except ValueError as exc:  # includes bytes that are not UTF-8
            problem, detail = NOT_JSON, " ".join(str(exc).split())[:200]
        else:
            subject, read = read_event(payload)
            if subject is None:
                assert isinstance(read, tuple)
                problem, detail = read
            else:
                assert isinstance(read, str)
                session.add(
                    WebhookEvent(
                        account_id=account_id,
                        subject=subject,
                        record_id=read,
                        received_at=now,
                    )
                )
                return "recorded"
    else:
        detail = "more than 1 MiB"
    session.add(
        WebhookEvent(
            account_id=account_id,
            subject=(subject or "")[:30],
            record_id="",
            received_at=now,
            processed_at=now,
            outcome=problem,
            detail=detail[:300],
        )
    )
    session.flush()
    _keep_newest_problems(session, account_id)
    log.warning("webhook_delivery_not_used", account_id=account_id, reason=problem, detail=detail)
    return problem


def _keep_newest_problems(session: Any, account_id: int) -> None:
    mine = (WebhookEvent.account_id == account_id, WebhookEvent.outcome.in_(PROBLEMS))
    oldest_kept = session.scalar(
        select(WebhookEvent.id)
        .where(*mine)
        .order_by(WebhookEvent.id.desc())
        .offset(PROBLEMS_KEPT - 1)
        .limit(1)
    )
    if oldest_kept is not None:
        session.execute(delete(WebhookEvent).where(*mine, WebhookEvent.id < oldest_kept))


def problems(
    session: Any, account_id: int, now: datetime, lang: str | None = None
) -> dict[str, Any]:
    """The deliveries of the last ``PROBLEM_DAYS`` days that could not be used: how many, by
    reason, and the latest few with what to make of them (``status``, the dashboard)."""
    since = now - timedelta(days=PROBLEM_DAYS)
    rows = session.scalars(
        select(WebhookEvent)
        .where(
            WebhookEvent.account_id == account_id,
            WebhookEvent.outcome.in_(PROBLEMS),
            WebhookEvent.received_at >= since,
        )
        .order_by(WebhookEvent.id.desc())
    ).all()
    by_reason: dict[str, int] = {}
    for row in rows:
        by_reason[str(row.outcome)] = by_reason.get(str(row.outcome), 0) + 1
    return {
        "count": len(rows),
        "days": PROBLEM_DAYS,
        "by_reason": by_reason,
        "latest": [
            {
                "at": row.received_at.isoformat(),
                "reason": row.outcome,
                "explanation": reasons.sentence(row.outcome, {"detail": row.detail or ""}, lang),
            }
            for row in rows[:5]
        ],
    }
