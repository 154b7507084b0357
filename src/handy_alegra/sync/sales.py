"""Sales, Handy → Alegra: every order becomes exactly one remission.

A cycle: (1) read the orders created, and those deleted, in windows that end when the run
starts and overlap the previous ones; record each order in the store before anything is sent
(a cancellation is recorded as an intent, so that nothing is lost if the cycle dies); (2) move
the cursors; (3) work through every open record under a per-record lease, so that two workers
never handle one order (``sales_orders.OrderHandler``; the leases are short and renewed while
the run lives, ``sales_leases``); orders another worker held are waited for until it lets go
— or its lease lapses, when it died — for at most a lease, and reported if still held;
(4) retry remission ids not yet written back on their Handy orders.

Exactly once: a record is marked ``sending`` (committed) before its POST, and the remission's
observations carry ``[handy-order:<id>]``. After an unknown outcome — timeout, dropped
connection, 5xx, or a crash before the store heard back — the next attempt looks for that
marker among the client's remissions of that date and adopts what it finds; it posts only
when there is none.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from handy_alegra.accounts.context import Context
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.pages import in_order
from handy_alegra.domain.errors import RecordParseError
from handy_alegra.domain.statuses import WORK, OrderStatus
from handy_alegra.records.handy import SalesOrder
from handy_alegra.store import orders as records
from handy_alegra.store import sync_state as state
from handy_alegra.store.database import Store
from handy_alegra.store.tables import OrderRecord
from handy_alegra.sync import lifecycle
from handy_alegra.sync import sales_plan as plan
from handy_alegra.sync.progress import Progress, Silent
from handy_alegra.sync.sales_leases import LEASE, RENEW_EVERY, Holder, OrderLeases
from handy_alegra.sync.sales_orders import OrderHandler, apply_change
from handy_alegra.sync.summary import RunSummary, Stopped

log = structlog.get_logger("handy_alegra.sales")

OVERLAP = timedelta(minutes=10)
#: How often a run waiting for orders another worker holds looks again.
HELD_POLL = timedelta(seconds=5)
CREATED, DELETED = "sales_created", "sales_deleted"
RESUMES = "the next cycle resumes from here"


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
    sleep: Callable[[float], None] = time.sleep  # the clock's: waiting for held orders
    clock_scale: float = 1.0  # the clock's speed, for the lease heartbeat's real interval
    held: dict[int, Holder] = field(default_factory=dict)  # orders another worker holds
    handy_ids: dict[int, str] = field(default_factory=dict)  # record id → order id (worked)

    def __post_init__(self) -> None:
        self.leases = OrderLeases(self.store, self.owner, self.now, scale=self.clock_scale)
        self._held_lock = threading.Lock()

    def run(self) -> RunSummary:
        self._worked: int | None = None  # records found open to work on, once known
        started = self.now()
        summary = RunSummary("sales", self.account.name, started_at=started)

        def count_pending(session: Session) -> None:
            # nothing was open to work on (and nothing read): nothing can be open now
            summary.counts["pending"] = (
                0 if self._worked == 0 else len(records.ids_in(session, self.account.id, WORK))
            )

        with lifecycle.opened(
            self.store, self.account.id, summary, self.now, resumes=RESUMES, on_close=count_pending
        ):
            with self.store.session() as session:
                cursors = state.get_cursors(session, self.account.id, (CREATED, DELETED))
            since_created = self._since(cursors.get(CREATED))
            since_deleted = self._since(cursors.get(DELETED))
            handler = OrderHandler(
                alegra=self.alegra,
                handy=self.handy,
                store=self.store,
                account=self.account,
                now=self.now,
                summary=summary,
                run_id=summary.run_id,
                keep_lease=self.leases.keep,
            )
            self._read_created(since_created, started, summary)
            self._read_deleted(since_deleted, started, summary)
            with self.store.session() as session:  # every order read is recorded: move on
                if len(cursors) == 2:
                    state.move_cursors(session, self.account.id, (CREATED, DELETED), started)
                else:
                    for name in (CREATED, DELETED):
                        state.set_cursor(session, self.account.id, name, started)
            with self.leases:
                self._worked = self._work(handler)
                self._wait_for_held(handler)
            self._report_held(summary)
            self._write_back(handler)
        return summary

    def _checkpoint(self) -> None:
        if self.should_stop():
            raise Stopped

    def _since(self, value: datetime | None) -> datetime:
        return value - OVERLAP if value else self.account.sales_since

    # --- reading -------------------------------------------------------------------------------
    def _read_created(self, start: datetime, end: datetime, summary: RunSummary) -> None:
        self.progress.phase("Reading Handy orders")
        for order in self.handy.iter_sales_orders(start, end):
            self._checkpoint()  # the cursors move only once both readings are complete
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
        if record is not None:
            for change in plan.on_unreadable(plan.OrderState.of(record)):
                apply_change(record, change, self.now())
                record.detail = {"field": error.field, "problem": error.problem}
        return new

    def _read_deleted(self, start: datetime, end: datetime, summary: RunSummary) -> None:
        self.progress.phase("Reading Handy deletions")
        for order in self.handy.iter_sales_orders(start, end, deleted=True):
            self._checkpoint()
            self.progress.advance()
            if isinstance(order, RecordParseError):
                log.error("deleted_order_unreadable", account=self.account.name, error=str(order))
                continue
            with self.store.session() as session:
                self._note_deletion(session, order, summary)

    def _note_deletion(self, session: Session, order: SalesOrder, summary: RunSummary) -> None:
        """What a deleted order changes (``sales_plan.on_deletion``): an edit's old version is
        superseded, an order never sent is cancelled, the record holding its remission is
        marked ``cancelling`` (its void is decided when the cycle works on it)."""
        record = records.find(session, self.account.id, order.id)
        chain = [r for h in order.edited_from if (r := records.find(session, self.account.id, h))]
        changes = plan.on_deletion(
            order,
            plan.OrderState.of(record) if record is not None else None,
            [plan.OrderState.of(r) for r in chain],
        )
        rows = {r.handy_id: r for r in (record, *chain) if r is not None}
        for change in changes:
            apply_change(rows[change.handy_id], change, self.now())
            if change.action == plan.Act.CANCEL:
                summary.bump(OrderStatus.CANCELLED)
        summary.add_planned([plan.change_line(c) for c in changes if c.action])

    # --- working ---------------------------------------------------------------------------
    def _work(self, handler: OrderHandler) -> int:
        """Independent orders go ``workers`` at a time; edits and cancellations, which touch
        the records of other versions, follow one by one once those are settled. Returns how
        many records there were to work on."""
        with self.store.session() as session:
            rows = session.execute(
                select(
                    OrderRecord.id,
                    OrderRecord.handy_id,
                    OrderRecord.status,
                    OrderRecord.edited_from,
                )
                .where(OrderRecord.account_id == self.account.id, OrderRecord.status.in_(WORK))
                .order_by(OrderRecord.ordered_at, OrderRecord.id)
            ).all()
        self.handy_ids.update((r.id, r.handy_id) for r in rows)
        parallel, serial = plan.work_order([(r.id, r.status, r.edited_from) for r in rows])
        self.progress.phase("Sending orders to Alegra", total=len(rows))
        for _ in in_order(
            lambda i: self._one(handler, parallel[i]), range(len(parallel)), self.workers
        ):
            pass
        for record_id in serial:
            self._one(handler, record_id)
        return len(rows)

    def _one(self, handler: OrderHandler, record_id: int) -> None:
        self._checkpoint()
        self._leased(record_id, handler)
        self.progress.advance()

    def _leased(self, record_id: int, handler: OrderHandler) -> None:
        holder = self.leases.take(record_id)
        if holder is not None:  # another worker has this order right now
            with self._held_lock:
                self.held[record_id] = holder
            return
        with self._held_lock:
            self.held.pop(record_id, None)
        structlog.contextvars.bind_contextvars(record=record_id)
        try:
            handler.handle(record_id)
        finally:
            self.leases.release(record_id)
            structlog.contextvars.unbind_contextvars("record")
        lost = self.leases.lost.pop(record_id, None)
        if lost is not None:  # our lease lapsed and another worker took the order over
            with self._held_lock:
                self.held[record_id] = lost

    def _wait_for_held(self, handler: OrderHandler) -> None:
        """Orders another worker held when this run came to them: wait until it lets go —
        it finishes them, or it died and its lease lapses — and send what is still to send.
        A holder that keeps renewing (alive, still at it) is waited for at most a lease."""
        if not self.held:
            return
        self.progress.phase("Waiting for orders held by another worker", total=len(self.held))
        give_up = self.now() + LEASE + RENEW_EVERY
        while self.held:
            self._checkpoint()
            with self.store.session() as session:
                still = set(records.ids_in(session, self.account.id, WORK)) & set(self.held)
            for record_id in sorted(set(self.held) - still):  # the other worker is done
                self.held.pop(record_id)
                self.progress.advance()
            for record_id in sorted(still):  # free now (lapsed, or let go)? else who has it
                self._leased(record_id, handler)
                if record_id not in self.held:
                    self.progress.advance()
            if not self.held:
                return
            now = self.now()
            soonest = min(h.until for h in self.held.values())
            if now >= give_up or soonest > give_up:  # alive and at it, or a longer lease
                return
            self.sleep(min((soonest - now).total_seconds() + 1, HELD_POLL.total_seconds()))

    def _report_held(self, summary: RunSummary) -> None:
        """Say which orders were left alone because another worker holds them: how many, by
        whom, until when (instead of an unexplained ``pending``); each is a ``wait`` of the
        plan."""
        if not self.held:
            return
        for record_id, holder in sorted(self.held.items()):
            if record_id in self.handy_ids:
                held = plan.Held(holder.owner, holder.until)
                summary.add_planned(plan.plan_lines(plan.wait(self.handy_ids[record_id], held)))
        until: dict[str, list[datetime]] = defaultdict(list)
        for holder in self.held.values():
            until[holder.owner].append(holder.until)
        summary.counts["held"] = len(self.held)
        holders = "; ".join(
            f"{owner} until {max(moments):%Y-%m-%d %H:%M:%S} UTC ({len(moments)})"
            for owner, moments in sorted(until.items())
        )
        summary.message = (
            f"{len(self.held)} order(s) left alone: another worker holds them ({holders}); "
            "the next cycle sends them once it lets go"
        )
        log.warning("orders_held_elsewhere", account=self.account.name, held=holders)

    def _write_back(self, handler: OrderHandler) -> None:
        with self.store.session() as session:
            pending = records.unwritten(session, self.account.id)
        for record_id, handy_id, remission_id, remission_number in pending:
            handler.write_back(record_id, handy_id, remission_id, remission_number)


def run(
    runtime: Context,
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
    sync = SalesSync(
        alegra,
        handy,
        runtime.store,
        account,
        runtime.clock.now,
        progress or Silent(),
        should_stop=should_stop or (lambda: False),
        workers=runtime.concurrency,
        sleep=runtime.clock.sleep,
        clock_scale=getattr(runtime.clock, "scale", 1.0),
    )
    return sync.run()
