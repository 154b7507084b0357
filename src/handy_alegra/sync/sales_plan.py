"""The pure plan of a sales cycle: for one order record, what to do with Alegra.

``decide(state, known, terms)`` looks at the order's record (a plain snapshot, ``OrderState``)
and at what is known so far (``Known``: the order as read, the records of the versions it
replaces, what a marker lookup found, a remission's status, the client, the items …). It
answers either a ``Decision`` — create, adopt, update, void, cancel, wait, skip, fail with a
reason — or the one fact it still needs (``Need*``). A shell gathers that fact and asks again,
until a decision comes: the real cycle (``sales_orders.OrderHandler``) and ``sync sales
--dry-run`` (``sales_preview``) run the same loop (``sales_facts.Facts.decide``), so both take
the same decisions; only what they do with one differs.

``on_deletion`` is the same for what a cycle reads in Handy's deleted orders: an edit's old
version is superseded, a cancelled order is cancelled, the record holding its remission is
marked ``cancelling`` (its void is decided when the cycle works on it).

Nothing here reads a clock, a store or an API. ``docs/sales.md`` has the decision table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from handy_alegra.domain.statuses import (
    FINAL,
    GOING,
    OPEN,
    UNSENT_YET,
    OrderStatus,
)
from handy_alegra.mapping import remission as rules
from handy_alegra.mapping.problems import Problem
from handy_alegra.records.alegra import Remission
from handy_alegra.records.drafts import RemissionDraft
from handy_alegra.records.handy import Customer, SalesOrder

#: Alegra's statuses of a remission that change a decision.
CLOSED, VOID = "closed", "void"


class Act(StrEnum):
    """What a cycle does with one order (the ``action`` of a plan line)."""

    CREATE = "create"  # post a new remission (``sending`` committed first)
    ADOPT = "adopt"  # a remission carrying the order's marker exists: take it, post nothing
    UPDATE = "update"  # an edit: update the remission of the version it replaces
    VOID = "void"  # cancelled in Handy: void its remission
    CANCEL = "cancel"  # cancelled in Handy before any remission existed
    SUPERSEDE = "supersede"  # an older version never sent: never to be sent
    WAIT = "wait"  # another worker holds the order's lease
    SKIP = "skip"  # nothing to do (sent, voided, …): never listed
    FAIL = "fail"  # cannot go through, with a reason (retried, or a person must act)


#: What a decision counts in the run's summary when it goes through.
EFFECT: dict[str, str] = {
    Act.CREATE: OrderStatus.SENT,
    Act.ADOPT: "adopted",
    Act.UPDATE: "updated",
    Act.VOID: OrderStatus.VOIDED,
    Act.CANCEL: OrderStatus.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class OrderState:
    """A snapshot of one order's record in the store."""

    handy_id: str
    status: str
    id: int = 0
    reason: str | None = None
    remission_id: str | None = None
    remission_number: str | None = None
    alegra_client_id: str | None = None
    remission_date: str | None = None
    replaced_by: str | None = None
    attempts: int = 0
    edited_from: str | None = None
    ordered_at: datetime | None = None
    order: Mapping[str, Any] = field(default_factory=dict)  # the order as last read
    lease_owner: str | None = None
    lease_until: datetime | None = None

    @classmethod
    def of(cls, row: Any) -> OrderState:
        """The snapshot of a stored record (``store.tables.OrderRecord``)."""
        return cls(
            handy_id=row.handy_id,
            status=row.status,
            id=row.id,
            reason=row.reason,
            remission_id=row.remission_id,
            remission_number=row.remission_number,
            alegra_client_id=row.alegra_client_id,
            remission_date=row.remission_date,
            replaced_by=row.replaced_by,
            attempts=row.attempts,
            edited_from=row.edited_from,
            ordered_at=row.ordered_at,
            order=dict(row.order or {}),
            lease_owner=row.lease_owner,
            lease_until=row.lease_until,
        )


@dataclass(frozen=True, slots=True)
class Held:
    """Another worker holding the order's lease, until when."""

    owner: str
    until: datetime


@dataclass(frozen=True, slots=True)
class Terms:
    """What a remission takes from the account."""

    zone: ZoneInfo
    warehouse_id: str | None = None
    price_list_id: str | None = None


@dataclass(frozen=True, slots=True)
class Known:
    """What is known of an order so far. ``None`` (or a missing key): not looked at yet."""

    held: Held | None = None
    order: SalesOrder | Problem | None = None  # the order as read (or why it cannot be)
    chain: tuple[OrderState, ...] | None = None  # records of the versions it replaces
    markers: Mapping[str, Remission | None] = field(default_factory=dict)  # by order id
    remissions: Mapping[str, Remission] = field(default_factory=dict)  # read now, by id
    client: str | Problem | None = None  # the Alegra client id
    items: Mapping[str, rules.ItemInfo] | None = None  # by product code (the codes found)
    sellers: Mapping[str, str | None] = field(default_factory=dict)  # by zone name


# --- the facts the plan may ask for ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NeedOrder:
    """The order as last read (from the record; read again from Handy when it cannot be)."""


@dataclass(frozen=True, slots=True)
class NeedChain:
    """The records of the versions the order replaces (its ``editedFrom``, newest first)."""

    handy_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NeedMarker:
    """A POST's outcome is unknown: the remission carrying ``[handy-order:<id>]``, if any,
    among the client's remissions of that date."""

    handy_id: str
    client_id: str
    day: str | None


@dataclass(frozen=True, slots=True)
class NeedRemission:
    """A remission as Alegra has it now (open, closed, void)."""

    remission_id: str


@dataclass(frozen=True, slots=True)
class NeedClient:
    """The Alegra client of the order's customer (the real cycle links or creates it)."""

    customer: Customer
    refresh: bool  # read the customer again from Handy (it may have been fixed)


@dataclass(frozen=True, slots=True)
class NeedItems:
    """The Alegra items of these product codes."""

    codes: frozenset[str]


@dataclass(frozen=True, slots=True)
class NeedSeller:
    """The Alegra seller named like this zone."""

    zone: str


Need = NeedOrder | NeedChain | NeedMarker | NeedRemission | NeedClient | NeedItems | NeedSeller


# --- what is decided ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    """A change to one record, decided along with (or before) an order's decision: a version
    superseded or adopted by an edit, a cancellation. ``action``: the plan line it shows as
    (``None``: part of a decision listed on its own)."""

    handy_id: str
    status: str
    action: Act | None = None
    reason: str | None = None  # set when given
    clear_reason: bool = False
    replaced_by: str | None = None
    remission_id: str | None = None
    remission_number: str | None = None
    cancelled_order: str | None = None  # kept in the record's detail

    def columns(self) -> dict[str, Any]:
        """The record's columns this change sets."""
        values: dict[str, Any] = {"status": self.status}
        if self.reason is not None or self.clear_reason:
            values["reason"] = self.reason
        if self.replaced_by is not None:
            values["replaced_by"] = self.replaced_by
        if self.remission_id is not None:
            values["remission_id"] = self.remission_id
            values["remission_number"] = self.remission_number
        return values

    def applied_to(self, state: OrderState) -> OrderState:
        return replace(state, **self.columns())


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one order. ``step``: for a failure, the attempt it is recorded as
    (``read``, ``prepare``, ``update``, ``void``); ``attention``: a person must act (it is not
    retried). ``remission``: the one adopted, updated or voided; ``holder``: the version whose
    remission an update takes over (superseded once it went through)."""

    action: Act
    order: str
    reason: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    step: str | None = None
    attention: bool = False
    remission: Remission | None = None
    holder: str | None = None
    draft: RemissionDraft | None = None
    lines: rules.Lines | None = None
    changes: tuple[Change, ...] = ()  # to other versions' records, made first


def wait(handy_id: str, held: Held) -> Decision:
    detail = {"owner": held.owner, "until": held.until.isoformat()}
    return Decision(Act.WAIT, handy_id, "held", detail)


def decide(state: OrderState, known: Known, terms: Terms) -> Decision | Need:
    """One order record and what is known → a decision, or the next fact needed."""
    if known.held is not None:
        return wait(state.handy_id, known.held)
    if state.status == OrderStatus.CANCELLING:
        return _cancel(state, known)
    if state.status not in OPEN:
        return Decision(Act.SKIP, state.handy_id, state.status)
    return _send(state, known, terms)


def _send(state: OrderState, known: Known, terms: Terms) -> Decision | Need:
    order = known.order
    if order is None:
        return NeedOrder()
    if isinstance(order, Problem):
        return _failed(state, order, "read")
    if state.status == OrderStatus.SENDING:  # the last POST's outcome is unknown: look first
        found = _marker(known, order.id, state.alegra_client_id, state.remission_date)
        if isinstance(found, NeedMarker):
            return found
        if found is not None:
            return Decision(Act.ADOPT, state.handy_id, remission=found)
    changes: tuple[Change, ...] = ()
    if order.edited_from:
        if known.chain is None:
            return NeedChain(order.edited_from)
        walked = _walk_chain(order, known.chain, known)
        if isinstance(walked, NeedMarker):
            return walked
        holder, changes = walked
        if holder is not None:
            assert holder.remission_id is not None
            remission = known.remissions.get(holder.remission_id)
            if remission is None:
                return NeedRemission(holder.remission_id)
            if remission.status == CLOSED:
                problem = Problem("remission_closed", {"number": remission.number or remission.id})
                return _failed(state, problem, "update", attention=True, changes=changes)
            if remission.status != VOID:  # a void one: the edit goes as a new remission
                prepared = _prepare(order, known, terms, refresh=True)
                if isinstance(prepared, Problem):
                    return _failed(state, prepared, "prepare", changes=changes)
                if not isinstance(prepared, tuple):
                    return prepared
                draft, lines = prepared
                return Decision(
                    Act.UPDATE,
                    state.handy_id,
                    remission=remission,
                    holder=holder.handy_id,
                    draft=draft,
                    lines=lines,
                    changes=changes,
                )
    prepared = _prepare(order, known, terms, refresh=state.attempts > 0)
    if isinstance(prepared, Problem):
        attention = prepared.reason == "only_returns"
        return _failed(state, prepared, "prepare", attention=attention, changes=changes)
    if not isinstance(prepared, tuple):
        return prepared
    draft, lines = prepared
    return Decision(Act.CREATE, state.handy_id, draft=draft, lines=lines, changes=changes)


def _walk_chain(
    order: SalesOrder, chain: Sequence[OrderState], known: Known
) -> tuple[OrderState | None, tuple[Change, ...]] | NeedMarker:
    """The earlier version holding a live remission, if any (an unknown POST of one is
    resolved by its marker on the way), and what becomes of the versions walked past: those
    never sent are superseded, never to be sent."""
    changes = [
        Change(r.handy_id, OrderStatus.SUPERSEDED, Act.SUPERSEDE, replaced_by=order.id)
        for r in chain
        if r.status in UNSENT_YET and not r.remission_id
    ]
    superseded = {c.handy_id for c in changes}
    for r in chain:
        status = OrderStatus.SUPERSEDED if r.handy_id in superseded else r.status
        if r.remission_id and status not in GOING:
            return r, tuple(changes)
        if status == OrderStatus.SENDING:
            found = _marker(known, r.handy_id, r.alegra_client_id, r.remission_date)
            if isinstance(found, NeedMarker):
                return found
            if found is not None:
                adopted = Change(
                    r.handy_id,
                    OrderStatus.SENT,
                    Act.ADOPT,
                    remission_id=found.id,
                    remission_number=found.number,
                )
                changes.append(adopted)
                return adopted.applied_to(r), tuple(changes)
            changes.append(
                Change(r.handy_id, OrderStatus.SUPERSEDED, Act.SUPERSEDE, replaced_by=order.id)
            )
    return None, tuple(changes)


def _marker(
    known: Known, handy_id: str, client_id: str | None, day: str | None
) -> Remission | NeedMarker | None:
    if not client_id:  # nothing was ever posted for it (a POST needs a client)
        return None
    if handy_id not in known.markers:
        return NeedMarker(handy_id, client_id, day)
    return known.markers[handy_id]


def _prepare(
    order: SalesOrder, known: Known, terms: Terms, *, refresh: bool
) -> tuple[RemissionDraft, rules.Lines] | Problem | Need:
    """The remission of ``order``: Handy's totals checked before a client may be created for
    it; then its client, its items, its lines priced, its seller."""
    mismatch = rules.check_totals(order)
    if mismatch is not None:
        return mismatch
    if known.client is None:
        return NeedClient(order.customer, refresh)
    if isinstance(known.client, Problem):
        return known.client
    if known.items is None:
        return NeedItems(frozenset(line.product_code for line in order.lines))
    lines = rules.remission_lines(order, known.items)
    if isinstance(lines, Problem):
        return lines
    zone = order.customer.zone.description if order.customer.zone else None
    seller = None
    if zone:
        if zone not in known.sellers:
            return NeedSeller(zone)
        seller = known.sellers[zone]
    draft = rules.remission_draft(
        order,
        lines,
        client_id=known.client,
        zone=terms.zone,
        seller_id=seller,
        warehouse_id=terms.warehouse_id,
        price_list_id=terms.price_list_id,
    )
    return draft, lines


def _cancel(state: OrderState, known: Known) -> Decision | Need:
    remission_id = state.remission_id
    if remission_id is None:  # a POST of unknown outcome may have created one
        found = _marker(known, state.handy_id, state.alegra_client_id, state.remission_date)
        if isinstance(found, NeedMarker):
            return found
        remission_id = found.id if found is not None else None
    if remission_id is None:
        return Decision(Act.CANCEL, state.handy_id)
    remission = known.remissions.get(remission_id)
    if remission is None:
        return NeedRemission(remission_id)
    if remission.status == CLOSED:
        problem = Problem("void_closed", {"number": remission.number or remission.id})
        return _failed(state, problem, "void", attention=True)
    return Decision(Act.VOID, state.handy_id, remission=remission)


def _failed(
    state: OrderState,
    problem: Problem,
    step: str,
    *,
    attention: bool = False,
    changes: tuple[Change, ...] = (),
) -> Decision:
    return Decision(
        Act.FAIL,
        state.handy_id,
        problem.reason,
        dict(problem.detail),
        step=step,
        attention=attention,
        changes=changes,
    )


# --- what Handy's deleted orders change ----------------------------------------------------
def on_deletion(
    order: SalesOrder, record: OrderState | None, chain: Sequence[OrderState]
) -> tuple[Change, ...]:
    """A deleted order read from Handy; ``record``: its own record, ``chain``: the records of
    the versions it replaced (newest first). An edit (``isEdited``) is never a cancellation:
    an older version not yet sent is just never sent (its newer version is). A cancellation
    voids the remission of the order — or, when this order was never read or never sent, of
    the version before it that holds one — and cancels a record never sent."""
    if order.is_edited:
        if record is not None and record.status in UNSENT_YET:
            return (Change(record.handy_id, OrderStatus.SUPERSEDED, Act.SUPERSEDE),)
        return ()
    if record is not None and record.status in FINAL:
        return ()
    holder = (
        record
        if record is not None and (record.remission_id or record.status == OrderStatus.SENDING)
        else None
    )
    if holder is None:
        holder = next((r for r in chain if r.remission_id and r.status not in FINAL), None)
    changes: list[Change] = []
    if (
        record is not None
        and (holder is None or holder.handy_id != record.handy_id)
        and record.status in (*OPEN, OrderStatus.NEEDS_ATTENTION)
    ):
        changes.append(
            Change(record.handy_id, OrderStatus.CANCELLED, Act.CANCEL, clear_reason=True)
        )
    if holder is not None and holder.status not in FINAL:
        changes.append(Change(holder.handy_id, OrderStatus.CANCELLING, cancelled_order=order.id))
    return tuple(changes)


def on_unreadable(record: OrderState) -> tuple[Change, ...]:
    """An order read from Handy that cannot be parsed (recorded by its id): one not sent yet
    fails as ``unreadable`` (it is read again each time it is worked on); any other keeps
    what it has."""
    if record.status in UNSENT_YET:
        return (Change(record.handy_id, OrderStatus.FAILED, reason="unreadable"),)
    return ()


# --- the order of the work -----------------------------------------------------------------
def work_order(listed: Sequence[tuple[int, str, str | None]]) -> tuple[list[int], list[int]]:
    """Records to work on, as (id, status, edited_from), oldest order first → those that may
    go side by side, and edits and cancellations, which touch the records of other versions:
    one by one, after the others."""
    parallel: list[int] = []
    serial: list[int] = []
    for record_id, status, edited_from in listed:
        alone = status == OrderStatus.CANCELLING or bool(edited_from)
        (serial if alone else parallel).append(record_id)
    return parallel, serial


# --- what a decision leaves behind when Alegra takes every write ---------------------------
def settled(state: OrderState, decision: Decision, new_remission: str) -> tuple[Change, ...]:
    """The records' changes once ``decision`` is carried out and Alegra accepts its writes
    (``new_remission``: the id a created remission would get). The dry run works on with
    them, so that an edit or a cancellation later in the cycle sees what the run would leave."""
    own: tuple[Change, ...]
    handy_id = state.handy_id
    remission = decision.remission
    match decision.action:
        case Act.CREATE:
            own = (
                Change(handy_id, OrderStatus.SENT, clear_reason=True, remission_id=new_remission),
            )
        case Act.ADOPT | Act.UPDATE:
            assert remission is not None
            sent = Change(
                handy_id,
                OrderStatus.SENT,
                clear_reason=True,
                remission_id=remission.id,
                remission_number=remission.number,
            )
            own = (sent,)
            if decision.holder is not None:
                superseded = Change(decision.holder, OrderStatus.SUPERSEDED, replaced_by=handy_id)
                own = (sent, superseded)
        case Act.VOID:
            assert remission is not None
            own = (
                Change(
                    handy_id,
                    OrderStatus.VOIDED,
                    clear_reason=True,
                    remission_id=remission.id,
                    remission_number=state.remission_number,
                ),
            )
        case Act.CANCEL:
            own = (Change(handy_id, OrderStatus.CANCELLED, clear_reason=True),)
        case Act.FAIL:
            own = (
                Change(
                    handy_id,
                    failed_status(state.status, attention=decision.attention),
                    reason=decision.reason,
                ),
            )
        case _:
            own = ()
    return (*decision.changes, *own)


def failed_status(status: str, *, attention: bool, force: bool = False) -> str:
    """A record that did not go through: a person must act (``attention``), or it is retried
    every cycle — and one whose POST outcome is unknown stays ``sending`` (unless ``force``)
    so that its marker is looked for before anything is posted again."""
    if attention:
        return OrderStatus.NEEDS_ATTENTION
    if status == OrderStatus.SENDING and not force:
        return OrderStatus.SENDING
    return OrderStatus.FAILED


# --- the plan's lines ----------------------------------------------------------------------
def plan_lines(decision: Decision) -> list[dict[str, Any]]:
    """What a decision shows as in ``sync sales --dry-run --json`` (``plan``) and in the real
    run's ``summary.planned``: the changes to other versions first, then the order's own
    line (none for a skip)."""
    shown: list[dict[str, Any]] = [change_line(c) for c in decision.changes if c.action]
    if decision.action == Act.SKIP:
        return shown
    line: dict[str, Any] = {**decision.detail, "action": decision.action, "order": decision.order}
    if decision.reason is not None:
        line["reason"] = decision.reason
    if decision.attention:
        line["attention"] = True
    if decision.draft is not None and decision.lines is not None:
        line["client"] = decision.draft.client_id
        line["date"] = decision.draft.date.isoformat()
        line["total"] = str(decision.lines.pricing.total)
        line["handy_total"] = str(decision.lines.pricing.target)
        if decision.lines.returns:
            line["returns"] = len(decision.lines.returns)
    if decision.remission is not None:
        line["remission"] = decision.remission.id
    shown.append(line)
    return shown


def change_line(change: Change) -> dict[str, Any]:
    line: dict[str, Any] = {"action": change.action, "order": change.handy_id}
    if change.replaced_by is not None:
        line["replaced_by"] = change.replaced_by
    if change.remission_id is not None:
        line["remission"] = change.remission_id
    return line


def decided(planned: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str | None]]:
    """(order, action, reason) of each plan line, sorted: how two runs' decisions compare."""
    found = [(str(p["order"]), str(p["action"]), p.get("reason")) for p in planned]
    return sorted(found, key=lambda d: (d[0], d[1], d[2] or ""))
