"""Order records, their attempts, per-record leases, and customer links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handy_alegra.domain.statuses import FINAL, UNSENT_YET, OrderStatus
from handy_alegra.store.tables import CustomerLink, OrderAttempt, OrderRecord


def insert_seen(
    session: Session,
    account_id: int,
    *,
    handy_id: str,
    order: dict[str, Any],
    customer_code: str,
    customer_name: str,
    ordered_at: datetime,
    edited_from: str | None,
    now: datetime,
) -> bool:
    """Record an order read from Handy, once (concurrent readers race safely: the first
    insert wins). Returns True when the record is new."""
    values = {
        "account_id": account_id,
        "handy_id": handy_id,
        "status": OrderStatus.PENDING,
        "detail": {},
        "order": order,
        "customer_code": customer_code[:200],
        "customer_name": customer_name[:300],
        "ordered_at": ordered_at,
        "edited_from": edited_from,
        "external_id_written": False,
        "attempts": 0,
        "first_seen_at": now,
        "updated_at": now,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(OrderRecord)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["account_id", "handy_id"])
    )
    result = session.execute(statement)
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    session.execute(  # an unsent order may have changed (its customer, say): keep the latest
        update(OrderRecord)
        .where(
            OrderRecord.account_id == account_id,
            OrderRecord.handy_id == handy_id,
            OrderRecord.status.in_(UNSENT_YET),
        )
        .values(order=order, customer_name=customer_name[:300], updated_at=now)
    )
    return False


def find(session: Session, account_id: int, handy_id: str) -> OrderRecord | None:
    return session.scalar(
        select(OrderRecord).where(
            OrderRecord.account_id == account_id, OrderRecord.handy_id == handy_id
        )
    )


def find_with_remission(
    session: Session, account_id: int, handy_ids: Sequence[str]
) -> OrderRecord | None:
    """The most recent version among ``handy_ids`` (an edit chain, newest first) that holds a
    live remission."""
    for handy_id in handy_ids:
        record = find(session, account_id, handy_id)
        if record is not None and record.remission_id and record.status not in FINAL:
            return record
    return None


def ids_in(session: Session, account_id: int, statuses: Sequence[str]) -> list[int]:
    """Records in one of ``statuses``, oldest order first."""
    return list(
        session.scalars(
            select(OrderRecord.id)
            .where(OrderRecord.account_id == account_id, OrderRecord.status.in_(statuses))
            .order_by(OrderRecord.ordered_at, OrderRecord.id)
        )
    )


def unwritten(session: Session, account_id: int) -> list[tuple[int, str, str, str | None]]:
    """(record id, order id, remission id, remission number) of sent orders whose remission
    is not yet written back on the Handy order (and was not refused in every form)."""
    rows = session.execute(
        select(
            OrderRecord.id,
            OrderRecord.handy_id,
            OrderRecord.remission_id,
            OrderRecord.remission_number,
        ).where(
            OrderRecord.account_id == account_id,
            OrderRecord.status == OrderStatus.SENT,
            OrderRecord.external_id_written.is_(False),
            OrderRecord.remission_id.is_not(None),
            or_(OrderRecord.external_id_form.is_(None), OrderRecord.external_id_form != "refused"),
        )
    )
    return [(r.id, r.handy_id, r.remission_id, r.remission_number) for r in rows]


def take_lease(
    session: Session, record_id: int, owner: str, now: datetime, until: datetime
) -> bool:
    """Claim a record for one worker until ``until``: atomic, so two workers (or a manual
    run racing the scheduler) never both work on one order."""
    result = session.execute(
        update(OrderRecord)
        .where(
            OrderRecord.id == record_id,
            or_(
                OrderRecord.lease_until.is_(None),
                OrderRecord.lease_until < now,
                OrderRecord.lease_owner == owner,
            ),
        )
        .values(lease_owner=owner, lease_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew_lease(session: Session, record_id: int, owner: str, until: datetime) -> bool:
    """Extend ``owner``'s lease of one record; False when another worker holds it now (ours
    expired and was taken)."""
    result = session.execute(
        update(OrderRecord)
        .where(OrderRecord.id == record_id, OrderRecord.lease_owner == owner)
        .values(lease_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew_leases(session: Session, owner: str, until: datetime) -> int:
    """Extend every lease ``owner`` holds (one statement: a run's heartbeat)."""
    result = session.execute(
        update(OrderRecord).where(OrderRecord.lease_owner == owner).values(lease_until=until)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def lease_of(session: Session, record_id: int) -> tuple[str | None, datetime | None]:
    """Who holds the record's lease, and until when (``None``s: nobody)."""
    row = session.execute(
        select(OrderRecord.lease_owner, OrderRecord.lease_until).where(OrderRecord.id == record_id)
    ).one_or_none()
    return (row.lease_owner, row.lease_until) if row is not None else (None, None)


def release_lease(session: Session, record_id: int, owner: str) -> None:
    session.execute(
        update(OrderRecord)
        .where(OrderRecord.id == record_id, OrderRecord.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


def add_attempt(
    session: Session,
    record: OrderRecord,
    *,
    run_id: int | None,
    at: datetime,
    action: str,
    outcome: str,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        OrderAttempt(
            record_id=record.id,
            run_id=run_id,
            at=at,
            action=action,
            outcome=outcome,
            reason=reason,
            detail=detail or {},
        )
    )


def attempts(session: Session, record_id: int) -> list[OrderAttempt]:
    return list(
        session.scalars(
            select(OrderAttempt)
            .where(OrderAttempt.record_id == record_id)
            .order_by(OrderAttempt.id)
        )
    )


def linked_client(session: Session, account_id: int, handy_code: str) -> str | None:
    link = session.get(CustomerLink, (account_id, handy_code))
    return link.alegra_contact_id if link else None


def link_client(
    session: Session,
    account_id: int,
    handy_code: str,
    contact_id: str,
    *,
    created: bool,
    now: datetime,
) -> None:
    link = session.get(CustomerLink, (account_id, handy_code))
    if link is None:
        session.add(
            CustomerLink(
                account_id=account_id,
                handy_code=handy_code,
                alegra_contact_id=contact_id,
                created_by_us=created,
                linked_at=now,
            )
        )
    else:
        link.alegra_contact_id = contact_id
