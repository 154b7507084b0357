"""``sync sales --dry-run``: what the next cycle would do, with nothing written anywhere.

It reads the same windows as a cycle and records what it reads — in memory, over a copy of
the store's records (``Memory``) — applies Handy's deletions the way the cycle does
(``sales_plan.on_deletion``), then works through the same records in the same order and asks
the same plan for each (``sales_facts.Facts.decide``): the facts it gathers are read the same
way, without creating or linking anything (a client it would create is ``(new client)``). Each
decision is listed (``plan``) and counted, and the record is changed in memory as the cycle
would leave it if Alegra took every write, so that an edit or a cancellation later in the
cycle sees it. What only Alegra's answer to a write can tell (a POST of unknown outcome, a
refused remission or client) is not foreseen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.domain.errors import RecordParseError
from handy_alegra.domain.statuses import UNSENT_YET, WORK, OrderStatus
from handy_alegra.records.alegra import Remission
from handy_alegra.records.handy import SalesOrder
from handy_alegra.store import sync_state as state
from handy_alegra.store.database import Store
from handy_alegra.store.tables import OrderRecord
from handy_alegra.sync import lifecycle
from handy_alegra.sync import sales_plan as plan
from handy_alegra.sync.sales import CREATED, DELETED, OVERLAP
from handy_alegra.sync.sales_facts import Facts
from handy_alegra.sync.sales_lookup import ClientResolver, ItemResolver
from handy_alegra.sync.sales_orders import terms
from handy_alegra.sync.summary import RunSummary

NOTHING_WRITTEN = "a dry run: nothing was written"
#: Ids of the records a dry run would create (after every stored one: the same order of work).
NEW_RECORDS = 10**15


class Memory:
    """The store's order records of one account as the cycle would change them, in memory:
    loaded when first asked for, changed only here."""

    def __init__(self, store: Store, account_id: int, now: datetime) -> None:
        self.store = store
        self.account_id = account_id
        self.now = now
        self.records: dict[str, plan.OrderState | None] = {}
        with store.session() as session:
            rows = session.scalars(
                select(OrderRecord).where(
                    OrderRecord.account_id == account_id, OrderRecord.status.in_(WORK)
                )
            ).all()
            for row in rows:
                self.records[row.handy_id] = plan.OrderState.of(row)
        self.ids = {r.id: h for h, r in self.records.items() if r is not None}
        self._new = 0

    def get(self, handy_id: str) -> plan.OrderState | None:
        if handy_id not in self.records:
            with self.store.session() as session:
                row = session.scalar(
                    select(OrderRecord).where(
                        OrderRecord.account_id == self.account_id,
                        OrderRecord.handy_id == handy_id,
                    )
                )
                self.records[handy_id] = plan.OrderState.of(row) if row is not None else None
                if row is not None:
                    self.ids[row.id] = handy_id
        return self.records[handy_id]

    def chain(self, handy_ids: Iterable[str]) -> tuple[plan.OrderState, ...]:
        return tuple(r for h in handy_ids if (r := self.get(h)) is not None)

    def seen(
        self,
        handy_id: str,
        order: dict[str, Any],
        ordered_at: datetime,
        edited_from: str | None = None,
    ) -> bool:
        """What ``store.orders.insert_seen`` does: a new record, or the latest reading of an
        order not sent yet. True when the record is new."""
        known = self.get(handy_id)
        if known is None:
            self._new += 1
            self.records[handy_id] = plan.OrderState(
                handy_id,
                OrderStatus.PENDING,
                id=NEW_RECORDS + self._new,
                ordered_at=ordered_at,
                order=order,
                edited_from=edited_from,
            )
            self.ids[NEW_RECORDS + self._new] = handy_id
            return True
        if known.status in UNSENT_YET:
            self.records[handy_id] = replace(known, order=order)
        return False

    def apply(self, changes: Sequence[plan.Change]) -> None:
        for change in changes:
            known = self.get(change.handy_id)
            if known is not None:
                self.records[change.handy_id] = change.applied_to(known)

    def work(self) -> list[plan.OrderState]:
        """The records a cycle would work on, oldest order first."""
        open_ = [r for r in self.records.values() if r is not None and r.status in WORK]
        return sorted(open_, key=lambda r: (r.ordered_at or self.now, r.id))

    def by_id(self, record_id: int) -> plan.OrderState:
        found = self.records[self.ids[record_id]]
        assert found is not None
        return found


class DryFacts(Facts):
    """The facts of a dry run: records from memory; the remissions it would create, open."""

    def __init__(
        self,
        memory: Memory,
        alegra: AlegraClient,
        handy: HandyClient,
        clients: ClientResolver,
        items: ItemResolver,
        account: AccountConfig,
    ) -> None:
        super().__init__(alegra, handy, clients, items, terms(account))
        self.memory = memory
        self.planned: dict[str, Remission] = {}

    def chain(self, handy_ids: Sequence[str]) -> tuple[plan.OrderState, ...]:
        return self.memory.chain(handy_ids)

    def remission(self, remission_id: str) -> Remission:
        if remission_id in self.planned:
            return self.planned[remission_id]
        return super().remission(remission_id)

    def new_remission(self, handy_id: str, day: str) -> str:
        remission_id = f"(new remission for {handy_id})"
        self.planned[remission_id] = Remission.model_validate(
            {"id": remission_id, "date": day, "status": "open"}
        )
        return remission_id


def preview(
    alegra: AlegraClient,
    handy: HandyClient,
    store: Store,
    account: AccountConfig,
    now: Callable[[], datetime],
) -> RunSummary:
    started = now()
    summary = RunSummary("sales", account.name, dry_run=True, started_at=started)
    with lifecycle.opened(store, account.id, summary, now, record=False, resumes=NOTHING_WRITTEN):
        with store.session() as session:
            since = {
                name: (value - OVERLAP)
                if (value := state.get_cursor(session, account.id, name))
                else account.sales_since
                for name in (CREATED, DELETED)
            }
        memory = Memory(store, account.id, started)
        _read_created(handy, memory, since[CREATED], started, summary)
        for order in handy.iter_sales_orders(since[DELETED], started, deleted=True):
            if isinstance(order, SalesOrder):
                changes = plan.on_deletion(
                    order, memory.get(order.id), memory.chain(order.edited_from)
                )
                memory.apply(changes)
                summary.add_planned([plan.change_line(c) for c in changes if c.action])
                summary.counts[OrderStatus.CANCELLED] += sum(
                    c.action == plan.Act.CANCEL for c in changes
                )
        facts = DryFacts(
            memory,
            alegra,
            handy,
            ClientResolver(alegra, handy, store, account, now, dry_run=True),
            ItemResolver(alegra, store, account.id),
            account,
        )
        parallel, serial = plan.work_order([(r.id, r.status, r.edited_from) for r in memory.work()])
        for record_id in (*parallel, *serial):
            record = memory.by_id(record_id)
            held = (
                plan.Held(record.lease_owner, record.lease_until)
                if record.lease_owner and record.lease_until and record.lease_until >= started
                else None
            )
            decision = facts.decide(record, plan.Known(held=held))
            new_remission = ""
            if decision.action == plan.Act.CREATE:
                assert decision.draft is not None
                new_remission = facts.new_remission(
                    record.handy_id, decision.draft.date.isoformat()
                )
            memory.apply(plan.settled(record, decision, new_remission))
            summary.add_planned(plan.plan_lines(decision))
            _count(summary, decision)
    return summary


def _read_created(
    handy: HandyClient, memory: Memory, start: datetime, end: datetime, summary: RunSummary
) -> None:
    for order in handy.iter_sales_orders(start, end):
        if isinstance(order, RecordParseError):
            if order.record_id is None:
                summary.fail("unreadable")
                continue
            summary.counts["read"] += memory.seen(order.record_id, {}, end)
            known = memory.get(order.record_id)
            if known is not None:
                memory.apply(plan.on_unreadable(known))
            continue
        raw = order.model_dump(mode="json", by_alias=True)
        edited_from = order.edited_from[0] if order.edited_from else None
        summary.counts["read"] += memory.seen(order.id, raw, order.date_created, edited_from)


def _count(summary: RunSummary, decision: plan.Decision) -> None:
    if decision.action == plan.Act.FAIL:
        if decision.attention:
            summary.counts[OrderStatus.NEEDS_ATTENTION] += 1
        else:
            assert decision.reason is not None
            summary.failed[decision.reason] += 1
    elif decision.action in plan.EFFECT:
        summary.counts[plan.EFFECT[decision.action]] += 1
