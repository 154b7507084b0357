"""Client-side rate limiting: stay inside each API's fixed window without ever seeing a 429.

One ``RateLimiter`` per credential, shared by every thread using that credential (see
``limiter_for``). Before a request it takes one slot of the current window; when the window is
spent it waits (through the injected clock) until the window resets. The API's headers keep
it honest: every answer reports what is left and when the window ends, which also accounts
for other processes using the same credential.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from handy_alegra.clock import Clock
from handy_alegra.metrics import RATE_LIMIT_WAITS


@dataclass(frozen=True, slots=True)
class RateInfo:
    """What one answer said about the window (``None`` where a header was missing)."""

    limit: int | None = None
    remaining: int | None = None
    reset_in: float | None = None  # seconds until the window resets, from now


class RateLimiter:
    def __init__(self, limit: int, window: float, clock: Clock, *, api: str = "") -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be ≥ 1 and window > 0")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.api = api
        self._available = limit  # slots we may still start in the current window
        self._reset_at: float | None = None  # monotonic end of the current window
        self._flying: set[int] = set()  # tickets of the requests in flight
        self._tickets = 0
        self._confirmed = False  # whether _reset_at comes from the API or is our guess
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> int:
        """Take one request slot, waiting for the next window if this one is spent. Returns
        the request's ticket (its place in the order of requests), for ``release``."""
        while True:
            with self._lock:
                now = self.clock.monotonic()
                self._roll(now)
                if self._reset_at is None:
                    self._reset_at = now + self.window
                if self._available > 0:
                    self._available -= 1
                    self._tickets += 1
                    self._flying.add(self._tickets)
                    return self._tickets
                wait = self._reset_at - now
            self.waited += wait
            if self.api:
                RATE_LIMIT_WAITS.labels(self.api).inc(wait)
            self.clock.sleep(wait)

    def release(
        self, info: RateInfo | None, *, rejected: bool = False, ticket: int | None = None
    ) -> None:
        """Hand back the slot of request ``ticket`` with what its answer said of the window."""
        with self._lock:
            if ticket is None and self._flying:
                ticket = min(self._flying)
            self._flying.discard(ticket if ticket is not None else 0)
            now = self.clock.monotonic()
            if info is not None:
                self._learn(info, now, self._unseen(ticket))
            if rejected:
                self._available = min(self._available, 0)
                if self._reset_at is None or self._reset_at <= now:
                    self._reset_at = now + self.window

    def _unseen(self, ticket: int | None) -> int:
        """Requests in flight the server had not counted when it answered ``ticket``: those
        sent after it. (Subtracting every request in flight, as a first version did, counts
        twice the ones sent before it, which the server had already counted: at 32 in flight
        that left a tenth of each window unused.)"""
        if ticket is None:
            return len(self._flying)
        return sum(1 for t in self._flying if t > ticket)

    def _learn(self, info: RateInfo, now: float, unseen: int) -> None:
        if info.limit:
            self.limit = info.limit
        if info.reset_in is None:
            if info.remaining is not None:
                self._available = min(self._available, info.remaining - unseen)
            return
        reset_at = now + max(0.0, info.reset_in)
        tolerance = self.window / 4
        if not self._confirmed or self._reset_at is None or reset_at > self._reset_at + tolerance:
            # The first real news of the window, or a window we have not seen yet.
            self._reset_at = reset_at
            self._confirmed = True
            remaining = self.limit if info.remaining is None else info.remaining
            self._available = remaining - unseen
        elif reset_at >= self._reset_at - tolerance:
            self._reset_at = reset_at
            if info.remaining is not None:
                self._available = min(self._available, info.remaining - unseen)
        # else: a late answer from a window that has already ended.

    def _roll(self, now: float) -> None:
        if self._reset_at is not None and now >= self._reset_at:
            # Fixed windows follow each other: the next one ends a window later.
            missed = int((now - self._reset_at) // self.window) + 1
            self._reset_at += missed * self.window
            self._available = self.limit - len(self._flying)


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(
    api: str, base_url: str, credential: str, *, limit: int, window: float, clock: Clock
) -> RateLimiter:
    """The process-wide limiter of one credential (keyed by a hash, never the secret)."""
    digest = hashlib.sha256(f"{api}\0{base_url}\0{credential}".encode()).hexdigest()
    with _registry_lock:
        limiter = _registry.get(digest)
        if limiter is None or limiter.clock is not clock:
            limiter = RateLimiter(limit, window, clock, api=api)
            _registry[digest] = limiter
        return limiter
