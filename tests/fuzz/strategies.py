"""The fuzzing kit: hypothesis strategies for API payloads, good, wild and malformed, for
every record type the clients parse; in-process worlds to run the syncs against; the bugs
found so far and still open.

- Odd values: ``odd_text`` (RTL and zero-width marks, combining marks, emoji, NUL, lone
  surrogates…), ``huge_text`` (10–100 KB), ``wild_numbers`` / ``TROUBLE_NUMBERS`` (huge, tiny,
  zero, negative, NaN, more digits than a float or a 28-digit Decimal holds, numbers as
  strings), ``json_values`` (anything at all).
- The parsers' limits, restated: an amount or a quantity below 10**15, with at most 10
  decimals and 15 significant digits; an id of at most 64 characters, canonical (``12``,
  ``12.0`` and ``" 12 "`` are ``"12"``); text cleaned (NUL dropped, a lone surrogate turned
  into U+FFFD). ``BEYOND_LIMITS`` / ``beyond_limits`` and ``long_ids`` are past them.
- Good records, ``good_<type>(wild=False)``: the wire shapes the parsers accept, in their
  lenient forms (ids as numbers or strings, amounts as numbers or numeric strings, a reference
  or a name as an object, ``editedFrom`` as a nested chain). Their keys can be recomputed from
  the raw dict by small oracles (``expected_id``, ``expected_decimal``, ``expected_text``…).
  ``wild=True``: still parseable, with extreme values within the limits in every number and
  text field.
- Malformed records, ``broken(good)``: one to three places broken anywhere in the record —
  nested prices, taxes, warehouses, order lines, the ``editedFrom`` chain — with a missing
  field, a null, a wrong type, a number as a string, a number past the limits, an id too long,
  odd Unicode, a huge string, a wrapped or empty value; sometimes an id shared with another
  record, an unknown field, or not an object at all. Half the changes land on a number.
  ``over_the_limit(type)``: a tame record with exactly one id or number past the limits, and
  the field and reason the parsers must give.
- ``RECORD_TYPES``: every model the clients parse, with its strategies, key fields and the
  places the limits apply to (``LIMITED``).
- ``sandbox``: a seeded company in both simulators behind a ``Rewriter`` that swaps records
  for malformed ones on their way to the client, an activated account, a ``Runtime``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from cryptography.fernet import Fernet
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

from handy_alegra.accounts import activation
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.alegra import WEBHOOK_EVENTS
from handy_alegra.clients.http import MockTransport, Request, Response, TimeoutException
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import ManualClock
from handy_alegra.domain.money import cents
from handy_alegra.messages.reason_texts import LANGS, REASONS, sentence
from handy_alegra.records import alegra, handy
from handy_alegra.records.wire import Record, is_plausible
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World, build_world
from handy_alegra.sync import catalog, customers

Strategy = st.SearchStrategy


#: What every fuzz test shares: reproducible examples (CI), no deadline (whole syncs run).
FUZZ = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)

# --- odd values ----------------------------------------------------------------------------

#: Right-to-left overrides and marks, zero-width characters, combining marks, emoji (with
#: skin tones, ZWJ families, flags), NUL and other controls, lone surrogates (what a JSON
#: ``"\ud800"`` escape decodes to), a BOM, non-Latin letters and digits.
ODD_CHARACTERS: tuple[str, ...] = (
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u061c",  # ARABIC LETTER MARK
    "\u2067",  # RIGHT-TO-LEFT ISOLATE
    "\u200b",  # ZERO WIDTH SPACE
    "\u200c",  # ZERO WIDTH NON-JOINER
    "\u200d",  # ZERO WIDTH JOINER
    "\u2060",  # WORD JOINER
    "\ufeff",  # BOM
    "\u0301",  # COMBINING ACUTE ACCENT
    "\u0308\u0308\u0308",  # stacked combining diaeresis
    "\u20dd",  # COMBINING ENCLOSING CIRCLE
    "👍🏽",
    "👨‍👩‍👧‍👦",
    "🇲🇽",
    "🧊",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\t",
    "\u00a0",  # NO-BREAK SPACE
    "\u2028",  # LINE SEPARATOR
    "\ud800",  # lone high surrogate
    "\udfff",  # lone low surrogate
    "שלום",
    "مرحبا",
    "١٢٣",  # Arabic-Indic digits
    "Ñandú",
    "e\u0301",  # é as e + combining accent
    "/",
    "%2F",
    "\\",
    '"',
    "[handy-order:1]",
)

_plain = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
_odd = st.sampled_from(ODD_CHARACTERS)


def odd_text(*, min_size: int = 0, max_size: int = 24) -> Strategy[str]:
    """Short text mixing ordinary characters with the odd ones."""
    pieces = st.lists(st.one_of(_plain, _odd), min_size=min_size, max_size=max_size)
    return pieces.map("".join)


def _repeat(chunk: str, size: int) -> str:
    return (chunk * (size // len(chunk) + 1))[:size]


def huge_text() -> Strategy[str]:
    """A 10–100 KB string (built by repetition: cheap to draw, costly to carry)."""
    return st.builds(_repeat, odd_text(min_size=1, max_size=12), st.integers(10_000, 100_000))


#: Numeric strings an API could plausibly (or implausibly) send.
NUMERIC_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "12.50",
    " 7 ",
    "1,234.50",
    "1.234,50",
    "12,5",
    "1e30",
    "-1E-30",
    "1E+27",
    "9" * 40,
    "0." + "0" * 30 + "1",
    "0.1234567890123456789",
    "-0",
    "-0.00",
    "NaN",
    "sNaN",
    "Infinity",
    "-inf",
    "0x1A",
    "١٢٣",  # Decimal reads Arabic-Indic digits
    "½",
    "12 kg",
    "1_000",
    "+.5",
    "5.",
    "$10",
    "10%",
    "true",
    "null",
)


def numeric_strings() -> Strategy[str]:
    return st.one_of(
        st.sampled_from(NUMERIC_STRINGS),
        st.integers(-(10**12), 10**12).map(str),
        st.decimals(
            min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=3
        ).map(str),
    )


#: The parsers' limits (``wire.plausible`` and ``wire.MAX_ID``, restated): an amount or a
#: quantity is below 10**15 in size, with at most 10 decimals and 15 significant digits; an
#: id is at most 64 characters. Past them a record is unreadable, with the reason.
MAX_MAGNITUDE, MAX_DECIMALS, MAX_DIGITS, MAX_ID = 10**15, 10, 15, 64
TOO_LARGE = "is too large for an amount or a quantity"
TOO_MANY_DECIMALS = f"has more than {MAX_DECIMALS} decimals"
TOO_MANY_DIGITS = f"has more than {MAX_DIGITS} significant digits"
ID_TOO_LONG = f"is longer than {MAX_ID} characters"

#: Numbers just past the limits and far past them, each with the reason it is refused.
BEYOND_LIMITS: tuple[tuple[Any, str], ...] = (
    (10**15, TOO_LARGE),
    ("1E+15", TOO_LARGE),
    (-1e15, TOO_LARGE),
    (1e26, TOO_LARGE),
    ("1E+27", TOO_LARGE),
    (10**27, TOO_LARGE),
    ("99999999999999999999999999.99", TOO_LARGE),
    (1.7976931348623157e308, TOO_LARGE),
    ("0.00000000001", TOO_MANY_DECIMALS),
    ("1E-30", TOO_MANY_DECIMALS),
    ("-1E-40", TOO_MANY_DECIMALS),
    (5e-324, TOO_MANY_DECIMALS),
    ("0.1234567890123456789", TOO_MANY_DECIMALS),
    ("12345678901234.56", TOO_MANY_DIGITS),
    (1234567890123456, TOO_LARGE),
    ("999999999999999.9", TOO_MANY_DIGITS),
    ("123456.1234567891", TOO_MANY_DIGITS),
)

#: Numbers that stress money code: zero and negative quantities, 7 to 10 decimals, half-cent
#: ties, 15 digits (all within the limits); then all of ``BEYOND_LIMITS``, NaN, infinity.
TROUBLE_NUMBERS: tuple[Any, ...] = (
    0,
    0.0,
    -0.0,
    -1,
    -0.01,
    "0",
    "-5",
    1e-07,
    "0.0000001",
    "0.0000000001",
    123.4567891,
    "0.005",
    "2.675",
    999999999999999,
    "-99999.9999999999",
    *(value for value, _ in BEYOND_LIMITS),
    float("nan"),
    float("inf"),
)


def _no_trailing_zero(low: int, high: int) -> Strategy[int]:
    """An integer in [low, high] (``low`` 1 or a power of ten) whose last digit is not 0."""
    return st.builds(
        lambda tens, unit: tens * 10 + unit, st.integers(low // 10, high // 10), st.integers(1, 9)
    ).filter(lambda n: low <= n <= high)


@st.composite
def _past_one_limit(draw: st.DrawFn) -> tuple[Decimal, str]:
    """A Decimal past exactly one limit (so the reason is certain), and that reason."""
    which = draw(st.sampled_from([TOO_LARGE, TOO_MANY_DECIMALS, TOO_MANY_DIGITS]))
    if which == TOO_LARGE:  # at most 15 digits, no decimals
        digits = draw(st.integers(1, 15))
        unscaled = draw(st.integers(10 ** (digits - 1), 10**digits - 1))
        exponent = draw(st.integers(15 - digits + 1, 300))
    elif which == TOO_MANY_DECIMALS:  # at most 15 digits, below 10**15
        unscaled = draw(_no_trailing_zero(1, MAX_MAGNITUDE - 1))
        exponent = -draw(st.integers(MAX_DECIMALS + 1, 60))
    else:  # at most 10 decimals, below 10**15
        places = draw(st.integers(1, MAX_DECIMALS))
        digits = draw(st.integers(MAX_DIGITS + 1, MAX_DIGITS + places))
        unscaled = draw(_no_trailing_zero(10 ** (digits - 1), 10**digits - 1))
        exponent = -places
    number = Decimal(unscaled).scaleb(exponent)
    return (-number if draw(st.booleans()) else number), which


def beyond_limits() -> Strategy[tuple[Any, str]]:
    """A number past the limits, as the wire carries it (a JSON number when one carries it
    exactly, or a numeric string), and the reason the parsers give."""
    drawn = _past_one_limit().flatmap(
        lambda t: st.sampled_from(_encodings(t[0])).map(lambda wire: (wire, t[1]))
    )
    return st.one_of(st.sampled_from(BEYOND_LIMITS), drawn)


def long_ids() -> Strategy[Any]:
    """An id longer than 64 characters (once trimmed)."""
    return st.one_of(
        st.integers(10**64, 10**100),
        st.text(ALNUM, min_size=MAX_ID + 1, max_size=200),
        st.text(ALNUM, min_size=MAX_ID + 1, max_size=80).map(lambda s: f"  {s} "),
        st.tuples(st.uuids(), st.uuids()).map(lambda t: f"{t[0]}-{t[1]}"),
    )


def wild_numbers() -> Strategy[Any]:
    """Numbers as JSON can carry them, and then some: huge, tiny, negative, NaN, infinities,
    booleans (which are not numbers), numeric strings."""
    return st.one_of(
        st.sampled_from(TROUBLE_NUMBERS),
        st.integers(-(10**30), 10**30),
        st.integers(-1000, 1000),
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
        st.decimals(
            min_value=-(10**30), max_value=10**30, allow_nan=False, allow_infinity=False
        ).map(str),
        st.booleans(),
        numeric_strings(),
    )


def json_scalars() -> Strategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        odd_text(max_size=12),
        numeric_strings(),
    )


def json_values() -> Strategy[Any]:
    """Any JSON value (small): scalars, lists and objects of them."""
    return st.recursive(
        json_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(
                st.sampled_from(["id", "name", "x", ""]) | odd_text(max_size=4),
                children,
                max_size=3,
            ),
        ),
        max_leaves=6,
    )


def wrong_values() -> Strategy[Any]:
    """A value that is probably not what the field wants."""
    return st.one_of(json_values(), wild_numbers(), odd_text(max_size=40))


# --- good records --------------------------------------------------------------------------
#
# Every ``good_*`` strategy takes ``wild``: False gives tame records (ordinary values), True
# gives records that still parse but carry extreme values within the parsers' limits — amounts
# of 15 digits or with 10 decimals, zero and negative quantities, odd Unicode (NUL and lone
# surrogates too, which the parsers clean) and 10–100 KB strings in text fields. The rules and
# the syncs meet the wild ones; malformed ones start from them.

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NAME_LETTERS = ALNUM + "abcdefghijklmnopqrstuvwxyz -.&'ñÑáéíóúüÜçßøЖжΩλ中文한글שمر👍🏽🧊"
_MINUS_SIX = timezone(timedelta(hours=-6))


def good_ids() -> Strategy[Any]:
    """An id as Alegra or Handy sends it: a number (maybe ``12.0``), a numeric string (maybe
    padded), a UUID."""
    return st.one_of(
        st.integers(1, 2**53),
        st.integers(1, 2**53).map(str),
        st.integers(1, 10**6).map(lambda n: f" {n} "),
        st.integers(1, 10**6).map(float),
        st.uuids().map(str),
    )


def expected_text(raw: str) -> str:
    """What the parsers make of a text (``wire.clean``, restated): NUL dropped, each lone
    surrogate (what JSON's ``"\\ud800"`` decodes to) replaced by U+FFFD."""
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in raw if ch != "\x00")


def canonical(raw: Any) -> str | None:
    """An id as the parsers and the listing walks spell it (``wire.canonical_id``, restated):
    integers and integral floats as digits, text cleaned and trimmed; None for anything
    else (no id)."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else None
    if isinstance(raw, str):
        return expected_text(raw).strip() or None
    return None


def expected_id(raw: Any) -> str:
    """What the parsers make of a good id."""
    found = canonical(raw)
    assert found is not None and len(found) <= MAX_ID, raw
    return found


def _encodings(value: Decimal) -> list[Any]:
    options: list[Any] = [str(value), f" {value} "]
    if value == value.to_integral_value() and abs(value) < 10**30:
        options.append(int(value))
    as_float = float(value)
    if Decimal(repr(as_float)) == value:
        options.append(as_float)
    return options


@st.composite
def _encoded(draw: st.DrawFn, decimals: Strategy[Decimal]) -> Any:
    """A Decimal as a JSON number (when a float carries it exactly) or a numeric string."""
    options = _encodings(draw(decimals))
    return options[draw(st.integers(0, len(options) - 1))]


#: Amounts at the edges of what the parsers accept, that money code has to survive: zero and
#: negative ones, 7 to 10 decimals, half-cent ties, 15 significant digits, just below 10**15.
EXTREME_AMOUNTS: tuple[str, ...] = (
    "0",
    "-0",
    "-1",
    "-0.01",
    "0.0000001",
    "0.0000000001",
    "0.1234567891",
    "123.4567891",
    "0.005",
    "2.675",
    "99999.9999999999",
    "12345678901234.5",
    "1E+14",
    "999999999999999",
    "-999999999999999",
    "9.99999999999999E+14",
)


def within_limits(value: Decimal) -> bool:
    """Whether the parsers accept ``value`` as an amount or a quantity (``wire.plausible``,
    restated)."""
    if not value:
        return True
    shape = value.normalize().as_tuple()
    exponent = shape.exponent if isinstance(shape.exponent, int) else 0
    return abs(value) < MAX_MAGNITUDE and -exponent <= MAX_DECIMALS and len(shape.digits) <= 15


class PastTheLimits(ValueError):
    """A value this service computed and would write that the parsers would not read back."""


def check_within_limits(values: dict[str, Any]) -> None:
    """Every amount or quantity in ``values`` (what a write carries) is one the parsers read
    back; else ``PastTheLimits``."""
    for key, value in values.items():
        if isinstance(value, Decimal) and not within_limits(value):
            raise PastTheLimits(f"{key} {value} is past the limits: it cannot be read back")


def plausible_decimals() -> Strategy[Decimal]:
    """Any amount within the limits: up to 15 significant digits, up to 10 of them decimals
    (so below 10**15)."""
    return st.builds(
        lambda unscaled, places: Decimal(unscaled).scaleb(-places),
        st.integers(-(MAX_MAGNITUDE - 1), MAX_MAGNITUDE - 1),
        st.integers(0, MAX_DECIMALS),
    )


def extreme_amounts() -> Strategy[Any]:
    return _encoded(st.one_of(st.sampled_from(EXTREME_AMOUNTS).map(Decimal), plausible_decimals()))


def amounts(
    min_value: float | int | Decimal = 0,
    max_value: float | int | Decimal = 100_000,
    places: int = 2,
    *,
    wild: bool = False,
) -> Strategy[Any]:
    """An amount, as a JSON number or a numeric string; ``wild``: a third are extreme."""
    tame = _encoded(
        st.decimals(
            min_value=min_value,
            max_value=max_value,
            places=places,
            allow_nan=False,
            allow_infinity=False,
        )
    )
    return st.one_of(tame, tame, extreme_amounts()) if wild else tame


def expected_decimal(raw: Any) -> Decimal:
    """What the parsers make of a good amount (an independent oracle)."""
    if isinstance(raw, float):
        return Decimal(repr(raw))
    if isinstance(raw, int):
        return Decimal(raw)
    return Decimal(str(raw).strip())


def names(*, min_size: int = 1, max_size: int = 30, wild: bool = False) -> Strategy[str]:
    """A name: printable text, accents and emoji welcome, not blank; ``wild``: sometimes odd
    Unicode (maybe blank, maybe NUL or a lone surrogate), now and then 10–100 KB."""
    tame = (
        st.text(NAME_LETTERS, min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda s: len(s) >= min_size)
    )
    if not wild:
        return tame
    return st.one_of(tame, tame, tame, odd_text(min_size=1), odd_text(min_size=1), huge_text())


def emails() -> Strategy[str]:
    local = st.text(ALNUM.lower() + "._+", min_size=1, max_size=10)
    return st.builds("{}@{}.mx".format, local, st.text(ALNUM.lower(), min_size=1, max_size=8))


def codes(prefix: str = "FZ", *, wild: bool = False) -> Strategy[str]:
    """A product reference / code, never one of the seeded catalog's; ``wild``: with odd
    Unicode or 10–100 KB after the prefix."""
    tail = st.text(ALNUM, min_size=3, max_size=10)
    if wild:
        tail = st.one_of(tail, tail, odd_text(min_size=1, max_size=8), huge_text())
    return tail.map(lambda s: f"{prefix}-{s}")


def moments() -> Strategy[datetime]:
    return st.datetimes(
        min_value=datetime(2021, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ).map(lambda d: d.replace(microsecond=0))


def iso_moments() -> Strategy[str]:
    def text(moment: datetime, style: int) -> str:
        if style == 0:
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if style == 1:
            return moment.isoformat()
        return moment.astimezone(_MINUS_SIX).isoformat()

    return st.builds(text, moments(), st.integers(0, 2))


def good_company(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "name": names(wild=wild),
            "applicationVersion": st.sampled_from(sorted(alegra.COUNTRY_OF_VERSION)),
            "identification": st.text(ALNUM, min_size=9, max_size=13),
        },
        optional={"decimalPrecision": st.integers(0, 6), "currency": st.just({"code": "MXN"})},
    )


def good_price_list(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": good_ids(), "name": names(wild=wild)},
        optional={
            "status": st.sampled_from(["active", "inactive"]),
            "type": st.sampled_from(["amount", "percentage"]),
            "percentage": amounts(0, 100, wild=wild),
        },
    )


def good_tax(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": good_ids(),
            "name": st.sampled_from(["IVA", "IEPS", "INC", "IVA 16%"]) | names(wild=wild),
            "percentage": amounts(0, 100, wild=wild),
        },
        optional={
            "status": st.sampled_from(["active", "inactive"]),
            "type": st.sampled_from(["IVA", "IEPS", "INC", "OTRO"]),
        },
    )


def good_warehouse(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": good_ids(), "name": names(wild=wild)},
        optional={
            "status": st.sampled_from(["active", "inactive"]),
            "isDefault": st.sampled_from([True, False, "true", "false", 0, 1, None]),
        },
    )


def good_seller(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": good_ids(), "name": names(wild=wild)},
        optional={
            "identification": st.none() | st.text("0123456789", min_size=5, max_size=12),
            "status": st.sampled_from(["active", "inactive"]),
        },
    )


def good_webhook_subscription(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    tail = names(wild=wild) if wild else st.text(ALNUM.lower(), min_size=1, max_size=12)
    return st.fixed_dictionaries(
        {
            "id": good_ids(),
            "event": st.sampled_from(WEBHOOK_EVENTS),
            "url": tail.map(lambda s: f"example.com/hooks/{s}"),
        },
        optional={"status": st.sampled_from(["active", "inactive"])},
    )


def _item_price(list_id: Any, wild: bool) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"idPriceList": st.just(list_id), "price": amounts(0, 50_000, 4, wild=wild)},
        optional={"name": names()},
    )


def _iva(wild: bool) -> Strategy[dict[str, Any]]:
    percent = st.sampled_from(["16.00", 16, "19", 8.0, "0", "5.00"])
    if wild:
        percent = st.one_of(percent, percent, amounts(-100, 1000, 4), extreme_amounts())
    return st.fixed_dictionaries(
        {
            "id": good_ids(),
            "name": st.just("IVA"),
            "percentage": percent,
            "status": st.just("active"),
        },
        optional={"type": st.just("IVA")},
    )


def _warehouse_stock(wild: bool) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": good_ids(), "availableQuantity": amounts(-50, 10_000, 1, wild=wild)},
        optional={"name": names(), "initialQuantity": st.just("0")},
    )


def good_item(price_list_id: str = "2", *, wild: bool = False) -> Strategy[dict[str, Any]]:
    """An Alegra item that qualifies for the catalog under the price list ``price_list_id``
    (a wild one may not: a negative price, two IVA, a blank reference…)."""
    reference = st.tuples(codes(wild=wild), st.integers(0, 2)).map(
        lambda t: [t[0], {"reference": t[0]}, f"  {t[0]} "][t[1]]
    )
    prices = st.tuples(
        _item_price(price_list_id, wild), st.lists(_item_price("1", wild), max_size=1)
    ).map(lambda t: [t[0], *t[1]])
    inventory = st.fixed_dictionaries(
        {"warehouses": st.lists(_warehouse_stock(wild), max_size=3)},
        optional={
            "unit": st.just("piece"),
            "availableQuantity": amounts(0, 1000, 0, wild=wild),
        },
    )
    category = st.none() | st.fixed_dictionaries({"id": good_ids(), "name": names(wild=wild)})
    return st.fixed_dictionaries(
        {
            "id": good_ids(),
            "name": names(wild=wild),
            "reference": reference,
            "status": st.just("active"),
            "price": prices,
            "tax": st.lists(_iva(wild), max_size=2 if wild else 1),
            "inventory": inventory,
            "itemCategory": category,
        },
        optional={
            "type": st.just("simple"),
            "description": names(wild=wild),
            "customFields": st.just([]),
        },
    )


def _address(country: str, wild: bool) -> Strategy[Any]:
    text = names(wild=wild)
    if country == "CO":
        return st.fixed_dictionaries({"address": text, "city": text}, optional={"department": text})
    return st.one_of(
        st.fixed_dictionaries(
            {"street": text, "exteriorNumber": st.integers(1, 999).map(str)},
            optional={
                "colony": text,
                "municipality": text,
                "state": text,
                "zipCode": st.text("0123456789", min_size=5, max_size=5),
            },
        ),
        text,
    )


def good_contact(
    country: str = "MX", seller_ids: Sequence[str] = (), *, wild: bool = False
) -> Strategy[dict[str, Any]]:
    """An Alegra client contact; its seller is one of ``seller_ids`` (or none)."""
    seller: Strategy[Any] = st.none()
    if seller_ids:
        seller = st.none() | st.tuples(st.sampled_from(list(seller_ids)), st.integers(0, 2)).map(
            lambda t: [t[0], {"id": t[0]}, {"id": t[0], "name": "x"}][t[1]]
        )
    name = st.one_of(
        names(wild=wild),
        st.fixed_dictionaries({"firstName": names(max_size=10), "lastName": names(max_size=10)}),
    )
    identification: Strategy[Any] = st.none() | st.text(ALNUM, min_size=9, max_size=13)
    if country == "CO":
        number = st.text("0123456789", min_size=6, max_size=10)
        identification = st.none() | number | number.map(lambda n: {"type": "NIT", "number": n})
    if wild:
        identification = identification | names(wild=True)
    phone = st.text("0123456789", min_size=8, max_size=10)
    return st.fixed_dictionaries(
        {
            "id": good_ids(),
            "name": name,
            "type": st.sampled_from([["client"], "client", ["client", "provider"]]),
            "status": st.just("active"),
            "identification": identification,
            "seller": seller,
        },
        optional={
            "email": st.none() | (names(wild=True) if wild else emails()),
            "phonePrimary": st.none() | (names(wild=True) if wild else phone),
            "mobile": st.none() | phone,
            "address": _address(country, wild),
            "kindOfPerson": st.sampled_from(["LEGAL_ENTITY", "PERSON_ENTITY"]),
        },
    )


def expected_name(raw: Any) -> str:
    if isinstance(raw, dict):
        keys = ("firstName", "secondName", "lastName", "secondLastName")
        raw = " ".join(str(raw[k]).strip() for k in keys if raw.get(k))
    return expected_text(str(raw))


def _remission_line(wild: bool) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": good_ids(),
            "price": amounts(0, 10_000, 6, wild=wild),
            "quantity": amounts(0, 1000, 3, wild=wild),
        },
        optional={
            "name": names(wild=wild),
            "reference": codes(),
            "discount": amounts(0, 100, wild=wild),
            "tax": st.lists(
                st.fixed_dictionaries(
                    {"id": good_ids(), "name": st.just("IVA")},
                    optional={
                        "percentage": amounts(0, 100, wild=wild),
                        "amount": amounts(wild=wild),
                    },
                ),
                max_size=2,
            ),
            "total": amounts(wild=wild),
        },
    )


def good_remission(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    days = st.dates(min_value=date(2021, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat)
    ref = st.fixed_dictionaries({"id": good_ids()}, optional={"name": names(wild=wild)})
    number = (
        st.none()
        | st.integers(1, 10**6).map(str)
        | st.fixed_dictionaries({"fullNumber": st.integers(1, 10**6).map(lambda n: f"RM-{n}")})
    )
    marker = st.integers(1, 10**8).map(lambda n: f"Pedido Handy #{n} [handy-order:{n}]")
    return st.fixed_dictionaries(
        {
            "id": good_ids(),
            "date": days,
            "status": st.sampled_from(["open", "closed", "void"]),
            "items": st.lists(_remission_line(wild), max_size=4),
        },
        optional={
            "number": number,
            "dueDate": days,
            "observations": st.none() | marker | (names(wild=True) if wild else marker),
            "client": ref,
            "seller": st.none() | ref,
            "warehouse": st.none() | ref,
            "subtotal": amounts(wild=wild),
            "tax": amounts(wild=wild),
            "total": amounts(wild=wild),
        },
    )


def good_named(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    """A Handy family, zone or customer category."""
    return st.fixed_dictionaries(
        {"id": st.integers(1, 10**9), "description": names(wild=wild)},
        optional={"enabled": st.sampled_from([True, False, None, "true", 1, 0])},
    )


def good_product(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": st.integers(1, 10**9),
            "code": codes(wild=wild),
            "price": amounts(0, 50_000, wild=wild),
        },
        optional={
            "description": names(wild=wild),
            "quantity": st.none() | amounts(0, 10_000, 1, wild=wild),
            "enabled": st.booleans(),
            "family": st.none() | good_named(wild=wild) | st.integers(1, 999),
            "externalId": st.none() | st.integers(1, 10**6).map(str),
            "lastUpdated": iso_moments(),
            "tax": st.just({"id": 1, "name": "IVA", "amount": 16.0, "enabled": True}),
        },
    )


def good_customer(*, wild: bool = False, prefix: str = "C") -> Strategy[dict[str, Any]]:
    text = names(wild=wild)
    tax_id = st.text(ALNUM, min_size=10, max_size=13)
    if wild:
        tax_id = st.one_of(tax_id, tax_id, st.sampled_from(["N/A", "-", "0", "9" * 16]), text)
    person = st.fixed_dictionaries(
        {
            "id": st.integers(1, 99),
            "description": st.sampled_from(["Persona jurídica", "Persona natural"]),
        }
    )
    category = good_named() | person
    return st.fixed_dictionaries(
        {"id": st.integers(1, 10**9), "code": codes(prefix, wild=wild), "description": text},
        optional={
            "businessName": st.none() | text,
            "rfc": st.none() | tax_id,
            "email": st.none() | (text if wild else emails()),
            "phoneNumber": st.none() | st.text("0123456789", min_size=8, max_size=10),
            "address": st.none() | text,
            "city": st.none() | text,
            "postalCode": st.none() | st.text("0123456789", min_size=5, max_size=5),
            "zone": st.none() | good_named(wild=wild),
            "category": st.none() | category,
            "enabled": st.booleans(),
            "lastUpdated": iso_moments(),
        },
    )


def _order_line(wild: bool) -> Strategy[dict[str, Any]]:
    tax = st.none() | st.fixed_dictionaries(
        {
            "id": st.integers(1, 9),
            "name": st.just("IVA"),
            "amount": st.sampled_from([16.0, 8.0, 0.0]),
        }
    )
    return st.fixed_dictionaries(
        {
            "id": st.integers(1, 10**9),
            "product": st.fixed_dictionaries(
                {"code": codes(wild=wild)}, optional={"description": names(wild=wild)}
            ),
            "quantity": amounts(Decimal("0.001"), 500, 3, wild=wild),
            "price": amounts(0, 10_000, 2, wild=wild),
        },
        optional={
            "originalPrice": amounts(0, 10_000, wild=wild),
            "total": amounts(0, 100_000, wild=wild),
            "discountPercentage": amounts(0, 100, wild=wild),
            "isReturn": st.booleans(),
            "isReward": st.booleans(),
            "priceType": st.sampled_from(["REGULAR", "REWARD"]),
            "tax": tax,
        },
    )


#: Orders get ids from here up; the versions they were edited from, ids below.
ORDER_IDS = 10**8


def _nested_chain(ids: list[int]) -> Any:
    chain: Any = None
    for previous in sorted(ids):
        chain = {"id": previous, "deleted": True, "isEdited": True, "editedFrom": chain}
    return chain


#: ``editedFrom``: nothing, a bare id, or the previous versions nested, newest first (up to
#: 40 deep).
EDIT_CHAINS: Strategy[Any] = st.one_of(
    st.none(),
    st.integers(1, ORDER_IDS - 1),
    st.lists(st.integers(1, ORDER_IDS - 1), min_size=1, max_size=40, unique=True).map(
        _nested_chain
    ),
)


def handys_total(order: dict[str, Any]) -> dict[str, Any]:
    """``order`` with ``totalSales`` as Handy computes it (DECISIONS.md: Σ of the line totals,
    returns counted negatively), when every line's amount can be read; else unchanged."""
    total = Decimal(0)
    try:
        for line in order["items"]:
            if line.get("total") is not None:
                amount = cents(expected_decimal(line["total"]))
            else:
                amount = cents(expected_decimal(line["price"]) * expected_decimal(line["quantity"]))
            total += -amount if line.get("isReturn") is True else amount
    except (ArithmeticError, KeyError, TypeError, ValueError, AttributeError):
        return order
    if not is_plausible(total):  # extreme lines: a real order could not have that total
        return order
    return {**order, "totalSales": str(total)}


def _totals(order: dict[str, Any]) -> Strategy[dict[str, Any]]:
    """Mostly Handy's own total (so the order gets past the independent check), sometimes the
    one drawn (so the check's refusal, ``handy_total_mismatch``, is fuzzed too)."""
    consistent = handys_total(order)
    return st.sampled_from((consistent, consistent, order))


def orders_like(order: dict[str, Any], codes: Sequence[str]) -> Strategy[dict[str, Any]]:
    """``order`` (a real one, as Handy renders it) with lines selling ``codes``, tame or
    wild."""
    lines = st.one_of(_order_line(wild=False), _order_line(wild=True))
    line = st.tuples(lines, st.sampled_from(list(codes))).map(
        lambda t: {**t[0], "product": {**t[0]["product"], "code": t[1]}}
    )
    return (
        st.lists(line, min_size=1, max_size=3)
        .map(lambda lines: {**order, "items": lines})
        .flatmap(_totals)
    )


def expected_chain(raw: Any) -> tuple[str, ...]:
    chain: list[str] = []
    while isinstance(raw, dict):
        chain.append(str(raw["id"]))
        raw = raw.get("editedFrom")
    if raw is not None:
        chain.append(str(raw))
    return tuple(chain)


def good_sales_order(*, wild: bool = False) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": st.integers(ORDER_IDS, 2 * ORDER_IDS),
            "dateCreated": iso_moments(),
            "customer": good_customer(wild=wild),
            "items": st.lists(_order_line(wild), min_size=1, max_size=4),
            "totalSales": amounts(0, 500_000, wild=wild),
            "editedFrom": EDIT_CHAINS,
        },
        optional={
            "mobileDateCreated": iso_moments(),
            "totalTax": amounts(wild=wild),
            "totalBeforeTax": amounts(wild=wild),
            "deleted": st.booleans(),
            "dateDeleted": st.none() | iso_moments(),
            "isEdited": st.booleans(),
            "externalId": st.none() | st.integers(1, 10**6).map(str),
            "sellerComment": st.none() | names(max_size=80, wild=wild),
            "scheduledDateForDelivery": st.none() | iso_moments(),
            "createdBy": st.fixed_dictionaries({"id": st.integers(1, 99), "name": names()}),
        },
    ).flatmap(_totals)


# --- malformed records ---------------------------------------------------------------------

Place = tuple[Any, ...]
_DELETE = object()


def paths(node: Any, prefix: Place = ()) -> Iterator[Place]:
    """Every place inside a JSON value: object keys and list positions, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from paths(value, (*prefix, index))


def _get(node: Any, path: Place) -> Any:
    for step in path:
        node = node[step]
    return node


def _put(root: Any, path: Place, value: Any) -> None:
    parent = _get(root, path[:-1])
    if value is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


def _as_string(value: Any) -> Strategy[Any]:
    if isinstance(value, bool):
        return st.sampled_from(["true", "false", "yes", "1", "sí"])
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
        return st.sampled_from([text, f" {text} ", f"{text},00", f"1,{text}.5", f"{text} MXN"])
    return numeric_strings()


def _with_odd_unicode(value: Any) -> Strategy[Any]:
    if not isinstance(value, str):
        return odd_text(min_size=1)
    return st.tuples(st.integers(0, len(value)), odd_text(min_size=1, max_size=6)).map(
        lambda t: value[: t[0]] + t[1] + value[t[0] :]
    )


def _wrapped(value: Any) -> Strategy[Any]:
    return st.sampled_from([[value], {"id": value}, {"value": value}, [value, value], [[value]]])


#: How one place of a record is broken.
MUTATIONS: dict[str, Callable[[Any], Strategy[Any]]] = {
    "missing": lambda _: st.just(_DELETE),
    "null": lambda _: st.just(None),
    "wrong_type": lambda _: wrong_values(),
    "number_as_string": _as_string,
    "extreme_number": lambda _: wild_numbers(),
    "odd_unicode": _with_odd_unicode,
    "huge_string": lambda _: huge_text(),
    "wrapped": _wrapped,
    "empty": lambda _: st.sampled_from(["", [], {}, " ", 0]),
    "trouble_number": lambda _: st.sampled_from(TROUBLE_NUMBERS),
    "beyond_limits": lambda _: beyond_limits().map(lambda t: t[0]),
    "long_id": lambda _: long_ids(),
}
NUMBER_MUTATIONS = (
    "trouble_number",
    "trouble_number",
    "beyond_limits",
    "extreme_number",
    "number_as_string",
    "null",
    "missing",
)


class Broken:
    """A malformed record and how it was broken. Its repr (what a failing example prints)
    says what changed and keeps a 10–100 KB string to a glimpse."""

    def __init__(self, raw: Any, changes: tuple[tuple[str, str], ...]) -> None:
        self.raw, self.changes = raw, changes

    def __repr__(self) -> str:
        text = repr(self.raw)
        if len(text) > 2000:
            text = f"{text[:1500]} …[{len(text) - 1900} characters]… {text[-400:]}"
        return f"Broken(changes={self.changes!r}, raw={text})"


@st.composite
def broken(
    draw: st.DrawFn,
    good: Strategy[Any],
    *,
    max_changes: int = 3,
    taken_ids: Sequence[Any] = (),
) -> Broken:
    """``good`` with one to ``max_changes`` places broken; sometimes not an object at all, or
    carrying the id of another record (one of ``taken_ids``)."""
    raw = copy.deepcopy(draw(good))
    top = draw(st.integers(0, 19))
    if top == 0:
        other = draw(st.one_of(st.none(), st.lists(json_scalars(), max_size=3), json_scalars()))
        return Broken(other, (("(record)", "not an object"),))
    changes: list[tuple[str, str]] = []
    if top == 1 and taken_ids and isinstance(raw, dict):
        raw["id"] = taken_ids[draw(st.integers(0, len(taken_ids) - 1))]
        changes.append(("id", "duplicated id"))
    if top == 2 and isinstance(raw, dict):
        raw[draw(odd_text(min_size=1, max_size=8))] = draw(wrong_values())
        changes.append(("(extra key)", "unknown field"))
    for _ in range(draw(st.integers(1, max_changes))):
        places = list(paths(raw))
        if not places:
            break
        numbers = [p for p in places if _numberish(_get(raw, p))]
        on_number = bool(numbers) and draw(st.booleans())
        if on_number:  # half the time, a number: where money code breaks
            place = numbers[draw(st.integers(0, len(numbers) - 1))]
            how = draw(st.sampled_from(NUMBER_MUTATIONS))
        else:
            place = places[draw(st.integers(0, len(places) - 1))]
            how = draw(st.sampled_from(sorted(MUTATIONS)))
        _put(raw, place, draw(MUTATIONS[how](_get(raw, place))))
        changes.append((".".join(map(str, place)), how))
    return Broken(raw, tuple(changes))


def _numberish(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            Decimal(value.strip())
        except ArithmeticError:
            return False
        return True
    return False


def malformed(good: Strategy[Any], **options: Any) -> Strategy[Any]:
    """Just the raw value of ``broken(good)``."""
    return broken(good, **options).map(lambda b: b.raw)


def bad_records(wild: Strategy[Any], *, taken_ids: Sequence[Any] = ()) -> Strategy[Broken]:
    """Records to inject into a listing: broken ones (two in three) and merely wild ones."""
    as_is = wild.map(lambda raw: Broken(raw, (("(values)", "wild"),)))
    return st.one_of(
        broken(wild, taken_ids=taken_ids), broken(wild, taken_ids=taken_ids, max_changes=1), as_is
    )


def anything_for(good: Strategy[Any], wild: Strategy[Any] | None = None) -> Strategy[Any]:
    """What a listing may hand the parser in place of one record: mostly a broken record, or
    a wild one (parses, extreme values), sometimes a tame one, now and then any JSON value."""
    wild = good if wild is None else wild
    return st.one_of(
        malformed(wild), malformed(wild), malformed(good), wild, wild, good, json_values()
    )


@dataclass(frozen=True)
class OverTheLimit:
    """A good record with one id or number past the parsers' limits: where they will say it
    is (``field``) and what they will say (``problem``)."""

    raw: Any
    field: str
    problem: str


def _limited_places(
    node: Any, pattern: Sequence[str], field: Sequence[str]
) -> Iterator[tuple[Place, str]]:
    """The places in ``node`` that a ``LIMITED`` wire pattern names, each with the field the
    parsers would name (``field``, its ``*`` numbered as the place's)."""
    if not pattern:
        yield (), ".".join(field)
        return
    step, rest = pattern[0], pattern[1:]
    if step == "*":
        if isinstance(node, list):
            at = list(field).index("*")
            for index, child in enumerate(node):
                named = (*field[:at], str(index), *field[at + 1 :])
                for place, name in _limited_places(child, rest, named):
                    yield (index, *place), name
    elif isinstance(node, dict) and step in node:
        for place, name in _limited_places(node[step], rest, field):
            yield (step, *place), name


@st.composite
def over_the_limit(draw: st.DrawFn, rtype: RecordType) -> OverTheLimit:
    """A tame record of ``rtype`` with one of its ``limited`` places past the limits: an id
    longer than 64 characters, or a number too large, too precise or with too many
    digits."""
    raw = copy.deepcopy(draw(rtype.good))
    numbers: list[list[tuple[Place, str]]] = []  # the places of each LIMITED entry present
    ids: list[list[tuple[Place, str]]] = []
    for entry in rtype.limited:
        wire, _, field = entry.partition(" => ")
        places = list(_limited_places(raw, wire.split("."), (field or wire).split(".")))
        if places:
            (ids if wire.split(".")[-1] in ("id", "idPriceList") else numbers).append(places)
    assume(numbers or ids)
    kind = draw(st.sampled_from([found for found in (numbers, ids) if found]))
    place, field = draw(st.sampled_from(draw(st.sampled_from(kind))))
    if kind is ids:
        value, problem = draw(long_ids()), ID_TOO_LONG
    else:
        value, problem = draw(beyond_limits())
    _put(raw, place, value)
    return OverTheLimit(raw, field, problem)


# --- the record types the clients parse ----------------------------------------------------


class RecordType:
    """One record type: its model, the ``kind`` the client names it with, strategies of tame
    and wild good raw records, the key fields a good record must round-trip exactly, and the
    places that hold an id or a number the parsers limit (``LIMITED``). (A plain class, so
    that hypothesis prints its name, not its strategies.)"""

    def __init__(
        self,
        name: str,
        model: type[Record],
        kind: str,
        good: Strategy[Any],
        wild: Strategy[Any],
        keys: Callable[[Any, Any], list[tuple[str, Any, Any]]],  # (field, parsed, expected)
    ) -> None:
        self.name, self.model, self.kind = name, model, kind
        self.good, self.wild, self.keys = good, wild, keys
        self.limited = LIMITED[name]

    def __repr__(self) -> str:
        return self.name


#: Where each record type carries an id (``…id``, ``idPriceList``: at most 64 characters) or
#: an amount or a quantity (the rest: within ``plausible``), as wire paths, ``*`` standing for
#: any list position; ``wire => field`` when the parsers read it under another name.
LIMITED: dict[str, tuple[str, ...]] = {
    "alegra.item": (
        "id", "price.*.idPriceList", "price.*.price", "tax.*.id", "tax.*.percentage",
        "inventory.availableQuantity", "inventory.warehouses.*.id",
        "inventory.warehouses.*.availableQuantity", "itemCategory.id",
    ),
    "alegra.price_list": ("id",),
    "alegra.tax": ("id", "percentage"),
    "alegra.warehouse": ("id",),
    "alegra.seller": ("id",),
    "alegra.contact_mx": ("id", "seller.id"),
    "alegra.contact_co": ("id", "seller.id"),
    "alegra.remission": (
        "id", "items.*.id", "items.*.price", "items.*.quantity", "items.*.discount",
        "items.*.tax.*.id", "items.*.tax.*.percentage", "items.*.tax.*.amount", "items.*.total",
        "client.id", "seller.id", "warehouse.id", "subtotal", "tax", "total",
    ),
    "alegra.company": (),
    "alegra.webhook_subscription": ("id",),
    "handy.product": ("id", "price", "quantity", "family.id"),
    "handy.named": ("id",),
    "handy.customer": ("id", "zone.id", "category.id"),
    "handy.sales_order": (
        "id", "totalSales", "totalTax", "totalBeforeTax", "customer.id", "customer.zone.id",
        "customer.category.id", "items.*.id", "items.*.quantity", "items.*.price",
        "items.*.originalPrice", "items.*.total", "items.*.discountPercentage",
        "items.*.tax.amount => items.*.tax_percent",
    ),
}  # fmt: skip


def _keys_id(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    return [("id", rec.id, expected_id(raw["id"]))]


def _keys_company(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    return [
        ("name", rec.name, expected_text(raw["name"])),
        ("country", rec.country, alegra.COUNTRY_OF_VERSION[raw["applicationVersion"]]),
    ]


def _keys_tax(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    return [
        *_keys_id(raw, rec),
        ("percentage", rec.percentage, expected_decimal(raw["percentage"])),
    ]


def _keys_item(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    reference = raw["reference"]
    reference = reference["reference"] if isinstance(reference, dict) else reference
    keys = [*_keys_id(raw, rec), ("reference", rec.reference, expected_text(reference).strip())]
    for k, entry in enumerate(raw["price"]):
        parsed = rec.prices[k]
        keys.append((f"price.{k}.list", parsed.price_list_id, expected_id(entry["idPriceList"])))
        keys.append((f"price.{k}.price", parsed.price, expected_decimal(entry["price"])))
    for k, tax in enumerate(raw["tax"]):
        keys.append((f"tax.{k}", rec.taxes[k].percentage, expected_decimal(tax["percentage"])))
    for k, stock in enumerate(raw["inventory"]["warehouses"]):
        parsed_stock = rec.inventory.warehouses[k].available_quantity
        keys.append((f"stock.{k}", parsed_stock, expected_decimal(stock["availableQuantity"])))
    category = raw["itemCategory"]
    category_name = category and expected_text(category["name"])
    keys.append(("category", rec.item_category and rec.item_category.name, category_name))
    return keys


def _keys_contact(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    ident = raw["identification"]
    ident = ident["number"] if isinstance(ident, dict) else ident
    ident = (expected_text(ident).strip() or None) if isinstance(ident, str) else ident
    return [
        *_keys_id(raw, rec),
        ("name", rec.name, expected_name(raw["name"])),
        ("is_client", rec.is_client, True),
        ("identification", rec.identification, ident),
    ]


def _keys_remission(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    keys = [*_keys_id(raw, rec), ("date", rec.date.isoformat(), raw["date"])]
    for k, line in enumerate(raw["items"]):
        keys.append((f"line.{k}.id", rec.lines[k].id, expected_id(line["id"])))
        keys.append((f"line.{k}.price", rec.lines[k].price, expected_decimal(line["price"])))
        keys.append((f"line.{k}.qty", rec.lines[k].quantity, expected_decimal(line["quantity"])))
    if "total" in raw:
        keys.append(("total", rec.total, expected_decimal(raw["total"])))
    return keys


def _keys_webhook(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    return [
        *_keys_id(raw, rec),
        ("event", rec.event, raw["event"]),
        ("url", rec.url, expected_text(raw["url"])),
    ]


def _keys_named(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    return [
        *_keys_id(raw, rec),
        ("description", rec.description, expected_text(raw["description"])),
    ]


def _keys_product(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    return [
        *_keys_id(raw, rec),
        ("code", rec.code, expected_text(raw["code"])),
        ("price", rec.price, expected_decimal(raw["price"])),
    ]


def _keys_customer(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    return [*_keys_id(raw, rec), ("code", rec.code, expected_text(raw["code"]))]


def _keys_order(raw: Any, rec: Any) -> list[tuple[str, Any, Any]]:
    keys = [
        *_keys_id(raw, rec),
        ("customer", rec.customer.code, expected_text(raw["customer"]["code"])),
        ("totalSales", rec.total_sales, expected_decimal(raw["totalSales"])),
        ("editedFrom", rec.edited_from, expected_chain(raw["editedFrom"])),
        (
            "dateCreated",
            rec.date_created,
            datetime.fromisoformat(raw["dateCreated"].replace("Z", "+00:00")),
        ),
    ]
    for k, line in enumerate(raw["items"]):
        parsed = rec.lines[k]
        keys.append((f"line.{k}.code", parsed.product_code, expected_text(line["product"]["code"])))
        keys.append((f"line.{k}.qty", parsed.quantity, expected_decimal(line["quantity"])))
        keys.append((f"line.{k}.price", parsed.price, expected_decimal(line["price"])))
    return keys


def _record_types() -> tuple[RecordType, ...]:
    def kind(
        name: str,
        model: type[Record],
        label: str,
        good: Callable[..., Strategy[Any]],
        keys: Callable[[Any, Any], list[tuple[str, Any, Any]]],
    ) -> RecordType:
        return RecordType(name, model, label, good(), good(wild=True), keys)

    return (
        kind("alegra.item", alegra.Item, "item", good_item, _keys_item),
        kind("alegra.price_list", alegra.PriceList, "price list", good_price_list, _keys_id),
        kind("alegra.tax", alegra.Tax, "tax", good_tax, _keys_tax),
        kind("alegra.warehouse", alegra.Warehouse, "warehouse", good_warehouse, _keys_id),
        kind("alegra.seller", alegra.Seller, "seller", good_seller, _keys_id),
        kind(
            "alegra.contact_mx",
            alegra.Contact,
            "contact",
            lambda **o: good_contact("MX", ("1", "2"), **o),
            _keys_contact,
        ),
        kind(
            "alegra.contact_co",
            alegra.Contact,
            "contact",
            lambda **o: good_contact("CO", ("1",), **o),
            _keys_contact,
        ),
        kind("alegra.remission", alegra.Remission, "remission", good_remission, _keys_remission),
        kind("alegra.company", alegra.Company, "company", good_company, _keys_company),
        kind(
            "alegra.webhook_subscription",
            alegra.WebhookSubscription,
            "webhook subscription",
            good_webhook_subscription,
            _keys_webhook,
        ),
        kind("handy.product", handy.Product, "product", good_product, _keys_product),
        kind("handy.named", handy.Named, "family", good_named, _keys_named),
        kind("handy.customer", handy.Customer, "customer", good_customer, _keys_customer),
        kind("handy.sales_order", handy.SalesOrder, "sales order", good_sales_order, _keys_order),
    )


RECORD_TYPES = _record_types()


# --- in-process worlds the syncs run against -------------------------------------------------

#: The Alegra price list the seeded company activates with (``Mayoreo``).
PRICE_LIST_ID = "2"
ALEGRA_URL = "https://alegra.sim/api/v1"
HANDY_URL = "https://handy.sim/api/v2"
START = datetime(2026, 11, 2, 15, 0, 7, tzinfo=UTC)


class Rewriter:
    """Wraps a simulator's ``handle``: answers from the simulator, with the records named in
    ``replace`` (by collection — the path's first segment: ``items``, ``salesOrder``… — and
    the id the simulator gave them) swapped for raw payloads on the way out, in listings and
    single reads alike. The simulator keeps a sane record (so its filters and
    sorting work); the client gets the malformed one. Bodies are re-encoded with ASCII
    escapes, so lone surrogates travel as ``\\ud800`` the way a JSON API would send them.

    ``requests`` may rewrite a request before the simulator sees it (a page that repeats).

    The simulators trust their own data and may choke on what the client sends back about a
    malformed record (an order id of 10,000 digits in a path, say); a real API would answer
    that it has no such record, so the wrapper answers 404 and keeps a note in ``choked``."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.replace: dict[tuple[str, str], Any] = {}
        self.requests: Callable[[Request], Request] | None = None
        self.choked: list[str] = []

    def __call__(self, request: Request) -> Response:
        if self.requests is not None:
            request = self.requests(request)
        try:
            response: Response = self.sim.handle(request)
        except TimeoutException:
            raise  # a fault the test injected
        except Exception as exc:
            self.choked.append(f"{request.method} {request.url.path[:80]}: {exc!r}"[:200])
            return cast(Response, self.sim.error(404, "No existe el recurso"))
        if request.method != "GET" or response.status_code != 200 or not self.replace:
            return response
        collection = request.url.path.split("/api/", 1)[-1].split("/")[1]
        body = json.loads(response.content)
        if isinstance(body, dict) and (collection, _sim_id(body)) in self.replace:
            body = self.replace[collection, _sim_id(body)]  # a single read
        elif not self._swap_entries(collection, body):
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(200, headers=headers, content=json.dumps(body).encode("ascii"))

    def _swap_entries(self, collection: str, body: Any) -> bool:
        """Replace the listed records named in ``replace``: a bare array (Alegra) or the one
        array of an envelope (Alegra's ``data``, Handy's ``products``, ``salesOrders``…)."""
        entries: Any = body
        if isinstance(body, dict):
            entries = next((v for v in body.values() if isinstance(v, list)), None)
        if not isinstance(entries, list):
            return False
        changed = False
        for k, entry in enumerate(entries):
            if isinstance(entry, dict) and (collection, _sim_id(entry)) in self.replace:
                entries[k] = self.replace[collection, _sim_id(entry)]
                changed = True
        return changed


def with_params(request: Request, **params: str) -> Request:
    """``request`` with query parameters replaced (a rewrite for ``Rewriter.requests``)."""
    url = request.url
    for name, value in params.items():
        url = url.copy_set_param(name, value)
    return Request(request.method, url, headers=request.headers, content=request.content)


def _sim_id(record: dict[str, Any]) -> str:
    value = record.get("id")
    return "" if value is None else str(value)


@dataclass
class Sandbox:
    """A seeded company in both simulators, an activated account, and the runtime."""

    world: World
    runtime: Runtime
    account: AccountConfig
    clock: ManualClock
    alegra: Rewriter
    handy: Rewriter

    def close(self) -> None:
        self.runtime.close()


def sandbox(
    directory: Path,
    *,
    country: str = "MX",
    items: int = 30,
    contacts: int = 12,
    seed: int = 7,
    concurrency: int = 4,
    database_url: str | None = None,
) -> Sandbox:
    """``directory`` holds the vault key and, unless ``database_url`` says otherwise, the
    SQLite store."""
    clock = ManualClock(START)
    world = build_world(seed=seed, country=country, items=items, contacts=contacts, clock=clock)
    alegra_rw, handy_rw = Rewriter(world.alegra), Rewriter(world.handy)
    url = database_url or f"sqlite:///{directory / 'store.sqlite3'}"
    settings = Settings(home=directory, database_url=url, secret_key=_KEY)
    runtime = Runtime(
        settings,
        clock=clock,
        transports={
            "https://alegra.sim": MockTransport(alegra_rw),
            "https://handy.sim": MockTransport(handy_rw),
        },
    )
    runtime.concurrency = concurrency
    c = world.credentials
    credentials = activation.Credentials(
        c.alegra_email, c.alegra_token, c.handy_token, ALEGRA_URL, HANDY_URL
    )
    account, _ = activation.activate(
        runtime,
        "acme",
        credentials,
        country=country,
        price_list=world.price_list["name"],
        warehouse="Principal",
    )
    assert account.price_list_id == PRICE_LIST_ID
    clock.advance(60)
    return Sandbox(world, runtime, account, clock, alegra_rw, handy_rw)


_KEY = Fernet.generate_key().decode()


def synced_company(box: Sandbox) -> tuple[list[dict[str, Any]], list[str]]:
    """Sync the catalog and the customers; the Handy products made from Alegra items and the
    codes of the customers made from Alegra contacts, both in code order (Handy numbers
    records in the order the parallel writes finish)."""
    catalog.run(box.runtime, box.account)
    customers.run(box.runtime, box.account)
    box.clock.advance(60)
    products = sorted(
        (p for p in box.world.handy.products() if not p["code"].startswith("LOCAL-")),
        key=lambda p: str(p["code"]),
    )
    linked = sorted(c["code"] for c in box.world.handy.customers() if c["code"].startswith("ALG-"))
    return products, linked


# --- placing malformed records in the simulators ---------------------------------------------


def place_alegra(box: Sandbox, collection: str, raw: Any) -> str:
    """Add a placeholder to Alegra's ``items`` / ``contacts`` / ``sellers`` and have the
    client read ``raw`` in its place. Returns the placeholder's id."""
    sim, n = box.world.alegra, len(box.alegra.replace) + 1
    if collection == "items":
        ph = sim.add_item({"name": "placeholder", "reference": f"PH-{n}", "status": "inactive"})
    elif collection == "contacts":
        ph = sim.add_contact({"name": f"Placeholder {n}", "type": ["client"], "status": "active"})
    elif collection == "sellers":
        ph = sim.add_seller(f"Placeholder {n}")
    else:
        raise ValueError(collection)
    box.alegra.replace[collection, str(ph["id"])] = raw
    return str(ph["id"])


def place_handy(box: Sandbox, collection: str, raw: Any) -> str:
    """Add a placeholder to Handy's ``product`` / ``customer`` / ``family`` / ``zone`` /
    ``customerCategory`` and have the client read ``raw`` in its place."""
    sim, n = box.world.handy, len(box.handy.replace) + 1
    if collection == "product":
        family = sim.families()[0]["id"]
        record = {"code": f"PH-{n}", "description": "placeholder", "price": 1.0}
        ph = sim.add_product({**record, "family": {"id": family}})
    elif collection == "customer":
        ph = sim.add_customer({"code": f"PH-{n}", "description": "placeholder"}, zone_name="PH")
    elif collection == "family":
        ph = sim.add_family(f"PH family {n}")
    elif collection == "zone":
        ph = sim.add_zone(f"PH zone {n}")
    elif collection == "customerCategory":
        ph = sim.add_customer_category(f"PH category {n}")
    else:
        raise ValueError(collection)
    box.handy.replace[collection, str(ph["id"])] = raw
    return str(ph["id"])


def listing_key(raw: Any) -> str | None:
    """The id a listing walk de-duplicates on: the canonical one, as the parsers read it."""
    return canonical(raw.get("id")) if isinstance(raw, dict) else None


def fresh_after(seen: set[str], raws: Sequence[Any]) -> list[Any]:
    """The records of ``raws`` a listing walk yields after ``seen`` ids (first one wins)."""
    kept = []
    for raw in raws:
        key = listing_key(raw)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append(raw)
    return kept


# --- checks ----------------------------------------------------------------------------------


def check_reason(reason: str | None, detail: dict[str, Any]) -> None:
    """A known reason code whose sentence is real text in every language (an unknown code
    would read as the code itself), and known ``also`` reasons."""
    assert reason in REASONS, reason
    for lang in LANGS:
        text = sentence(reason, detail, lang)
        assert text and text != reason.replace("_", " "), (reason, lang)
    for other in detail.get("also", ()):
        assert other in REASONS, other
