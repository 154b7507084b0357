"""One order's way to Alegra: what the plan decides (``sales_plan``: create, adopt, update
after an edit, void after a cancel, cancel, fail), carried out; then the write-back.

Called by the sales cycle with the record's lease held. Every state change is committed to
the store as soon as it happens; the one that matters most — ``sending`` — is committed before
the POST (after checking the lease is still ours), so that an unknown outcome is always
resolved by looking for the remission's marker before anything is posted again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import structlog

from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.domain.errors import (
    AmbiguousWriteError,
    ApiError,
    NotFoundError,
    TransientError,
    ValidationError,
)
from handy_alegra.domain.statuses import OrderStatus
from handy_alegra.mapping import remission as rules
from handy_alegra.mapping import write_back
from handy_alegra.mapping.problems import Problem
from handy_alegra.records.alegra import Remission
from handy_alegra.records.handy import SalesOrder
from handy_alegra.store import orders as records
from handy_alegra.store.database import Store
from handy_alegra.store.tables import OrderRecord
from handy_alegra.sync import sales_plan as plan
from handy_alegra.sync.sales_facts import Facts
from handy_alegra.sync.sales_lookup import ClientResolver, ItemResolver
from handy_alegra.sync.summary import RunSummary

log = structlog.get_logger("handy_alegra.sales")


def terms(account: AccountConfig) -> plan.Terms:
    """What a remission takes from the account's settings."""
    return plan.Terms(account.zone, account.warehouse_id, account.price_list_id)


def apply_change(row: OrderRecord, change: plan.Change, now: datetime) -> None:
    """Carry a change the plan decided into the stored record."""
    for key, value in change.columns().items():
        setattr(row, key, value)
    if change.cancelled_order is not None:
        row.detail = {**row.detail, "cancelled_order": change.cancelled_order}
    row.updated_at = now


class StoredFacts(Facts):
    """The facts of the real cycle: the records are the store's."""

    def __init__(
        self,
        store: Store,
        account: AccountConfig,
        alegra: AlegraClient,
        handy: HandyClient,
        clients: ClientResolver,
        items: ItemResolver,
    ) -> None:
        super().__init__(alegra, handy, clients, items, terms(account))
        self.store = store
        self.account_id = account.id

    def chain(self, handy_ids: Sequence[str]) -> tuple[plan.OrderState, ...]:
        with self.store.session() as session:
            found = [records.find(session, self.account_id, h) for h in handy_ids]
            return tuple(plan.OrderState.of(r) for r in found if r is not None)

    def keep_order(self, state: plan.OrderState, order: SalesOrder) -> None:
        with self.store.session() as session:
            row = session.get(OrderRecord, state.id)
            if row is not None:
                row.order = order.model_dump(mode="json", by_alias=True)


class OrderHandler:
    def __init__(
        self,
        *,
        alegra: AlegraClient,
        handy: HandyClient,
        store: Store,
        account: AccountConfig,
        now: Callable[[], datetime],
        summary: RunSummary,
        run_id: int | None,
        keep_lease: Callable[[int], bool] = lambda record_id: True,
    ) -> None:
        self.alegra = alegra
        self.handy = handy
        self.store = store
        self.account = account
        self.now = now
        self.summary = summary
        self.run_id = run_id
        self.keep_lease = keep_lease  # whether the order's lease is still ours (before a POST)
        self.items = ItemResolver(alegra, store, account.id)
        self.clients = ClientResolver(alegra, handy, store, account, now)
        self.facts = StoredFacts(store, account, alegra, handy, self.clients, self.items)
        self.order_form = account.order_external_id_form  # the form Handy took last
        self._form_lock = threading.Lock()

    # --- one order ---------------------------------------------------------------------------
    def handle(self, record_id: int) -> plan.Decision | None:
        """Decide what to do with the record (``sales_plan``, with the facts it asks for) and
        do it. Returns the decision, or ``None`` when the record is gone or the lease went to
        another worker before a POST (that worker sends it)."""
        state = self._state(record_id)
        if state is None:
            return None
        decision = self.facts.decide(state)
        if not self._apply(record_id, state, decision):
            return None
        self.summary.add_planned(plan.plan_lines(decision))
        return decision

    def _apply(self, record_id: int, state: plan.OrderState, decision: plan.Decision) -> bool:
        for change in decision.changes:  # the other versions first, as the plan walked them
            self._change(change)
        match decision.action:
            case plan.Act.FAIL:
                assert decision.reason is not None and decision.step is not None
                problem = Problem(decision.reason, dict(decision.detail))
                self._fail(record_id, problem, decision.step, attention=decision.attention)
            case plan.Act.ADOPT:
                assert decision.remission is not None
                self._sent(record_id, decision.order, decision.remission, plan.Act.ADOPT)
            case plan.Act.CREATE:
                return self._create(record_id, state, decision)
            case plan.Act.UPDATE:
                self._update(record_id, decision)
            case plan.Act.VOID:
                self._void(record_id, decision)
            case plan.Act.CANCEL:
                self._set(record_id, status=OrderStatus.CANCELLED, reason=None)
                self._attempt(record_id, plan.Act.CANCEL, OrderStatus.CANCELLED)
                self.summary.bump(OrderStatus.CANCELLED)
        return True

    def _create(self, record_id: int, state: plan.OrderState, decision: plan.Decision) -> bool:
        draft, lines = decision.draft, decision.lines
        assert draft is not None and lines is not None
        if not self.keep_lease(record_id):
            return False  # our lease lapsed and another worker has the order: it sends it
        self._set(
            record_id,
            status=OrderStatus.SENDING,
            alegra_client_id=draft.client_id,
            remission_date=draft.date.isoformat(),
            handy_total=lines.pricing.target,
            detail=_detail(lines),
            attempts=state.attempts + 1,
        )  # committed before the POST
        try:
            remission = self.alegra.create_remission(draft)
        except AmbiguousWriteError as exc:
            found = self.facts.find_marked(draft.client_id, draft.date.isoformat(), state.handy_id)
            if found is not None:
                self._sent(record_id, state.handy_id, found, plan.Act.ADOPT)
            else:  # stays sending: the next cycle looks again before posting
                self._attempt(
                    record_id, "create", "unknown", "outcome_unknown", {"error": str(exc)}
                )
                self.summary.fail("outcome_unknown")
            return True
        except ValidationError as exc:
            self._fail(
                record_id, Problem("alegra_rejected", {"error": str(exc)}), "create", force=True
            )
            return True
        except TransientError:
            self._set(
                record_id, status=OrderStatus.PENDING
            )  # never reached Alegra (no connection made)
            raise
        self._sent(record_id, state.handy_id, remission, plan.Act.CREATE)
        return True

    def _update(self, record_id: int, decision: plan.Decision) -> None:
        """An edit: the remission of the version it replaces takes the new order."""
        draft, lines, remission = decision.draft, decision.lines, decision.remission
        assert draft is not None and lines is not None and remission is not None
        try:
            updated = self.alegra.update_remission(remission.id, draft)
        except ValidationError as exc:
            self._fail(record_id, Problem("alegra_rejected", {"error": str(exc)}), "update")
            return
        self._set(
            record_id,
            alegra_client_id=draft.client_id,
            remission_date=draft.date.isoformat(),
            handy_total=lines.pricing.target,
            detail=_detail(lines),
        )
        if decision.holder is not None:
            self._change(
                plan.Change(decision.holder, OrderStatus.SUPERSEDED, replaced_by=decision.order)
            )
        self._sent(record_id, decision.order, updated, plan.Act.UPDATE)

    def _void(self, record_id: int, decision: plan.Decision) -> None:
        remission = decision.remission
        assert remission is not None
        if remission.status != plan.VOID:
            self.alegra.void_remission(remission.id)
        self._set(record_id, status=OrderStatus.VOIDED, reason=None, remission_id=remission.id)
        self._attempt(
            record_id, plan.Act.VOID, OrderStatus.VOIDED, detail={"remission": remission.id}
        )
        self.summary.bump(OrderStatus.VOIDED)

    def write_back(
        self, record_id: int, handy_id: str, remission_id: str, remission_number: str | None
    ) -> None:
        """Put the remission on the Handy order in the first form Handy takes (the account's
        remembered form first, ``mapping.write_back``). A form Handy refuses (400/422) is not
        sent again for this order; when every form is refused, or the order is gone, the
        record says so and no later cycle tries again."""
        refused: dict[str, str] = {}
        for form in write_back.in_order(write_back.ORDER_FORMS, self.order_form):
            value = write_back.order_value(form, remission_id, remission_number)
            if value is None:
                continue  # this form does not apply (no numeric remission number)
            try:
                self.handy.set_order_external_id(handy_id, value)
            except (ValidationError, NotFoundError) as exc:
                refused[form] = str(exc)[:300]
                if isinstance(exc, NotFoundError):
                    break
                continue
            except ApiError as exc:
                if exc.retryable:
                    raise
                log.warning("external_id_not_written", order=handy_id, error=str(exc))
                return  # credentials or permissions: the next cycle tries again
            self._set(record_id, external_id_written=True, external_id_form=form)
            self._remember_form(form)
            self.summary.bump("written_back")
            return
        detail = {"forms": sorted(refused), "error": "; ".join(refused.values())[:500]}
        with self.store.session() as session:
            row = session.get(OrderRecord, record_id)
            assert row is not None
            row.external_id_form, row.updated_at = write_back.REFUSED, self.now()
            records.add_attempt(
                session,
                row,
                run_id=self.run_id,
                at=self.now(),
                action="write_back",
                outcome="refused",
                reason="write_back_refused",
                detail=detail,
            )
        self.summary.bump("write_back_refused")
        log.warning("external_id_refused", order=handy_id, **detail)

    def _remember_form(self, form: str) -> None:
        with self._form_lock:
            if self.order_form == form:
                return
            self.order_form = form
        with self.store.session() as session:
            accounts.remember_external_id_form(session, self.account.id, "order", form)

    # --- the record --------------------------------------------------------------------------
    def _state(self, record_id: int) -> plan.OrderState | None:
        with self.store.session() as session:
            row = session.get(OrderRecord, record_id)
            return plan.OrderState.of(row) if row is not None else None

    def _change(self, change: plan.Change) -> None:
        """A change the plan made to another version's record."""
        with self.store.session() as session:
            row = records.find(session, self.account.id, change.handy_id)
            assert row is not None
            apply_change(row, change, self.now())

    def _sent(self, record_id: int, handy_id: str, remission: Remission, action: str) -> None:
        with self.store.session() as session:
            row = session.get(OrderRecord, record_id)
            assert row is not None
            row.status, row.reason = OrderStatus.SENT, None
            row.remission_id, row.remission_number = remission.id, remission.number
            row.alegra_total = remission.total
            row.sent_at = row.updated_at = self.now()
            row.external_id_written, row.external_id_form = False, None
            if row.handy_total is not None and remission.total is not None:
                difference = row.handy_total - remission.total
                row.detail = (
                    {**row.detail, "difference": str(difference)} if difference else row.detail
                )
            records.add_attempt(
                session,
                row,
                run_id=self.run_id,
                at=self.now(),
                action=action,
                outcome=OrderStatus.SENT,
                detail={"remission": remission.id, "number": remission.number},
            )
        self.summary.bump(plan.EFFECT[action])
        self.write_back(record_id, handy_id, remission.id, remission.number)

    def _fail(
        self,
        record_id: int,
        problem: Problem,
        action: str,
        *,
        attention: bool = False,
        force: bool = False,
    ) -> None:
        """Record why the order did not go through. ``attention``: a person must act (it is
        not retried); otherwise it is retried every cycle. A record whose POST outcome is
        unknown stays ``sending`` (unless ``force``) so that the marker is looked for first."""
        status = OrderStatus.NEEDS_ATTENTION if attention else OrderStatus.FAILED
        with self.store.session() as session:
            row = session.get(OrderRecord, record_id)
            assert row is not None
            row.status = plan.failed_status(row.status, attention=attention, force=force)
            row.reason, row.updated_at = problem.reason, self.now()
            row.detail = {
                **{k: v for k, v in row.detail.items() if k == "returns"},
                **problem.detail,
            }
            row.attempts += 1
            records.add_attempt(
                session,
                row,
                run_id=self.run_id,
                at=self.now(),
                action=action,
                outcome=status,
                reason=problem.reason,
                detail=problem.detail,
            )
        if attention:
            self.summary.bump(OrderStatus.NEEDS_ATTENTION)
        else:
            self.summary.fail(problem.reason)

    def _attempt(
        self,
        record_id: int,
        action: str,
        outcome: str,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.store.session() as session:
            row = session.get(OrderRecord, record_id)
            assert row is not None
            if reason:
                row.reason = reason
            records.add_attempt(
                session,
                row,
                run_id=self.run_id,
                at=self.now(),
                action=action,
                outcome=outcome,
                reason=reason,
                detail=detail,
            )

    def _set(self, record_id: int, **values: Any) -> None:
        with self.store.session() as session:
            row = session.get(OrderRecord, record_id)
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = self.now()


def _detail(lines: rules.Lines) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "handy_total": str(lines.pricing.target),
        "planned_total": str(lines.pricing.total),
    }
    if lines.returns:
        detail["returns"] = list(lines.returns)
    if lines.pricing.difference:
        detail["difference"] = str(lines.pricing.difference)
    return detail
