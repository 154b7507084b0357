"""Slots (due jobs) and account leases in the store, shared by every engine and machine."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handy_alegra.domain.statuses import SlotStatus
from handy_alegra.scheduling.schedule import DAILY, EVENTS, KINDS, SALES, Schedule, due
from handy_alegra.store import sync_state as state
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


#: How soon a queued job should finish once due: the queue starts the earliest deadline
#: first. A sales cycle (or webhook work) within a minute, a daily run within the hour — at a
#: 03:00 peak the sales cycles go first, and the daily runs fill the time between them; the
#: run after activation (its slot is yesterday's 03:00) goes before anything due today.
DEADLINE = {SALES: timedelta(minutes=1), EVENTS: timedelta(minutes=1), DAILY: timedelta(hours=1)}
#: The kinds queued together, each group read in order of due time.
_URGENT = (SALES, EVENTS)


def make_due_slots(session: Session, now: datetime) -> int:
    """Create the slots that are due now for every active account (each once, whoever asks
    first), and an ``events`` slot for an account with webhook events waiting. Returns how many
    were created. What every account last ran is read in one statement (the latest slot of
    each kind, the latest catalog run, waiting events: index look-ups per account), so a tick
    costs the same few round trips at 10 accounts or 1,000."""
    rows = session.execute(
        select(
            Account.id,
            Account.timezone,
            Account.daily_at,
            Account.sales_every,
            _latest_slot(SALES),
            _latest_slot(DAILY),
            _latest_covering_run(DAILY),
            exists()
            .where(WebhookEvent.account_id == Account.id, WebhookEvent.processed_at.is_(None))
            .correlate(Account),
        ).where(Account.paused.is_(False))
    ).all()
    due_now: list[dict[str, object]] = []
    created = 0
    for account_id, zone, daily_at, every, last_sales, last_daily, last_catalog, events in rows:
        if events:
            created += request_now(session, account_id, EVENTS, now.replace(microsecond=0))
        schedule = Schedule.of(zone, daily_at, every)
        latest = {SALES: last_sales, DAILY: _later(last_daily, last_catalog)}
        for kind in KINDS:
            slot_time = due(kind, schedule, latest[kind], now)
            if slot_time is not None:
                due_now.append(
                    {
                        "account_id": account_id,
                        "kind": kind,
                        "due_at": slot_time,
                        "status": SlotStatus.QUEUED,
                        "created_at": now,
                        "run_ids": [],
                    }
                )
    for values in due_now:  # one statement each: rowcount says whether it was made here
        statement = (
            _insert(session)(Slot)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["account_id", "kind", "due_at"])
        )
        created += session.execute(statement).rowcount  # type: ignore[attr-defined]
    return created


def _latest_slot(kind: str):  # type: ignore[no-untyped-def]
    return (
        select(func.max(Slot.due_at))
        .where(Slot.account_id == Account.id, Slot.kind == kind)
        .correlate(Account)
        .scalar_subquery()
    )


def _latest_covering_run(kind: str):  # type: ignore[no-untyped-def]
    covering = COVERING_RUN.get(kind, "")
    return (
        select(func.max(Run.started_at))
        .where(Run.account_id == Account.id, Run.kind == covering, Run.dry_run.is_(False))
        .correlate(Account)
        .scalar_subquery()
    )


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    present = [t for t in (a, b) if t is not None]
    return max(present) if present else None


def recover_abandoned(session: Session, now: datetime) -> int:
    """Running slots whose worker stopped renewing its account lease go back to the queue, and
    the runs that worker left ``running`` are closed (``sync_state.close_abandoned_runs``)."""
    stale = session.execute(
        select(Slot, AccountLease)
        .outerjoin(AccountLease, AccountLease.account_id == Slot.account_id)
        .where(Slot.status == SlotStatus.RUNNING)
    ).all()
    recovered = 0
    for slot, lease in stale:
        if lease is None or lease.owner != slot.owner or lease.until < now - ABANDONED_AFTER:
            if slot.started_at is not None:
                state.close_abandoned_runs(session, slot.account_id, slot.started_at, now)
            slot.status, slot.owner, slot.message = (
                SlotStatus.QUEUED,
                None,
                "its worker stopped; queued again",
            )
            recovered += 1
    return recovered


def deadline(kind: str, due_at: datetime) -> datetime:
    return due_at + DEADLINE.get(kind, DEADLINE[SALES])


def queued(session: Session) -> list[Slot]:
    """Every queued slot, the earliest deadline first."""
    rows = session.scalars(select(Slot).where(Slot.status == SlotStatus.QUEUED)).all()
    return sorted(rows, key=lambda s: (deadline(s.kind, s.due_at), s.id))


def next_up(session: Session, count: int) -> list[tuple[int, int]]:
    """(slot id, account id) of the ``count`` queued slots with the earliest deadlines: two
    index range reads (urgent kinds, daily) of at most ``count`` rows each, merged."""
    found: list[Any] = []
    for kinds in (_URGENT, (DAILY,)):
        found += session.execute(
            select(Slot.id, Slot.account_id, Slot.kind, Slot.due_at)
            .where(Slot.status == SlotStatus.QUEUED, Slot.kind.in_(kinds))
            .order_by(Slot.due_at, Slot.id)
            .limit(count)
        ).all()
    found.sort(key=lambda r: (deadline(r.kind, r.due_at), r.id))
    return [(r.id, r.account_id) for r in found[:count]]


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
