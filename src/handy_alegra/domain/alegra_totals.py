"""How Alegra computes a remission's totals (DECISIONS.md, "totals").

Per line: subtotal = round(price × quantity × (1 − discount%), 2); each tax =
round(subtotal × percentage / 100, 2), computed on the ROUNDED subtotal; half-up rounding;
total = Σ subtotals + Σ taxes. The simulator answers with it and the sales sync chooses its
prices with it, so both agree by construction; the contract tests pin it to worked examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from handy_alegra.domain.money import HUNDRED, ZERO, cents

#: Alegra refuses a unit price with more decimals than this.
MAX_PRICE_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class LineAmounts:
    subtotal: Decimal
    taxes: tuple[Decimal, ...]

    @property
    def total(self) -> Decimal:
        return self.subtotal + sum(self.taxes, ZERO)


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax


def line_amounts(
    price: Decimal,
    quantity: Decimal,
    tax_percentages: Sequence[Decimal] = (),
    discount_percent: Decimal = ZERO,
) -> LineAmounts:
    gross = price * quantity
    if discount_percent:
        gross = gross * (HUNDRED - discount_percent) / HUNDRED
    subtotal = cents(gross)
    return LineAmounts(subtotal, tuple(cents(subtotal * p / HUNDRED) for p in tax_percentages))


def totals(lines: Iterable[LineAmounts]) -> Totals:
    subtotal = tax = ZERO
    for line in lines:
        subtotal += line.subtotal
        tax += sum(line.taxes, ZERO)
    return Totals(subtotal, tax)


def price_decimals(price: Decimal) -> int:
    exponent = price.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
