"""Login throttling: failed logins lock a username and a client address for a while, the
lock growing with each further failure, and are forgotten after a quiet spell.

Policy (docs/security.md):

- per username: 5 failures are free; the 5th locks the username for 1 minute, each further
  failure (once a lock has lapsed) doubles the lock, up to 15 minutes; 15 quiet minutes
  forget the failures. A browser where the operator logged in before (the signed device
  cookie, 30 days) is not held by its username's lock — an attacker elsewhere cannot keep
  an operator out of the browser they use;
- per client address: 20 failures are free, then 1 minute doubling up to 1 hour; forgotten
  after a quiet hour. One address cannot keep renewing a username's lock;
- an attempt during a lock is answered 429 with ``Retry-After`` and not even checked (no
  password guess gets through, no scrypt time spent);
- a successful login clears its username's and address's failures.

State lives in this process's memory (the dashboard is one ``serve`` process per
deployment), bounded in size. Time comes from the injected clock.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from handy_alegra.domain.clock import Clock


@dataclass(frozen=True)
class Policy:
    free: int  # failures allowed before the first lock
    first_lock: float  # seconds
    max_lock: float  # seconds
    forget_after: float  # seconds without a failure after which failures are forgotten


USERNAME = Policy(free=5, first_lock=60, max_lock=15 * 60, forget_after=15 * 60)
ADDRESS = Policy(free=20, first_lock=60, max_lock=60 * 60, forget_after=60 * 60)
MAX_KEYS = 10_000


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


@dataclass
class _Book:
    policy: Policy
    records: dict[str, _Record] = field(default_factory=dict)

    def wait(self, key: str, now: float) -> float:
        record = self.records.get(key)
        return max(0.0, record.locked_until - now) if record else 0.0

    def failed(self, key: str, now: float) -> None:
        record = self.records.get(key)
        if record is None or now - record.last_failure > self.policy.forget_after:
            record = self.records[key] = _Record()
        record.failures += 1
        record.last_failure = now
        beyond = record.failures - self.policy.free
        if beyond >= 0:
            lock = min(self.policy.max_lock, self.policy.first_lock * 2 ** min(beyond, 30))
            record.locked_until = now + lock
        if len(self.records) > MAX_KEYS:
            self._trim(now)

    def clear(self, key: str) -> None:
        self.records.pop(key, None)

    def _trim(self, now: float) -> None:
        """Forget what is forgotten anyway, then the oldest unlocked records."""
        for key in [
            k for k, r in self.records.items() if now - r.last_failure > self.policy.forget_after
        ]:
            del self.records[key]
        if len(self.records) > MAX_KEYS:
            unlocked = sorted(
                (r.last_failure, k) for k, r in self.records.items() if r.locked_until <= now
            )
            for _, key in unlocked[: len(self.records) - MAX_KEYS]:
                del self.records[key]


def username_key(username: str) -> str:
    return username.strip().casefold()[:100]


class LoginThrottle:
    def __init__(
        self, clock: Clock, *, username: Policy = USERNAME, address: Policy = ADDRESS
    ) -> None:
        self.clock = clock
        self._users = _Book(username)
        self._addresses = _Book(address)
        self._lock = threading.Lock()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def locked(self, username: str, address: str, *, trusted: bool) -> tuple[str, int] | None:
        """What holds this attempt back (``username`` or ``address``) and for how many whole
        seconds; None when it may go ahead. ``trusted``: the browser holds a device cookie
        for this username."""
        now = self._now()
        with self._lock:
            by_address = self._addresses.wait(address, now)
            by_user = 0.0 if trusted else self._users.wait(username_key(username), now)
        if by_user <= 0 and by_address <= 0:
            return None
        scope, seconds = ("username", by_user) if by_user >= by_address else ("address", by_address)
        return scope, max(1, math.ceil(seconds))

    def failed(self, username: str, address: str, *, trusted: bool) -> None:
        now = self._now()
        with self._lock:
            self._addresses.failed(address, now)
            if not trusted:
                self._users.failed(username_key(username), now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._users.clear(username_key(username))
            self._addresses.clear(address)
