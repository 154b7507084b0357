"""Per account: the last and next run of each job, its outcome and counts, the account's
health, and the open problems (orders not sent, items and customers skipped, Alegra webhook
deliveries that could not be used) with their reasons."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.domain.statuses import (
    NOT_THROUGH,
    UNHEALTHY_OUTCOMES,
    RunOutcome,
)
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.scheduling import slots
from handy_alegra.scheduling.schedule import DAILY, SALES, Schedule, next_run
from handy_alegra.store import sync_state as state
from handy_alegra.store.tables import Account, AccountLease, OrderRecord, Run, Verdict
from handy_alegra.sync import webhook_inbox

RUN_KINDS = (("catalog", DAILY), ("customers", DAILY), ("sales", SALES))
#: The runs whose outcome makes the account's health (webhook events too: they alert).
HEALTH_KINDS = (*(kind for kind, _ in RUN_KINDS), "webhook")
EXAMPLES = 5


class Health(StrEnum):
    """An account at a glance (dashboard, ``status``)."""

    OK = "ok"
    WARN = "warn"  # a run with failed records, or orders not gone through
    BAD = "bad"  # the latest run of a job that says anything ended badly (outage, crash)
    PAUSED = "paused"


#: Healths that ``status --unhealthy`` and the accounts page's filter call unhealthy.
UNHEALTHY = frozenset({Health.WARN, Health.BAD})


def health_of(paused: bool, outcomes: Iterable[str | None], orders_not_through: int) -> Health:
    """paused | bad (the telling run of a job ended badly: an outage, a crash) | warn (a
    partial run, or orders not gone through) | ok. ``outcomes``: each job's telling outcome
    (``telling_outcome``: runs stopped for a shutdown, or still running, are looked past)."""
    if paused:
        return Health.PAUSED
    seen = set(outcomes)
    if seen & UNHEALTHY_OUTCOMES:
        return Health.BAD
    if RunOutcome.PARTIAL in seen or orders_not_through:
        return Health.WARN
    return Health.OK


@dataclass(frozen=True)
class Glance:
    """One account at a glance: what the accounts page and ``status --unhealthy`` need."""

    id: int
    name: str
    country: str
    paused: bool
    running: str | None  # the job running now, if any
    last: dict[str, str | None]  # run kind → its telling outcome (``telling_outcome``)
    orders: int  # orders not sent
    skipped: int  # products and customers skipped by the rules

    @property
    def health(self) -> Health:
        return health_of(self.paused, self.last.values(), self.orders)


def glance(
    session: Session,
    now: datetime,
    *,
    name: str | None = None,
    country: str | None = None,
) -> list[Glance]:
    """Every account (whose name contains ``name``, of ``country``) at a glance, by name.

    One statement for all the accounts — their last runs, orders not sent and records skipped
    are index look-ups per account (``ix_runs_account_kind_started``,
    ``ix_order_records_account_status``, ``ix_verdicts_account_kind_sync``) — and one for
    the jobs running: the same two statements at 10 accounts or 1,000."""

    def last_outcome(kind: str) -> Any:
        return (
            state.telling_runs(Account.id, kind)
            .with_only_columns(Run.outcome)
            .limit(1)
            .correlate(Account)
            .scalar_subquery()
        )

    orders = (
        select(func.count())
        .where(OrderRecord.account_id == Account.id, OrderRecord.status.in_(NOT_THROUGH))
        .correlate(Account)
        .scalar_subquery()
    )
    skipped = (
        select(func.count())
        .where(
            Verdict.account_id == Account.id,
            Verdict.kind.in_(("product", "customer")),
            Verdict.sync.is_(False),
        )
        .correlate(Account)
        .scalar_subquery()
    )
    kinds = list(HEALTH_KINDS)
    query = select(
        Account.id,
        Account.name,
        Account.country,
        Account.paused,
        orders,
        skipped,
        *(last_outcome(kind) for kind in kinds),
    ).order_by(Account.name)
    if name:
        wanted = name.strip().lower()
        query = query.where(func.lower(Account.name).contains(wanted, autoescape=True))
    if country:
        query = query.where(Account.country == country.upper())
    running = dict(
        session.execute(
            select(AccountLease.account_id, AccountLease.job).where(
                AccountLease.until > now, AccountLease.job != ""
            )
        ).all()
    )
    return [
        Glance(
            id=row[0],
            name=row[1],
            country=row[2],
            paused=row[3],
            running=running.get(row[0]),
            last=dict(zip(kinds, row[6:], strict=True)),
            orders=row[4] or 0,
            skipped=row[5] or 0,
        )
        for row in session.execute(query)
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def last_run(session: Session, account_id: int, kind: str) -> Run | None:
    return session.scalar(
        select(Run)
        .where(Run.account_id == account_id, Run.kind == kind, Run.dry_run.is_(False))
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    )


def telling_outcome(session: Session, account_id: int, kind: str) -> str | None:
    """The outcome of the latest finished run of ``kind`` that says something of the account's
    health: runs stopped for a shutdown (or still running) are looked past."""
    return session.scalar(
        state.telling_runs(account_id, kind).with_only_columns(Run.outcome).limit(1)
    )


def health(session: Session, account: AccountConfig, orders_not_through: int) -> Health:
    outcomes = (telling_outcome(session, account.id, kind) for kind in HEALTH_KINDS)
    return health_of(account.paused, outcomes, orders_not_through)


def account_status(
    session: Session, account: AccountConfig, now: datetime, *, lang: str | None = None
) -> dict[str, Any]:
    """``lang``: the language of the explanations (default: ``reasons.language()``)."""
    schedule = Schedule.of(account.timezone, account.daily_at, account.sales_every)
    jobs: dict[str, Any] = {}
    for kind, job in RUN_KINDS:
        run = last_run(session, account.id, kind)
        upcoming = (
            None
            if account.paused
            else next_run(job, schedule, slots.last_done(session, account.id, job), now)
        )
        jobs[kind] = {
            "last_run": None
            if run is None
            else {
                "id": run.id,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "outcome": run.outcome,
                "counts": run.counts,
                "message": run.message,
            },
            "next_run": _iso(upcoming),
        }
    lease = session.get(AccountLease, account.id)
    orders = _order_problems(session, account.id, lang)
    return {
        "account": account.name,
        "country": account.country,
        "paused": account.paused,
        "running": lease.job if lease is not None and lease.until > now and lease.job else None,
        "health": health(session, account, orders["count"]),
        "jobs": jobs,
        "problems": {
            "orders": orders,
            "products": _skipped(session, account.id, "product", lang),
            "customers": _skipped(session, account.id, "customer", lang),
            "webhooks": webhook_inbox.problems(session, account.id, now, lang),
        },
    }


def _order_problems(session: Session, account_id: int, lang: str | None) -> dict[str, Any]:
    rows = session.scalars(
        select(OrderRecord)
        .where(
            OrderRecord.account_id == account_id,
            OrderRecord.status.in_(NOT_THROUGH),
        )
        .order_by(OrderRecord.ordered_at)
    ).all()
    by_reason: dict[str, int] = {}
    for row in rows:
        by_reason[row.reason or row.status] = by_reason.get(row.reason or row.status, 0) + 1
    return {
        "count": len(rows),
        "by_reason": by_reason,
        "orders": [
            {
                "order": r.handy_id,
                "status": r.status,
                "customer": r.customer_name,
                "reason": r.reason,
                "explanation": reasons.sentence(r.reason, r.detail, lang),
                "attempts": r.attempts,
            }
            for r in rows[:50]
        ],
    }


def _skipped(session: Session, account_id: int, kind: str, lang: str | None) -> dict[str, Any]:
    counts = dict(
        session.execute(
            select(Verdict.reason, func.count())
            .where(Verdict.account_id == account_id, Verdict.kind == kind, Verdict.sync.is_(False))
            .group_by(Verdict.reason)
        ).all()
    )
    examples: dict[str, list[dict[str, Any]]] = {}
    for reason in counts:
        rows = session.scalars(
            select(Verdict)
            .where(Verdict.account_id == account_id, Verdict.kind == kind, Verdict.reason == reason)
            .limit(EXAMPLES)
        )
        examples[str(reason)] = [
            {
                "alegra_id": v.source_id,
                "code": v.code,
                "name": v.name,
                "explanation": reasons.sentence(v.reason, v.detail, lang),
            }
            for v in rows
        ]
    return {
        "count": sum(counts.values()),
        "by_reason": {str(k): v for k, v in counts.items()},
        "examples": examples,
    }
