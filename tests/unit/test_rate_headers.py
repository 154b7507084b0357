"""Reading each API's rate headers (Alegra: seconds left; Handy: a Unix timestamp on Handy's
clock) and the requester's patience with 429s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.utils import format_datetime

import pytest

from handy_alegra.clients import alegra, handy
from handy_alegra.clients.http import Client, MockTransport, Request, Response
from handy_alegra.clients.ratelimit import RateLimiter
from handy_alegra.clients.requester import RetryPolicy
from handy_alegra.domain.clock import ManualClock
from handy_alegra.domain.errors import RateLimitedError


def handy_answer(clock: ManualClock, reset: float, *, skew: float | None) -> Response:
    headers = {"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "7"}
    headers["X-RateLimit-Reset"] = str(reset)
    if skew is not None:  # Handy's clock, ``skew`` seconds ahead of ours
        headers["Date"] = format_datetime(clock.now() + timedelta(seconds=skew), usegmt=True)
    return Response(200, headers=headers)


def test_alegra_announces_seconds_left(clock: ManualClock) -> None:
    response = Response(
        200,
        headers={
            "X-Rate-Limit-Limit": "150",
            "X-Rate-Limit-Remaining": "12",
            "X-Rate-Limit-Reset": "1",
        },
    )
    info = alegra.rate_info(response, clock)
    assert (info.limit, info.remaining, info.reset_in) == (150, 12, 1.0)


def test_handy_reset_is_read_on_our_clock_when_the_clocks_agree(clock: ManualClock) -> None:
    clock.advance(0.4)  # our clock has sub-second precision; Date has whole seconds
    now = clock.now().timestamp()
    info = handy.rate_info(handy_answer(clock, now + 1.0, skew=0.0), clock)
    assert info.reset_in == pytest.approx(1.0)
    assert handy.rate_info(handy_answer(clock, now + 1.0, skew=None), clock).reset_in == (
        pytest.approx(1.0)
    )


@pytest.mark.parametrize("skew", [-90.0, -5.0, 30.0, 3600.0])
def test_handy_reset_is_read_on_handys_clock_when_the_clocks_differ(
    clock: ManualClock, skew: float
) -> None:
    """A reset timestamp 5 s ahead on Handy's clock is 5 s away, whatever ours says; read
    against the Date header (whole seconds, truncated) the wait may be up to 1 s longer,
    never shorter."""
    clock.advance(0.4)
    handy_now = clock.now().timestamp() + skew
    info = handy.rate_info(handy_answer(clock, handy_now + 5.0, skew=skew), clock)
    assert info.reset_in is not None
    assert 5.0 <= info.reset_in <= 6.0


def test_without_a_date_a_skewed_reset_costs_at_most_a_window(clock: ManualClock) -> None:
    """Our clock 10 minutes behind Handy's and no Date header: the limiter caps the wait."""
    limiter = RateLimiter(500, 60.0, clock, jitter=0)
    ticket = limiter.acquire()
    reset = clock.now().timestamp() + 600 + 5
    info = handy.rate_info(handy_answer(clock, reset, skew=None), clock)
    limiter.release(info, rejected=True, ticket=ticket)
    limiter.acquire()
    assert clock.sleeps == [60.0]


Handler = Callable[[Request], Response]


def handy_with(handler: Handler, clock: ManualClock, **retry: int) -> handy.HandyClient:
    http = Client(base_url="https://handy.test/api/v2/", transport=MockTransport(handler))
    limiter = RateLimiter(500, 60.0, clock, jitter=0)
    return handy.HandyClient(
        http, token="t", clock=clock, limiter=limiter, retry=RetryPolicy(**retry)
    )


def rate_limited_then_ok(
    clock: ManualClock, times: int, reset_in: float, calls: list[str]
) -> Handler:
    def handler(request: Request) -> Response:
        calls.append(request.method)
        if len(calls) <= times:
            reset = clock.now().timestamp() + reset_in
            return Response(
                429, json={"message": "slow down"}, headers={"X-RateLimit-Reset": str(reset)}
            )
        return Response(201, json={"id": 5, "description": "Bebidas"})

    return handler


def test_429s_in_a_row_are_waited_out_beyond_the_retry_attempts(clock: ManualClock) -> None:
    """Eight 429s announcing 60 s: eight waits of 60 s, then the POST goes through once —
    stamina's six attempts (the test setting) and its timeout do not count them."""
    calls: list[str] = []
    client = handy_with(rate_limited_then_ok(clock, 8, 60.0, calls), clock)
    start = clock.monotonic()
    assert client.create_family("Bebidas").id == "5"
    assert calls == ["POST"] * 9
    assert clock.sleeps == [pytest.approx(60.0)] * 8
    assert clock.monotonic() - start == pytest.approx(480.0)


def test_a_call_gives_up_after_its_429_budget(clock: ManualClock) -> None:
    calls: list[str] = []
    client = handy_with(rate_limited_then_ok(clock, 100, 1.0, calls), clock, rate_limited=5)
    with pytest.raises(RateLimitedError) as caught:
        client.create_family("Bebidas")
    assert len(calls) == 5
    assert caught.value.status == 429
