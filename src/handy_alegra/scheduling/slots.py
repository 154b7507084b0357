"""Slots (due jobs) and account leases in the store, shared by every engine and machine."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handy_alegra.scheduling.schedule import DAILY, EVENTS, KINDS, Schedule, due
from handy_alegra.store.statuses import SlotStatus
from handy_alegra.store.tables import Account, AccountLease, Run, Slot, WebhookEvent

#: The daily job also counts a catalog run started by hand (activation, ``sync catalog``): a
#: full catalog run right after one is waste. Sales keep their cadence from slots alone.
COVERING_RUN = {DAILY: "catalog"}
#: A running slot whose account lease expired this long ago is given to another worker.
ABANDONED_AFTER = timedelta(minutes=1)


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def last_done(session: Session, account_id: int, kind: str) -> datetime | None:
    """The latest slot made for this job (for the daily job: or the start of its latest
    catalog run, when later)."""
    known = [
        session.scalar(
            select(func.max(Slot.due_at)).where(Slot.account_id == account_id, Slot.kind == kind)
        )
    ]
    if kind in COVERING_RUN:
        known.append(
            session.scalar(
                select(func.max(Run.started_at)).where(
                    Run.account_id == account_id,
                    Run.kind == COVERING_RUN[kind],
                    Run.dry_run.is_(False),
                )
            )
        )
    present = [t for t in known if t is not None]
    return max(present) if present else None


def make_due_slots(session: Session, now: datetime) -> int:
    """Create the slots that are due now for every active account (each once, whoever asks
    first), and an ``events`` slot for an account with webhook events waiting. Returns how many
    were created."""
    created = 0
    for account in session.scalars(select(Account).where(Account.paused.is_(False))):
        if _events_waiting(session, account.id):
            created += request_now(session, account.id, EVENTS, now.replace(microsecond=0))
        schedule = Schedule.of(account.timezone, account.daily_at, account.sales_every)
        for kind in KINDS:
            slot_time = due(kind, schedule, last_done(session, account.id, kind), now)
            if slot_time is None:
                continue
            statement = (
                _insert(session)(Slot)
                .values(
                    account_id=account.id,
                    kind=kind,
                    due_at=slot_time,
                    status=SlotStatus.QUEUED,
                    created_at=now,
                    run_ids=[],
                )
                .on_conflict_do_nothing(index_elements=["account_id", "kind", "due_at"])
            )
            created += session.execute(statement).rowcount  # type: ignore[attr-defined]
    return created


def recover_abandoned(session: Session, now: datetime) -> int:
    """Running slots whose worker stopped renewing its account lease go back to the queue."""
    stale = session.scalars(select(Slot).where(Slot.status == SlotStatus.RUNNING)).all()
    recovered = 0
    for slot in stale:
        lease = session.get(AccountLease, slot.account_id)
        if lease is None or lease.owner != slot.owner or lease.until < now - ABANDONED_AFTER:
            slot.status, slot.owner, slot.message = (
                SlotStatus.QUEUED,
                None,
                "its worker stopped; queued again",
            )
            recovered += 1
    return recovered


def queued(session: Session) -> list[Slot]:
    return list(
        session.scalars(
            select(Slot).where(Slot.status == SlotStatus.QUEUED).order_by(Slot.due_at, Slot.id)
        )
    )


def claim(session: Session, slot_id: int, owner: str, now: datetime) -> bool:
    result = session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.status == SlotStatus.QUEUED)
        .values(status=SlotStatus.RUNNING, owner=owner, started_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def requeue(session: Session, slot_id: int) -> None:
    session.execute(
        update(Slot).where(Slot.id == slot_id).values(status=SlotStatus.QUEUED, owner=None)
    )


def finish(
    session: Session,
    slot_id: int,
    status: SlotStatus,
    run_ids: list[int],
    message: str | None,
    now: datetime,
) -> None:
    """Record how the slot's job ended; ``queued``: it stopped for a shutdown, to run again."""
    owner = {"owner": None} if status == SlotStatus.QUEUED else {}
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id)
        .values(status=status, run_ids=run_ids, message=message, finished_at=now, **owner)
    )


# --- account leases --------------------------------------------------------------------------


def take_lease(
    session: Session, account_id: int, owner: str, job: str, now: datetime, until: datetime
) -> bool:
    """The account for ``owner`` until ``until``, unless someone else holds an unexpired lease."""
    result = session.execute(
        update(AccountLease)
        .where(AccountLease.account_id == account_id)
        .where((AccountLease.until < now) | (AccountLease.owner == owner))
        .values(owner=owner, until=until, job=job)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    inserted = session.execute(
        _insert(session)(AccountLease)
        .values(account_id=account_id, owner=owner, until=until, job=job)
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    return bool(inserted.rowcount)  # type: ignore[attr-defined]


def renew_lease(session: Session, account_id: int, owner: str, until: datetime) -> bool:
    result = session.execute(
        update(AccountLease)
        .where(AccountLease.account_id == account_id, AccountLease.owner == owner)
        .values(until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_lease(session: Session, account_id: int, owner: str, now: datetime) -> None:
    session.execute(
        update(AccountLease)
        .where(AccountLease.account_id == account_id, AccountLease.owner == owner)
        .values(until=now - timedelta(seconds=1), job="")
    )


def _events_waiting(session: Session, account_id: int) -> bool:
    return (
        session.scalar(
            select(WebhookEvent.id)
            .where(WebhookEvent.account_id == account_id, WebhookEvent.processed_at.is_(None))
            .limit(1)
        )
        is not None
    )


def request_now(session: Session, account_id: int, kind: str, now: datetime) -> bool:
    """Queue a job to run as soon as a service picks it up ("sync now"). False when one of
    that kind is already waiting."""
    waiting = session.scalar(
        select(func.count()).where(
            Slot.account_id == account_id, Slot.kind == kind, Slot.status == SlotStatus.QUEUED
        )
    )
    if waiting:
        return False
    statement = (
        _insert(session)(Slot)
        .values(
            account_id=account_id,
            kind=kind,
            due_at=now,
            status=SlotStatus.QUEUED,
            created_at=now,
            run_ids=[],
        )
        .on_conflict_do_nothing(index_elements=["account_id", "kind", "due_at"])
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]
