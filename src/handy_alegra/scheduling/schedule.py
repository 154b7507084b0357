"""When each job of an account is due (pure).

Slots sit on fixed grids, so that every scheduler, on any machine, names the same slot:
- ``daily`` (catalog and customers, side by side): every day at ``daily_at`` in the account's
  time zone;
- ``sales``: every ``sales_every`` minutes, on a grid aligned to midnight UTC.

A job is due when its most recent slot is later than the last slot that ran. After downtime
only the most recent slot is due: missed runs are caught up once, not once per missed slot.
An account that has never run its daily job is due at once (the run after activation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAILY, SALES = "daily", "sales"
KINDS = (DAILY, SALES)
#: Not on a grid: made when Alegra webhook events wait for an account.
EVENTS = "events"


@dataclass(frozen=True, slots=True)
class Schedule:
    zone: ZoneInfo
    daily_at: time = time(3, 0)
    sales_every: timedelta = timedelta(minutes=10)

    @classmethod
    def of(cls, timezone: str, daily_at: str, sales_every_minutes: int) -> Schedule:
        hour, _, minute = daily_at.partition(":")
        return cls(
            ZoneInfo(timezone),
            time(int(hour), int(minute or 0)),
            timedelta(minutes=max(1, sales_every_minutes)),
        )


def latest_slot(kind: str, schedule: Schedule, now: datetime) -> datetime:
    """The most recent slot at or before ``now`` (UTC)."""
    if kind == SALES:
        every = schedule.sales_every.total_seconds()
        midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (now - midnight).total_seconds()
        return midnight + timedelta(seconds=every * (elapsed // every))
    local = now.astimezone(schedule.zone)
    today = datetime.combine(local.date(), schedule.daily_at, tzinfo=schedule.zone)
    slot = today if today <= local else today - timedelta(days=1)
    # combine() on a DST gap or fold day: normalise through UTC
    return slot.astimezone(UTC)


def next_slot(kind: str, schedule: Schedule, now: datetime) -> datetime:
    """The first slot strictly after ``now``."""
    if kind == SALES:
        return latest_slot(kind, schedule, now) + schedule.sales_every
    local_next = (
        latest_slot(kind, schedule, now).astimezone(schedule.zone) + timedelta(days=1)
    ).date()
    return datetime.combine(local_next, schedule.daily_at, tzinfo=schedule.zone).astimezone(UTC)


def due(kind: str, schedule: Schedule, last: datetime | None, now: datetime) -> datetime | None:
    """The slot to run now, or None. ``last``: the latest slot of this kind already made."""
    slot = latest_slot(kind, schedule, now)
    if last is None or last < slot:
        return slot
    return None


def next_run(kind: str, schedule: Schedule, last: datetime | None, now: datetime) -> datetime:
    """When the job will next be due (now, if it is due already)."""
    return now if due(kind, schedule, last, now) else next_slot(kind, schedule, now)
