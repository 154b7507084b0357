"""When jobs are due: daily at 03:00 local, sales every 10 minutes, missed runs caught up once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handy_alegra.scheduling.schedule import (
    DAILY,
    SALES,
    Schedule,
    due,
    latest_slot,
    next_run,
    next_slot,
)

MX = Schedule.of("America/Mexico_City", "03:00", 10)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (utc(2026, 11, 2, 9, 0), utc(2026, 11, 2, 9, 0)),  # 03:00 in Mexico City is 09:00 UTC
        (utc(2026, 11, 2, 8, 59), utc(2026, 11, 1, 9, 0)),  # before it: yesterday's
        (utc(2026, 11, 3, 2, 0), utc(2026, 11, 2, 9, 0)),
    ],
)
def test_daily_slot_is_three_in_the_morning_local(now: datetime, slot: datetime) -> None:
    assert latest_slot(DAILY, MX, now) == slot


def test_daily_slot_follows_the_account_time_zone() -> None:
    bogota = Schedule.of("America/Bogota", "03:00", 10)
    assert latest_slot(DAILY, bogota, utc(2026, 11, 2, 12, 0)) == utc(2026, 11, 2, 8, 0)
    madrid = Schedule.of("Europe/Madrid", "03:00", 10)  # across the DST change of 2026-10-25
    assert latest_slot(DAILY, madrid, utc(2026, 10, 24, 12)) == utc(2026, 10, 24, 1, 0)
    assert latest_slot(DAILY, madrid, utc(2026, 10, 26, 12)) == utc(2026, 10, 26, 2, 0)


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (utc(2026, 11, 2, 15, 0), utc(2026, 11, 2, 15, 0)),
        (utc(2026, 11, 2, 15, 9, 59), utc(2026, 11, 2, 15, 0)),
        (utc(2026, 11, 2, 15, 10), utc(2026, 11, 2, 15, 10)),
    ],
)
def test_sales_slots_every_ten_minutes(now: datetime, slot: datetime) -> None:
    assert latest_slot(SALES, MX, now) == slot
    assert next_slot(SALES, MX, now) == slot + timedelta(minutes=10)


def test_sales_interval_is_a_setting() -> None:
    every_15 = Schedule.of("America/Mexico_City", "03:00", 15)
    assert latest_slot(SALES, every_15, utc(2026, 11, 2, 15, 29)) == utc(2026, 11, 2, 15, 15)


def test_never_run_is_due_at_once_then_not_until_the_next_slot() -> None:
    now = utc(2026, 11, 2, 15, 0)
    first = due(DAILY, MX, None, now)
    assert first == utc(2026, 11, 2, 9, 0)
    assert due(DAILY, MX, first, now + timedelta(hours=17)) is None
    assert due(DAILY, MX, first, utc(2026, 11, 3, 9, 0)) == utc(2026, 11, 3, 9, 0)
    assert next_run(DAILY, MX, first, now) == utc(2026, 11, 3, 9, 0)


def test_missed_runs_are_caught_up_once_not_per_missed_slot() -> None:
    last = utc(2026, 11, 2, 15, 0)
    back_after_downtime = utc(2026, 11, 2, 18, 47)
    assert due(SALES, MX, last, back_after_downtime) == utc(2026, 11, 2, 18, 40)
    assert due(SALES, MX, utc(2026, 11, 2, 18, 40), back_after_downtime) is None
    three_days_later = utc(2026, 11, 5, 12, 0)
    assert due(DAILY, MX, utc(2026, 11, 2, 9, 0), three_days_later) == utc(2026, 11, 5, 9, 0)
