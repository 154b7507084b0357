"""The one module that imports httpx.

Everything else (clients, simulators, tests) takes its HTTP types from here, so that a
switch of HTTP library (httpx2, say) is a change to this file alone.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator

import httpx
from httpx import (
    URL,
    BaseTransport,
    Client,
    ConnectError,
    ConnectTimeout,
    HTTPError,
    InvalidURL,
    MockTransport,
    NetworkError,
    PoolTimeout,
    ReadTimeout,
    RemoteProtocolError,
    Request,
    Response,
    Timeout,
    TimeoutException,
    TransportError,
    WriteTimeout,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "KEEPALIVE_EXPIRY",
    "URL",
    "BaseTransport",
    "Client",
    "ConnectError",
    "ConnectTimeout",
    "HTTPError",
    "InvalidURL",
    "LentPools",
    "MockTransport",
    "NetworkError",
    "PoolTimeout",
    "ReadTimeout",
    "RemoteProtocolError",
    "Request",
    "Response",
    "Timeout",
    "TimeoutException",
    "TransportError",
    "WriteTimeout",
    "build_client",
    "not_sent",
]

#: Connect fast, give a slow API time to answer, never wait forever.
DEFAULT_TIMEOUT = Timeout(connect=5.0, read=30.0, write=10.0, pool=10.0)
#: A connection idle this long is closed by the client, not reused. Servers close idle
#: connections after a few seconds (uvicorn 5 s, gunicorn 2 s); a request sent on one the
#: server is closing at that instant fails with no answer — for a POST, an outcome unknown.
#: Keeping the client's expiry below the servers' avoids that race.
KEEPALIVE_EXPIRY = 1.0


class LentPools(BaseTransport):
    """Connection pools lent to one request at a time, then taken back.

    httpcore's pool, shared by threads, can close a connection it has just given to another
    thread (encode/httpcore#1110, open in 1.0.9): that request then fails with "Bad file
    descriptor" or — once the descriptor is reused — writes into another request's connection.
    The bench saw it about once in 10,000 writes, as a POST of unknown outcome. Here each pool
    serves one request at a time, so no two threads ever share one; a pool and its kept-alive
    connection go back for the next request once the response has been read."""

    def __init__(self, make: Callable[[], BaseTransport]) -> None:
        self._make = make
        self._idle: list[BaseTransport] = []
        self._every: list[BaseTransport] = []
        self._lock = threading.Lock()
        self._closed = False

    def handle_request(self, request: Request) -> Response:
        with self._lock:
            if self._idle:
                pool = self._idle.pop()
            else:
                pool = self._make()
                self._every.append(pool)
        try:
            response = pool.handle_request(request)
        except BaseException:
            self._take_back(pool)
            raise
        assert isinstance(response.stream, httpx.SyncByteStream)
        stream = _GivenBack(response.stream, lambda: self._take_back(pool))
        return Response(
            response.status_code,
            headers=response.headers,
            stream=stream,
            extensions=response.extensions,
        )

    def _take_back(self, pool: BaseTransport) -> None:
        with self._lock:
            if self._closed:
                pool.close()
            else:
                self._idle.append(pool)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools, self._every, self._idle = self._every, [], []
        for pool in pools:
            pool.close()


class _GivenBack(httpx.SyncByteStream):
    """A response body that hands its pool back once it is closed (read to the end)."""

    def __init__(self, inner: httpx.SyncByteStream, done: Callable[[], None]) -> None:
        self._inner = inner
        self._done: Callable[[], None] | None = done

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done()


_TLS: list[ssl.SSLContext] = []
_TLS_LOCK = threading.Lock()


def _tls_context() -> ssl.SSLContext:
    """The process's one TLS context (building one loads the CA bundle: milliseconds of CPU
    and ~0.8 MB each — per API client, 1.7 MB an account, 1.7 GB at 1,000 accounts)."""
    with _TLS_LOCK:
        if not _TLS:
            _TLS.append(httpx.create_ssl_context())
        return _TLS[0]


def _network_pools() -> LentPools:
    """Single-connection pools over the network, sharing the process's TLS context."""
    context = _tls_context()
    limits = httpx.Limits(
        max_connections=1, max_keepalive_connections=1, keepalive_expiry=KEEPALIVE_EXPIRY
    )
    return LentPools(lambda: httpx.HTTPTransport(verify=context, limits=limits))


def build_client(
    base_url: str,
    *,
    transport: BaseTransport | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> Client:
    """An ``httpx.Client`` for one API base URL; the credentials are added per request. Over
    the network its connections come from ``LentPools``; an injected ``transport`` (tests,
    in-process simulators) is used as it is."""
    return httpx.Client(
        base_url=base_url.rstrip("/") + "/",
        transport=transport if transport is not None else _network_pools(),
        timeout=timeout,
        headers={"Accept": "application/json", "User-Agent": "handy-alegra"},
        follow_redirects=False,
    )


def not_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server (no connection was made)."""
    return isinstance(exc, ConnectError | ConnectTimeout | PoolTimeout)
