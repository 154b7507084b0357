"""Catalog, Alegra → Handy: items become products (price, stock, family), by reference."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any, Unpack

import structlog

from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.context import Context
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.domain.errors import NotFoundError, RecordParseError, ValidationError
from handy_alegra.mapping import products, write_back
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.records.alegra import Item
from handy_alegra.records.drafts import ProductDraft
from handy_alegra.records.handy import Named, Product
from handy_alegra.sync.keyed import HandyView
from handy_alegra.sync.summary import RunSummary
from handy_alegra.sync.wiring import RunOptions, run_keyed

log = structlog.get_logger("handy_alegra.catalog")


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

    def __init__(
        self,
        alegra: AlegraClient,
        handy: HandyClient,
        rules: products.CatalogRules,
        remember: Callable[[str], None] | None = None,
    ):
        self.alegra = alegra
        self.handy = handy
        self.rules = rules
        self.families: dict[str, str] = {}
        self.form = rules.external_id_form  # the externalId form Handy took last
        self._remember = remember or (lambda form: None)
        self._lock = threading.Lock()

    def read_source(self) -> Iterator[Item | RecordParseError]:
        return self.alegra.iter_items()

    def judge(self) -> Callable[[Item], Verdict]:
        return partial(products.evaluate, rules=self.rules)

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
        def send(external_id: str | int | None) -> Product:
            draft = ProductDraft(
                code=code,
                description=fields["description"],
                price=fields["price"],
                family_id=self.families[fields["family"]],
                quantity=fields.get("quantity"),
                enabled=fields.get("enabled", True),
                external_id=external_id,
            )
            return self.handy.create_product(draft)

        return product_view(self._with_external_id(send, fields.get("externalId")))

    def update(self, code: str, changes: dict[str, Any]) -> HandyView:
        wire = dict(changes)
        if "family" in wire:
            wire["family"] = self.families[wire["family"]]
        item_id = wire.pop("externalId", None)

        def send(external_id: str | int | None) -> Product:
            extra = {} if external_id is None else {"externalId": external_id}
            return self.handy.update_product(code, {**wire, **extra})

        return product_view(self._with_external_id(send, item_id))

    def _with_external_id(
        self, send: Callable[[str | int | None], Product], item_id: str | None
    ) -> Product:
        """Write with the item id as ``externalId`` in the account's form; when Handy refuses
        that form (a 422 naming ``externalId``), the next one (``mapping.write_back``), and the
        form Handy took is remembered so that no later write sends a refused form again."""
        if item_id is None:
            return send(None)
        start = write_back.PRODUCT_FORMS.index(self.form or write_back.ID)
        refused: list[str] = []
        for form in write_back.PRODUCT_FORMS[start:]:
            value = write_back.product_value(form, item_id)
            if value is None and form != write_back.NONE:
                continue  # not expressible in this form (a UUID as a number)
            try:
                product = send(value)
            except ValidationError as exc:
                if form == write_back.NONE or not _refuses_external_id(exc):
                    raise
                refused.append(form)
                continue
            self._learn(refused, form)
            return product
        raise AssertionError("unreachable: the last form sends no externalId")

    def _learn(self, refused: list[str], took: str) -> None:
        learned = (
            write_back.NONE
            if write_back.NUMBER in refused
            else write_back.NUMBER
            if write_back.ID in refused
            else took
            if took != write_back.NONE
            else None
        )
        with self._lock:
            if learned is None or learned == self.form:
                return
            self.form = learned
        log.info("product_external_id_form", form=learned)
        self._remember(learned)

    def fetch(self, code: str) -> HandyView | None:
        try:
            return product_view(self.handy.get_product(code))
        except NotFoundError:
            return None


def _refuses_external_id(error: ValidationError) -> bool:
    return any(f.field == "externalId" for f in error.fields)


def rules_for(account: AccountConfig) -> products.CatalogRules:
    return products.CatalogRules(
        price_list_id=account.price_list_id,
        price_list_name=account.price_list_name,
        all_items=account.all_items,
        default_family=account.default_family,
        external_id_form=account.product_external_id_form,
    )


def resource_for(runtime: Context, account: AccountConfig) -> ProductResource:
    """The catalog of ``account``, remembering in the store the ``externalId`` form Handy
    takes."""

    def remember(form: str) -> None:
        with runtime.store.session() as session:
            accounts.remember_external_id_form(session, account.id, "product", form)

    return ProductResource(
        runtime.alegra(account), runtime.handy(account), rules_for(account), remember
    )


def run(runtime: Context, account: AccountConfig, **options: Unpack[RunOptions]) -> RunSummary:
    return run_keyed(runtime, account, resource_for(runtime, account), **options)
