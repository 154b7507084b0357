"""Serve simulators over loopback: a minimal ASGI app that feeds each HTTP request to a
simulator's ``handle`` and a helper that runs it with uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

import anyio.to_thread
import uvicorn

from handy_alegra.clients.http import Request, Response
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.routing import SimulatedTimeout

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Served(Protocol):
    """What can be mounted: a simulator, or ``Tenants`` (many companies of one API)."""

    @property
    def faults(self) -> Faults: ...

    def handle(self, request: Request) -> Response: ...


class SimulatorApp:
    """Routes ``/<prefix>/…`` to the simulator mounted at that prefix.

    ``latency``: seconds awaited before each request is handed to its simulator, without
    holding a thread — for many requests in flight at once (the simulators' own
    ``Faults.latency`` sleeps in one of the server's 40 worker threads, so that more than 40
    requests in flight would queue)."""

    def __init__(self, mounts: Mapping[str, Served], *, latency: float = 0.0) -> None:
        self.mounts = {"/" + prefix.strip("/"): sim for prefix, sim in mounts.items()}
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        sim = next(
            (s for p, s in self.mounts.items() if path == p or path.startswith(p + "/")), None
        )
        if sim is None:
            await _send(send, 404, [(b"content-type", b"text/plain")], b"no simulator here\n")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope.get("query_string", b"").decode()
        host = dict(scope["headers"]).get(b"host", b"127.0.0.1").decode()
        url = f"{scope.get('scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        request = Request(scope["method"], url, headers=headers, content=body)
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            response = await anyio.to_thread.run_sync(sim.handle, request)
        except SimulatedTimeout:
            await asyncio.sleep(sim.faults.hang_seconds)
            await _send(send, 504, [(b"content-type", b"text/plain")], b"simulated timeout\n")
            return
        raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding")
        ]
        await _send(send, response.status_code, raw_headers, response.content)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass
class RunningServer:
    host: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def make_server(app: Any) -> uvicorn.Server:
    # The simulators send their own Date header, from their (possibly scaled) clock.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", date_header=False
    )
    return uvicorn.Server(config)


def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start ``app`` on loopback in a daemon thread; returns once it accepts connections."""
    sock = bind(host, port)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulator server did not start")
        time.sleep(0.01)
    return RunningServer(host, sock.getsockname()[1], server, thread)
