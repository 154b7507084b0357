"""Customers, Alegra → Handy: client contacts become customers, one zone per seller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any, Unpack

import structlog

from handy_alegra.accounts.context import Context
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.domain.errors import NotFoundError, RecordParseError
from handy_alegra.mapping import customers
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.records.alegra import Contact, Seller
from handy_alegra.records.drafts import CustomerDraft
from handy_alegra.records.handy import Customer, Named
from handy_alegra.sync.keyed import HandyView
from handy_alegra.sync.summary import RunSummary
from handy_alegra.sync.wiring import RunOptions, run_keyed

log = structlog.get_logger("handy_alegra.sync")


def customer_view(customer: Customer) -> HandyView:
    fields: dict[str, Any] = {
        "description": customer.description,
        "rfc": customer.rfc,
        "email": customer.email,
        "phoneNumber": customer.phone_number,
        "address": customer.address,
        "city": customer.city,
        "postalCode": customer.postal_code,
        "zone": customer.zone.description if customer.zone else None,
        "category": customer.category.description if customer.category else None,
        "enabled": customer.enabled,
    }
    return HandyView(customer.code, customer.id, fields)


class CustomerResource:
    kind = "customer"
    group_field = "zone"

    def __init__(self, alegra: AlegraClient, handy: HandyClient, rules: customers.CustomerRules):
        self.alegra = alegra
        self.handy = handy
        self.rules = rules
        self.zones: dict[str, str] = {}
        self.categories: dict[str, str] = {}

    def read_source(self) -> Iterator[Contact | RecordParseError]:
        return self.alegra.iter_contacts(type="client")

    def judge(self) -> Callable[[Contact], Verdict]:
        """The customer rules with the sellers' names as Alegra has them now: a zone is named
        after the seller's current name, whatever name a contact still carries."""
        sellers = {s.id: s.name for s in self.alegra.list_sellers() if isinstance(s, Seller)}
        rules = replace(self.rules, sellers=sellers)
        return partial(customers.evaluate, rules=rules)

    def read_handy(
        self, window: tuple[datetime, datetime] | None
    ) -> Iterator[HandyView | RecordParseError]:
        for customer in self.handy.iter_customers(enabled=None, updated_between=window):
            if isinstance(customer, RecordParseError):
                yield customer
            elif customer.code.startswith(customers.CODE_PREFIX):  # sellers' own are not ours
                yield customer_view(customer)

    def prepare(self, groups: set[str], *, dry_run: bool) -> list[str]:
        self.zones = {
            z.description: z.id for z in self.handy.iter_zones(enabled=None) if isinstance(z, Named)
        }
        self.categories = {
            c.description: c.id
            for c in self.handy.list_customer_categories()
            if isinstance(c, Named)
        }
        missing = sorted(groups - set(self.zones))
        if not dry_run:
            for name in missing:
                self.zones[name] = self.handy.create_zone(name).id
        return missing

    def _category_id(self, name: str | None) -> str | None:
        if name is None:
            return None
        found = self.categories.get(name)
        if found is None:
            log.warning("customer_category_missing", category=name)
        return found

    def create(self, code: str, fields: dict[str, Any]) -> HandyView:
        draft = CustomerDraft(
            code=code,
            description=fields["description"],
            zone_id=self.zones[fields["zone"]],
            category_id=self._category_id(fields.get("category")),
            rfc=fields.get("rfc"),
            email=fields.get("email"),
            phone_number=fields.get("phoneNumber"),
            address=fields.get("address"),
            city=fields.get("city"),
            postal_code=fields.get("postalCode"),
            enabled=fields.get("enabled", True),
        )
        return customer_view(self.handy.create_customer(draft))

    def update(self, code: str, changes: dict[str, Any]) -> HandyView:
        wire = dict(changes)
        if "zone" in wire:
            wire["zone"] = self.zones[wire["zone"]]
        if "category" in wire:
            category = self._category_id(wire["category"])
            wire["category"] = (
                {"id": int(category) if category and category.isdigit() else category}
                if category
                else None
            )
        return customer_view(self.handy.update_customer(code, wire))

    def fetch(self, code: str) -> HandyView | None:
        try:
            return customer_view(self.handy.get_customer(code))
        except NotFoundError:
            return None


def rules_for(account: AccountConfig) -> customers.CustomerRules:
    return customers.CustomerRules(account.country, account.default_zone)


def run(runtime: Context, account: AccountConfig, **options: Unpack[RunOptions]) -> RunSummary:
    resource = CustomerResource(runtime.alegra(account), runtime.handy(account), rules_for(account))
    return run_keyed(runtime, account, resource, **options)
