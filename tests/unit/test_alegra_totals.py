from decimal import Decimal as D

import pytest

from handy_alegra.domain.alegra_totals import line_amounts, price_decimals, totals


@pytest.mark.parametrize(
    ("price", "qty", "taxes", "subtotal", "tax_amounts"),
    [
        ("86.206897", "3", ["16"], "258.62", ["41.38"]),
        ("100", "1", ["16"], "100.00", ["16.00"]),
        ("0.005", "1", [], "0.01", []),  # half-up on the subtotal
        ("10.03125", "1", ["16"], "10.03", ["1.60"]),  # the tax is on the ROUNDED subtotal
        ("33.33", "0.333", ["16"], "11.10", ["1.78"]),
        ("50", "2", ["16", "8"], "100.00", ["16.00", "8.00"]),
    ],
)
def test_line_amounts_follow_the_decisions_rule(
    price: str, qty: str, taxes: list[str], subtotal: str, tax_amounts: list[str]
) -> None:
    line = line_amounts(D(price), D(qty), [D(t) for t in taxes])
    assert line.subtotal == D(subtotal)
    assert line.taxes == tuple(D(t) for t in tax_amounts)


def test_discount_percent_applies_before_rounding() -> None:
    assert line_amounts(D("100"), D("1"), [], D("3")).subtotal == D("97.00")


def test_totals_sum_rounded_lines() -> None:
    lines = [line_amounts(D("86.206897"), D("3"), [D("16")]), line_amounts(D("10"), D("1"))]
    result = totals(lines)
    assert (result.subtotal, result.tax, result.total) == (D("268.62"), D("41.38"), D("310.00"))


@pytest.mark.parametrize(
    ("price", "places"), [("1", 0), ("1.50", 1), ("86.206897", 6), ("1E+2", 0)]
)
def test_price_decimals(price: str, places: int) -> None:
    assert price_decimals(D(price)) == places
