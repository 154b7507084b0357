"""Client-side rate limiting: the server's word on its window wins (ADR 0003).

One ``RateLimiter`` per credential, shared by every thread using that credential (see
``limiter_for``). Before a request it takes one slot of the current window and the request's
*ticket* (its place in the order of requests); after the answer it learns what the answer
said of the window:

- **The newest answer wins.** What the answer to the highest ticket seen so far says —
  requests left, seconds to the reset — replaces our view, whether the reset it announces is
  earlier or later than our guess. From the count it reports we subtract only the requests
  sent *after* it (higher tickets), which the server had not counted yet. An answer to an
  older ticket than one already learned is late, and ignored: a late answer from a window
  that has ended cannot bring it back. When our own guess rolls the window over, the answers
  to requests sent before the roll are late too.
- **A 429 waits exactly the announced reset**, plus a small jitter (so that the threads and
  processes sharing the credential do not all come back at the same instant); never a whole
  guessed window, unless the server announced nothing.
- **The first request goes alone.** A new limiter knows nothing of the window — other
  processes may have spent it — so it sends one request and waits for its answer (one
  round trip) before the others.
- **Pacing before a 429.** The credential is shared with every other app the company uses:
  their requests show up as a lower ``remaining``. A window may be spent in a burst, except a
  *reserve* — a tenth of the limit at the window's start, shrinking in step with the time
  left. Once the slots left fall below the reserve for the time left, they are spread evenly
  over that time, so that each answer (with what the others spent meanwhile) is seen before
  the next slot is taken. A lone client still gets every slot of every window.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass

from handy_alegra.domain.clock import Clock
from handy_alegra.observability.metrics import RATE_LIMIT_WAITS

#: The share of a window's limit kept back from bursts and spread over the time left.
RESERVE = 0.1
#: A 429 announcing no reset, or one already past, still waits this share of a window (1 s
#: for a 60-second window: the smallest reset the headers can express).
MIN_REJECTED_WAIT = 1 / 60
#: The largest jitter added to the wait after a 429, as a share of the window (0.25 s).
JITTER = 1 / 240
#: Real seconds the other requests wait, at most, for the first request's answer.
FIRST_ANSWER_WAIT = 10.0


@dataclass(frozen=True, slots=True)
class RateInfo:
    """What one answer said about the window (``None`` where a header was missing)."""

    limit: int | None = None
    remaining: int | None = None
    reset_in: float | None = None  # seconds until the window resets, from now

    @property
    def empty(self) -> bool:
        return self.limit is None and self.remaining is None and self.reset_in is None


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window: float,
        clock: Clock,
        *,
        api: str = "",
        reserve: float = RESERVE,
        jitter: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if limit < 1 or window <= 0 or not 0 <= reserve < 1:
            raise ValueError("limit must be ≥ 1, window > 0 and 0 ≤ reserve < 1")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.api = api
        self.reserve = reserve
        self.jitter = window * JITTER if jitter is None else jitter
        self._rng = rng or random.Random()
        self._available = limit  # slots we may still start in the current window
        self._reset_at: float | None = None  # monotonic end of the current window
        self._next_at = 0.0  # while pacing: the earliest start of the next request
        self._tickets = 0  # the last ticket given
        self._basis = 0  # the ticket of the answer our view of the window rests on
        self._flying: set[int] = set()  # tickets of the requests in flight
        self._quiet: set[int] = set()  # tickets after _basis answered without rate headers
        self._lock = threading.Lock()
        self._first_answer = threading.Event()
        self.waited = 0.0

    def acquire(self) -> int:
        """Take one request slot, waiting (through the clock) while the window is spent or
        the slots left are being paced. Returns the request's ticket, for ``release``."""
        while True:
            with self._lock:
                now = self.clock.monotonic()
                self._roll(now)
                first = self._flying and not self._first_answer.is_set()
                wait = 0.0 if first else self._wait(now)
                if not first and wait <= 0:
                    return self._take(now)
            if first:  # the first request is out: its answer tells what is left
                self._first_answer.wait(FIRST_ANSWER_WAIT)
                self._first_answer.set()  # (or it takes too long: go on without it)
                continue
            self.waited += wait
            if self.api:
                RATE_LIMIT_WAITS.labels(self.api).inc(wait)
            # Until a moment, not for a duration: threads waiting for one reset wake together
            # (and move a test's manual clock once).
            self.clock.sleep_until(now + wait)

    def release(self, info: RateInfo | None, *, ticket: int, rejected: bool = False) -> None:
        """Hand back the slot of request ``ticket`` with what its answer said of the window
        (``rejected``: the answer was a 429)."""
        with self._lock:
            self._flying.discard(ticket)
            self._first_answer.set()
            if ticket <= self._basis:
                return  # late: we already know a newer answer, or rolled the window since
            if rejected:
                self._learn(info or RateInfo(), ticket, rejected=True)
            elif info is not None and not info.empty:
                self._learn(info, ticket, rejected=False)
            else:
                self._quiet.add(ticket)

    # --- inside the lock ---------------------------------------------------------------------
    def _take(self, now: float) -> int:
        assert self._reset_at is not None
        if self._paced(now):
            self._next_at = now + (self._reset_at - now) / self._available
        self._available -= 1
        self._tickets += 1
        self._flying.add(self._tickets)
        return self._tickets

    def _wait(self, now: float) -> float:
        """Seconds to wait before the next request may start (≤ 0: now)."""
        assert self._reset_at is not None
        if self._available <= 0:
            return self._reset_at - now
        if self._paced(now):
            return self._next_at - now
        return 0.0

    def _paced(self, now: float) -> bool:
        """Whether the slots left are fewer than the reserve kept for the time left."""
        assert self._reset_at is not None
        left = self._reset_at - now
        return self._available * self.window < self.reserve * self.limit * left

    def _learn(self, info: RateInfo, ticket: int, *, rejected: bool) -> None:
        now = self.clock.monotonic()
        unseen = sum(1 for t in self._flying if t > ticket) + sum(
            1 for t in self._quiet if t > ticket
        )
        self._basis = ticket
        self._quiet = {t for t in self._quiet if t > ticket}
        if info.limit:
            self.limit = info.limit
        remaining = 0 if rejected else info.remaining
        if remaining is not None:
            self._available = remaining - unseen
        if info.reset_in is not None:
            reset_in = min(max(info.reset_in, 0.0), self.window)  # skew or a bogus header
        elif rejected and self._reset_at is not None and self._reset_at > now:
            reset_in = self._reset_at - now  # nothing announced: our guess of the window
        elif rejected:
            reset_in = self.window
        else:
            return
        if rejected:
            floor = self.window * MIN_REJECTED_WAIT
            reset_in = max(reset_in, floor) + self._rng.uniform(0.0, self.jitter)
        self._reset_at = now + reset_in

    def _roll(self, now: float) -> None:
        if self._reset_at is None:
            self._reset_at = now + self.window
        elif now >= self._reset_at:
            # Fixed windows follow each other: our guess is that the next one ends a window
            # later, with every request still in flight counted in it. Answers to requests
            # sent before this moment are about the old window: late from now on.
            missed = int((now - self._reset_at) // self.window) + 1
            self._reset_at += missed * self.window
            self._available = self.limit - len(self._flying)
            self._basis = self._tickets
            self._quiet.clear()
            self._next_at = 0.0


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
