"""An in-memory Handy API v2 (``/api/v2``), as the project's contract describes it
(/work/shared/api/DECISIONS.md, Handy table; record shapes from handy.md).

The HTTP routes live in ``handy_routes``, record validation in ``handy_catalog`` and the sales
orders (which only the admin methods create, as sellers do in the app) in ``handy_orders``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handy_alegra.clients.http import Request
from handy_alegra.domain.clock import Clock
from handy_alegra.simulators import handy_catalog as catalog
from handy_alegra.simulators import handy_orders as orders
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.handy_catalog import HandyState, Record
from handy_alegra.simulators.handy_routes import register_routes
from handy_alegra.simulators.ratewindow import WindowState, seconds_text
from handy_alegra.simulators.routing import HttpProblem, Simulator

ADMIN_NAME = catalog.ADMIN_NAME


class HandySimulator(Simulator):
    """Handy's REST API v2 in memory: products, families, customers, zones, customer
    categories and sales orders, behind Bearer tokens and a 500-per-minute window per token.

    The admin methods change the state directly (never rate-limited) and return copies of the
    stored wire records; they raise ``KeyError`` for an unknown code or id and ``ValueError``
    for data the API would refuse.
    """

    api_root = "/api/v2"
    default_rate_limit = 500
    rate_window_seconds = 60.0

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        faults: Faults | None = None,
        seed: int = 0,
        sleep: Callable[[float], None] | None = None,
        timezone: str = "America/Mexico_City",
        integer_external_ids: bool = False,
    ) -> None:
        super().__init__(clock=clock, faults=faults, seed=seed, sleep=sleep)
        self.timezone = ZoneInfo(timezone)
        self.state = HandyState(integer_external_ids=integer_external_ids)
        self.state.user(ADMIN_NAME)  # the company's administrator, whose token the API uses
        self._tokens: set[str] = set()
        register_routes(self)

    # --- pipeline hooks -------------------------------------------------------------------
    def credential_of(self, request: Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        with self.lock:
            return token if token in self._tokens else None

    def error_body(self, status: int, message: str, fields: list[dict[str, Any]]) -> Any:
        if status == 422 and fields:
            return {"errors": fields}
        return {"message": message}

    def rate_headers(self, state: WindowState, now: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(state.limit),
            "X-RateLimit-Remaining": str(state.remaining),
            "X-RateLimit-Reset": seconds_text(state.reset_at, whole=self.faults.time_scale == 1),
        }

    def now_text(self) -> str:
        return catalog.iso(self.clock.now())

    # --- admin: tokens and small catalogs --------------------------------------------------
    def add_token(self, token: str) -> None:
        with self.lock:
            self._tokens.add(token)

    def add_family(self, description: str, *, enabled: bool = True) -> Record:
        return self._add_named("family", catalog.FAMILY, description, enabled)

    def add_zone(self, description: str, *, enabled: bool = True) -> Record:
        return self._add_named("zone", catalog.ZONE, description, enabled)

    def add_customer_category(self, description: str, *, enabled: bool = True) -> Record:
        return self._add_named("category", catalog.CUSTOMER_CATEGORY, description, enabled)

    def _add_named(self, kind: str, cls: tuple[str, str], description: str, on: bool) -> Record:
        with self.lock:
            table = self._named_table(kind)
            values = _admin(
                catalog.named_values, cls, table, {"description": description, "enabled": on}
            )
            return copy.deepcopy(catalog.new_named(self.state, kind, values))

    def _named_table(self, kind: str) -> dict[int, Record]:
        tables = {
            "family": self.state.families,
            "zone": self.state.zones,
            "category": self.state.categories,
        }
        return tables[kind]

    # --- admin: products and customers -----------------------------------------------------
    def add_product(self, record: Mapping[str, Any]) -> Record:
        with self.lock:
            values = _admin(catalog.product_values, self.state, record)
            return copy.deepcopy(catalog.new_product(self.state, values, self.now_text()))

    def update_product(self, code: str, **fields: Any) -> Record:
        with self.lock:
            current = self.state.products[code]
            values = _admin(catalog.product_values, self.state, fields, current)
            merged = catalog.merge_product(self.state, current, values, self.now_text())
            return copy.deepcopy(merged)

    def add_customer(
        self,
        record: Mapping[str, Any],
        *,
        zone_name: str | None = None,
        category_name: str | None = None,
    ) -> Record:
        """``zone_name`` / ``category_name`` name the zone or category by description (it is
        created when missing) instead of ``{"id": n}`` in ``record``."""
        with self.lock:
            body = dict(record)
            if zone_name is not None:
                body["zone"] = {"id": self._named_id("zone", catalog.ZONE, zone_name)}
            if category_name is not None:
                cls = catalog.CUSTOMER_CATEGORY
                body["category"] = {"id": self._named_id("category", cls, category_name)}
            values = _admin(catalog.customer_values, self.state, body)
            return copy.deepcopy(catalog.new_customer(self.state, values, self.now_text()))

    def _named_id(self, kind: str, cls: tuple[str, str], description: str) -> int:
        for record in self._named_table(kind).values():
            if record["description"] == description:
                return int(record["id"])
        return int(self._add_named(kind, cls, description, True)["id"])

    def update_customer(self, code: str, **fields: Any) -> Record:
        with self.lock:
            current = self.state.customers[code]
            values = _admin(catalog.customer_values, self.state, fields, current)
            merged = catalog.merge(self.state.customers, current, values, self.now_text())
            return copy.deepcopy(merged)

    # --- admin: reading --------------------------------------------------------------------
    def products(self) -> list[Record]:
        return self._sorted(self.state.products.values())

    def product(self, code: str) -> Record:
        with self.lock:
            return copy.deepcopy(self.state.products[code])

    def customers(self) -> list[Record]:
        return self._sorted(self.state.customers.values())

    def customer(self, code: str) -> Record:
        with self.lock:
            return copy.deepcopy(self.state.customers[code])

    def families(self) -> list[Record]:
        return self._sorted(self.state.families.values())

    def zones(self) -> list[Record]:
        return self._sorted(self.state.zones.values())

    def customer_categories(self) -> list[Record]:
        return self._sorted(self.state.categories.values())

    def orders(self) -> list[Record]:
        with self.lock:
            return [orders.render(self.state, i) for i in sorted(self.state.orders)]

    def order(self, order_id: int) -> Record:
        with self.lock:
            if order_id not in self.state.orders:
                raise KeyError(order_id)
            return orders.render(self.state, order_id)

    def _sorted(self, records: Iterable[Record]) -> list[Record]:
        with self.lock:
            return [copy.deepcopy(r) for r in sorted(records, key=lambda r: int(r["id"]))]

    # --- admin: sales orders ---------------------------------------------------------------
    def create_order(
        self,
        customer_code: str,
        lines: Iterable[Mapping[str, Any]],
        *,
        created_at: datetime | None = None,
        seller_name: str = "Vendedor Demo",
        comment: str | None = None,
        mobile_created_at: datetime | None = None,
        scheduled_for: datetime | None = None,
    ) -> Record:
        """A seller's order. Each line: ``code``, ``quantity``, ``price`` (charged unit price,
        tax-included, after discount) and optionally ``original_price``,
        ``discount_percentage``, ``is_return``, ``is_reward`` (with ``promo_name``),
        ``tax_percent`` (None: no tax; default: the Handy product's tax, or 16 for a code
        Handy does not know). ``scheduled_for``: the delivery date the seller scheduled."""
        with self.lock:
            customer = self.state.customers[customer_code]
            created = catalog.iso(created_at or self.clock.now())
            order = orders.new_order(
                self.state,
                customer=customer,
                seller=self.state.user(seller_name),
                lines=lines,
                created_at=created,
                mobile_created_at=catalog.iso(mobile_created_at) if mobile_created_at else created,
                comment=comment,
                scheduled_for=catalog.iso(scheduled_for) if scheduled_for else None,
            )
            return orders.render(self.state, order["id"])

    def add_rendered_order(self, record: Mapping[str, Any]) -> Record:
        """An order exactly as Handy renders it — a public example such as the SDK's
        ``SalesOrderExample.json`` — served from now on as it is."""
        with self.lock:
            order = orders.add_rendered(self.state, record)
            return orders.render(self.state, order["id"])

    def edit_order(
        self,
        order_id: int,
        lines: Iterable[Mapping[str, Any]],
        *,
        at: datetime | None = None,
        customer_code: str | None = None,
    ) -> Record:
        """Handy's edit: a NEW order (new id, ``editedFrom`` = the previous version) and the
        previous one marked ``deleted: true, isEdited: true``."""
        with self.lock:
            previous = self.state.orders[order_id]
            if previous["deleted"]:
                raise ValueError(f"order {order_id} is deleted and cannot be edited")
            if customer_code is not None:
                customer = self.state.customers[customer_code]
            else:
                code = previous["customer"]["code"]
                customer = self.state.customers.get(code) or previous["customer"]
            when = catalog.iso(at or self.clock.now())
            order = orders.new_order(
                self.state,
                customer=customer,
                seller=previous["createdBy"],
                lines=lines,
                created_at=when,
                mobile_created_at=when,
                comment=previous["sellerComment"],
                scheduled_for=previous.get("scheduledDateForDelivery"),
                edited_from=order_id,
            )
            admin = self.state.user(ADMIN_NAME)
            orders.mark_deleted(previous, at=when, by=admin, edited=True)
            return orders.render(self.state, order["id"])

    def delete_order(self, order_id: int, *, at: datetime | None = None) -> Record:
        """Cancel an order: ``deleted: true, isEdited: false``."""
        with self.lock:
            order = self.state.orders[order_id]
            when = catalog.iso(at or self.clock.now())
            orders.mark_deleted(order, at=when, by=self.state.user(ADMIN_NAME), edited=False)
            return orders.render(self.state, order_id)


def _admin(validate: Callable[..., Record], *args: Any) -> Record:
    """Run an HTTP validator for an admin method: a refusal becomes a ``ValueError``."""
    try:
        return validate(*args)
    except HttpProblem as problem:
        messages = "; ".join(f"{f['field']}: {f['message']}" for f in problem.fields)
        raise ValueError(messages or problem.message) from None
