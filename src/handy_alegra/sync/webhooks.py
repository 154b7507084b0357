"""Near-real-time catalog and customers through Alegra webhooks.

The receiver only records what Alegra announced (``webhook_inbox``). A job of the account —
under its lease, like any other — then re-reads each record by id (the payload is never
trusted: its shape differs from the API's) and syncs that one item or client through the same
pure rules and plan as the daily run. The daily run stays the safety net. Subscriptions that
Alegra dropped (after 10 failed deliveries) are found and re-created by the daily job — once a
day, not after every job: listing them is an Alegra call, and a sales cycle with no new order
makes none.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from handy_alegra.accounts.context import Context
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.alegra import WEBHOOK_EVENTS
from handy_alegra.domain.errors import ApiError, NotFoundError
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.records.alegra import WebhookSubscription
from handy_alegra.store import sync_state as state
from handy_alegra.store.tables import HandyRecord, WebhookEvent
from handy_alegra.store.tables import Verdict as VerdictRow
from handy_alegra.sync import catalog, customers, lifecycle
from handy_alegra.sync.keyed import KeyedSync
from handy_alegra.sync.summary import RunSummary, Stopped
from handy_alegra.sync.wiring import keyed_sync

log = structlog.get_logger("handy_alegra.webhooks")

RECEIVER_PATH = "/webhooks/alegra/{token}"
RESUMES = "the next job resumes from here"
BATCH = 200


def new_token() -> str:
    return secrets.token_urlsafe(24)


def receiver_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + RECEIVER_PATH.format(token=token)


def bare(url: str) -> str:
    """A URL as Alegra stores it: without its scheme."""
    return url.split("://", 1)[-1]


def pending(session: Any, account_id: int) -> int:
    return len(
        session.scalars(
            select(WebhookEvent.id)
            .where(WebhookEvent.account_id == account_id, WebhookEvent.processed_at.is_(None))
            .limit(BATCH)
        ).all()
    )


def ensure_subscriptions(runtime: Context, account: AccountConfig) -> list[str]:
    """Subscribe the account's receiver to every item and client event that is missing;
    returns the events (re-)created. Errors are logged: the next job tries again."""
    if not (account.webhook_token and account.webhook_public_url):
        return []
    wanted = bare(receiver_url(account.webhook_public_url, account.webhook_token))
    alegra = runtime.alegra(account)
    try:
        existing = {
            s.event
            for s in alegra.list_webhooks()
            if isinstance(s, WebhookSubscription) and bare(s.url) == wanted
        }
        created = []
        for event in WEBHOOK_EVENTS:
            if event not in existing:
                alegra.create_webhook(event, wanted)
                created.append(event)
    except ApiError as exc:
        log.warning("webhook_subscriptions_not_checked", account=account.name, error=str(exc))
        return []
    if created:
        log.info("webhook_subscriptions_created", account=account.name, events=created)
    return created


def process(
    runtime: Context, account: AccountConfig, should_stop: Callable[[], bool] = lambda: False
) -> RunSummary:
    """Sync the records the pending webhook events name, one by one."""
    store, now = runtime.store, runtime.clock.now
    with store.session() as session:
        events = session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.account_id == account.id, WebhookEvent.processed_at.is_(None))
            .order_by(WebhookEvent.id)
            .limit(BATCH)
        ).all()
        todo: dict[tuple[str, str], list[int]] = {}
        for event in events:
            kind = "item" if event.subject.endswith("item") else "client"
            todo.setdefault((kind, event.record_id), []).append(event.id)
    summary = RunSummary("webhook", account.name, started_at=now())
    done: list[int] = []

    def mark_done(session: Session) -> None:  # what was synced is not synced again
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(done))
            .values(processed_at=now(), outcome="synced")
        )

    with lifecycle.opened(store, account.id, summary, now, resumes=RESUMES, on_close=mark_done):
        assert summary.run_id is not None
        alegra = runtime.alegra(account)
        handy = runtime.handy(account)
        syncs = {
            "item": keyed_sync(runtime, account, catalog.resource_for(runtime, account)),
            "client": keyed_sync(
                runtime,
                account,
                customers.CustomerResource(alegra, handy, customers.rules_for(account)),
            ),
        }
        # the rules as the daily run has them, read now (the sellers' current names)
        judges = {kind: syncs[kind].resource.judge() for kind in sorted({k for k, _ in todo})}
        for (kind, record_id), event_ids in todo.items():
            if should_stop():
                raise Stopped
            try:
                record: Any = (
                    alegra.get_item(record_id) if kind == "item" else alegra.get_contact(record_id)
                )
            except NotFoundError:
                record = None  # deleted in Alegra
            verdict = judges[kind](record) if record is not None else None
            sync_one(syncs[kind], summary.run_id, record_id, verdict, summary)
            done.extend(event_ids)
    return summary


def sync_one(
    sync: KeyedSync, run_id: int, source_id: str, verdict: Verdict | None, summary: RunSummary
) -> str:
    """One Alegra record's verdict (None: the record is deleted) through the plan and the
    write, exactly as the daily run would; returns the action taken on its code(s)."""
    kind, resource = sync.kind, sync.resource
    with sync.store.session() as session:
        codes = set(
            session.scalars(
                select(VerdictRow.code).where(
                    VerdictRow.account_id == sync.account_id,
                    VerdictRow.kind == kind,
                    VerdictRow.source_id == source_id,
                    VerdictRow.code.is_not(None),
                )
            )
        ) | set(
            session.scalars(
                select(HandyRecord.code).where(
                    HandyRecord.account_id == sync.account_id,
                    HandyRecord.kind == kind,
                    HandyRecord.source_id == source_id,
                )
            )
        )
        session.execute(
            delete(VerdictRow).where(
                VerdictRow.account_id == sync.account_id,
                VerdictRow.kind == kind,
                VerdictRow.source_id == source_id,
            )
        )
        if verdict is not None:
            state.add_verdicts(session, sync.account_id, run_id, kind, [verdict])
            if verdict.code:
                codes.add(verdict.code)
    group = (
        verdict.desired.get(resource.group_field) if verdict is not None and verdict.sync else None
    )
    resource.prepare({group} if isinstance(group, str) else set(), dry_run=False)
    taken = []
    for code in sorted(c for c in codes if c):
        fresh = resource.fetch(code)
        snapshot = None if fresh is None else {**fresh.fields, "_id": fresh.handy_id}
        with sync.store.session() as session:
            rows = session.scalars(
                select(VerdictRow).where(
                    VerdictRow.account_id == sync.account_id,
                    VerdictRow.kind == kind,
                    VerdictRow.code == code,
                )
            ).all()
            verdicts = [
                Verdict(
                    r.source_id,
                    r.code,
                    r.name,
                    r.sync,
                    r.reason,
                    r.detail,
                    r.desired,
                )
                for r in rows
            ]
            row = session.get(HandyRecord, (sync.account_id, kind, code))
            action = sync.settle(session, run_id, code, verdicts, snapshot, row, summary)
            taken.append(action.kind)
    return ",".join(taken) or "nothing"
