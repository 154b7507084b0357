"""Catalog, Alegra → Handy: items become products (price, stock, family), by reference."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Unpack

from handy_alegra.accounts import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.alegra_records import Item
from handy_alegra.clients.drafts import ProductDraft
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.handy_records import Named, Product
from handy_alegra.errors import NotFoundError, RecordParseError
from handy_alegra.mapping import products
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.runtime import Runtime
from handy_alegra.sync.keyed import HandyView
from handy_alegra.sync.summary import RunSummary
from handy_alegra.sync.wiring import RunOptions, run_keyed


def product_view(product: Product) -> HandyView:
    fields: dict[str, Any] = {
        "description": product.description,
        "price": product.price,
        "quantity": product.quantity,
        "family": product.family.description if product.family else None,
        "enabled": product.enabled,
        "externalId": product.external_id,
    }
    return HandyView(product.code, product.id, fields)


class ProductResource:
    kind = "product"
    group_field = "family"

    def __init__(self, alegra: AlegraClient, handy: HandyClient, rules: products.CatalogRules):
        self.alegra = alegra
        self.handy = handy
        self.rules = rules
        self.families: dict[str, str] = {}

    def read_source(self) -> Iterator[Item | RecordParseError]:
        return self.alegra.iter_items()

    def evaluate(self, record: Item) -> Verdict:
        return products.evaluate(record, self.rules)

    def read_handy(
        self, window: tuple[datetime, datetime] | None
    ) -> Iterator[HandyView | RecordParseError]:
        for product in self.handy.iter_products(enabled=None, updated_between=window):
            yield product if isinstance(product, RecordParseError) else product_view(product)

    def prepare(self, groups: set[str], *, dry_run: bool) -> list[str]:
        self.families = {
            f.description: f.id
            for f in self.handy.iter_families(enabled=None)
            if isinstance(f, Named)
        }
        missing = sorted(groups - set(self.families))
        if not dry_run:
            for name in missing:
                self.families[name] = self.handy.create_family(name).id
        return missing

    def create(self, code: str, fields: dict[str, Any]) -> HandyView:
        draft = ProductDraft(
            code=code,
            description=fields["description"],
            price=fields["price"],
            family_id=self.families[fields["family"]],
            quantity=fields.get("quantity"),
            enabled=fields.get("enabled", True),
            external_id=fields.get("externalId"),
        )
        return product_view(self.handy.create_product(draft))

    def update(self, code: str, changes: dict[str, Any]) -> HandyView:
        wire = dict(changes)
        if "family" in wire:
            wire["family"] = self.families[wire["family"]]
        return product_view(self.handy.update_product(code, wire))

    def fetch(self, code: str) -> HandyView | None:
        try:
            return product_view(self.handy.get_product(code))
        except NotFoundError:
            return None


def rules_for(account: AccountConfig) -> products.CatalogRules:
    return products.CatalogRules(
        price_list_id=account.price_list_id,
        price_list_name=account.price_list_name,
        all_items=account.all_items,
        default_family=account.default_family,
    )


def run(runtime: Runtime, account: AccountConfig, **options: Unpack[RunOptions]) -> RunSummary:
    resource = ProductResource(runtime.alegra(account), runtime.handy(account), rules_for(account))
    return run_keyed(runtime, account, resource, **options)
