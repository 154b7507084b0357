"""Reading and writing what the syncs keep: runs, cursors, verdicts, snapshots, Handy records.

Values kept as JSON (desired fields, snapshots, known Handy fields) are columns of type
``store.types.DecimalJson``: Decimals go in and come back exact, with nothing to do here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, insert, select, union, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handy_alegra.domain.statuses import NEUTRAL_OUTCOMES, RunOutcome
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.store.tables import Cursor, HandyRecord, Run, Snapshot
from handy_alegra.store.tables import Verdict as VerdictRow

# --- runs and cursors -------------------------------------------------------------------


def start_run(session: Session, account_id: int, kind: str, now: datetime, *, dry_run: bool) -> Run:
    run = Run(account_id=account_id, kind=kind, started_at=now, dry_run=dry_run, counts={})
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run_id: int,
    now: datetime,
    outcome: str,
    counts: dict[str, Any],
    message: str | None,
) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(finished_at=now, outcome=outcome, counts=counts, message=message)
        .execution_options(synchronize_session=False)
    )


def drop_run(session: Session, run_id: int) -> None:
    """Delete a run (a dry run's, which only held scratch rows)."""
    run = session.get(Run, run_id)
    if run is not None:
        session.delete(run)


def telling_runs(account_id: Any, kind: str) -> Select[Run]:
    """The runs of ``kind`` that say how an account's job goes, newest first: finished, not
    dry runs, and not stopped for a shutdown (``NEUTRAL_OUTCOMES``: looked past). Health
    (``status``, the dashboard) reads the first; alerts read the latest few. ``account_id``
    may be a column, for a subquery correlated with the accounts."""
    return (
        select(Run)
        .where(
            Run.account_id == account_id,
            Run.kind == kind,
            Run.dry_run.is_(False),
            Run.finished_at.is_not(None),
            Run.outcome.not_in(NEUTRAL_OUTCOMES),
        )
        .order_by(Run.started_at.desc(), Run.id.desc())
    )


#: What a run left ``running`` by a process that died (SIGKILL, out of memory, power) is
#: closed with, once the scheduler sees that process's account lease expired.
ABANDONED_MESSAGE = "its process ended without closing it; the next run resumes from here"


def close_abandoned_runs(session: Session, account_id: int, since: datetime, now: datetime) -> int:
    """Close the account's runs still ``running`` that started at or after ``since`` (when a
    job that died took its slot) as interrupted, and drop their scratch rows: the snapshots,
    and the verdicts of a judging that did not finish (the previous run's are still there)."""
    runs = session.scalars(
        select(Run).where(
            Run.account_id == account_id,
            Run.outcome == RunOutcome.RUNNING,
            Run.started_at >= since,
        )
    ).all()
    for run in runs:
        run.outcome, run.finished_at = RunOutcome.INTERRUPTED, now
        run.message = ABANDONED_MESSAGE
        kinds = session.scalars(
            select(VerdictRow.kind).where(VerdictRow.run_id == run.id).distinct()
        ).all()
        unfinished = any(
            session.scalar(
                select(VerdictRow.id)
                .where(
                    VerdictRow.account_id == account_id,
                    VerdictRow.kind == kind,
                    VerdictRow.run_id != run.id,
                )
                .limit(1)
            )
            is not None
            for kind in kinds
        )
        drop_run_scratch(session, run.id, verdicts=unfinished)
    return len(runs)


def get_cursor(session: Session, account_id: int, name: str) -> datetime | None:
    row = session.get(Cursor, (account_id, name))
    return row.value if row else None


def get_cursors(session: Session, account_id: int, names: Sequence[str]) -> dict[str, datetime]:
    """Several cursors of one account in one read; those never set are absent."""
    return dict(
        session.execute(
            select(Cursor.name, Cursor.value).where(
                Cursor.account_id == account_id, Cursor.name.in_(names)
            )
        ).all()
    )


def move_cursors(session: Session, account_id: int, names: Sequence[str], value: datetime) -> None:
    """Existing cursors to ``value`` (one statement, without reading them first)."""
    session.execute(
        update(Cursor)
        .where(Cursor.account_id == account_id, Cursor.name.in_(names))
        .values(value=value)
        .execution_options(synchronize_session=False)
    )


def set_cursor(session: Session, account_id: int, name: str, value: datetime) -> None:
    """One statement (an upsert): two workers moving a new cursor at once both succeed, the
    last one's value stays (a read, then an insert, made the second one fail)."""
    upsert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = upsert(Cursor).values(account_id=account_id, name=name, value=value)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["account_id", "name"], set_={"value": statement.excluded.value}
        )
    )


# --- verdicts and snapshots (per run) -------------------------------------------------------


def add_verdicts(
    session: Session, account_id: int, run_id: int, kind: str, verdicts: Iterable[Verdict]
) -> None:
    rows = [
        {
            "account_id": account_id,
            "run_id": run_id,
            "kind": kind,
            "source_id": v.source_id,
            "code": v.code[:200] if v.code else None,
            "name": v.name[:300],
            "sync": v.sync,
            "reason": v.reason,
            "detail": v.detail,
            "desired": v.desired,
        }
        for v in verdicts
    ]
    if rows:  # one executemany, without building ORM objects (100,000 verdicts a run)
        session.execute(insert(VerdictRow), rows)


def keep_only_run_verdicts(session: Session, account_id: int, kind: str, run_id: int) -> None:
    """The run's verdicts are complete: they replace the previous run's."""
    session.execute(
        delete(VerdictRow).where(
            VerdictRow.account_id == account_id,
            VerdictRow.kind == kind,
            VerdictRow.run_id != run_id,
        )
    )


def drop_run_scratch(session: Session, run_id: int, *, verdicts: bool) -> None:
    session.execute(delete(Snapshot).where(Snapshot.run_id == run_id))
    if verdicts:
        session.execute(delete(VerdictRow).where(VerdictRow.run_id == run_id))


def add_snapshots(
    session: Session, run_id: int, kind: str, records: Iterable[tuple[str, dict[str, Any]]]
) -> None:
    seen: set[str] = set()
    rows = []
    for code, data in records:
        if code in seen:
            continue
        seen.add(code)
        rows.append({"run_id": run_id, "kind": kind, "code": code, "data": data})
    if rows:
        session.execute(insert(Snapshot), rows)


def codes_to_plan(
    session: Session, account_id: int, run_id: int, kind: str, *, batch: int
) -> Iterator[list[str]]:
    """Every code the run must decide on, in batches, in order: codes Alegra names, codes
    read from Handy this run, and codes this service manages (read once: a code is small)."""
    from_verdicts = select(VerdictRow.code.label("code")).where(
        VerdictRow.run_id == run_id, VerdictRow.kind == kind, VerdictRow.code.is_not(None)
    )
    from_snapshots = select(Snapshot.code.label("code")).where(
        Snapshot.run_id == run_id, Snapshot.kind == kind
    )
    from_managed = select(HandyRecord.code.label("code")).where(
        HandyRecord.account_id == account_id,
        HandyRecord.kind == kind,
        HandyRecord.managed.is_(True),
    )
    every = union(from_verdicts, from_snapshots, from_managed).subquery()
    codes = list(session.scalars(select(every.c.code).order_by(every.c.code)))
    for start in range(0, len(codes), batch):
        yield codes[start : start + batch]


def load_batch(
    session: Session, account_id: int, run_id: int, kind: str, codes: Sequence[str]
) -> tuple[dict[str, list[Verdict]], dict[str, dict[str, Any]], dict[str, HandyRecord]]:
    """What the plan needs of ``codes`` — one batch of ``codes_to_plan``: sorted by the
    database (its collation, which may not be Python's order) and holding every code of the
    run between its first and last. Rows are read by that range of the indexes: one cached
    statement, instead of 500 parameters to compile each time."""
    wanted = set(codes)
    low, high = codes[0], codes[-1]
    verdicts: dict[str, list[Verdict]] = {}
    columns = (
        VerdictRow.source_id,
        VerdictRow.code,
        VerdictRow.name,
        VerdictRow.sync,
        VerdictRow.reason,
        VerdictRow.detail,
        VerdictRow.desired,
    )  # plain rows, not ORM objects: read once, never changed
    for source_id, code, name, sync, reason, detail, desired in session.execute(
        select(*columns).where(
            VerdictRow.run_id == run_id,
            VerdictRow.kind == kind,
            VerdictRow.code.between(low, high),
        )
    ):
        if code in wanted:
            verdicts.setdefault(code, []).append(
                Verdict(source_id, code, name, sync, reason, detail, desired)
            )
    snapshots = {
        code: data
        for code, data in session.execute(
            select(Snapshot.code, Snapshot.data).where(
                Snapshot.run_id == run_id, Snapshot.kind == kind, Snapshot.code.between(low, high)
            )
        )
        if code in wanted
    }
    records = {
        row.code: row
        for row in session.scalars(
            select(HandyRecord).where(
                HandyRecord.account_id == account_id,
                HandyRecord.kind == kind,
                HandyRecord.code.between(low, high),
            )
        )
        if row.code in wanted
    }
    return verdicts, snapshots, records


def record_for(session: Session, account_id: int, kind: str, code: str) -> HandyRecord:
    row = session.get(HandyRecord, (account_id, kind, code))
    if row is None:
        row = HandyRecord(
            account_id=account_id, kind=kind, code=code, managed=False, known={}, detail={}
        )
        session.add(row)
    return row
