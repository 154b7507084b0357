"""The public payloads of ``tests/fixtures/public`` (sources in its README): which record
type each one is, and the key paths of a record, for comparing shapes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).parent / "fixtures" / "public"

# Record types. A fixture file holds one of them; some hold records of another type inside
# (``RECORDS`` below finds those too).
SALES_ORDER = "Handy sales order"
SALES_ORDER_PAGE = "Handy sales order list page"
PRODUCT = "Handy product"
ORDER_PRODUCT = "Handy product inside an order line"
CUSTOMER = "Handy customer"
PRODUCT_REFUSED = "Handy product create body that Handy refuses (a request)"
HANDY_422 = "Handy 422 body"
HANDY_422_ENTRY = "Handy 422 entry"
WEBHOOK_ITEM = "Alegra webhook event, item"
WEBHOOK_CLIENT = "Alegra webhook event, client"
CONTACT_CO = "Alegra contact, Colombian account"

#: Every file of the directory → its record type.
FIXTURES: dict[str, str] = {
    "handy-sdk-SalesOrderExample.json": SALES_ORDER,
    "handy-sdk-SalesOrderResponseExample.json": SALES_ORDER_PAGE,
    "handy-sdk-ValidProductExample.json": PRODUCT,
    "handy-sdk-InvalidProductExample.json": PRODUCT_REFUSED,
    "handy-sdk-ProductUnprocessableEntityExample.json": HANDY_422_ENTRY,
    "handy-sdk-ProductUnprocessableEntityListExample.json": HANDY_422,
    "pipedream-alegra-new-item.json": WEBHOOK_ITEM,
    "pipedream-alegra-new-client.json": WEBHOOK_CLIENT,
    "alegra-contact-colombia.json": CONTACT_CO,
}


def load(name: str) -> Any:
    return json.loads((DIRECTORY / name).read_text(encoding="utf-8"))


def files_of(kind: str) -> list[str]:
    return [name for name, of in FIXTURES.items() if of == kind]


def _orders() -> Iterator[dict[str, Any]]:
    """Every order of the fixtures: the examples, the orders of list pages and every
    version nested in their ``editedFrom`` chains."""
    tops = [load(n) for n in files_of(SALES_ORDER)]
    tops += [o for n in files_of(SALES_ORDER_PAGE) for o in load(n)["salesOrders"]]
    for order in tops:
        while isinstance(order, dict):
            yield order
            order = order.get("editedFrom")


def records(kind: str) -> list[dict[str, Any]]:
    """Every public record of ``kind``: whole files, and records found inside others."""
    if kind == SALES_ORDER:
        return list(_orders())
    if kind == CUSTOMER:
        return [o["customer"] for o in _orders()]
    if kind == ORDER_PRODUCT:
        return [line["product"] for o in _orders() for line in o["items"]]
    if kind == HANDY_422_ENTRY:
        found = [load(n) for n in files_of(HANDY_422_ENTRY)]
        return found + [e for n in files_of(HANDY_422) for e in load(n)["errors"]]
    return [load(n) for n in files_of(kind)]


def key_paths(record: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value: ``customer``, ``customer.zone.id``; a list of objects
    adds ``[]`` (``items[].product.code``). A null, a number or a string ends a path."""
    found: set[str] = set()
    if isinstance(record, dict):
        for key, value in record.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            found.add(path)
            found |= key_paths(value, path)
    elif isinstance(record, list):
        for value in record:
            found |= key_paths(value, f"{prefix}[]")
    return found


def all_paths(values: Iterable[Any]) -> set[str]:
    paths: set[str] = set()
    for value in values:
        paths |= key_paths(value)
    return paths


def under(path: str, prefixes: Iterable[str]) -> bool:
    """Whether ``path`` is one of ``prefixes`` or lies below one."""
    return any(path == p or path.startswith((f"{p}.", f"{p}[]")) for p in prefixes)
