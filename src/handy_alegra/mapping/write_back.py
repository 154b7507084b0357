"""What goes into Handy's ``externalId`` (pure rules).

DECISIONS.md says ``externalId`` is a text, but Handy's own Java SDK types it as an
``Integer`` (``SalesOrder.externalId``, ``Product.externalId``), while Alegra's ids are texts
and, for remissions since 2026-07-30, 36-character UUIDs. Which one a real Handy enforces is
unknown, so the service tries the forms in order and remembers, per account, the one Handy
took:

- ``id``: the Alegra id as a text (the remission id; the item id);
- ``number``: a 32-bit integer — for a remission, the numeric part of its number
  (``REM-0318`` → 318); for an item, its id when the id is all digits;
- ``none`` (products only): Handy refused both; the product is written without it.

A form that does not apply to a record (a UUID as ``number``) is skipped, never sent.
"""

from __future__ import annotations

import re

ID, NUMBER, NONE = "id", "number", "none"
#: What a record's write-back is called when Handy refused every form (never tried again).
REFUSED = "refused"
ORDER_FORMS = (ID, NUMBER)
PRODUCT_FORMS = (ID, NUMBER, NONE)
#: The largest value of a Java ``Integer`` (Handy's SDK type for ``externalId``).
INT32_MAX = 2**31 - 1

_TRAILING_DIGITS = re.compile(r"(\d+)\s*$")


def in_order(forms: tuple[str, ...], remembered: str | None) -> tuple[str, ...]:
    """``forms`` to try, the one Handy took last first."""
    if remembered is None or remembered not in forms:
        return forms
    return (remembered, *(f for f in forms if f != remembered))


def as_integer(text: str | None, *, trailing: bool = False) -> int | None:
    """``text`` as a 32-bit integer (its last run of digits with ``trailing``), else None."""
    if not text:
        return None
    found = _TRAILING_DIGITS.search(text) if trailing else re.fullmatch(r"\s*(\d+)\s*", text)
    if found is None:
        return None
    value = int(found.group(1))
    return value if value <= INT32_MAX else None


def order_value(form: str, remission_id: str, remission_number: str | None) -> str | int | None:
    """What an order's ``externalId`` is in ``form`` (None: the form does not apply)."""
    if form == ID:
        return remission_id
    if form == NUMBER:
        return as_integer(remission_number, trailing=True)
    return None


def product_value(form: str | None, item_id: str) -> str | int | None:
    """What a product's ``externalId`` is in ``form`` (None: nothing is written)."""
    if form in (None, ID):
        return item_id
    if form == NUMBER:
        return as_integer(item_id)
    return None
