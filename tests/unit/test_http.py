"""The HTTP seam's connection settings."""

from __future__ import annotations

import pytest

from handy_alegra.clients.http import (
    KEEPALIVE_EXPIRY,
    Client,
    ConnectError,
    LentPools,
    MockTransport,
    Request,
    Response,
    build_client,
)
from handy_alegra.simulators.asgi import make_server


def test_an_idle_connection_is_dropped_before_a_server_would_close_it() -> None:
    """A request sent on a connection the server is closing gets no answer: for a POST, an
    outcome unknown. The client must give up idle connections first (uvicorn: 5 s, as the
    simulators serve; gunicorn: 2 s)."""
    server_idle = make_server(lambda *_: None).config.timeout_keep_alive
    assert min(server_idle, 2) > KEEPALIVE_EXPIRY
    with build_client("http://127.0.0.1:1") as client:
        lent = client._transport
        assert isinstance(lent, LentPools)
        pool = lent._make()._pool  # type: ignore[attr-defined]
        assert pool._keepalive_expiry == KEEPALIVE_EXPIRY


def test_lent_pools_serve_one_request_at_a_time_and_are_reused() -> None:
    """A pool is lent to one request until its response is read, then lent again."""
    made: list[MockTransport] = []
    closed: list[MockTransport] = []

    class Pool(MockTransport):
        def close(self) -> None:
            closed.append(self)

    def make() -> MockTransport:
        made.append(Pool(lambda request: Response(200, json={"path": request.url.path})))
        return made[-1]

    pools = LentPools(make)
    with Client(transport=pools, base_url="http://api.test") as client:
        assert client.get("/a").json() == {"path": "/a"}
        assert client.get("/b").json() == {"path": "/b"}
        assert len(made) == 1  # the first pool came back and served the second request
        with client.stream("GET", "/c") as first, client.stream("GET", "/d") as second:
            assert len(made) == 2  # two requests at once: two pools, never one shared
            assert (first.read(), second.read()) == (b'{"path":"/c"}', b'{"path":"/d"}')
        assert client.get("/e").status_code == 200
        assert len(made) == 2
    assert sorted(map(id, closed)) == sorted(map(id, made))


def test_a_pool_whose_request_failed_is_taken_back() -> None:
    calls = {"n": 0}

    def answer(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectError("refused", request=request)
        return Response(204)

    made: list[MockTransport] = []
    pools = LentPools(lambda: made.append(MockTransport(answer)) or made[-1])
    with Client(transport=pools, base_url="http://api.test") as client:
        with pytest.raises(ConnectError):
            client.get("/")
        assert client.get("/").status_code == 204
    assert len(made) == 1


def test_every_client_of_the_process_shares_one_tls_context() -> None:
    """Two API clients per account: one CA bundle each would be 1.7 MB an account."""
    contexts = set()
    for url in ("https://api.alegra.com/api/v1", "https://hub.handy.la/api/v2"):
        client = build_client(url)
        pools = client._transport
        assert isinstance(pools, LentPools)
        transport = pools._make()
        contexts.add(id(transport._pool._ssl_context))  # type: ignore[attr-defined]
        transport.close()
        client.close()
    assert len(contexts) == 1
