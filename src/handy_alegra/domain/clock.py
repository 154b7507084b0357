"""Injected time: the real clock in production, a manual one in tests.

Every clock answers aware UTC datetimes and can ``sleep``; a test clock's sleep advances its
own time instead of waiting, so that rate-limit waits and schedules run instantly in tests.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None: ...

    def sleep_until(self, moment: float) -> None:
        """Return once ``monotonic()`` has reached ``moment``."""
        ...


class SystemClock:
    """Wall time, optionally sped up by ``scale`` (benchmarks shorten minutes to seconds)."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self._t0_wall = time.time()
        self._t0_mono = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._t0_mono) * self.scale
        return datetime.fromtimestamp(self._t0_wall + elapsed, UTC)

    def monotonic(self) -> float:
        return time.monotonic() * self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.scale)

    def sleep_until(self, moment: float) -> None:
        self.sleep(moment - self.monotonic())


class ManualClock:
    """A clock that only moves when told to; ``sleep`` advances it and records the wait."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._mono = 1_000.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
        if seconds > 0:
            self.advance(seconds)

    def sleep_until(self, moment: float) -> None:
        """Move to ``moment`` unless another sleeper already has: threads waiting for one
        deadline move the clock once."""
        with self._lock:
            later = moment - self._mono
            if later <= 0:
                return
            self.sleeps.append(later)
            self._now += timedelta(seconds=later)
            self._mono = moment

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def set(self, moment: datetime) -> None:
        with self._lock:
            delta = (moment - self._now).total_seconds()
            if delta < 0:
                raise ValueError("ManualClock cannot go backwards")
            self._now = moment
            self._mono += delta


def real_seconds(clock: Clock, seconds: float) -> float:
    """The real seconds that ``seconds`` of ``clock`` take: fewer on a sped-up clock (a
    heartbeat that must beat every minute of the service's time), the same otherwise."""
    scale = getattr(clock, "scale", 1.0)
    return seconds / scale if isinstance(scale, int | float) and scale > 0 else seconds


CLOCK_ENV = "HANDY_ALEGRA_CLOCK"


class ScaledClock(SystemClock):
    """Wall time from a shared anchor, sped up: processes given the same anchor agree on the
    time (tests of the scheduler across processes run hours in seconds)."""

    def __init__(self, anchor_real: float, anchor_virtual: datetime, scale: float) -> None:
        super().__init__(scale)
        self.anchor_real = anchor_real
        self.anchor_virtual = anchor_virtual

    def now(self) -> datetime:
        return self.anchor_virtual + timedelta(
            seconds=(time.time() - self.anchor_real) * self.scale
        )


def clock_from_env(value: str | None) -> Clock:
    """``HANDY_ALEGRA_CLOCK``: unset → the system clock; ``scaled:<real epoch>:<ISO time>:<scale>``
    → a ScaledClock (for tests and benchmarks only)."""
    if not value:
        return SystemClock()
    kind, _, rest = value.partition(":")
    if kind != "scaled":
        raise ValueError(f"{CLOCK_ENV} must be scaled:<epoch>:<iso>:<scale>")
    real, _, rest = rest.partition(":")
    virtual, _, scale = rest.rpartition(":")
    return ScaledClock(float(real), datetime.fromisoformat(virtual), float(scale))  # float ok: time
