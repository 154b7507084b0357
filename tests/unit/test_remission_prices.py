"""Remission prices: net of IVA, ≤ 6 decimals, chosen so Alegra's total is Handy's to the cent."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handy_alegra.domain.alegra_totals import line_amounts, price_decimals
from handy_alegra.domain.money import cents
from handy_alegra.mapping.remission_prices import LineIn, Pricing, price_lines


def line(price: str, qty: str, iva: str | None, *, total: str | None = None) -> LineIn:
    """A Handy line; its total is price × quantity to the cent unless given."""
    handy_total = D(total) if total is not None else cents(D(price) * D(qty))
    return LineIn(D(price), D(qty), handy_total, None if iva is None else D(iva))


def recomputed(pricing: Pricing) -> D:
    """What Alegra computes for the priced lines (its own rule, not ours)."""
    return sum(
        (
            line_amounts(
                p.price, p.quantity, () if p.iva_percent is None else (p.iva_percent,)
            ).total
            for p in pricing.lines
        ),
        D(0),
    )


def assert_well_formed(pricing: Pricing, lines: list[LineIn]) -> None:
    assert len(pricing.lines) == len(lines)
    for priced, given_line in zip(pricing.lines, lines, strict=True):
        assert price_decimals(priced.price) <= 6, priced.price
        assert priced.quantity == given_line.quantity
        assert priced.iva_percent == given_line.iva_percent
        assert priced.price >= 0
    assert pricing.total == recomputed(pricing)
    assert pricing.total == sum((p.total for p in pricing.lines), D(0))


# price, quantity, IVA, the price sent (pinned)
REACHABLE = [
    pytest.param("116.00", "1", "16", "100", id="mx-16-round-net"),
    pytest.param("100.00", "3", "16", "86.206897", id="mx-16-qty-3"),
    pytest.param("119000", "2", "19", "100000", id="co-19-round-net"),
    pytest.param("4500", "3", "19", "3781.512605", id="co-19-qty-3"),
    pytest.param("108.00", "1", "8", "100", id="mx-8-frontier"),
    pytest.param("37.45", "5", "8", "34.675926", id="mx-8-qty-5"),
    pytest.param("25.50", "4", "0", "25.5", id="iva-0"),
    pytest.param("1778.301", "1", "16", "1533.018103", id="discount-3pct-of-1833.30"),
    pytest.param("33.33", "0.333", "16", "28.732759", id="qty-0.333"),
    pytest.param("45.90", "1.5", "16", "39.568966", id="qty-1.5"),
    pytest.param("12.35", "24", "16", "10.646552", id="qty-24"),
    pytest.param("3.47", "1000", "16", "2.991379", id="qty-1000"),
    pytest.param("0.50", "0.333", "16", "0.435436", id="tiny-line"),
]


@pytest.mark.parametrize(("price", "qty", "iva", "sent"), REACHABLE)
def test_a_reachable_line_is_cent_exact(price: str, qty: str, iva: str, sent: str) -> None:
    lines = [line(price, qty, iva)]
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    (priced,) = pricing.lines
    assert priced.price == D(sent)
    assert priced.total == lines[0].handy_total
    assert pricing.target == lines[0].handy_total
    assert str(pricing.difference) == "0.00"


@pytest.mark.parametrize(
    ("price", "qty", "iva"),
    [
        pytest.param("33.33", "0.333", "16", id="qty-0.333"),
        pytest.param("45.90", "1.5", "16", id="qty-1.5"),
        pytest.param("89.99", "0.5", "19", id="qty-0.5"),
        pytest.param("4500", "3", "19", id="co-19"),
        pytest.param("1778.301", "1", "16", id="discounted"),
    ],
)
def test_the_price_is_the_net_price_within_a_cent_of_subtotal(
    price: str, qty: str, iva: str
) -> None:
    natural = D(price) / (1 + D(iva) / 100)
    (priced,) = price_lines([line(price, qty, iva)]).lines
    assert abs(priced.price - natural) * D(qty) <= D("0.015")


@pytest.mark.parametrize(
    ("price", "qty", "iva", "alegra_total"),
    [
        pytest.param("100.01", "1", "16", "100.02", id="mx-16"),
        pytest.param("59.90", "12", "16", "718.81", id="mx-16-qty-12"),
        pytest.param("1778.30", "2", "16", "3556.59", id="discounted-qty-2"),
        pytest.param("89.99", "0.5", "19", "45.01", id="co-19-qty-0.5"),
    ],
)
def test_a_lone_unreachable_line_gets_the_closest_total(
    price: str, qty: str, iva: str, alegra_total: str
) -> None:
    lines = [line(price, qty, iva)]
    handy = lines[0].handy_total
    # No subtotal at all gives Handy's total: f(s) steps over it.
    subtotals = [D(s) / 100 for s in range(int(handy * 100) - 50, int(handy * 100))]
    assert all(line_amounts(s, D(1), (D(iva),)).total != handy for s in subtotals)
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    assert pricing.difference != 0
    assert abs(pricing.difference) == D("0.01")
    assert pricing.total == D(alegra_total)


def test_an_unreachable_line_is_balanced_by_a_second_line() -> None:
    lines = [line("100.01", "1", "16"), line("50.00", "2", "16")]
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    assert pricing.difference == 0
    assert pricing.total == D("200.01")
    first, second = pricing.lines
    assert first.total in {D("100.00"), D("100.02")}
    assert second.total == D("200.01") - first.total


@pytest.mark.parametrize(
    ("small", "large"),
    [
        pytest.param("10.00", "900.00", id="10-900"),
        pytest.param("12.30", "900.00", id="12.30-900"),  # nearer its ideal, still spared
        pytest.param("13.00", "999.00", id="13-999"),
    ],
)
def test_the_largest_reachable_line_absorbs_the_cent(small: str, large: str) -> None:
    lines = [line("100.01", "1", "16"), line(small, "1", "16"), line(large, "1", "16")]
    pricing = price_lines(lines)
    assert pricing.difference == 0
    unreachable, small_line, large_line = pricing.lines
    assert small_line.total == D(small)
    assert abs(large_line.total - D(large)) == D("0.01")
    assert unreachable.total != D("100.01")


def test_two_unreachable_lines_balance_each_other_and_reachable_lines_stay_exact() -> None:
    lines = [line("100.01", "1", "16"), line("100.09", "1", "16"), line("50.00", "2", "16")]
    pricing = price_lines(lines)
    assert pricing.difference == 0
    assert pricing.lines[2].total == D("100.00")
    assert {pricing.lines[0].total - D("100.01"), pricing.lines[1].total - D("100.09")} == {
        D("0.01"),
        D("-0.01"),
    }


@pytest.mark.parametrize(
    ("price", "qty", "sent", "total"),
    [
        pytest.param("25.50", "4", "25.50", "102.00", id="as-charged"),
        pytest.param("1.23456789", "3", "1.234568", "3.70", id="over-6-decimals-rounded"),
        pytest.param("9.995", "1", "9.995", "10.00", id="half-up-total"),
        pytest.param("33.33", "0.333", "33.33", "11.10", id="qty-0.333"),
    ],
)
def test_a_line_without_iva_is_sent_as_charged(price: str, qty: str, sent: str, total: str) -> None:
    lines = [line(price, qty, None)]
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    (priced,) = pricing.lines
    assert (priced.price, priced.subtotal, priced.total) == (D(sent), D(total), D(total))


def test_iva_lines_absorb_the_gap_of_lines_without_iva() -> None:
    # Handy says 10.00 for 3 × 3.33; Alegra will say 9.99 and that line is never adjusted.
    lines = [line("3.33", "3", None, total="10.00"), line("116.00", "1", "16")]
    pricing = price_lines(lines)
    assert pricing.lines[0].price == D("3.33")
    assert pricing.lines[0].total == D("9.99")
    assert pricing.lines[1].total == D("116.01")
    assert pricing.difference == 0


@pytest.mark.parametrize("iva", ["16", None])
def test_a_line_charged_zero_goes_at_zero_and_counts_nothing(iva: str | None) -> None:
    lines = [line("116.00", "1", "16"), line("0", "2", iva)]
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    assert pricing.lines[1].price == 0
    assert pricing.lines[1].total == 0
    assert pricing.target == D("116.00")
    assert pricing.difference == 0


def test_the_sdk_example_order_prices_its_promotional_line_as_charged() -> None:
    # Handy's SDK SalesOrderExample.json: 1,833.30 at IVA 8 %, 33,756 and the REWARD line
    # (1,740 at 30 % off = 1,218) at IVA 16 %: Alegra's total is Handy's 36,807.30.
    lines = [line("1833.3", "1", "8"), line("33756", "1", "16"), line("1218", "1", "16")]
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    assert [p.price for p in pricing.lines] == [D("1697.5"), D("29100"), D("1050")]
    assert pricing.total == pricing.target == D("36807.30")
    taxes = sum((p.total - p.subtotal for p in pricing.lines), D(0))
    assert taxes == D("4959.80")


def test_a_mixed_order_keeps_its_line_order_and_is_cent_exact() -> None:
    lines = [
        line("100.01", "1", "16"),
        line("25.50", "4", None),
        line("10.00", "1", None),
        line("45.90", "1.5", "8"),
        line("12.35", "24", "0"),
        line("89.99", "0.5", "16"),
    ]
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    assert pricing.lines[1].price == D("25.50")
    assert pricing.lines[2].total == D("10.00")
    assert pricing.target == sum((x.handy_total for x in lines), D(0))
    assert pricing.difference == 0


@pytest.mark.parametrize(
    ("qty", "window"),
    [
        # one millionth of price moves the subtotal by 2.5 cents
        pytest.param("25000", range(318_800, 319_100), id="2.5-cent-steps"),
        # one millionth of price moves the subtotal by 3.00
        pytest.param("3000000", range(318_950, 318_980), id="3-unit-steps"),
    ],
)
def test_a_huge_quantity_takes_the_closest_price_and_its_totals_tell_the_truth(
    qty: str, window: range
) -> None:
    lines = [line("0.37", qty, "16")]
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    handy = lines[0].handy_total
    reachable = {line_amounts(D(x) / 10**6, D(qty), (D(16),)).total for x in window}
    assert handy not in reachable
    assert pricing.difference != 0
    assert abs(pricing.difference) == min(abs(handy - t) for t in reachable)


def test_a_long_order_is_cent_exact() -> None:
    prices = [f"{(i * 7919) % 500_000 / 100 + 0.5:.2f}" for i in range(300)]
    quantities = ["1", "2", "3", "0.333", "1.5", "24"]
    lines = [line(p, quantities[i % 6], "16") for i, p in enumerate(prices)]
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    assert pricing.difference == 0


def test_no_lines_price_to_zero() -> None:
    pricing = price_lines([])
    assert (pricing.lines, pricing.target, pricing.total, pricing.difference) == ((), 0, 0, 0)


def test_pricing_is_deterministic() -> None:
    lines = [line("100.01", "1", "16"), line("100.09", "1", "16"), line("59.90", "12", "19")]
    assert price_lines(lines) == price_lines(list(lines))


PRICES = st.integers(min_value=50, max_value=500_000).map(lambda c: D(c) / 100)
QUANTITIES = st.sampled_from(
    [D(q) for q in ("1", "2", "3", "5", "12", "24", "0.5", "1.5", "0.333")]
)
IVAS = st.sampled_from([None, D(0), D(8), D(16), D(19)])
ORDERS = st.lists(
    st.builds(lambda p, q, i: LineIn(p, q, cents(p * q), i), PRICES, QUANTITIES, IVAS),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(ORDERS)
def test_random_orders_are_cent_exact_with_two_iva_lines(lines: list[LineIn]) -> None:
    pricing = price_lines(lines)
    assert_well_formed(pricing, lines)
    assert abs(pricing.difference) <= D("0.01") * len(lines)
    if sum(x.iva_percent is not None for x in lines) >= 2:
        assert pricing.difference == 0
