"""Fault injection for the simulators: latency, 5xx, 429 storms, timeouts before and after
a write commits. Random faults come from a seeded generator, so a run can be replayed;
``script`` forces the outcome of the next matching requests, for exact tests (a scripted 429
can announce a reset of its own, in the API's header format)."""

from __future__ import annotations

import random
import re
import threading
from collections import deque
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ERROR_500 = "error_500"
    ERROR_503 = "error_503"
    RATE_LIMITED = "rate_limited"
    TIMEOUT_BEFORE = "timeout_before"  # the request never reaches the handler
    DROP_AFTER_COMMIT = "drop_after_commit"  # the handler runs, the answer is lost


@dataclass
class Faults:
    """What can go wrong, per simulator. Rates are fractions of requests (0–1)."""

    latency: float = 0.0  # seconds added to every request (real seconds, not scaled)
    error_rate: float = 0.0  # answered 500/503 before processing
    timeout_rate: float = 0.0  # time out before processing
    drop_after_commit_rate: float = 0.0  # POSTs committed, then the answer is lost
    drop_paths: str = ""  # regex on the path for drop_after_commit_rate ("" = every POST)
    storm_rate: float = 0.0  # chance that a request starts a 429 storm
    storm_seconds: float = 5.0  # how long a storm answers 429 to everything
    time_scale: float = 1.0  # divides the rate-limit window (60 s → 60 s / time_scale)
    rate_limit: int | None = None  # requests per window; None = the API's own limit
    hang_seconds: float = 35.0  # over loopback, how long a "timeout" keeps the client waiting

    @classmethod
    def parse(cls, text: str) -> Faults:
        """``"latency=0.08,error_rate=0.1"`` → Faults (used by the CLI)."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition("=")
            key = key.strip().replace("-", "_")
            if key not in known or not value:
                raise ValueError(f"unknown fault setting {part!r}; known: {', '.join(known)}")
            kind = known[key].type
            if kind == "str":
                values[key] = value
            elif "int" in str(kind):
                values[key] = int(value)
            else:
                values[key] = float(value)  # float ok: a rate or seconds
        return cls(**values)


@dataclass
class _Scripted:
    method: str
    path: re.Pattern[str]
    outcome: Outcome
    times: int
    reset_in: float | None = None


@dataclass(frozen=True)
class Forced:
    """A fault decided before the handler runs; a 429 may carry the reset it announces
    (seconds from now; ``None``: the window's own reset, or the storm's end)."""

    outcome: Outcome
    reset_in: float | None = None


@dataclass
class FaultInjector:
    faults: Faults = field(default_factory=Faults)
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._script: deque[_Scripted] = deque()
        self.storm_until: float | None = None  # monotonic seconds of the simulator clock
        self.injected: dict[str, int] = {o.value: 0 for o in Outcome}

    def script(
        self,
        method: str,
        path: str,
        outcome: Outcome | str,
        times: int = 1,
        *,
        reset_in: float | None = None,
    ) -> None:
        """Force ``outcome`` for the next ``times`` requests whose method and path match
        (``path`` is a regex searched in the path below the API root). A scripted 429 with
        ``reset_in`` announces that the window resets in that many seconds (Alegra: the
        seconds; Handy: now + those seconds as a Unix timestamp), whatever the real window."""
        with self._lock:
            self._script.append(
                _Scripted(method.upper(), re.compile(path), Outcome(outcome), times, reset_in)
            )

    def clear(self) -> None:
        with self._lock:
            self._script.clear()
            self.storm_until = None

    def _scripted(self, method: str, path: str, wanted: set[Outcome]) -> Forced | None:
        for entry in self._script:
            if (
                entry.outcome in wanted
                and entry.method in (method, "*")
                and entry.path.search(path)
            ):
                entry.times -= 1
                if entry.times <= 0:
                    self._script.remove(entry)
                self.injected[entry.outcome.value] += 1
                return Forced(entry.outcome, entry.reset_in)
        return None

    def before(self, method: str, path: str, now: float) -> Forced | None:
        """Decide a fault that happens before the handler runs, if any."""
        with self._lock:
            scripted = self._scripted(
                method,
                path,
                {
                    Outcome.ERROR_500,
                    Outcome.ERROR_503,
                    Outcome.RATE_LIMITED,
                    Outcome.TIMEOUT_BEFORE,
                },
            )
            if scripted:
                return scripted
            f = self.faults
            if self.storm_until is not None and now < self.storm_until:
                self.injected[Outcome.RATE_LIMITED.value] += 1
                return Forced(Outcome.RATE_LIMITED)
            if f.storm_rate and self._rng.random() < f.storm_rate:
                self.storm_until = now + f.storm_seconds
                self.injected[Outcome.RATE_LIMITED.value] += 1
                return Forced(Outcome.RATE_LIMITED)
            if f.timeout_rate and self._rng.random() < f.timeout_rate:
                self.injected[Outcome.TIMEOUT_BEFORE.value] += 1
                return Forced(Outcome.TIMEOUT_BEFORE)
            if f.error_rate and self._rng.random() < f.error_rate:
                outcome = Outcome.ERROR_500 if self._rng.random() < 0.5 else Outcome.ERROR_503
                self.injected[outcome.value] += 1
                return Forced(outcome)
            return None

    def drop_after_commit(self, method: str, path: str) -> bool:
        """Whether to lose the answer of a write that has just been committed."""
        with self._lock:
            if self._scripted(method, path, {Outcome.DROP_AFTER_COMMIT}):
                return True
            f = self.faults
            if method != "POST" or not f.drop_after_commit_rate:
                return False
            if f.drop_paths and not re.search(f.drop_paths, path):
                return False
            if self._rng.random() < f.drop_after_commit_rate:
                self.injected[Outcome.DROP_AFTER_COMMIT.value] += 1
                return True
            return False
