"""The pure plan of a sales cycle: an order's record, its edit chain and what is known → one
decision (or the next fact to gather). Each case runs the plan the way both shells do — ask,
gather from a table of facts, ask again — and checks the decision and the facts asked for."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handy_alegra.domain.statuses import OrderStatus
from handy_alegra.mapping.problems import Problem
from handy_alegra.mapping.remission import ItemInfo
from handy_alegra.records.alegra import Remission
from handy_alegra.records.handy import SalesOrder
from handy_alegra.sync import sales_plan as plan
from handy_alegra.sync.sales_facts import Facts
from handy_alegra.sync.sales_plan import Act, Change, Decision, Known, OrderState

DOCS = Path(__file__).parents[2] / "docs" / "sales.md"
TERMS = plan.Terms(ZoneInfo("America/Mexico_City"), warehouse_id="1", price_list_id="2")
ITEMS = {"A": ItemInfo("10", Decimal(16), "1")}
UNTIL = datetime(2026, 11, 3, 12, 1, tzinfo=UTC)

S = OrderStatus


def sales_order(
    order_id: str = "200", *, edited_from: tuple[str, ...] = (), **over: Any
) -> SalesOrder:
    raw: dict[str, Any] = {
        "id": order_id,
        "dateCreated": "2026-11-03T05:30:00Z",
        "customer": {
            "code": "C-1",
            "description": "Tienda",
            "zone": {"id": 5, "description": "Zona"},
        },
        "items": [{"product": {"code": "A"}, "quantity": 2, "price": "11.60", "total": "23.20"}],
        "totalSales": "23.20",
        "editedFrom": list(edited_from),
    }
    raw.update(over)
    return SalesOrder.model_validate(raw)


RETURNS_ONLY = {
    "items": [
        {
            "product": {"code": "A"},
            "quantity": 1,
            "price": "11.60",
            "total": "11.60",
            "isReturn": True,
        }
    ],
    "totalSales": "-11.60",
}


def remission(
    remission_id: str = "R1", status: str = "open", number: str | None = "7"
) -> Remission:
    return Remission.model_validate(
        {"id": remission_id, "date": "2026-11-02", "status": status, "number": number, "total": 1}
    )


def record(handy_id: str = "200", status: str = S.PENDING, **over: Any) -> OrderState:
    return OrderState(handy_id, status, **over)


SENT_A = record("100", S.SENT, remission_id="R1", remission_number="7", alegra_client_id="c1")
SENDING = {"alegra_client_id": "c1", "remission_date": "2026-11-02"}


@dataclass
class World:
    """The answers the shell would gather: by order id, remission id, …"""

    order: SalesOrder | Problem | None = None
    records: dict[str, OrderState] = field(default_factory=dict)
    markers: dict[str, Remission | None] = field(default_factory=dict)
    remissions: dict[str, Remission] = field(default_factory=dict)
    client: str | Problem = "c1"
    held: plan.Held | None = None


def run(state: OrderState, world: World) -> tuple[Decision, list[str]]:
    """The shells' loop, with the facts looked up in ``world``; returns the decision and the
    facts asked for, in order."""
    known = Known(held=world.held)
    asked: list[str] = []
    for _ in range(16):
        step = plan.decide(state, known, TERMS)
        if isinstance(step, Decision):
            return step, asked
        match step:
            case plan.NeedOrder():
                asked.append("order")
                known = Known(**{**_fields(known), "order": world.order or sales_order()})
            case plan.NeedChain(ids):
                asked.append("chain")
                chain = tuple(world.records[h] for h in ids if h in world.records)
                known = Known(**{**_fields(known), "chain": chain})
            case plan.NeedMarker(handy_id, client_id, _):
                assert client_id  # never asked without a client: nothing was posted
                asked.append(f"marker:{handy_id}")
                markers = {**known.markers, handy_id: world.markers.get(handy_id)}
                known = Known(**{**_fields(known), "markers": markers})
            case plan.NeedRemission(remission_id):
                asked.append(f"remission:{remission_id}")
                found = {**known.remissions, remission_id: world.remissions[remission_id]}
                known = Known(**{**_fields(known), "remissions": found})
            case plan.NeedClient(_, refresh):
                asked.append("client+refresh" if refresh else "client")
                known = Known(**{**_fields(known), "client": world.client})
            case plan.NeedItems(codes):
                asked.append("items")
                items = {c: ITEMS[c] for c in codes if c in ITEMS}
                known = Known(**{**_fields(known), "items": items})
            case plan.NeedSeller(zone):
                asked.append("seller")
                known = Known(**{**_fields(known), "sellers": {zone: "s1"}})
    raise AssertionError("the plan kept asking")


def _fields(known: Known) -> dict[str, Any]:
    return {name: getattr(known, name) for name in Known.__slots__}


NEW = ["order", "client", "items", "seller"]
EDIT = ["order", "chain"]


@dataclass(frozen=True)
class Case:
    state: OrderState
    world: World
    action: Act
    reason: str | None = None
    asked: list[str] = field(default_factory=list)
    changes: tuple[tuple[str, str, Act | None], ...] = ()  # (order, status, line)
    attention: bool = False
    remission: str | None = None


CASES = {
    # --- an order to send, no edit ----------------------------------------------------------
    "pending-new-order-is-created": Case(record(), World(), Act.CREATE, asked=NEW),
    "failed-before-is-created-reading-the-customer-again": Case(
        record(status=S.FAILED, attempts=1, reason="no_rfc"),
        World(),
        Act.CREATE,
        asked=["order", "client+refresh", "items", "seller"],
    ),
    "sending-whose-marker-is-found-is-adopted": Case(
        record(status=S.SENDING, **SENDING),
        World(markers={"200": remission("R9")}),
        Act.ADOPT,
        asked=["order", "marker:200"],
        remission="R9",
    ),
    "sending-without-marker-is-posted-after-looking": Case(
        record(status=S.SENDING, **SENDING),
        World(),
        Act.CREATE,
        asked=["order", "marker:200", "client", "items", "seller"],
    ),
    "sending-never-posted-no-client-needs-no-lookup": Case(
        record(status=S.SENDING), World(), Act.CREATE, asked=NEW
    ),
    "unreadable-order-fails-reading": Case(
        record(status=S.FAILED, reason="unreadable"),
        World(order=Problem("unreadable", {"field": "items"})),
        Act.FAIL,
        "unreadable",
        ["order"],
    ),
    "order-gone-from-handy-fails": Case(
        record(), World(order=Problem("order_gone")), Act.FAIL, "order_gone", ["order"]
    ),
    "total-mismatch-fails-before-any-client": Case(
        record(),
        World(order=sales_order(totalSales="20.00")),
        Act.FAIL,
        "handy_total_mismatch",
        ["order"],
    ),
    "missing-client-fails-before-any-item": Case(
        record(),
        World(client=Problem("no_rfc", {"customer": "Tienda"})),
        Act.FAIL,
        "no_rfc",
        ["order", "client"],
    ),
    "unknown-product-fails": Case(
        record(),
        World(
            order=sales_order(
                items=[{"product": {"code": "Z"}, "quantity": 1, "price": 5}], totalSales=5
            )
        ),
        Act.FAIL,
        "unknown_product",
        ["order", "client", "items"],
    ),
    "returns-only-needs-attention": Case(
        record(),
        World(order=sales_order(**RETURNS_ONLY)),
        Act.FAIL,
        "only_returns",
        ["order", "client", "items"],
        attention=True,
    ),
    "sending-that-cannot-be-prepared-fails-after-looking": Case(
        record(status=S.SENDING, **SENDING),
        World(client=Problem("no_rfc")),
        Act.FAIL,
        "no_rfc",
        ["order", "marker:200", "client"],
    ),
    "no-zone-no-seller-lookup": Case(
        record(),
        World(order=sales_order(customer={"code": "C-1", "description": "Tienda"})),
        Act.CREATE,
        asked=["order", "client", "items"],
    ),
    # --- an edit: the chain of the versions it replaces ------------------------------------
    "edit-of-a-sent-order-updates-its-remission": Case(
        record(edited_from="100"),
        World(
            order=sales_order(edited_from=("100",)),
            records={"100": SENT_A},
            remissions={"R1": remission()},
        ),
        Act.UPDATE,
        asked=[*EDIT, "remission:R1", "client+refresh", "items", "seller"],
        remission="R1",
    ),
    "edit-of-an-invoiced-remission-needs-attention": Case(
        record(edited_from="100"),
        World(
            order=sales_order(edited_from=("100",)),
            records={"100": SENT_A},
            remissions={"R1": remission(status="closed")},
        ),
        Act.FAIL,
        "remission_closed",
        [*EDIT, "remission:R1"],
        attention=True,
    ),
    "edit-of-a-voided-remission-goes-as-a-new-one": Case(
        record(edited_from="100"),
        World(
            order=sales_order(edited_from=("100",)),
            records={"100": SENT_A},
            remissions={"R1": remission(status="void")},
        ),
        Act.CREATE,
        asked=[*EDIT, "remission:R1", "client", "items", "seller"],
    ),
    "edit-of-a-version-never-sent-supersedes-it-and-creates": Case(
        record(edited_from="100"),
        World(order=sales_order(edited_from=("100",)), records={"100": record("100")}),
        Act.CREATE,
        asked=[*EDIT, "client", "items", "seller"],
        changes=(("100", S.SUPERSEDED, Act.SUPERSEDE),),
    ),
    "edit-of-a-failed-version-supersedes-it": Case(
        record(edited_from="100"),
        World(
            order=sales_order(edited_from=("100",)),
            records={"100": record("100", S.FAILED, reason="no_rfc")},
        ),
        Act.CREATE,
        asked=[*EDIT, "client", "items", "seller"],
        changes=(("100", S.SUPERSEDED, Act.SUPERSEDE),),
    ),
    # Known disagreement 1: the old preview found the earlier version only when it was
    # ``sent``, so it promised a new remission here; the cycle adopts and updates.
    "edit-of-a-version-of-unknown-outcome-adopts-its-remission-and-updates-it": Case(
        record(edited_from="100"),
        World(
            order=sales_order(edited_from=("100",)),
            records={"100": record("100", S.SENDING, **SENDING)},
            markers={"100": remission("R5")},
            remissions={"R5": remission("R5")},
        ),
        Act.UPDATE,
        asked=[*EDIT, "marker:100", "remission:R5", "client+refresh", "items", "seller"],
        changes=(("100", S.SENT, Act.ADOPT),),
        remission="R5",
    ),
    "edit-of-a-version-of-unknown-outcome-never-created-supersedes-it": Case(
        record(edited_from="100"),
        World(
            order=sales_order(edited_from=("100",)),
            records={"100": record("100", S.SENDING, **SENDING)},
        ),
        Act.CREATE,
        asked=[*EDIT, "marker:100", "client", "items", "seller"],
        changes=(("100", S.SUPERSEDED, Act.SUPERSEDE),),
    ),
    "edited-twice-the-middle-version-never-read-updates-the-first": Case(
        record("300", edited_from="200"),
        World(
            order=sales_order("300", edited_from=("200", "100")),
            records={"100": SENT_A},
            remissions={"R1": remission()},
        ),
        Act.UPDATE,
        asked=[*EDIT, "remission:R1", "client+refresh", "items", "seller"],
        remission="R1",
    ),
    "edited-twice-the-newest-version-holding-the-remission-wins": Case(
        record("300", edited_from="200"),
        World(
            order=sales_order("300", edited_from=("200", "100")),
            records={
                "200": record("200", S.SENT, remission_id="R1", alegra_client_id="c1"),
                "100": record("100", S.SUPERSEDED, remission_id="R1", replaced_by="200"),
            },
            remissions={"R1": remission()},
        ),
        Act.UPDATE,
        asked=[*EDIT, "remission:R1", "client+refresh", "items", "seller"],
        remission="R1",
    ),
    "edited-twice-both-older-versions-unsent-are-superseded": Case(
        record("300", edited_from="200"),
        World(
            order=sales_order("300", edited_from=("200", "100")),
            records={"200": record("200", edited_from="100"), "100": record("100", S.FAILED)},
        ),
        Act.CREATE,
        asked=[*EDIT, "client", "items", "seller"],
        changes=(
            ("200", S.SUPERSEDED, Act.SUPERSEDE),
            ("100", S.SUPERSEDED, Act.SUPERSEDE),
        ),
    ),
    "edit-of-a-voided-version-goes-as-a-new-remission": Case(
        record(edited_from="100"),
        World(
            order=sales_order(edited_from=("100",)),
            records={"100": record("100", S.VOIDED, remission_id="R1")},
        ),
        Act.CREATE,
        asked=[*EDIT, "client", "items", "seller"],
    ),
    "edit-whose-earlier-versions-were-never-read-is-created": Case(
        record(edited_from="100"),
        World(order=sales_order(edited_from=("100",))),
        Act.CREATE,
        asked=[*EDIT, "client", "items", "seller"],
    ),
    "edit-that-cannot-be-prepared-fails-and-never-needs-attention": Case(
        record(edited_from="100"),
        World(
            order=sales_order(edited_from=("100",), **RETURNS_ONLY),
            records={"100": SENT_A},
            remissions={"R1": remission()},
        ),
        Act.FAIL,
        "only_returns",
        [*EDIT, "remission:R1", "client+refresh", "items"],
    ),
    # --- a cancellation waiting for its void -------------------------------------------------
    "cancelled-after-sent-voids-its-remission": Case(
        record(status=S.CANCELLING, remission_id="R1", alegra_client_id="c1"),
        World(remissions={"R1": remission()}),
        Act.VOID,
        asked=["remission:R1"],
        remission="R1",
    ),
    "cancelled-remission-already-void-is-recorded-voided": Case(
        record(status=S.CANCELLING, remission_id="R1"),
        World(remissions={"R1": remission(status="void")}),
        Act.VOID,
        asked=["remission:R1"],
        remission="R1",
    ),
    # Known disagreement 2: the old preview promised a void here; the cycle cannot void an
    # invoiced remission and asks a person.
    "cancelled-invoiced-remission-needs-attention": Case(
        record(status=S.CANCELLING, remission_id="R1"),
        World(remissions={"R1": remission(status="closed")}),
        Act.FAIL,
        "void_closed",
        ["remission:R1"],
        attention=True,
    ),
    "cancelled-while-sending-voids-what-its-marker-finds": Case(
        record(status=S.CANCELLING, **SENDING),
        World(markers={"200": remission("R4")}, remissions={"R4": remission("R4")}),
        Act.VOID,
        asked=["marker:200", "remission:R4"],
        remission="R4",
    ),
    "cancelled-while-sending-with-nothing-created-is-cancelled": Case(
        record(status=S.CANCELLING, **SENDING),
        World(),
        Act.CANCEL,
        asked=["marker:200"],
    ),
    "cancelling-never-posted-is-cancelled-without-asking": Case(
        record(status=S.CANCELLING), World(), Act.CANCEL
    ),
    # --- nothing to do, or not ours right now ------------------------------------------------
    **{
        f"{status}-is-skipped": Case(record(status=status), World(), Act.SKIP, status)
        for status in (S.SENT, S.NEEDS_ATTENTION, S.VOIDED, S.CANCELLED, S.SUPERSEDED)
    },
    **{
        f"{status}-held-by-another-worker-waits": Case(
            record(status=status), World(held=plan.Held("host-b:1:x", UNTIL)), Act.WAIT, "held"
        )
        for status in (S.PENDING, S.SENDING, S.FAILED, S.CANCELLING)
    },
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_decide(case: Case) -> None:
    decision, asked = run(case.state, case.world)
    assert (decision.action, decision.reason) == (case.action, case.reason)
    assert asked == case.asked
    assert decision.order == case.state.handy_id
    assert decision.attention is case.attention
    assert [(c.handy_id, c.status, c.action) for c in decision.changes] == list(case.changes)
    assert (decision.remission.id if decision.remission else None) == case.remission
    if decision.action in (Act.CREATE, Act.UPDATE):
        assert decision.draft is not None and decision.lines is not None
        assert decision.draft.client_id == "c1"
        assert decision.draft.seller_id == ("s1" if "seller" in asked else None)
        assert (decision.draft.warehouse_id, decision.draft.price_list_id) == ("1", "2")
    if decision.action == Act.UPDATE:
        assert decision.holder is not None
        holder = case.world.records[decision.holder]
        assert holder.remission_id == decision.remission.id or decision.changes


def test_a_failure_records_its_step() -> None:
    steps = {
        name: run(c.state, c.world)[0].step for name, c in CASES.items() if c.action == Act.FAIL
    }
    assert steps == {
        "unreadable-order-fails-reading": "read",
        "order-gone-from-handy-fails": "read",
        "total-mismatch-fails-before-any-client": "prepare",
        "missing-client-fails-before-any-item": "prepare",
        "unknown-product-fails": "prepare",
        "returns-only-needs-attention": "prepare",
        "sending-that-cannot-be-prepared-fails-after-looking": "prepare",
        "edit-of-an-invoiced-remission-needs-attention": "update",
        "edit-that-cannot-be-prepared-fails-and-never-needs-attention": "prepare",
        "cancelled-invoiced-remission-needs-attention": "void",
    }


def test_the_remission_carries_the_marker_and_the_edit() -> None:
    decision, _ = run(
        record("300", edited_from="100"),
        World(order=sales_order("300", edited_from=("100",)), records={}),
    )
    assert decision.draft is not None
    assert decision.draft.observations == "Pedido Handy #300 [handy-order:300] (editado de #100)"
    assert decision.draft.date.isoformat() == "2026-11-02"  # the local date in Mexico City


# --- what Handy's deleted orders change ---------------------------------------------------
CANCELLED = sales_order("200", deleted=True, edited_from=("100",))
EDITED = sales_order("200", deleted=True, isEdited=True)


@pytest.mark.parametrize(
    ("order", "own", "chain", "expected"),
    [
        pytest.param(
            EDITED, record(), [], [("200", S.SUPERSEDED, Act.SUPERSEDE)], id="edit-pending"
        ),
        pytest.param(
            EDITED,
            record(status=S.FAILED),
            [],
            [("200", S.SUPERSEDED, Act.SUPERSEDE)],
            id="edit-failed",
        ),
        pytest.param(EDITED, SENT_A, [], [], id="edit-of-a-sent-one-is-no-cancellation"),
        pytest.param(EDITED, record(status=S.SENDING), [], [], id="edit-sending-left-to-its-edit"),
        pytest.param(EDITED, None, [], [], id="edit-never-read"),
        pytest.param(CANCELLED, None, [], [], id="cancel-never-read-nothing-sent"),
        pytest.param(
            CANCELLED, record(), [], [("200", S.CANCELLED, Act.CANCEL)], id="cancel-pending"
        ),
        pytest.param(
            CANCELLED,
            record(status=S.NEEDS_ATTENTION, reason="only_returns"),
            [],
            [("200", S.CANCELLED, Act.CANCEL)],
            id="cancel-needs-attention",
        ),
        pytest.param(
            CANCELLED,
            record(status=S.SENT, remission_id="R1"),
            [],
            [("200", S.CANCELLING, None)],
            id="cancel-sent",
        ),
        pytest.param(
            CANCELLED,
            record(status=S.SENDING, **SENDING),
            [],
            [("200", S.CANCELLING, None)],
            id="cancel-sending-its-marker-is-looked-for-later",
        ),
        pytest.param(CANCELLED, record(status=S.VOIDED), [], [], id="cancel-already-voided"),
        pytest.param(CANCELLED, record(status=S.CANCELLED), [], [], id="cancel-already-cancelled"),
        pytest.param(
            CANCELLED, None, [SENT_A], [("100", S.CANCELLING, None)], id="cancel-edit-never-read"
        ),
        pytest.param(
            CANCELLED,
            record(),
            [SENT_A],
            [("200", S.CANCELLED, Act.CANCEL), ("100", S.CANCELLING, None)],
            id="cancel-edit-never-sent-voids-the-earlier-remission",
        ),
        pytest.param(
            CANCELLED,
            None,
            [record("100", S.VOIDED, remission_id="R1")],
            [],
            id="cancel-edit-of-a-voided-one",
        ),
    ],
)
def test_on_deletion(
    order: SalesOrder,
    own: OrderState | None,
    chain: list[OrderState],
    expected: list[tuple[str, str, Act | None]],
) -> None:
    changes = plan.on_deletion(order, own, chain)
    assert [(c.handy_id, c.status, c.action) for c in changes] == expected
    for change in changes:
        if change.status == S.CANCELLING:
            assert change.cancelled_order == "200"
        if change.status == S.CANCELLED:
            assert change.columns() == {"status": S.CANCELLED, "reason": None}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.PENDING, [("200", S.FAILED, "unreadable")]),
        (S.FAILED, [("200", S.FAILED, "unreadable")]),
        (S.SENDING, []),  # its marker is still looked for
        (S.SENT, []),
        (S.CANCELLING, []),
    ],
)
def test_on_unreadable(status: str, expected: list[tuple[str, str, str]]) -> None:
    changes = plan.on_unreadable(record(status=status))
    assert [(c.handy_id, c.status, c.reason) for c in changes] == expected


# --- what a decision leaves behind (the dry run works on with it) -------------------------
@pytest.mark.parametrize(
    ("state", "decision", "expected"),
    [
        pytest.param(
            record(),
            Decision(Act.CREATE, "200"),
            {"200": (S.SENT, "new", None)},
            id="create",
        ),
        pytest.param(
            record(status=S.SENDING),
            Decision(Act.ADOPT, "200", remission=remission("R9")),
            {"200": (S.SENT, "R9", None)},
            id="adopt",
        ),
        pytest.param(
            record(edited_from="100"),
            Decision(
                Act.UPDATE,
                "200",
                remission=remission("R1"),
                holder="100",
                changes=(Change("050", S.SUPERSEDED, Act.SUPERSEDE, replaced_by="200"),),
            ),
            {
                "050": (S.SUPERSEDED, None, None),
                "200": (S.SENT, "R1", None),
                "100": (S.SUPERSEDED, None, None),
            },
            id="update-supersedes-the-holder",
        ),
        pytest.param(
            record(status=S.CANCELLING, remission_id="R1"),
            Decision(Act.VOID, "200", remission=remission("R1")),
            {"200": (S.VOIDED, "R1", None)},
            id="void",
        ),
        pytest.param(
            record(status=S.CANCELLING),
            Decision(Act.CANCEL, "200"),
            {"200": (S.CANCELLED, None, None)},
            id="cancel",
        ),
        pytest.param(
            record(status=S.PENDING),
            Decision(Act.FAIL, "200", "no_rfc"),
            {"200": (S.FAILED, None, "no_rfc")},
            id="fail",
        ),
        pytest.param(
            record(status=S.SENDING),
            Decision(Act.FAIL, "200", "no_rfc"),
            {"200": (S.SENDING, None, "no_rfc")},
            id="fail-while-sending-stays-sending",
        ),
        pytest.param(
            record(status=S.SENDING),
            Decision(Act.FAIL, "200", "only_returns", attention=True),
            {"200": (S.NEEDS_ATTENTION, None, "only_returns")},
            id="fail-needing-attention",
        ),
        pytest.param(record(), Decision(Act.WAIT, "200", "held"), {}, id="wait"),
        pytest.param(record(status=S.SENT), Decision(Act.SKIP, "200", "sent"), {}, id="skip"),
    ],
)
def test_settled(
    state: OrderState, decision: Decision, expected: dict[str, tuple[str, str | None, str | None]]
) -> None:
    changes = plan.settled(state, decision, "new")
    shown = {c.handy_id: (c.status, c.remission_id, c.reason) for c in changes}
    assert shown == expected


@pytest.mark.parametrize(
    ("status", "attention", "force", "expected"),
    [
        (S.PENDING, False, False, S.FAILED),
        (S.FAILED, False, False, S.FAILED),
        (S.SENDING, False, False, S.SENDING),
        (S.SENDING, False, True, S.FAILED),
        (S.SENDING, True, False, S.NEEDS_ATTENTION),
        (S.PENDING, True, False, S.NEEDS_ATTENTION),
    ],
)
def test_failed_status(status: str, attention: bool, force: bool, expected: str) -> None:
    assert plan.failed_status(status, attention=attention, force=force) == expected


def test_work_order_keeps_edits_and_cancellations_for_last() -> None:
    listed = [
        (1, S.PENDING, None),
        (2, S.CANCELLING, None),
        (3, S.FAILED, "90"),
        (4, S.SENDING, None),
        (5, S.PENDING, None),
    ]
    assert plan.work_order(listed) == ([1, 4, 5], [2, 3])


# --- the lines both runs list ------------------------------------------------------------
def test_plan_lines() -> None:
    created, _ = run(record(status=S.FAILED, attempts=1), World())
    assert plan.plan_lines(created) == [
        {
            "action": "create",
            "order": "200",
            "client": "c1",
            "date": "2026-11-02",
            "total": "23.20",
            "handy_total": "23.20",
        }
    ]
    mismatch, _ = run(record(), World(order=sales_order(totalSales="20.00")))
    assert plan.plan_lines(mismatch) == [
        {
            "action": "fail",
            "order": "200",
            "reason": "handy_total_mismatch",
            "lines_total": "23.20",
            "total_sales": "20.00",
            "returns_total": "0.00",
        }
    ]
    adopted, _ = run(
        *_case("edit-of-a-version-of-unknown-outcome-adopts-its-remission-and-updates-it")
    )
    assert [
        (line["action"], line["order"], line.get("remission")) for line in plan.plan_lines(adopted)
    ] == [
        ("adopt", "100", "R5"),
        ("update", "200", "R5"),
    ]
    held = plan.wait("200", plan.Held("host-b:1:x", UNTIL))
    assert plan.plan_lines(held) == [
        {
            "action": "wait",
            "order": "200",
            "reason": "held",
            "owner": "host-b:1:x",
            "until": "2026-11-03T12:01:00+00:00",
        }
    ]
    assert plan.plan_lines(Decision(Act.SKIP, "200", "sent")) == []


def _case(name: str) -> tuple[OrderState, World]:
    return CASES[name].state, CASES[name].world


def test_decided_compares_lines_by_order_action_and_reason() -> None:
    lines = [
        {"action": "fail", "order": "2", "reason": "no_rfc", "customer": "x"},
        {"action": "create", "order": "1", "client": "c1"},
        {"action": "supersede", "order": "1"},
    ]
    assert plan.decided(lines) == [
        ("1", "create", None),
        ("1", "supersede", None),
        ("2", "fail", "no_rfc"),
    ]


def test_the_docs_table_names_every_decision_and_reason_the_plan_takes() -> None:
    """``docs/sales.md``'s decision table is written by hand: it must name every action and
    every reason these cases see."""
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("## The plan of one order", 1)[1].split("\n## ", 1)[0]
    for case in CASES.values():
        assert f"`{case.action}`" in table, case.action
        if case.reason and case.action != Act.SKIP:
            assert f"`{case.reason}`" in table, case.reason


def test_the_shells_loop_stops_on_a_fact_it_cannot_gather() -> None:
    """``Facts.decide`` (the loop both runs use) raises instead of asking for ever."""

    class Forgetful(Facts):
        def gather(self, state: OrderState, need: plan.Need, known: Known) -> Known:
            return known

    facts = Forgetful(None, None, None, None, TERMS)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="NeedOrder"):
        facts.decide(record())
    assert facts.decide(record(status=S.SENT)).action == Act.SKIP


def test_the_plan_imports_no_store_no_http_no_runtime() -> None:
    code = (
        "import sys, handy_alegra.sync.sales_plan; "
        "print([m for m in ('sqlalchemy', 'httpx', 'handy_alegra.runtime') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
