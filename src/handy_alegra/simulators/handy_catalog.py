"""The Handy simulator's state and the validation of catalog records (products, customers,
families, zones, customer categories), shared by the HTTP routes and the admin methods.

Validation answers Handy's 422 shape: one ``{"object", "field", "rejected-value", "message"}``
entry per refused field, with Grails-style Spanish messages.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from handy_alegra.domain.money import HUNDRED, ZERO, round_half_up, to_decimal
from handy_alegra.simulators.routing import HttpProblem

Record = dict[str, Any]

PRODUCT = ("com.locus.product.Product", "Producto")
CUSTOMER = ("com.locus.customer.Customer", "Cliente")
FAMILY = ("com.locus.product.Family", "Familia")
ZONE = ("com.locus.customer.Zone", "Zona")
CUSTOMER_CATEGORY = ("com.locus.customer.CustomerCategory", "Categoría de cliente")
SALES_ORDER = ("com.locus.salesorder.SalesOrder", "Pedido")

ZONE_COLORS = ("#2e3e49", "#1abc9c", "#e67e22", "#9b59b6", "#e74c3c", "#3498db", "#f1c40f")
UNIT = {"id": 1, "code": "PZA", "description": "Pieza", "enabled": True}
DEFAULT_TAX_ID = 1
#: The company user who writes through the API and in the portal (created, edited, deleted).
ADMIN_NAME = "Administrador Demo"
#: The picture Handy shows for a product without one (the SDK's product examples use it).
GENERIC_PICTURE = "https://cdn.handy.la/products/generic.jpg"
#: Fields of a product record that the copy of the product inside an order line leaves out
#: (SDK ``SalesOrderExample.json`` against ``ValidProductExample.json``).
NOT_IN_ORDER_LINES = ("createdBy", "lastUpdatedBy", "dateCreated", "lastUpdated")

# First id of each resource: distinct ranges make an id used for the wrong resource stand out.
_FIRST_IDS = {
    "family": 101,
    "zone": 201,
    "category": 301,
    "tax": 1,
    "user": 74_001,
    "product": 4_208_001,
    "customer": 9_112_001,
    "order": 29_079_001,
    "item": 99_902_001,
}


def iso(moment: datetime) -> str:
    """A response date: ISO-8601 in UTC with ``Z``, whole seconds."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def wire_number(value: Decimal) -> float:
    """Handy's numbers are Java doubles: always a JSON number with a decimal point."""
    return float(value)  # float ok


@dataclass
class HandyState:
    products: dict[str, Record] = field(default_factory=dict)  # by code
    customers: dict[str, Record] = field(default_factory=dict)  # by code
    families: dict[int, Record] = field(default_factory=dict)
    zones: dict[int, Record] = field(default_factory=dict)
    categories: dict[int, Record] = field(default_factory=dict)
    taxes: dict[int, Record] = field(default_factory=dict)
    users: dict[str, Record] = field(default_factory=dict)  # by name
    orders: dict[int, Record] = field(default_factory=dict)
    edited_from: dict[int, int] = field(default_factory=dict)  # new order id → previous id
    #: Handy's SDK types ``externalId`` as a Java ``Integer``: in this mode only a JSON integer
    #: (32-bit) is taken, anything else is a 422; otherwise it must be a text (DECISIONS.md).
    integer_external_ids: bool = False
    _ids: dict[str, Iterator[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ids = {kind: itertools.count(first) for kind, first in _FIRST_IDS.items()}
        for amount in (16, 8, 0):
            self.tax_for(Decimal(amount))

    def next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def tax_for(self, percent: Decimal) -> Record:
        """The tax named IVA with that percentage, added to the catalog on first use."""
        for tax in self.taxes.values():
            if to_decimal(tax["amount"]) == percent:
                return tax
        tax_id = self.next_id("tax")
        tax = {"id": tax_id, "name": "IVA", "amount": wire_number(percent), "enabled": True}
        self.taxes[tax_id] = tax
        return tax

    def user(self, name: str) -> Record:
        if name not in self.users:
            username = ".".join(name.lower().split()) + "@example.com"
            user_id = self.next_id("user")
            self.users[name] = {
                "id": user_id,
                "name": name,
                "username": username,
                "extras": None,  # a free per-user text the company fills in (S6, Jan 2022)
                "enabled": True,
            }
        return self.users[name]


class Errors:
    """Collects the refused fields of one record; ``check`` raises them as a 422."""

    def __init__(self, kind: tuple[str, str]) -> None:
        self.object, self.class_label = kind
        self.items: list[Record] = []

    def add(self, name: str, value: Any, message: str) -> None:
        self.items.append(
            {"object": self.object, "field": name, "rejected-value": value, "message": message}
        )

    def refuse(self, name: str, label: str, value: Any, complaint: str) -> None:
        """Grails' wording: "La propiedad [<label>] de la clase [<class>] <complaint>"."""
        message = f"La propiedad [{label}] de la clase [{self.class_label}] {complaint}"
        self.add(name, value, message)

    def check(self) -> None:
        if self.items:
            raise HttpProblem(422, self.items[0]["message"], self.items)


INT32_MAX = 2**31 - 1


def external_id_refusal(value: Any, *, integer: bool) -> str | None:
    """Why Handy would refuse ``value`` as an ``externalId`` (None: taken; null clears it)."""
    if value is None:
        return None
    if integer:
        if isinstance(value, bool) or not isinstance(value, int):
            return "debe ser un número entero"
        if not -INT32_MAX - 1 <= value <= INT32_MAX:
            return "excede el valor máximo de un entero"
        return None
    return None if isinstance(value, str) else "debe ser un texto"


class _Reader:
    """Reads the fields of a create (every field, defaults applied) or a merge (only the
    fields sent) into ``values``, reporting problems to ``errors``."""

    def __init__(self, body: Mapping[str, Any], errors: Errors, *, creating: bool) -> None:
        self.body = body
        self.errors = errors
        self.creating = creating
        self.values: Record = {}

    def wanted(self, name: str) -> bool:
        return self.creating or name in self.body

    def text(self, name: str, label: str, *, required: bool = False) -> None:
        if not self.wanted(name):
            return
        value = self.body.get(name)
        if required and isinstance(value, str) and not value.strip():
            self.errors.refuse(name, label, value, "no puede ser vacía")
        elif value is None:
            if required:
                self.errors.refuse(name, label, value, "no puede ser nulo")
            self.values[name] = None
        elif not isinstance(value, str):
            self.errors.refuse(name, label, value, "debe ser un texto")
        else:
            self.values[name] = value

    def external_id(self, integer: bool) -> None:
        if not integer:
            self.text("externalId", "Id externo")
            return
        if not self.wanted("externalId"):
            return
        value = self.body.get("externalId")
        refusal = external_id_refusal(value, integer=True)
        if refusal:
            self.errors.refuse("externalId", "Id externo", value, refusal)
        else:
            self.values["externalId"] = value

    def code(self, label: str, taken: Mapping[str, Any], current: str | None) -> None:
        self.text("code", label, required=True)
        value = self.values.get("code")
        if not value:
            return
        if "/" in value:
            self.errors.refuse("code", label, value, "no puede contener el carácter /")
        elif value != current and value in taken:
            self.errors.refuse("code", label, value, f"con valor [{value}] debe ser única")

    def number(
        self, name: str, message: str, *, required: bool, default: float | None = None
    ) -> None:
        """A JSON number (not a numeric string); a required number is also non-negative."""
        if not self.wanted(name):
            return
        value = self.body.get(name)
        if value is None and not required and name not in self.body:
            self.values[name] = default
            return
        try:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError
            amount = to_decimal(value)
        except ValueError:
            self.errors.add(name, value, message)
            return
        if required and amount < ZERO:
            self.errors.add(name, value, message)
            return
        self.values[name] = wire_number(amount)

    def flag(self, name: str, label: str) -> None:
        if not self.wanted(name):
            return
        value = self.body.get(name, True)
        if isinstance(value, bool):
            self.values[name] = value
        else:
            self.errors.refuse(name, label, value, "debe ser verdadero o falso")

    def ref(
        self,
        name: str,
        table: Mapping[int, Record],
        message: str,
        *,
        nullable: bool,
        default: Record | None = None,
    ) -> None:
        if not self.wanted(name):
            return
        if name not in self.body and default is not None:
            self.values[name] = dict(default)
            return
        value = self.body.get(name)
        if value is None and nullable:
            self.values[name] = None
            return
        ref_id = value.get("id") if isinstance(value, dict) else None
        if isinstance(ref_id, bool) or not isinstance(ref_id, int) or ref_id not in table:
            self.errors.add(name, value, message)
            return
        self.values[name] = dict(table[ref_id])


def product_values(
    state: HandyState, body: Mapping[str, Any], current: Record | None = None
) -> Record:
    """The validated product fields of a create (``current`` None) or a merge."""
    reader = _Reader(body, Errors(PRODUCT), creating=current is None)
    reader.code("Código", state.products, current["code"] if current else None)
    reader.text("description", "Descripción", required=True)
    reader.text("details", "Detalles")
    reader.text("barcode", "Código de barras")
    reader.external_id(state.integer_external_ids)
    reader.number("price", "La propiedad Precio debe ser un número válido", required=True)
    reader.number(
        "quantity", "La propiedad Cantidad debe ser un número válido", required=False, default=0.0
    )
    reader.flag("enabled", "Activo")
    reader.ref("family", state.families, "Selecciona una familia de producto", nullable=False)
    reader.ref(
        "tax",
        state.taxes,
        "Selecciona un impuesto válido",
        nullable=True,
        default=state.taxes[DEFAULT_TAX_ID],
    )
    reader.errors.check()
    return reader.values


def new_product(state: HandyState, values: Record, now: str) -> Record:
    record = product_record(state, values, now, state.next_id("product"))
    state.products[record["code"]] = record
    return record


def new_product_record(
    state: HandyState, code: str, description: str, price: Decimal, tax: Record | None
) -> Record:
    """A product record that is not stored (an order line's product Handy does not know)."""
    values: Record = {
        "code": code,
        "description": description,
        "details": None,
        "price": wire_number(price),
        "quantity": 0.0,
        "tax": tax,
        "family": None,
        "barcode": None,
        "enabled": True,
        "externalId": None,
    }
    return product_record(state, values, "", None)


def product_record(state: HandyState, values: Record, now: str, product_id: int | None) -> Record:
    """Every field of a product as Handy answers it (SDK ``ValidProductExample.json``, plus
    the ``id`` and ``pictureUrl`` its order lines show)."""
    admin = dict(state.user(ADMIN_NAME))
    record: Record = {
        "id": product_id,
        "code": values["code"],
        "description": values["description"],
        "details": values["details"],
        "price": values["price"],
        "basePrice": None,
        "minimumPrice": 0.0,
        "quantity": values["quantity"],
        "tax": values["tax"],
        "taxOptional": None,
        "family": values["family"],
        "category": None,
        "unit": dict(UNIT),
        "barcode": values["barcode"],
        "enabled": values["enabled"],
        "applyDiscounts": False,
        "hasBeenSold": False,
        "boostSales": False,
        "boostSalesDescription": "",
        "externalId": values["externalId"],
        "satProductCode": "",
        "satUnitCode": "",
        "satProduct": None,
        "satUnit": None,
        "pictureUrl": GENERIC_PICTURE,
        "createdBy": admin,
        "lastUpdatedBy": admin,
        "dateCreated": now,
        "lastUpdated": now,
    }
    record["basePrice"] = base_price(record)
    return record


def base_price(product: Record) -> float:
    """The price before taxes: ``price = basePrice × (1 + tax% + taxOptional%)`` (handy.md
    §6.3, checked on the SDK's products), rounded half-up to cents."""
    percent = ZERO
    for key in ("tax", "taxOptional"):
        tax = product.get(key)
        if isinstance(tax, dict):
            percent += to_decimal(tax["amount"])
    base = to_decimal(product["price"]) * HUNDRED / (HUNDRED + percent)
    return wire_number(round_half_up(base))


def merge_product(state: HandyState, product: Record, values: Record, now: str) -> Record:
    merge(state.products, product, values, now)
    product["basePrice"] = base_price(product)
    product["lastUpdatedBy"] = dict(state.user(ADMIN_NAME))
    return product


def customer_values(
    state: HandyState, body: Mapping[str, Any], current: Record | None = None
) -> Record:
    """The validated customer fields of a create (``current`` None) or a merge."""
    reader = _Reader(body, Errors(CUSTOMER), creating=current is None)
    reader.code("Código", state.customers, current["code"] if current else None)
    reader.text("description", "Nombre", required=True)
    for name, label in _CUSTOMER_TEXTS:
        reader.text(name, label)
    reader.ref("zone", state.zones, "Selecciona una zona", nullable=False)
    reader.ref(
        "category", state.categories, "Selecciona una categoría de cliente válida", nullable=True
    )
    reader.flag("enabled", "Activo")
    reader.errors.check()
    return reader.values


_CUSTOMER_TEXTS = (
    ("businessName", "Razón social"),
    ("rfc", "RFC"),
    ("email", "Correo electrónico"),
    ("phoneNumber", "Teléfono"),
    ("address", "Dirección"),
    ("city", "Ciudad"),
    ("postalCode", "Código postal"),
)


def new_customer(state: HandyState, values: Record, now: str) -> Record:
    record: Record = {"id": state.next_id("customer"), "code": values["code"]}
    record["description"] = values["description"]
    for name, _ in _CUSTOMER_TEXTS:
        record[name] = values[name]
    record.update(
        neighborhood=None,
        comments=None,
        zone=values["zone"],
        category=values["category"],
        priceList=None,  # the simulator has no Handy price lists
        balance=0.0,
        credit=0.0,
        fiscalRegime=None,
        cfdiUse=None,
        paymentForms=None,
        paymentMethods=None,
        facturamaCustomerId=None,
        enabled=values["enabled"],
        dateCreated=now,
        lastUpdated=now,
    )
    state.customers[record["code"]] = record
    return record


def merge(table: dict[str, Record], record: Record, values: Record, now: str) -> Record:
    """Apply validated ``values`` to a record kept by code (a new code re-keys it)."""
    old_code = record["code"]
    record.update(values)
    record["lastUpdated"] = now
    if record["code"] != old_code:
        del table[old_code]
        table[record["code"]] = record
    return record


def named_values(
    kind: tuple[str, str], table: Mapping[int, Record], body: Mapping[str, Any]
) -> Record:
    """A family, zone or customer category: a unique, non-blank ``description``."""
    reader = _Reader(body, Errors(kind), creating=True)
    reader.text("description", "Descripción", required=True)
    reader.flag("enabled", "Activo")
    description = reader.values.get("description")
    if description and any(r["description"] == description for r in table.values()):
        complaint = f"con valor [{description}] debe ser única"
        reader.errors.refuse("description", "Descripción", description, complaint)
    reader.errors.check()
    return reader.values


def new_named(state: HandyState, kind: str, values: Record) -> Record:
    record_id = state.next_id(kind)
    record: Record = {"id": record_id, "description": values["description"]}
    table = {"family": state.families, "zone": state.zones, "category": state.categories}[kind]
    if kind == "zone":
        record["color"] = ZONE_COLORS[len(table) % len(ZONE_COLORS)]
    record["enabled"] = values["enabled"]
    table[record_id] = record
    return record
