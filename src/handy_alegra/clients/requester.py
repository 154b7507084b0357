"""One API call, done right: rate limit, auth header, timeouts, classification, retries.

Retry policy: a 429 is retried here, for every method (the server did not process it), as
often as ``RetryPolicy.rate_limited`` allows: the limiter has learned the reset the 429
announced and makes the retry wait exactly that long, through the injected clock. 429s are
kept out of stamina's attempts and timeout, which are for failures: eight 429s in a row
announcing a 60-second reset are eight minutes the server asked for, not an outage.
Reads, PUTs and DELETEs retry transient errors with stamina's jittered exponential backoff.
A POST is otherwise never retried: any other failure whose outcome is unknown (timeout after
sending, dropped connection, 5xx, an unreadable success) raises ``AmbiguousWriteError``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import stamina
import structlog

from handy_alegra.clients import urls
from handy_alegra.clients.http import (
    Client,
    InvalidURL,
    Response,
    TimeoutException,
    TransportError,
    not_sent,
)
from handy_alegra.clients.ratelimit import RateInfo, RateLimiter
from handy_alegra.domain.clock import Clock
from handy_alegra.domain.errors import (
    AmbiguousWriteError,
    ApiError,
    FieldMessage,
    InsecureUrlError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from handy_alegra.observability.metrics import API_CALLS, RATE_LIMITED
from handy_alegra.records.wire import dumps

log = structlog.get_logger("handy_alegra.api")

ErrorDetails = tuple[str, tuple[FieldMessage, ...]]


@dataclass(frozen=True)
class ApiProfile:
    """How one API signals things: its error table, error bodies and rate headers."""

    name: str
    status_errors: Mapping[int, type[ApiError]]
    error_details: Callable[[Response], ErrorDetails]
    rate_info: Callable[[Response, Clock], RateInfo]

    def error_class(self, status: int) -> type[ApiError]:
        if status in self.status_errors:
            return self.status_errors[status]
        if status >= 500:
            return TransientError
        if 400 <= status < 500:
            return ValidationError
        return ApiError


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    timeout: float | None = 300.0
    wait_initial: float = 0.5
    wait_max: float = 20.0
    #: 429s in a row one call accepts (each waits the reset it announced) before giving up
    rate_limited: int = 20


class Requester:
    def __init__(
        self,
        http: Client,
        profile: ApiProfile,
        authorization: Callable[[], str],
        limiter: RateLimiter,
        clock: Clock,
        retry: RetryPolicy | None = None,
        *,
        allow_plain_http: bool = False,
    ) -> None:
        """``allow_plain_http``: send the credentials over plain http to a host other than
        loopback (a lab's ``HANDY_ALEGRA_ALLOW_INSECURE_HTTP``); refused otherwise."""
        self.http = http
        self._refused_in_clear = urls.in_clear(str(http.base_url)) and not allow_plain_http
        self.profile = profile
        self._authorization = authorization
        self.limiter = limiter
        self.clock = clock
        self.retry = retry or RetryPolicy()

    def __repr__(self) -> str:
        return f"Requester({self.profile.name}, {self.http.base_url})"

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one request and return its JSON body; raises from ``handy_alegra.domain.errors``."""
        safe = method != "POST" if idempotent is None else idempotent
        policy = self.retry

        def backoff(exc: Exception) -> bool:
            if isinstance(exc, RateLimitedError):
                return False  # 429s are retried by _patient; this one is past its budget
            return isinstance(exc, TransientError) and not isinstance(exc, AmbiguousWriteError)

        for attempt in stamina.retry_context(
            on=backoff,
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
        ):
            with attempt:
                return self._patient(method, path, params, body, safe)
        raise AssertionError("unreachable")  # pragma: no cover

    def _patient(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        body: Any,
        safe: bool,
    ) -> Any:
        """``_once``, again after each 429 (the limiter waits for the announced reset)."""
        for tries_left in range(max(1, self.retry.rate_limited), 0, -1):
            try:
                return self._once(method, path, params, body, safe)
            except RateLimitedError:
                if tries_left == 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        body: Any,
        safe: bool,
    ) -> Any:
        name = self.profile.name
        if self._refused_in_clear:
            raise InsecureUrlError(
                f"not sent: {self.http.base_url.host} is reached over plain http, where the "
                "credentials would travel in clear; use https",
                api=name,
                method=method,
                path=path,
            )
        headers = {"Authorization": self._authorization()}
        content = None
        if body is not None:
            content = dumps(body)
            headers["Content-Type"] = "application/json"
        ticket = self.limiter.acquire()
        started = time.perf_counter()
        try:
            response = self.http.request(
                method, path, params=dict(params or {}), content=content, headers=headers
            )
        except InvalidURL as exc:  # a code or value too long or odd for a URL: never sent
            self.limiter.release(None, ticket=ticket)
            raise ValidationError(
                f"the request could not be made ({exc})"[:300],
                api=name,
                method=method,
                path=path[:100],
            ) from exc
        except TransportError as exc:
            self.limiter.release(None, ticket=ticket)
            API_CALLS.labels(name, "network").inc()
            kind = "timed out" if isinstance(exc, TimeoutException) else "connection failed"
            log.warning(
                "api_network_error",
                api=name,
                method=method,
                path=path[:100],
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
            if safe or not_sent(exc):
                raise TransientError(
                    f"{kind} ({type(exc).__name__})", api=name, method=method, path=path
                ) from exc
            raise AmbiguousWriteError(
                f"{kind} after the request was sent; the write may have happened",
                api=name,
                method=method,
                path=path,
            ) from exc
        except Exception:  # anything else: the slot goes back all the same
            self.limiter.release(None, ticket=ticket)
            raise
        status = response.status_code
        info = self.profile.rate_info(response, self.clock)
        self.limiter.release(info, rejected=status == 429, ticket=ticket)
        API_CALLS.labels(name, str(status)).inc()
        log.debug(
            "api_call",
            api=name,
            method=method,
            path=path,
            status=status,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        if response.is_success:
            return self._json(response, method, path, safe)
        raise self._error(response, method, path, safe, info)

    def _json(self, response: Response, method: str, path: str, safe: bool) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            cls = TransientError if safe else AmbiguousWriteError
            raise cls(
                "answered success with a body that is not JSON",
                api=self.profile.name,
                method=method,
                path=path,
                status=response.status_code,
            ) from None

    def _error(
        self, response: Response, method: str, path: str, safe: bool, info: RateInfo
    ) -> ApiError:
        status = response.status_code
        message, fields = self.profile.error_details(response)
        kw: dict[str, Any] = {
            "api": self.profile.name,
            "method": method,
            "path": path,
            "status": status,
            "fields": fields,
            "body": _json_or_none(response),
        }
        cls = self.profile.error_class(status)
        if cls is RateLimitedError:
            RATE_LIMITED.labels(self.profile.name).inc()
            log.info("rate_limited", api=self.profile.name, path=path, reset_in=info.reset_in)
            return RateLimitedError(message, **kw)
        if issubclass(cls, TransientError) and not safe:
            return AmbiguousWriteError(
                f"{message} (the server failed after receiving the write)", **kw
            )
        return cls(message, **kw)


def _json_or_none(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def header_number(response: Response, name: str) -> float | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return float(value)  # float ok: a header count or seconds, not money
    except ValueError:
        return None


def header_date(response: Response) -> float | None:
    """The answer's ``Date`` header (the server's clock, whole seconds) as Unix seconds."""
    value = response.headers.get("Date")
    if value is None:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment.timestamp() if moment.tzinfo is not None else None
