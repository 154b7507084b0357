"""Money and quantities: always ``Decimal``, always an explicit rounding mode."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def to_decimal(value: object) -> Decimal:
    """A number or numeric string from an API as a ``Decimal``; anything else is a ValueError.

    Floats go through their shortest ``repr`` so that ``0.1`` becomes ``Decimal("0.1")``.
    """
    if isinstance(value, bool):
        raise ValueError("is a boolean, not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "") if _thousands(value) else value.strip()
        if not text:
            raise ValueError("is an empty string, not a number")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"is not a number: {value[:40]!r}") from None
    else:
        raise ValueError(f"is a {type(value).__name__}, not a number")
    if not result.is_finite():
        raise ValueError("is not a finite number")
    return result


def _thousands(text: str) -> bool:
    """'1,234.50' style: a comma before a dot (never a decimal comma)."""
    return "," in text and "." in text and text.index(",") < text.index(".")


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    """Round half away from zero to ``places`` decimals (the accountant's rounding)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def cents(value: Decimal) -> Decimal:
    return round_half_up(value, 2)


def is_percentage(value: Decimal) -> bool:
    """A tax rate a company can really have: 0 to 100 %."""
    return ZERO <= value <= HUNDRED
