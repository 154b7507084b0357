"""Sales, Handy → Alegra: every order becomes exactly one remission.

A cycle: (1) read the orders created, and those deleted, in windows that end when the run
starts and overlap the previous ones; record each order in the store before anything is sent
(a cancellation is recorded as an intent, so that nothing is lost if the cycle dies); (2) move
the cursors; (3) work through every open record under a per-record lease, so that two workers
never handle one order (``sales_orders.OrderHandler``); (4) retry remission ids not yet written
back on their Handy orders.

Exactly once: a record is marked ``sending`` (committed) before its POST, and the remission's
observations carry ``[handy-order:<id>]``. After an unknown outcome — timeout, dropped
connection, 5xx, or a crash before the store heard back — the next attempt looks for that
marker among the client's remissions of that date and adopts what it finds; it posts only
when there is none.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from handy_alegra.accounts import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.handy_records import SalesOrder
from handy_alegra.clients.pages import in_order
from handy_alegra.errors import ApiError, RecordParseError
from handy_alegra.runtime import Runtime
from handy_alegra.store import orders as records
from handy_alegra.store import sync_state as state
from handy_alegra.store.database import Store
from handy_alegra.store.tables import OrderRecord
from handy_alegra.sync.progress import Progress, Silent
from handy_alegra.sync.sales_orders import OrderHandler
from handy_alegra.sync.summary import RunSummary, Stopped

log = structlog.get_logger("handy_alegra.sales")

OVERLAP = timedelta(minutes=10)
LEASE = timedelta(minutes=15)
CREATED, DELETED = "sales_created", "sales_deleted"
#: What a cycle works on: records still to send, and cancellations waiting for their void.
WORK = (*records.OPEN, "cancelling")
#: A deleted order in one of these states needs nothing more.
FINAL = ("voided", "cancelled")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class SalesSync:
    alegra: AlegraClient
    handy: HandyClient
    store: Store
    account: AccountConfig
    now: Callable[[], datetime]
    progress: Progress = field(default_factory=Silent)
    owner: str = field(default_factory=worker_id)
    should_stop: Callable[[], bool] = lambda: False
    workers: int = 1  # orders sent in parallel

    def run(self) -> RunSummary:
        self._worked: int | None = None  # records found open to work on, once known
        started = self.now()
        summary = RunSummary("sales", self.account.name, started_at=started)
        with self.store.session() as session:
            run_id = state.start_run(session, self.account.id, "sales", started, dry_run=False).id
            cursors = state.get_cursors(session, self.account.id, (CREATED, DELETED))
        since_created = self._since(cursors.get(CREATED))
        since_deleted = self._since(cursors.get(DELETED))
        summary.run_id = run_id
        handler = OrderHandler(
            alegra=self.alegra,
            handy=self.handy,
            store=self.store,
            account=self.account,
            now=self.now,
            summary=summary,
            run_id=run_id,
        )
        try:
            self._read_created(since_created, started, summary)
            self._read_deleted(since_deleted, started)
            with self.store.session() as session:  # every order read is recorded: move on
                if len(cursors) == 2:
                    state.move_cursors(session, self.account.id, (CREATED, DELETED), started)
                else:
                    for name in (CREATED, DELETED):
                        state.set_cursor(session, self.account.id, name, started)
            self._worked = self._work(handler)
            self._write_back(handler)
        except ApiError as exc:
            summary.outcome = "interrupted"
            summary.message = f"{exc} — the next cycle resumes from here"
            log.warning("sales_interrupted", account=self.account.name, error=str(exc))
        except Stopped:
            summary.outcome = "stopped"
            summary.message = "stopped for a shutdown; the next cycle resumes from here"
        except Exception as exc:  # a bug: record the run as crashed, then let it surface
            summary.outcome, summary.message = "crashed", f"{type(exc).__name__}: {exc}"[:500]
            self._close(run_id, summary)
            raise
        self._close(run_id, summary)
        return summary

    def _close(self, run_id: int, summary: RunSummary) -> None:
        with self.store.session() as session:
            # nothing was open to work on (and nothing read): nothing can be open now
            summary.counts["pending"] = (
                0 if self._worked == 0 else len(records.ids_in(session, self.account.id, WORK))
            )
            if summary.outcome == "ok" and summary.failed.total():
                summary.outcome = "partial"
            summary.finished_at = self.now()
            state.finish_run(
                session,
                run_id,
                summary.finished_at,
                summary.outcome,
                summary.counts_json(),
                summary.message,
            )

    def _since(self, value: datetime | None) -> datetime:
        return value - OVERLAP if value else self.account.sales_since

    # --- reading -------------------------------------------------------------------------------
    def _read_created(self, start: datetime, end: datetime, summary: RunSummary) -> None:
        self.progress.phase("Reading Handy orders")
        for order in self.handy.iter_sales_orders(start, end):
            self.progress.advance()
            with self.store.session() as session:
                if isinstance(order, RecordParseError):
                    summary.counts["read"] += self._record_unreadable(session, order, summary)
                else:
                    summary.counts["read"] += records.insert_seen(
                        session,
                        self.account.id,
                        handy_id=order.id,
                        order=order.model_dump(mode="json", by_alias=True),
                        customer_code=order.customer.code,
                        customer_name=order.customer.description,
                        ordered_at=order.date_created,
                        edited_from=order.edited_from[0] if order.edited_from else None,
                        now=self.now(),
                    )

    def _record_unreadable(
        self, session: Session, error: RecordParseError, summary: RunSummary
    ) -> bool:
        """An order that cannot be read is recorded by its id and read again each cycle."""
        if error.record_id is None:  # nothing to record it by: counted, and logged
            log.error("order_unreadable_without_id", account=self.account.name, error=str(error))
            summary.fail("unreadable")
            return False
        new = records.insert_seen(
            session,
            self.account.id,
            handy_id=error.record_id,
            order={},
            customer_code="",
            customer_name="",
            ordered_at=self.now(),
            edited_from=None,
            now=self.now(),
        )
        record = records.find(session, self.account.id, error.record_id)
        if record is not None and record.status in ("pending", "failed"):
            record.status, record.reason = "failed", "unreadable"
            record.detail = {"field": error.field, "problem": error.problem}
        return new

    def _read_deleted(self, start: datetime, end: datetime) -> None:
        self.progress.phase("Reading Handy deletions")
        for order in self.handy.iter_sales_orders(start, end, deleted=True):
            self.progress.advance()
            if isinstance(order, RecordParseError):
                log.error("deleted_order_unreadable", account=self.account.name, error=str(order))
                continue
            with self.store.session() as session:
                self._note_deletion(session, order)

    def _note_deletion(self, session: Session, order: SalesOrder) -> None:
        """An edit (``isEdited``) is never a cancellation: an older version not yet sent is
        just never sent (its newer version is). A cancellation voids the remission of the
        order — or, when this order was never read, of the version before it."""
        record = records.find(session, self.account.id, order.id)
        if order.is_edited:
            if record is not None and record.status in ("pending", "failed"):
                record.status = "superseded"
            return
        if record is not None and record.status in FINAL:
            return
        holder = (
            record
            if record is not None and (record.remission_id or record.status == "sending")
            else None
        )
        holder = holder or records.find_with_remission(session, self.account.id, order.edited_from)
        if (
            record is not None
            and record is not holder
            and record.status in (*records.OPEN, "needs_attention")
        ):
            record.status, record.reason = "cancelled", None
        if holder is not None and holder.status not in FINAL:
            holder.status = "cancelling"
            holder.detail = {**holder.detail, "cancelled_order": order.id}

    # --- working ---------------------------------------------------------------------------
    def _work(self, handler: OrderHandler) -> int:
        """Independent orders go ``workers`` at a time; edits and cancellations, which touch
        the records of other versions, follow one by one once those are settled. Returns how
        many records there were to work on."""
        with self.store.session() as session:
            rows = session.execute(
                select(OrderRecord.id, OrderRecord.status, OrderRecord.edited_from)
                .where(OrderRecord.account_id == self.account.id, OrderRecord.status.in_(WORK))
                .order_by(OrderRecord.ordered_at, OrderRecord.id)
            ).all()
        parallel = [r.id for r in rows if r.status != "cancelling" and not r.edited_from]
        serial = [r.id for r in rows if r.status == "cancelling" or r.edited_from]
        self.progress.phase("Sending orders to Alegra", total=len(rows))
        for _ in in_order(
            lambda i: self._one(handler, parallel[i]), range(len(parallel)), self.workers
        ):
            pass
        for record_id in serial:
            self._one(handler, record_id)
        return len(rows)

    def _one(self, handler: OrderHandler, record_id: int) -> None:
        if self.should_stop():
            raise Stopped
        self._leased(record_id, handler)
        self.progress.advance()

    def _handle(self, handler: OrderHandler, record_id: int) -> None:
        with self.store.session() as session:
            record = session.get(OrderRecord, record_id)
            status = record.status if record is not None else None
        if status == "cancelling":
            handler.cancel(record_id)
        elif status in records.OPEN:
            handler.send(record_id)

    def _leased(self, record_id: int, handler: OrderHandler) -> None:
        now = self.now()
        with self.store.session() as session:
            if not records.take_lease(session, record_id, self.owner, now, now + LEASE):
                return  # another worker has this order right now
        structlog.contextvars.bind_contextvars(record=record_id)
        try:
            self._handle(handler, record_id)
        finally:
            with self.store.session() as session:
                records.release_lease(session, record_id, self.owner)
            structlog.contextvars.unbind_contextvars("record")

    def _write_back(self, handler: OrderHandler) -> None:
        with self.store.session() as session:
            pending = records.unwritten(session, self.account.id)
        for record_id, handy_id, remission_id in pending:
            handler.write_back(record_id, handy_id, remission_id)


def run(
    runtime: Runtime,
    account: AccountConfig,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunSummary:
    alegra, handy = runtime.alegra(account), runtime.handy(account)
    if dry_run:
        from handy_alegra.sync.sales_preview import preview

        return preview(alegra, handy, runtime.store, account, runtime.clock.now)
    sync = SalesSync(alegra, handy, runtime.store, account, runtime.clock.now, progress or Silent())
    sync.workers = runtime.concurrency
    if should_stop is not None:
        sync.should_stop = should_stop
    return sync.run()
