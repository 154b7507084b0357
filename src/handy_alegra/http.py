"""The one module that imports httpx.

Everything else (clients, simulators, tests) takes its HTTP types from here, so that a
switch of HTTP library (httpx2, say) is a change to this file alone.
"""

from __future__ import annotations

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


def build_client(
    base_url: str,
    *,
    transport: BaseTransport | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> Client:
    """An ``httpx.Client`` for one API base URL; the credentials are added per request."""
    return httpx.Client(
        base_url=base_url.rstrip("/") + "/",
        transport=transport,
        timeout=timeout,
        headers={"Accept": "application/json", "User-Agent": "handy-alegra"},
        follow_redirects=False,
        limits=httpx.Limits(
            max_connections=100, max_keepalive_connections=64, keepalive_expiry=KEEPALIVE_EXPIRY
        ),
    )


def not_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server (no connection was made)."""
    return isinstance(exc, ConnectError | ConnectTimeout | PoolTimeout)
