"""Reading and writing wire JSON: lenient typed fields for records, exact numbers for bodies.

APIs send ids as numbers or strings, amounts as numbers or numeric strings. Records declare
their fields with the annotated types below and are parsed with ``parse_record``, which turns a
failure into a ``RecordParseError`` naming the record and the field instead of raising.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from handy_alegra.domain.errors import RecordParseError
from handy_alegra.domain.money import to_decimal

#: Longest id, code or reference this service stores or puts in a URL.
MAX_ID = 64
#: An amount or quantity with more than this many significant digits, or decimals, or this
#: large, is not a real one (and could not be sent back exactly as a JSON number).
MAX_DIGITS, MAX_DECIMALS, MAX_MAGNITUDE = 15, 10, Decimal(10) ** 15
_SURROGATE = re.compile("[\ud800-\udfff]")


def canonical_id(value: object) -> str | None:
    """An id as every part of this service spells it: ``12``, ``12.0`` and ``" 12 "`` are
    ``"12"``; None when it is not an id."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and clean(value).strip():
        return clean(value).strip()
    return None


def clean(text: str) -> str:
    """Text that can be stored and sent: no NUL, no lone surrogate (as JSON's ``"\ud800"``
    decodes to); those become U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _SURROGATE.sub("\ufffd", text)


def _id(value: object) -> str:
    found = canonical_id(value)
    if found is None:
        raise ValueError("must be a non-empty string or an integer id")
    if len(found) > MAX_ID:
        raise ValueError(f"is longer than {MAX_ID} characters")
    return found


def _optional_id(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = value.get("id")
        if value is None:
            return None
    return _id(value)


def _decimal(value: object) -> Decimal:
    return plausible(to_decimal(value))


def _optional_decimal(value: object) -> Decimal | None:
    return None if value is None or value == "" else plausible(to_decimal(value))


def plausible(number: Decimal) -> Decimal:
    """``number``, if it can be a real amount or quantity."""
    if not number:
        return number
    if abs(number) >= MAX_MAGNITUDE:
        raise ValueError("is too large for an amount or a quantity")
    shape = number.normalize().as_tuple()
    if isinstance(shape.exponent, int) and -shape.exponent > MAX_DECIMALS:
        raise ValueError(f"has more than {MAX_DECIMALS} decimals")
    if len(shape.digits) > MAX_DIGITS:
        raise ValueError(f"has more than {MAX_DIGITS} significant digits")
    return number


def is_plausible(number: Decimal) -> bool:
    """Whether ``number`` can be a real amount or quantity (and be sent back exactly)."""
    try:
        plausible(number)
    except ValueError:
        return False
    return True


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    raise ValueError("must be text")


def _optional_text(value: object) -> str | None:
    text = _text(value).strip()
    return text or None


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError("must be true or false")


def _enabled(value: object) -> bool:
    """An ``enabled`` flag: absent or null means enabled (Handy lists enabled records)."""
    return True if value is None else _bool(value)


def _datetime(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError("must be an ISO-8601 date-time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


Id = Annotated[str, BeforeValidator(_id)]
OptionalId = Annotated[str | None, BeforeValidator(_optional_id)]
Num = Annotated[Decimal, BeforeValidator(_decimal)]
OptionalNum = Annotated[Decimal | None, BeforeValidator(_optional_decimal)]
Text = Annotated[str, BeforeValidator(_text)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
Flag = Annotated[bool, BeforeValidator(_bool)]
Enabled = Annotated[bool, BeforeValidator(_enabled)]
Timestamp = Annotated[datetime | None, BeforeValidator(_datetime)]


class Record(BaseModel):
    """A typed, immutable record read from an API."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


R = TypeVar("R", bound=Record)


def parse_record(model: type[R], kind: str, raw: object) -> R | RecordParseError:
    """``raw`` as a ``model``, or the reason it is not one (never raises)."""
    record_id = _raw_id(raw)
    if not isinstance(raw, dict):
        return RecordParseError(
            kind, record_id, "(record)", f"is a {type(raw).__name__}, not an object"
        )
    try:
        return model.model_validate(raw)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])[:200] or "(record)"
        problem = first["msg"].removeprefix("Value error, ")[:200]
        if first["type"] == "missing":
            problem = "is missing"
        return RecordParseError(kind, record_id, field, problem)


def parse_one(model: type[R], kind: str, raw: object) -> R:
    """Like ``parse_record`` but raises the ``RecordParseError``."""
    result = parse_record(model, kind, raw)
    if isinstance(result, RecordParseError):
        raise result
    return result


def _raw_id(raw: object) -> str | None:
    if isinstance(raw, dict):
        for key in ("id", "code"):
            found = canonical_id(raw.get(key))
            if found is not None:
                return found[:MAX_ID]
    return None


def json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number, refusing any value a float cannot carry exactly."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)  # float ok: checked to round-trip exactly below
    if Decimal(repr(number)) != value.normalize():
        raise ValueError(f"{value} cannot be sent exactly as a JSON number")
    return number


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, default=_default, ensure_ascii=False, separators=(",", ":")).encode()
