from decimal import Decimal

import pytest

from handy_alegra.domain.money import round_half_up, to_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (10, Decimal("10")),
        ("10", Decimal("10")),
        ("1001.00", Decimal("1001.00")),
        (" 19.00 ", Decimal("19.00")),
        (0.1, Decimal("0.1")),
        (1890.0, Decimal("1890.0")),
        ("1,234.50", Decimal("1234.50")),
        ("-3", Decimal("-3")),
        (Decimal("2.5"), Decimal("2.5")),
    ],
)
def test_to_decimal_accepts_numbers_and_numeric_strings(raw: object, expected: Decimal) -> None:
    assert to_decimal(raw) == expected


@pytest.mark.parametrize("raw", [True, None, "", "abc", "NaN", "Infinity", [1], {"a": 1}, "1,5"])
def test_to_decimal_refuses_what_is_not_a_number(raw: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError message
        to_decimal(raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.005", "2.01"),
        ("2.004999", "2.00"),
        ("-2.005", "-2.01"),
        ("0.125", "0.13"),
        ("1.115", "1.12"),  # 1.115 as a float is 1.11499…; Decimal keeps it exact
        ("10", "10.00"),
    ],
)
def test_round_half_up_rounds_half_away_from_zero(value: str, expected: str) -> None:
    assert round_half_up(Decimal(value)) == Decimal(expected)
    assert str(round_half_up(Decimal(value))) == expected
