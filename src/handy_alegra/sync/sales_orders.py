"""One order's way to Alegra: create, adopt, update after an edit, void after a cancel.

Called by the sales cycle with the record's lease held. Every state change is committed to
the store as soon as it happens; the one that matters most — ``sending`` — is committed before
the POST, so that an unknown outcome is always resolved by looking for the remission's marker
before anything is posted again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import structlog

from handy_alegra import accounts
from handy_alegra.accounts import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.alegra_records import Remission
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.handy_records import SalesOrder
from handy_alegra.clients.wire import parse_record
from handy_alegra.errors import (
    AmbiguousWriteError,
    ApiError,
    NotFoundError,
    RecordParseError,
    TransientError,
    ValidationError,
)
from handy_alegra.mapping import remission as rules
from handy_alegra.mapping import write_back
from handy_alegra.mapping.problems import Problem
from handy_alegra.store import orders as records
from handy_alegra.store.database import Store
from handy_alegra.store.statuses import GOING, UNSENT_YET, OrderStatus
from handy_alegra.store.tables import OrderRecord
from handy_alegra.sync.sales_lookup import ClientResolver, ItemResolver
from handy_alegra.sync.summary import RunSummary

log = structlog.get_logger("handy_alegra.sales")

EFFECT = {"create": OrderStatus.SENT, "adopt": "adopted", "update": "updated"}


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
        self.order_form = account.order_external_id_form  # the form Handy took last
        self._form_lock = threading.Lock()

    # --- entry points ------------------------------------------------------------------------
    def send(self, record_id: int) -> None:
        record, order = self._load(record_id)
        if isinstance(order, Problem):
            self._fail(record_id, order, "read")
            return
        if record.status == OrderStatus.SENDING:  # the last POST's outcome is unknown: look
            found = self.find_marked(record.alegra_client_id, record.remission_date, order.id)
            if found is not None:
                self._sent(record_id, order, found, "adopt")
                return
        if order.edited_from and self._follow_edit(record_id, order):
            return
        prepared = self._prepare(order, refresh=record.attempts > 0)
        if isinstance(prepared, Problem):
            self._fail(record_id, prepared, "prepare", attention=prepared.reason == "only_returns")
            return
        draft, lines = prepared
        if not self.keep_lease(record_id):
            return  # our lease lapsed and another worker has the order: it sends it
        self._set(
            record_id,
            status=OrderStatus.SENDING,
            alegra_client_id=draft.client_id,
            remission_date=draft.date.isoformat(),
            handy_total=lines.pricing.target,
            detail=_detail(lines),
            attempts=record.attempts + 1,
        )  # committed before the POST
        try:
            remission = self.alegra.create_remission(draft)
        except AmbiguousWriteError as exc:
            found = self.find_marked(draft.client_id, draft.date.isoformat(), order.id)
            if found is not None:
                self._sent(record_id, order, found, "adopt")
            else:  # stays sending: the next cycle looks again before posting
                self._attempt(
                    record_id, "create", "unknown", "outcome_unknown", {"error": str(exc)}
                )
                self.summary.fail("outcome_unknown")
            return
        except ValidationError as exc:
            self._fail(
                record_id, Problem("alegra_rejected", {"error": str(exc)}), "create", force=True
            )
            return
        except TransientError:
            self._set(
                record_id, status=OrderStatus.PENDING
            )  # never reached Alegra (no connection made)
            raise
        self._sent(record_id, order, remission, "create")

    def cancel(self, record_id: int) -> None:
        record, _ = self._load(record_id)
        remission_id = record.remission_id
        if remission_id is None:  # a POST of unknown outcome may have created one
            found = self.find_marked(
                record.alegra_client_id, record.remission_date, record.handy_id
            )
            remission_id = found.id if found else None
        if remission_id is None:
            self._set(record_id, status=OrderStatus.CANCELLED, reason=None)
            self._attempt(record_id, "cancel", OrderStatus.CANCELLED)
            self.summary.bump(OrderStatus.CANCELLED)
            return
        remission = self.alegra.get_remission(remission_id)
        if remission.status == "closed":
            number = remission.number or remission.id
            self._fail(
                record_id, Problem("void_closed", {"number": number}), "void", attention=True
            )
            return
        if remission.status != "void":
            self.alegra.void_remission(remission_id)
        self._set(record_id, status=OrderStatus.VOIDED, reason=None, remission_id=remission_id)
        self._attempt(record_id, "void", OrderStatus.VOIDED, detail={"remission": remission_id})
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

    # --- steps -------------------------------------------------------------------------------
    def _prepare(self, order: SalesOrder, *, refresh: bool) -> tuple[Any, rules.Lines] | Problem:
        mismatch = rules.check_totals(order)  # before a client may be created for it
        if mismatch is not None:
            return mismatch
        client = self.clients.resolve(order.customer, refresh=refresh)
        if isinstance(client, Problem):
            return client
        lines = rules.remission_lines(
            order, self.items.resolve({ln.product_code for ln in order.lines})
        )
        if isinstance(lines, Problem):
            return lines
        zone = order.customer.zone.description if order.customer.zone else None
        draft = rules.remission_draft(
            order,
            lines,
            client_id=client,
            zone=self.account.zone,
            seller_id=self.clients.seller_for_zone(zone),
            warehouse_id=self.account.warehouse_id,
            price_list_id=self.account.price_list_id,
        )
        return draft, lines

    def _follow_edit(self, record_id: int, order: SalesOrder) -> bool:
        """An edited order updates the remission of the version it replaces, when there is a
        live one; returns False when the order must be sent as a new remission."""
        holder = self._chain_holder(order)
        if holder is None:
            return False
        assert holder.remission_id is not None
        remission = self.alegra.get_remission(holder.remission_id)
        if remission.status == "void":
            return False
        if remission.status == "closed":
            number = remission.number or remission.id
            self._fail(
                record_id, Problem("remission_closed", {"number": number}), "update", attention=True
            )
            return True
        prepared = self._prepare(order, refresh=True)
        if isinstance(prepared, Problem):
            self._fail(record_id, prepared, "prepare")
            return True
        draft, lines = prepared
        try:
            updated = self.alegra.update_remission(remission.id, draft)
        except ValidationError as exc:
            self._fail(record_id, Problem("alegra_rejected", {"error": str(exc)}), "update")
            return True
        self._set(
            record_id,
            alegra_client_id=draft.client_id,
            remission_date=draft.date.isoformat(),
            handy_total=lines.pricing.target,
            detail=_detail(lines),
        )
        self._set(holder.id, status=OrderStatus.SUPERSEDED, replaced_by=order.id)
        self._sent(record_id, order, updated, "update")
        return True

    def _chain_holder(self, order: SalesOrder) -> OrderRecord | None:
        """The earlier version holding a live remission (resolving an unknown POST of one on
        the way); earlier versions never sent are marked superseded, never to be sent."""
        with self.store.session() as session:
            chain = [
                r for h in order.edited_from if (r := records.find(session, self.account.id, h))
            ]
            for r in chain:
                if r.status in UNSENT_YET and not r.remission_id:
                    r.status, r.replaced_by = OrderStatus.SUPERSEDED, order.id
            session.expunge_all()
        for r in chain:
            if r.remission_id and r.status not in GOING:
                return r
            if r.status == OrderStatus.SENDING:
                found = self.find_marked(r.alegra_client_id, r.remission_date, r.handy_id)
                if found is not None:
                    self._set(
                        r.id,
                        status=OrderStatus.SENT,
                        remission_id=found.id,
                        remission_number=found.number,
                    )
                    r.remission_id = found.id
                    return r
                self._set(r.id, status=OrderStatus.SUPERSEDED, replaced_by=order.id)
        return None

    def find_marked(
        self, client_id: str | None, day: str | None, handy_id: str
    ) -> Remission | None:
        """The remission whose observations carry this order's marker, if one exists."""
        if not client_id:
            return None
        on = date.fromisoformat(day) if day else None
        found = [
            r
            for r in self.alegra.iter_remissions(client_id=client_id, on=on)
            if isinstance(r, Remission) and handy_id in rules.marked_orders(r.observations)
        ]
        if len(found) > 1:
            log.error(
                "duplicate_remissions_found", order=handy_id, remissions=[r.id for r in found]
            )
        live = [r for r in found if r.status != "void"] or found
        return live[-1] if live else None  # the oldest: the listing is newest first

    # --- the record --------------------------------------------------------------------------
    def _load(self, record_id: int) -> tuple[OrderRecord, SalesOrder | Problem]:
        with self.store.session() as session:
            record = session.get(OrderRecord, record_id)
            assert record is not None
            session.expunge(record)
        if record.reason != "unreadable" and record.order:
            parsed = parse_record(SalesOrder, "sales order", record.order)
            if not isinstance(parsed, RecordParseError):
                return record, parsed
        try:  # never read well: read it again
            fresh = self.handy.get_sales_order(record.handy_id)
        except RecordParseError as exc:
            return record, Problem("unreadable", {"field": exc.field, "problem": exc.problem})
        except NotFoundError:
            return record, Problem("order_gone", {})
        self._set(record_id, order=fresh.model_dump(mode="json", by_alias=True))
        return record, fresh

    def _sent(self, record_id: int, order: SalesOrder, remission: Remission, action: str) -> None:
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
        self.summary.bump(EFFECT[action])
        self.write_back(record_id, order.id, remission.id, remission.number)

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
            if row.status != OrderStatus.SENDING or attention or force:
                row.status = status
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
