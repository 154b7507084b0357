"""Keeping the store bounded: the history older than the retention period goes, what the
service needs to stay correct stays.

Every account adds about 145 runs and as many slots a day (a sales cycle every 10 minutes, the
daily job), and an attempt per order tried: at 1,000 accounts, 50 million rows a year. Each
account's daily job prunes that account's history older than ``HANDY_ALEGRA_RETENTION_DAYS``
(default 90; 0 keeps everything), under its lease — the work is spread over the day with the
accounts' daily runs, and ``handy-alegra db prune`` does the same by hand.

Deleted, when older than the period:
- runs — but never an account's latest run of each kind (``status`` and the dashboard show
  it), nor a run whose verdicts are the current ones (the verdicts explain today's skipped
  records; they go with their run);
- slots that have finished (queued and running ones are work still to do);
- attempts of orders that are settled (sent, voided, cancelled, superseded);
- webhook events already processed, alerts cleared and notified.

Kept for ever: the order records — the exactly-once ledger that maps each Handy order to its
remission (an edit or a cancellation months later must find it, and a restored backup must
not send an order twice) — the customer links, the cursors and what the service manages in
Handy (one row per product or customer: bounded by the company's size, not by time). A
settled order record older than the period keeps that mapping (ids, status, remission,
totals, dates, customer) but drops the copy of the Handy order it was sent from — most of its
size: a cancellation that comes later reads the order from Handy again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, func, select, update
from sqlalchemy.orm import Session

from handy_alegra.domain.statuses import SETTLED, WAITING
from handy_alegra.store.tables import Alert, OrderAttempt, OrderRecord, Run, Slot, WebhookEvent
from handy_alegra.store.tables import Verdict as VerdictRow


@dataclass
class Pruned:
    runs: int = 0
    slots: int = 0
    attempts: int = 0
    events: int = 0
    alerts: int = 0
    compacted: int = 0  # settled order records whose copy of the Handy order was dropped

    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def __iadd__(self, other: Pruned) -> Pruned:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


def prune(session: Session, account_id: int, now: datetime, days: int) -> Pruned:
    """Delete ``account_id``'s history older than ``days`` days (0: nothing)."""
    pruned = Pruned()
    if days <= 0:
        return pruned
    cutoff = now - timedelta(days=days)
    latest = select(func.max(Run.id)).where(Run.account_id == account_id).group_by(Run.kind)
    explaining = select(VerdictRow.run_id).where(VerdictRow.account_id == account_id).distinct()
    pruned.runs = _count(
        session.execute(
            delete(Run).where(
                Run.account_id == account_id,
                Run.started_at < cutoff,
                Run.id.not_in(latest),
                Run.id.not_in(explaining),
            )
        )
    )
    pruned.slots = _count(
        session.execute(
            delete(Slot).where(
                Slot.account_id == account_id,
                Slot.due_at < cutoff,
                Slot.status.not_in(WAITING),  # still to run: never history,
            )
        )
    )
    settled = select(OrderRecord.id).where(
        OrderRecord.account_id == account_id, OrderRecord.status.in_(SETTLED)
    )
    pruned.attempts = _count(
        session.execute(
            delete(OrderAttempt).where(
                OrderAttempt.record_id.in_(settled), OrderAttempt.at < cutoff
            )
        )
    )
    pruned.compacted = _count(
        session.execute(
            update(OrderRecord)
            .where(
                OrderRecord.account_id == account_id,
                OrderRecord.status.in_(SETTLED),
                OrderRecord.updated_at < cutoff,
                cast(OrderRecord.order, String) != "{}",
            )
            .values(order={})
            .execution_options(synchronize_session=False)
        )
    )
    pruned.events = _count(
        session.execute(
            delete(WebhookEvent).where(
                WebhookEvent.account_id == account_id, WebhookEvent.processed_at < cutoff
            )
        )
    )
    pruned.alerts = _count(
        session.execute(
            delete(Alert).where(
                Alert.account_id == account_id,
                Alert.cleared_at < cutoff,
                Alert.cleared_notified.is_(True),
            )
        )
    )
    return pruned


def _count(result: object) -> int:
    return max(0, int(getattr(result, "rowcount", 0) or 0))
