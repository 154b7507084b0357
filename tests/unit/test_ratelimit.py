"""The client-side limiter: the newest answer's word on the window wins; waits go through
the injected clock."""

import random
import threading
from itertools import pairwise

import pytest

from handy_alegra.clients.ratelimit import RateInfo, RateLimiter, limiter_for
from handy_alegra.domain.clock import ManualClock


def starts(limiter: RateLimiter, clock: ManualClock, n: int) -> list[float]:
    """Take ``n`` slots one after another (each answered without headers); the moments."""
    moments = []
    for _ in range(n):
        ticket = limiter.acquire()
        moments.append(clock.monotonic())
        limiter.release(None, ticket=ticket)
    return moments


def test_a_lone_client_gets_the_whole_window_then_waits_for_the_reset(
    clock: ManualClock,
) -> None:
    t0 = clock.monotonic()
    limiter = RateLimiter(150, 60.0, clock)
    moments = starts(limiter, clock, 151)
    # A burst, but for the reserve (a tenth: 15 slots at the window's start, shrinking with
    # the time left): 136 at once, then the last 14 spread evenly over the minute.
    assert moments[:137] == [t0] * 137
    gaps = [b - a for a, b in pairwise(moments[136:150])]
    assert gaps == pytest.approx([60 / 14] * 13)
    assert moments[149] < t0 + 60  # every slot of the window was used inside it
    assert moments[150] == pytest.approx(t0 + 60)  # the next window


def test_without_a_reserve_the_window_is_one_burst(clock: ManualClock) -> None:
    t0 = clock.monotonic()
    limiter = RateLimiter(150, 60.0, clock, reserve=0)
    moments = starts(limiter, clock, 151)
    assert moments[:150] == [t0] * 150
    assert clock.sleeps == [60.0]


def test_windows_roll_over_back_to_back(clock: ManualClock) -> None:
    limiter = RateLimiter(2, 10.0, clock, reserve=0)
    starts(limiter, clock, 6)
    assert clock.sleeps == [10.0, 10.0]


def test_a_later_reset_than_the_guess_is_honoured(clock: ManualClock) -> None:
    t0 = clock.monotonic()
    limiter = RateLimiter(150, 60.0, clock, reserve=0)
    clock.advance(10)  # our guess: the window ends at t0 + 60 (50 s from now)
    first = limiter.acquire()
    limiter.release(RateInfo(limit=150, remaining=2, reset_in=55.0), ticket=first)
    moments = starts(limiter, clock, 3)
    assert moments[:2] == [t0 + 10] * 2
    assert moments[2] == pytest.approx(t0 + 65)  # the server's reset, not ours (t0 + 60)


def test_an_earlier_reset_than_the_last_answer_is_honoured(clock: ManualClock) -> None:
    """The server's newest word wins even when it moves the reset much closer: the limiter
    used to drop such an answer as 'late' and wait up to a whole window."""
    t0 = clock.monotonic()
    limiter = RateLimiter(150, 60.0, clock, reserve=0)
    first = limiter.acquire()
    limiter.release(RateInfo(limit=150, remaining=100, reset_in=50.0), ticket=first)
    second = limiter.acquire()
    limiter.release(RateInfo(limit=150, remaining=0, reset_in=1.0), ticket=second)
    moments = starts(limiter, clock, 1)
    assert moments == [pytest.approx(t0 + 1)]
    assert clock.sleeps == [pytest.approx(1.0)]


def test_a_late_answer_from_an_old_window_is_ignored(clock: ManualClock) -> None:
    t0 = clock.monotonic()
    limiter = RateLimiter(10, 60.0, clock, reserve=0)
    limiter.release(None, ticket=limiter.acquire())  # the first request goes alone
    old, straggler = limiter.acquire(), limiter.acquire()
    limiter.release(RateInfo(limit=10, remaining=7, reset_in=1.0), ticket=old)
    clock.advance(2)  # the window has ended: ours rolls over (9 left: one still in flight)
    fresh = limiter.acquire()
    limiter.release(RateInfo(limit=10, remaining=9, reset_in=59.0), ticket=fresh)
    # The straggler's answer comes last, from the old window: spent, resetting "now".
    limiter.release(RateInfo(limit=10, remaining=0, reset_in=0.0), ticket=straggler)
    moments = starts(limiter, clock, 10)
    assert moments[:9] == [t0 + 2] * 9  # the new window's 9, untouched by the late answer
    assert moments[9] == pytest.approx(t0 + 61)


def test_an_answer_older_than_the_roll_of_the_window_cannot_resurrect_it(
    clock: ManualClock,
) -> None:
    t0 = clock.monotonic()
    limiter = RateLimiter(10, 60.0, clock, reserve=0)
    first = limiter.acquire()
    limiter.release(RateInfo(limit=10, remaining=9, reset_in=5.0), ticket=first)
    straggler = limiter.acquire()  # sent as the window ends
    clock.advance(5)
    fresh = limiter.acquire()  # our guess rolled the window over: a new one
    # The straggler's answer, the first to come back since: the old window, 1 s to go
    # (rounded up). It is not newer than the roll, so it neither empties nor moves the window.
    limiter.release(RateInfo(limit=10, remaining=0, reset_in=1.0), ticket=straggler)
    limiter.release(None, ticket=fresh)
    moments = starts(limiter, clock, 8)
    assert moments == [t0 + 5] * 8
    assert clock.sleeps == []


def test_answers_taken_out_of_order_count_each_request_once(clock: ManualClock) -> None:
    """The server counted every request sent before the one it answers: only the requests
    sent after it can still be missing from its count."""
    limiter = RateLimiter(10, 60.0, clock, reserve=0)
    limiter.release(None, ticket=limiter.acquire())  # the first request goes alone
    first, second, third, fourth = (limiter.acquire() for _ in range(4))
    limiter.release(RateInfo(limit=10, remaining=8, reset_in=60.0), ticket=first)
    # The third answer comes back before the second: the server had counted up to the third.
    limiter.release(RateInfo(limit=10, remaining=6, reset_in=60.0), ticket=third)
    # The second's answer is older than the third's: it changes nothing.
    limiter.release(RateInfo(limit=10, remaining=7, reset_in=60.0), ticket=second)
    # 6 left, less the fourth (sent after the third, still in flight).
    for _ in range(5):
        limiter.acquire()
    assert clock.sleeps == []
    limiter.acquire()
    assert clock.sleeps == [60.0]
    del fourth


def test_a_request_answered_without_headers_still_counts_against_older_answers(
    clock: ManualClock,
) -> None:
    limiter = RateLimiter(10, 60.0, clock, reserve=0)
    limiter.release(None, ticket=limiter.acquire())  # the first request goes alone
    first, second = limiter.acquire(), limiter.acquire()
    limiter.release(None, ticket=second)  # no rate headers (or a network error)
    limiter.release(RateInfo(limit=10, remaining=5, reset_in=60.0), ticket=first)
    for _ in range(4):  # 5 left by the first's count, less the second sent after it
        limiter.acquire()
    assert clock.sleeps == []
    limiter.acquire()
    assert clock.sleeps == [60.0]


def test_the_first_request_goes_alone_and_its_answer_rules_the_others(
    clock: ManualClock,
) -> None:
    """A new limiter knows nothing of the window (another process may have spent it): the
    other requests wait for the first one's answer — here, that nothing is left for 30 s."""
    limiter = RateLimiter(150, 60.0, clock)
    first = limiter.acquire()
    second = threading.Thread(target=limiter.acquire)
    second.start()
    second.join(timeout=0.2)
    assert second.is_alive()  # waiting for the first answer, not sent
    limiter.release(RateInfo(limit=150, remaining=0, reset_in=30.0), ticket=first)
    second.join(timeout=10)
    assert not second.is_alive()
    assert clock.sleeps == [30.0]


def test_a_low_remaining_is_spread_over_the_time_left_following_others_spending(
    clock: ManualClock,
) -> None:
    """Other apps using the credential spent most of the window: the limiter spreads what is
    left over the time left, and each answer — showing what the others spent meanwhile —
    comes back before the next request; when the server says 0 it waits for the reset, and
    never sends a request the server would reject."""
    t0 = clock.monotonic()
    limiter = RateLimiter(150, 60.0, clock)
    probe = limiter.acquire()
    limiter.release(RateInfo(limit=150, remaining=9, reset_in=45.0), ticket=probe)
    moments = []
    for remaining in (6, 2, 0):  # others spend 2, then 3, then 1 between our requests
        ticket = limiter.acquire()
        moments.append(clock.monotonic() - t0)
        limiter.release(RateInfo(limit=150, remaining=remaining), ticket=ticket)
    ticket = limiter.acquire()
    moments.append(clock.monotonic() - t0)
    assert moments == pytest.approx([0.0, 45 / 9, 45 / 9 + 40 / 6, 45.0])
    del ticket


def test_a_429_waits_exactly_the_announced_reset_plus_a_small_jitter(clock: ManualClock) -> None:
    limiter = RateLimiter(500, 60.0, clock, rng=random.Random(4))
    assert limiter.jitter == pytest.approx(0.25)
    first = limiter.acquire()
    limiter.release(RateInfo(limit=500, remaining=400, reset_in=50.0), ticket=first)
    for announced in (1.0, 60.0, 12.5):
        ticket = limiter.acquire()
        limiter.release(
            RateInfo(limit=500, remaining=0, reset_in=announced), rejected=True, ticket=ticket
        )
        before = clock.monotonic()
        limiter.release(None, ticket=limiter.acquire())
        waited = clock.monotonic() - before
        assert announced <= waited <= announced + 0.25
    assert len(clock.sleeps) == 3  # once per announced reset


def test_a_429_without_a_reset_waits_for_our_guess_of_the_window(clock: ManualClock) -> None:
    limiter = RateLimiter(500, 60.0, clock, jitter=0)
    first = limiter.acquire()
    limiter.release(RateInfo(limit=500, remaining=400, reset_in=20.0), ticket=first)
    ticket = limiter.acquire()
    limiter.release(None, rejected=True, ticket=ticket)
    limiter.acquire()
    assert clock.sleeps == [20.0]


def test_a_429_announcing_a_reset_in_the_past_still_waits_a_second(clock: ManualClock) -> None:
    limiter = RateLimiter(500, 60.0, clock, jitter=0)
    ticket = limiter.acquire()
    limiter.release(RateInfo(remaining=0, reset_in=-3.0), rejected=True, ticket=ticket)
    limiter.acquire()
    assert clock.sleeps == [pytest.approx(1.0)]


def test_a_reset_beyond_a_window_is_capped_at_one_window(clock: ManualClock) -> None:
    limiter = RateLimiter(500, 60.0, clock, jitter=0)
    ticket = limiter.acquire()
    limiter.release(RateInfo(remaining=0, reset_in=3600.0), rejected=True, ticket=ticket)
    limiter.acquire()
    assert clock.sleeps == [60.0]


def test_threads_waiting_for_one_reset_move_the_manual_clock_once(clock: ManualClock) -> None:
    t0 = clock.monotonic()
    limiter = RateLimiter(4, 60.0, clock, reserve=0, jitter=0)
    ticket = limiter.acquire()
    limiter.release(RateInfo(limit=4, remaining=0, reset_in=1.0), rejected=True, ticket=ticket)
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        limiter.release(None, ticket=limiter.acquire())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.monotonic() - t0 < 2.0


def test_threads_sharing_a_credential_never_exceed_the_window(clock: ManualClock) -> None:
    limiter = limiter_for(
        "alegra", "http://x/api/v1/", "user:token", limit=30, window=60, clock=clock
    )
    assert limiter is limiter_for(
        "alegra", "http://x/api/v1/", "user:token", limit=30, window=60, clock=clock
    )
    started: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(15):
            ticket = limiter.acquire()
            with lock:
                started.append(clock.monotonic())
            limiter.release(None, ticket=ticket)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(started) == 90
    first = min(started)
    per_window: dict[int, int] = {}
    for moment in started:
        index = int((moment - first) // 60)
        per_window[index] = per_window.get(index, 0) + 1
    assert max(per_window.values()) <= 30
