"""The HTTP seam's connection settings."""

from __future__ import annotations

from handy_alegra.http import KEEPALIVE_EXPIRY, build_client
from handy_alegra.simulators.asgi import make_server


def test_an_idle_connection_is_dropped_before_a_server_would_close_it() -> None:
    """A request sent on a connection the server is closing gets no answer: for a POST, an
    outcome unknown. The client must give up idle connections first (uvicorn: 5 s, as the
    simulators serve; gunicorn: 2 s)."""
    server_idle = make_server(lambda *_: None).config.timeout_keep_alive
    assert min(server_idle, 2) > KEEPALIVE_EXPIRY
    with build_client("http://127.0.0.1:1") as client:
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert pool._keepalive_expiry == KEEPALIVE_EXPIRY
        assert pool._max_keepalive_connections >= 32  # the bench's concurrency keeps its own
