"""``sync sales --dry-run``: what the next cycle would do, with nothing written anywhere.

It reads the same windows and the same records as a cycle, resolves clients and items without
creating or linking anything, prices the lines, and lists the remissions it would create,
update or void — with the reason for each order it could not send.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from handy_alegra.accounts import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.handy_records import SalesOrder
from handy_alegra.clients.wire import parse_record
from handy_alegra.mapping import remission as rules
from handy_alegra.mapping.problems import Problem
from handy_alegra.store import sync_state as state
from handy_alegra.store.database import Store
from handy_alegra.store.statuses import FINAL, OPEN, OrderStatus
from handy_alegra.store.tables import OrderRecord
from handy_alegra.sync import lifecycle
from handy_alegra.sync.sales import CREATED, DELETED, OVERLAP
from handy_alegra.sync.sales_lookup import ClientResolver, ItemResolver
from handy_alegra.sync.summary import RunSummary

NOTHING_WRITTEN = "a dry run: nothing was written"


def preview(
    alegra: AlegraClient,
    handy: HandyClient,
    store: Store,
    account: AccountConfig,
    now: Callable[[], datetime],
) -> RunSummary:
    started = now()
    summary = RunSummary("sales", account.name, dry_run=True, started_at=started)
    clients = ClientResolver(alegra, handy, store, account, now, dry_run=True)
    items = ItemResolver(alegra, store, account.id)
    with lifecycle.opened(store, account.id, summary, now, record=False, resumes=NOTHING_WRITTEN):
        with store.session() as session:
            since = {
                name: (value - OVERLAP)
                if (value := state.get_cursor(session, account.id, name))
                else account.sales_since
                for name in (CREATED, DELETED)
            }
            known = {
                r.handy_id: r
                for r in session.query(OrderRecord).filter(OrderRecord.account_id == account.id)
            }
            session.expunge_all()
        orders: dict[str, SalesOrder] = {}
        for order in handy.iter_sales_orders(since[CREATED], started):
            if isinstance(order, SalesOrder):
                orders[order.id] = order
        for handy_id, record in known.items():
            if record.status in OPEN and handy_id not in orders and record.order:
                parsed = parse_record(SalesOrder, "sales order", record.order)
                if isinstance(parsed, SalesOrder):
                    orders[handy_id] = parsed
        for order in sorted(orders.values(), key=lambda o: o.date_created):
            seen = known.get(order.id)
            if seen is not None and seen.status not in OPEN:
                continue
            _plan_order(order, seen, known, clients, items, account, summary)
        for order in handy.iter_sales_orders(since[DELETED], started, deleted=True):
            if isinstance(order, SalesOrder) and not order.is_edited:
                _plan_cancel(order, known, summary)
    return summary


def _plan_order(
    order: SalesOrder,
    record: OrderRecord | None,
    known: dict[str, OrderRecord],
    clients: ClientResolver,
    items: ItemResolver,
    account: AccountConfig,
    summary: RunSummary,
) -> None:
    holder = next(
        (
            known[h]
            for h in order.edited_from
            if h in known and known[h].remission_id and known[h].status == OrderStatus.SENT
        ),
        None,
    )
    client = rules.check_totals(order) or clients.resolve(
        order.customer, refresh=record is not None and record.attempts > 0
    )
    if isinstance(client, Problem):
        summary.failed[client.reason] += 1
        summary.planned.append(
            {"action": "fail", "order": order.id, "reason": client.reason, **client.detail}
        )
        return
    lines = rules.remission_lines(order, items.resolve({ln.product_code for ln in order.lines}))
    if isinstance(lines, Problem):
        summary.failed[lines.reason] += 1
        summary.planned.append(
            {"action": "fail", "order": order.id, "reason": lines.reason, **lines.detail}
        )
        return
    line: dict[str, Any] = {
        "action": "update" if holder else "create",
        "order": order.id,
        "client": client,
        "date": rules.local_date(order.date_created, account.zone).isoformat(),
        "total": str(lines.pricing.total),
        "handy_total": str(lines.pricing.target),
    }
    if holder is not None:
        line["remission"] = holder.remission_id
    if lines.returns:
        line["returns"] = len(lines.returns)
    summary.counts["updated" if holder else OrderStatus.SENT] += 1
    summary.planned.append(line)


def _plan_cancel(order: SalesOrder, known: dict[str, OrderRecord], summary: RunSummary) -> None:
    record = known.get(order.id)
    holder = (
        record
        if record is not None and record.remission_id
        else next(
            (known[h] for h in order.edited_from if h in known and known[h].remission_id), None
        )
    )
    if holder is not None and holder.status not in FINAL:
        summary.counts[OrderStatus.VOIDED] += 1
        summary.planned.append(
            {"action": "void", "order": order.id, "remission": holder.remission_id}
        )
    elif record is not None and record.status in OPEN:
        summary.counts[OrderStatus.CANCELLED] += 1
        summary.planned.append({"action": "cancel", "order": order.id})
