"""The client-side limiter: waits through the injected clock, learns from headers."""

import threading

from handy_alegra.clients.ratelimit import RateInfo, RateLimiter, limiter_for
from handy_alegra.clock import ManualClock


def test_a_full_window_passes_without_waiting_then_the_next_request_waits_for_the_reset(
    clock: ManualClock,
) -> None:
    limiter = RateLimiter(150, 60.0, clock)
    for _ in range(150):
        limiter.acquire()
        limiter.release(None)
    assert clock.sleeps == []
    limiter.acquire()
    assert clock.sleeps == [60.0]


def test_headers_replace_the_guess_about_the_window(clock: ManualClock) -> None:
    limiter = RateLimiter(150, 60.0, clock)
    limiter.acquire()
    # The server's window started earlier: 2 requests left, reset in 7 seconds.
    limiter.release(RateInfo(limit=150, remaining=2, reset_in=7.0))
    limiter.acquire()
    limiter.release(RateInfo(limit=150, remaining=1, reset_in=7.0))
    limiter.acquire()
    limiter.release(RateInfo(limit=150, remaining=0, reset_in=7.0))
    assert clock.sleeps == []
    limiter.acquire()
    assert clock.sleeps == [7.0]


def test_a_429_empties_the_window_until_the_announced_reset(clock: ManualClock) -> None:
    limiter = RateLimiter(500, 60.0, clock)
    limiter.acquire()
    limiter.release(RateInfo(limit=500, remaining=0, reset_in=12.5), rejected=True)
    limiter.acquire()
    assert clock.sleeps == [12.5]


def test_a_late_answer_from_an_old_window_does_not_shrink_the_new_one(clock: ManualClock) -> None:
    limiter = RateLimiter(10, 60.0, clock)
    limiter.acquire()
    limiter.release(RateInfo(limit=10, remaining=9, reset_in=1.0))
    clock.advance(2.0)  # new window, ends in 59 s
    limiter.acquire()
    limiter.acquire()
    limiter.release(RateInfo(limit=10, remaining=8, reset_in=59.0))
    limiter.release(RateInfo(limit=10, remaining=0, reset_in=-1.0))  # stale: from the old window
    # 8 left by the server's count, less one for the request that was still in flight.
    for _ in range(7):
        limiter.acquire()
    assert clock.sleeps == []
    limiter.acquire()
    assert clock.sleeps == [59.0]


def test_answers_taken_out_of_order_count_each_request_once(clock: ManualClock) -> None:
    """The server counted every request sent before the one it answers: only the requests
    sent after it can still be missing from its count."""
    limiter = RateLimiter(10, 60.0, clock)
    first, second, third, fourth = (limiter.acquire() for _ in range(4))
    limiter.release(RateInfo(limit=10, remaining=9, reset_in=60.0), ticket=first)
    # The third answer comes back before the second: the server had counted 1, 2 and 3.
    limiter.release(RateInfo(limit=10, remaining=7, reset_in=60.0), ticket=third)
    # 7 left, less the fourth (sent after the third); the second is in the server's count.
    for _ in range(6):
        limiter.acquire()
    assert clock.sleeps == []
    limiter.acquire()
    assert clock.sleeps == [60.0]
    del second, fourth


def test_windows_roll_over_back_to_back(clock: ManualClock) -> None:
    limiter = RateLimiter(2, 10.0, clock)
    for _ in range(6):
        limiter.acquire()
        limiter.release(None)
    assert clock.sleeps == [10.0, 10.0]


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
            limiter.acquire()
            with lock:
                started.append(clock.monotonic())
            limiter.release(None)

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
