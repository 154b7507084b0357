"""The login throttle's policy, on the manual clock: free failures, growing locks with a cap,
forgetting after a quiet spell, trusted browsers, bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handy_alegra.domain.clock import ManualClock
from handy_alegra.web import throttle
from handy_alegra.web.throttle import LoginThrottle, Policy


def fresh() -> tuple[LoginThrottle, ManualClock]:
    clock = ManualClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    return LoginThrottle(clock), clock


def test_five_failures_are_free_then_the_lock_doubles_up_to_fifteen_minutes() -> None:
    gate, clock = fresh()
    for _ in range(4):
        gate.failed("ana", "10.0.0.1", trusted=False)
        assert gate.locked("ana", "10.0.0.1", trusted=False) is None
    locks = []
    for _ in range(7):
        gate.failed("ana", "10.0.0.1", trusted=False)
        held = gate.locked("ana", "10.0.0.1", trusted=False)
        assert held is not None and held[0] == "username"
        locks.append(held[1])
        clock.advance(held[1])  # wait the lock out, then fail again
        assert gate.locked("ana", "10.0.0.1", trusted=False) is None
    assert locks == [60, 120, 240, 480, 900, 900, 900]


def test_usernames_are_one_key_whatever_their_case_and_spaces() -> None:
    gate, _ = fresh()
    for name in ("Ana", " ana", "ANA ", "ana", "aNa"):
        gate.failed(name, "10.0.0.1", trusted=False)
    assert gate.locked("ana", "10.0.0.2", trusted=False) is not None
    assert gate.locked("beto", "10.0.0.2", trusted=False) is None


def test_failures_are_forgotten_after_a_quiet_spell() -> None:
    gate, clock = fresh()
    for _ in range(4):
        gate.failed("ana", "10.0.0.1", trusted=False)
    clock.advance(15 * 60 + 1)
    gate.failed("ana", "10.0.0.1", trusted=False)  # counts as the first again
    assert gate.locked("ana", "10.0.0.1", trusted=False) is None


def test_a_trusted_browser_is_not_held_by_the_username_lock_nor_counts_towards_it() -> None:
    gate, _ = fresh()
    for _ in range(5):
        gate.failed("ana", "10.0.0.9", trusted=False)
    assert gate.locked("ana", "10.0.0.1", trusted=True) is None
    fresh_gate, _ = fresh()
    for _ in range(8):
        fresh_gate.failed("ana", "10.0.0.1", trusted=True)
    assert fresh_gate.locked("ana", "10.0.0.2", trusted=False) is None


def test_the_address_lock_holds_every_username_and_a_success_clears_both() -> None:
    gate, _ = fresh()
    for n in range(20):
        gate.failed(f"u{n}", "10.0.0.1", trusted=False)
    assert gate.locked("ana", "10.0.0.1", trusted=True) == ("address", 60)
    assert gate.locked("ana", "10.0.0.2", trusted=False) is None
    gate.succeeded("ana", "10.0.0.1")
    assert gate.locked("ana", "10.0.0.1", trusted=False) is None


def test_memory_stays_bounded_under_a_spray_of_usernames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "MAX_KEYS", 100)
    clock = ManualClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    gate = LoginThrottle(
        clock, address=Policy(free=10**9, first_lock=1, max_lock=1, forget_after=1)
    )
    for _ in range(5):
        gate.failed("ana", "10.0.0.1", trusted=False)
    for n in range(1000):
        clock.advance(0.001)
        gate.failed(f"spray-{n}", f"10.1.{n // 250}.{n % 250}", trusted=False)
    assert len(gate._users.records) <= 101
    assert gate.locked("ana", "10.0.0.3", trusted=False) is not None  # a lock is kept
