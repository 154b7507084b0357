"""Walk each API's status table: every status maps to its error class, for reads and writes;
transport failures split into transient (not sent, or safe to repeat) and ambiguous writes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from handy_alegra.clients import alegra, handy
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.http import (
    Client,
    ConnectError,
    MockTransport,
    ReadTimeout,
    RemoteProtocolError,
    Request,
    Response,
)
from handy_alegra.clients.ratelimit import RateLimiter
from handy_alegra.domain.clock import ManualClock
from handy_alegra.domain.errors import (
    AmbiguousWriteError,
    ApiError,
    RateLimitedError,
    TransientError,
    ValidationError,
)

SECRET = "s3cr3t-token-value"


def alegra_body(status: int) -> dict[str, object]:
    return {"code": status, "message": f"mensaje {status}"}


def handy_body(status: int) -> dict[str, object]:
    if status == 422:
        return {
            "errors": [{"object": "P", "field": "price", "rejected-value": "x", "message": "mal"}]
        }
    return {"message": f"message {status}"}


def make_alegra(handler: Callable[[Request], Response], clock: ManualClock) -> AlegraClient:
    http = Client(base_url="https://alegra.test/api/v1/", transport=MockTransport(handler))
    return AlegraClient(
        http, email="a@b.c", token=SECRET, clock=clock, limiter=RateLimiter(150, 60, clock)
    )


def make_handy(handler: Callable[[Request], Response], clock: ManualClock) -> HandyClient:
    http = Client(base_url="https://handy.test/api/v2/", transport=MockTransport(handler))
    return HandyClient(http, token=SECRET, clock=clock, limiter=RateLimiter(500, 60, clock))


def answering(
    status: int, body: dict[str, object], calls: list[Request]
) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        calls.append(request)
        if status == 429 and len(calls) > 1:  # the retry after the reset succeeds
            return Response(200, json={"id": "1", "name": "ok", "applicationVersion": "mexico"})
        return Response(
            status, json=body, headers={"X-Rate-Limit-Reset": "3", "X-RateLimit-Reset": "0"}
        )

    return handler


@pytest.mark.parametrize(("status", "error"), sorted(alegra.STATUS_ERRORS.items()))
def test_alegra_status_table_on_reads(
    status: int, error: type[ApiError], clock: ManualClock
) -> None:
    calls: list[Request] = []
    client = make_alegra(answering(status, alegra_body(status), calls), clock)
    if error is RateLimitedError:
        assert client.company().name == "ok"  # waited for the reset, then retried
        assert clock.sleeps == [pytest.approx(3.0, abs=0.25)]  # the reset, plus a jitter
        assert clock.sleeps[0] >= 3.0
        return
    with pytest.raises(error) as caught:
        client.company()
    assert caught.value.status == status
    assert f"mensaje {status}" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert len(calls) == (6 if error is TransientError else 1)  # reads retry transient errors


@pytest.mark.parametrize(("status", "error"), sorted(handy.STATUS_ERRORS.items()))
def test_handy_status_table_on_writes(
    status: int, error: type[ApiError], clock: ManualClock
) -> None:
    calls: list[Request] = []
    client = make_handy(answering(status, handy_body(status), calls), clock)
    if error is RateLimitedError:  # certainly not processed: the POST is sent again
        assert client.create_family("Bebidas").id == "1"
        assert len(calls) == 2
        return
    with pytest.raises(ApiError) as caught:
        client.create_family("Bebidas")
    expected = AmbiguousWriteError if error is TransientError else error
    assert type(caught.value) is expected
    assert len(calls) == 1  # a POST is never repeated after a failure
    if status == 422:
        assert isinstance(caught.value, ValidationError)
        assert [(f.field, f.message) for f in caught.value.fields] == [("price", "mal")]


def test_a_post_is_retried_after_a_429(clock: ManualClock) -> None:
    calls: list[Request] = []

    def handler(request: Request) -> Response:
        calls.append(request)
        if len(calls) == 1:
            return Response(
                429,
                json={"message": "slow down"},
                headers={"X-RateLimit-Reset": str(clock.now().timestamp() + 20)},
            )
        return Response(201, json={"id": 5, "description": "Bebidas"})

    family = make_handy(handler, clock).create_family("Bebidas")
    assert family.id == "5"
    assert len(calls) == 2
    assert clock.sleeps == [pytest.approx(20.0, abs=0.25)]
    assert clock.sleeps[0] >= 20.0


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ConnectError("refused"), TransientError),  # never reached the server: safe to repeat
        (ReadTimeout("slow"), AmbiguousWriteError),
        (RemoteProtocolError("dropped"), AmbiguousWriteError),
    ],
)
def test_transport_failures_of_a_post(
    exc: Exception, expected: type[ApiError], clock: ManualClock
) -> None:
    calls: list[Request] = []

    def handler(request: Request) -> Response:
        calls.append(request)
        raise exc

    with pytest.raises(expected):
        make_handy(handler, clock).create_family("Bebidas")
    assert len(calls) == (6 if expected is TransientError else 1)


def test_a_success_with_an_unreadable_body_is_an_ambiguous_write(clock: ManualClock) -> None:
    client = make_handy(lambda r: Response(201, content=b"<html>oops</html>"), clock)
    with pytest.raises(AmbiguousWriteError, match="not JSON"):
        client.create_family("Bebidas")


def test_reads_retry_transport_failures_then_succeed(clock: ManualClock) -> None:
    calls: list[Request] = []

    def handler(request: Request) -> Response:
        calls.append(request)
        if len(calls) < 3:
            raise ReadTimeout("slow", request=request)
        return Response(200, json={"applicationVersion": "colombia"})

    assert make_alegra(handler, clock).company().country == "CO"
    assert len(calls) == 3


def test_tokens_never_appear_in_reprs_or_requests_logs(clock: ManualClock) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(200, json={"applicationVersion": "mexico"})

    client = make_alegra(handler, clock)
    client.company()
    assert SECRET not in repr(client)
    assert SECRET not in repr(client.requester)
    assert SECRET not in json.dumps(client.__dict__, default=repr)
    assert seen[0].headers["Authorization"].startswith("Basic ")
