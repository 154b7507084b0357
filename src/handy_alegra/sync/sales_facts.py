"""What the sales plan asks for, gathered: the loop the real cycle and the dry run share.

``Facts.decide`` asks ``sales_plan.decide`` for a decision; while the plan needs a fact (the
order, the records of the versions it replaces, a marker lookup, a remission's status, the
client, the items, the seller), it gathers that fact and asks again. Every fact is read, and
read the same way in both runs; the only writes on the way are the real cycle's: its client
resolver links (or creates) the client, and an order read again from Handy is kept on its
record. The dry run overrides where records and planned remissions come from
(``sales_preview``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import structlog

from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.domain.errors import NotFoundError, RecordParseError
from handy_alegra.mapping import remission as rules
from handy_alegra.mapping.problems import Problem
from handy_alegra.records.alegra import Remission
from handy_alegra.records.handy import SalesOrder
from handy_alegra.records.wire import parse_record
from handy_alegra.sync import sales_plan as plan
from handy_alegra.sync.sales_lookup import ClientResolver, ItemResolver

log = structlog.get_logger("handy_alegra.sales")


class Facts:
    def __init__(
        self,
        alegra: AlegraClient,
        handy: HandyClient,
        clients: ClientResolver,
        items: ItemResolver,
        terms: plan.Terms,
    ) -> None:
        self.alegra = alegra
        self.handy = handy
        self.clients = clients
        self.items = items
        self.terms = terms

    def decide(self, state: plan.OrderState, known: plan.Known | None = None) -> plan.Decision:
        """Ask the plan; gather what it needs; ask again, until it decides."""
        known = known or plan.Known()
        while True:
            step = plan.decide(state, known, self.terms)
            if isinstance(step, plan.Decision):
                return step
            gathered = self.gather(state, step, known)
            if gathered == known:  # a bug: the plan would ask for ever
                raise RuntimeError(f"the sales plan asked twice for {step!r}")
            known = gathered

    def gather(self, state: plan.OrderState, need: plan.Need, known: plan.Known) -> plan.Known:
        match need:
            case plan.NeedOrder():
                return replace(known, order=self.order(state))
            case plan.NeedChain(handy_ids):
                return replace(known, chain=self.chain(handy_ids))
            case plan.NeedMarker(handy_id, client_id, day):
                found = self.find_marked(client_id, day, handy_id)
                return replace(known, markers={**known.markers, handy_id: found})
            case plan.NeedRemission(remission_id):
                remission = self.remission(remission_id)
                return replace(known, remissions={**known.remissions, remission_id: remission})
            case plan.NeedClient(customer, refresh):
                return replace(known, client=self.clients.resolve(customer, refresh=refresh))
            case plan.NeedItems(codes):
                return replace(known, items=self.items.resolve(sorted(codes)))
            case plan.NeedSeller(zone):
                seller = self.clients.seller_for_zone(zone)
                return replace(known, sellers={**known.sellers, zone: seller})
        raise AssertionError(need)  # pragma: no cover - every Need is matched above

    # --- the facts -------------------------------------------------------------------------
    def order(self, state: plan.OrderState) -> SalesOrder | Problem:
        """The order as last read; read again from Handy when it was never read well."""
        if state.reason != "unreadable" and state.order:
            parsed = parse_record(SalesOrder, "sales order", dict(state.order))
            if not isinstance(parsed, RecordParseError):
                return parsed
        try:
            fresh = self.handy.get_sales_order(state.handy_id)
        except RecordParseError as exc:
            return Problem("unreadable", {"field": exc.field, "problem": exc.problem})
        except NotFoundError:
            return Problem("order_gone", {})
        self.keep_order(state, fresh)
        return fresh

    def keep_order(self, state: plan.OrderState, order: SalesOrder) -> None:
        """An order read again from Handy (the real cycle keeps it on the record)."""

    def chain(self, handy_ids: Sequence[str]) -> tuple[plan.OrderState, ...]:
        raise NotImplementedError

    def remission(self, remission_id: str) -> Remission:
        return self.alegra.get_remission(remission_id)

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
        live = [r for r in found if r.status != plan.VOID] or found
        return live[-1] if live else None  # the oldest: the listing is newest first
