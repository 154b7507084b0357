"""Handy order lines → remission prices before tax, chosen so Alegra's total is Handy's total.

Handy prices include IVA; Alegra wants the unit price without it (at most 6 decimals) and
computes the line as ``alegra_totals.line_amounts`` does: subtotal = round(price × qty, 2),
tax on the rounded subtotal. A line's Alegra total therefore depends only on its subtotal
``s`` (in cents): ``f(s) = s + round(s × p / 100)``, which sometimes steps 2 cents, so a line
total may be unreachable alone. The subtotals of the IVA lines are then chosen jointly:

1. each IVA line gets a few candidate subtotals around ``handy_total / (1 + p/100)``, each
   with the 6-decimal price closest to the natural net price that gives it, and the amounts
   Alegra computes for that price (``line_amounts``, never re-implemented here);
2. a dynamic programme over the order's running difference in cents picks one candidate per
   line so that the order total hits the target, preferring the fewest deviating lines, then
   the smallest deviations, then deviations on the largest lines, then subtotals nearest the
   ideal; when the target cannot be hit, the closest total wins (the caller records it).

Lines without IVA are sent as charged and never adjusted. Every line is priced as Handy charged
it — promotional (``REWARD``) lines included; a line charged 0 goes at 0 (ADR 0007).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from handy_alegra.domain.alegra_totals import (
    MAX_PRICE_DECIMALS,
    LineAmounts,
    line_amounts,
    price_decimals,
)
from handy_alegra.domain.money import HUNDRED, ZERO, cents, round_half_up

#: Candidate subtotals per IVA line: the ideal one ± this many cents.
SEARCH_CENTS = 3
#: The search drops running differences further than this (in cents) outside [0, target gap]:
#: the work stays linear in the number of lines. Only the last tie-breaker (nearest subtotal)
#: of an order with dozens of unreachable lines could be affected; exactness is not.
WINDOW_CENTS = 40

Cost = tuple[int, int, int, Decimal]


@dataclass(frozen=True, slots=True)
class LineIn:
    charged_price: Decimal  # Handy unit price charged, tax-included, after discounts
    quantity: Decimal  # > 0, may be fractional (0.333, 1.5)
    handy_total: Decimal  # Handy's line total (charged_price × quantity, to the cent)
    iva_percent: Decimal | None  # the Alegra item's active IVA (16, 19, 8, 0); None: no IVA


@dataclass(frozen=True, slots=True)
class PricedLine:
    price: Decimal  # unit price before tax sent to Alegra, at most 6 decimals
    quantity: Decimal
    iva_percent: Decimal | None
    subtotal: Decimal  # as Alegra computes it
    total: Decimal  # subtotal + tax, as Alegra computes it


@dataclass(frozen=True, slots=True)
class Pricing:
    lines: tuple[PricedLine, ...]
    target: Decimal  # Σ handy_total of the lines
    total: Decimal  # Σ PricedLine.total: what Alegra will compute

    @property
    def difference(self) -> Decimal:
        """Target − Alegra's total: 0.00 when cent-exact."""
        return self.target - self.total


@dataclass(frozen=True, slots=True)
class _Candidate:
    price: Decimal
    amounts: LineAmounts
    delta: int  # Alegra's line total − Handy's line total, in cents
    cost: Cost


def price_lines(lines: Sequence[LineIn]) -> Pricing:
    """Prices for ``lines`` (same order) whose Alegra total is Σ handy_total when reachable."""
    priced: list[PricedLine | None] = [None] * len(lines)
    target = ZERO
    fixed_delta = 0  # cents the lines that are never adjusted are off by
    iva_rows: list[int] = []
    for index, line in enumerate(lines):
        target += cents(line.handy_total)
        if line.iva_percent is None:
            price = line.charged_price
            if price_decimals(price) > MAX_PRICE_DECIMALS:
                price = round_half_up(price, MAX_PRICE_DECIMALS)
            amounts = line_amounts(price, line.quantity)
            priced[index] = _priced(line, price, amounts)
            fixed_delta += _cents(amounts.total) - _cents(line.handy_total)
        else:
            iva_rows.append(index)
    # Largest lines first: they are searched first and deviate first (rank 0 costs least).
    iva_rows.sort(key=lambda i: (-lines[i].handy_total, i))
    options = [_candidates(lines[i], rank) for rank, i in enumerate(iva_rows)]
    for index, candidate in zip(iva_rows, _choose(options, -fixed_delta), strict=True):
        priced[index] = _priced(lines[index], candidate.price, candidate.amounts)
    result = tuple(p for p in priced if p is not None)
    return Pricing(result, target, sum((p.total for p in result), ZERO))


def _choose(options: list[list[_Candidate]], needed: int) -> list[_Candidate]:
    """One candidate per line, Σ delta == ``needed`` at the least cost, else closest to it."""
    low = min(0, needed) - WINDOW_CENTS
    high = max(0, needed) + WINDOW_CENTS
    if not options:
        return []
    states: dict[int, Cost] = {0: (0, 0, 0, ZERO)}
    back: list[dict[int, tuple[int, int]]] = []
    for candidates in options:
        step: dict[int, tuple[int, int]] = {}
        following: dict[int, Cost] = {}
        for reached, cost in states.items():
            for position, candidate in enumerate(candidates):
                state = reached + candidate.delta
                new_cost = _add(cost, candidate.cost)
                if state not in following or new_cost < following[state]:
                    following[state] = new_cost
                    step[state] = (reached, position)
        # Keep to the window, unless nothing is in it (huge quantities): then keep all.
        states = {s: c for s, c in following.items() if low <= s <= high} or following
        back.append(step)
    state = min(states, key=lambda s: (abs(s - needed), states[s], s))
    chosen: list[_Candidate] = []
    for candidates, step in zip(reversed(options), reversed(back), strict=True):
        state, position = step[state]
        chosen.append(candidates[position])
    chosen.reverse()
    return chosen


def _candidates(line: LineIn, rank: int) -> list[_Candidate]:
    """Distinct Alegra outcomes for subtotals near the ideal one, nearest the ideal first."""
    percent = line.iva_percent if line.iva_percent is not None else ZERO
    factor = (HUNDRED + percent) / HUNDRED
    ideal = line.handy_total / factor  # the subtotal that would carry the exact total
    natural = _micros(round_half_up(line.charged_price / factor, MAX_PRICE_DECIMALS))
    handy_cents = _cents(line.handy_total)
    centre = _cents(ideal)
    wanted = sorted(
        (s for s in range(centre - SEARCH_CENTS, centre + SEARCH_CENTS + 1) if s >= 0),
        key=lambda s: (abs(s - centre), s),
    )
    found: dict[int, _Candidate] = {}
    for subtotal in wanted:
        for micros in _price_micros(subtotal, line.quantity, natural):
            price = _tidy(Decimal(micros).scaleb(-MAX_PRICE_DECIMALS))
            amounts = line_amounts(price, line.quantity, _taxes(line))
            delta = _cents(amounts.total) - handy_cents
            if delta not in found:
                deviates = 1 if delta else 0
                cost = (deviates, abs(delta), deviates << rank, abs(amounts.subtotal - ideal))
                found[delta] = _Candidate(price, amounts, delta, cost)
    return list(found.values())


def _price_micros(subtotal: int, quantity: Decimal, natural: int) -> tuple[int, ...]:
    """The price in millionths giving ``subtotal`` cents, closest to ``natural``.

    round_half_up(X/10⁶ × Q/10ᵏ, 2) == S/100  ⇔  (2S − 1)·10^(6+k) ≤ 200·X·Q < (2S + 1)·10^(6+k).
    When no X fits (only for huge quantities: a millionth moves the subtotal by more than a
    cent) the prices just below and just above are both offered.
    """
    exponent = quantity.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    scaled_qty = int(quantity.scaleb(places))
    scale: int = 10 ** (MAX_PRICE_DECIMALS + places)
    divisor = 200 * scaled_qty
    lowest = max(0, -(-(2 * subtotal - 1) * scale // divisor))
    highest = -(-(2 * subtotal + 1) * scale // divisor) - 1
    if lowest > highest:
        return tuple(x for x in (highest, lowest) if x >= 0)
    return (min(max(natural, lowest), highest),)


def _add(a: Cost, b: Cost) -> Cost:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3])


def _taxes(line: LineIn) -> tuple[Decimal, ...]:
    return () if line.iva_percent is None else (line.iva_percent,)


def _priced(line: LineIn, price: Decimal, amounts: LineAmounts) -> PricedLine:
    return PricedLine(price, line.quantity, line.iva_percent, amounts.subtotal, amounts.total)


def _cents(value: Decimal) -> int:
    return int(cents(value).scaleb(2))


def _micros(value: Decimal) -> int:
    return int(round_half_up(value, MAX_PRICE_DECIMALS).scaleb(MAX_PRICE_DECIMALS))


def _tidy(price: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form: 86.2, 100, 0.5."""
    if price == price.to_integral_value():
        return price.quantize(Decimal(1))
    return price.normalize()
