"""The simulators' plumbing: a request view, a route table and the shared request pipeline
(authentication, rate windows, faults, latency, dispatch under one lock)."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import format_datetime
from typing import Any

from handy_alegra.clients.http import ReadTimeout, Request, Response
from handy_alegra.domain.clock import Clock, SystemClock
from handy_alegra.simulators.faults import FaultInjector, Faults, Outcome
from handy_alegra.simulators.ratewindow import FixedWindows, WindowState


class HttpProblem(Exception):
    """Raised by a route handler to answer with an error status."""

    def __init__(self, status: int, message: str, fields: list[dict[str, Any]] | None = None):
        self.status = status
        self.message = message
        self.fields = fields or []
        super().__init__(message)


@dataclass
class SimRequest:
    method: str
    path: str  # below the API root, no leading slash: "items/12"
    params: dict[str, str]
    body: Any
    raw: Request
    args: tuple[str, ...] = ()
    credential: str = ""

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def int_param(self, name: str, default: int) -> int:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise HttpProblem(400, f"El parámetro {name} debe ser un número entero") from None

    def bool_param(self, name: str) -> bool | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise HttpProblem(400, f"El parámetro {name} debe ser true o false")

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise HttpProblem(400, "El cuerpo de la petición debe ser un objeto JSON")
        return self.body


Handler = Callable[[SimRequest], Response]


@dataclass
class Router:
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern + r"/?$"), handler))

    def match(self, method: str, path: str) -> tuple[Handler, tuple[str, ...]] | None:
        path_known = False
        for route_method, pattern, handler in self.routes:
            found = pattern.match(path)
            if found:
                path_known = True
                if route_method == method:
                    return handler, found.groups()
        if path_known:
            raise HttpProblem(405, f"Method {method} not allowed on /{path}")
        return None


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    all_headers = {"Content-Type": "application/json; charset=utf-8"}
    all_headers.update(headers or {})
    return Response(status, headers=all_headers, content=content)


class SimulatedTimeout(ReadTimeout):
    """The simulator keeps the client waiting past its timeout (in-process: raised at once)."""


class Simulator:
    """The request pipeline shared by both API simulators.

    Subclasses set ``api_root``, ``default_rate_limit``, register routes in ``self.router``
    and implement ``credential_of`` (the rate-limit key, or None for 401), ``error_body`` and
    ``rate_headers``.
    """

    api_root = "/"
    default_rate_limit = 100
    rate_window_seconds = 60.0

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        faults: Faults | None = None,
        seed: int = 0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.injector = FaultInjector(faults or Faults(), seed)
        # Latency is real waiting over loopback; in-process tests pass the manual clock's sleep.
        self._sleep = sleep or (clock.sleep if clock is not None else time.sleep)
        f = self.injector.faults
        self.windows = FixedWindows(
            f.rate_limit or self.default_rate_limit, self.rate_window_seconds / f.time_scale
        )
        self.router = Router()
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status), for tests
        self.record_requests = True
        self._refusals: list[tuple[str, re.Pattern[str], HttpProblem]] = []

    @property
    def faults(self) -> Faults:
        return self.injector.faults

    def refuse(
        self,
        method: str,
        path: str,
        status: int = 404,
        message: str | None = None,
        fields: list[dict[str, Any]] | None = None,
    ) -> None:
        """From now on answer ``status`` to every authenticated request whose method and
        path (a regex matched against the whole path below the API root) match: a real API
        that lacks an endpoint we guessed (404), does not allow the method (405), or will not
        take what we send (422, with ``fields``)."""
        if message is None:
            message = f"No existe el recurso /{path}" if status == 404 else f"HTTP {status}"
        problem = HttpProblem(status, message, fields)
        with self.lock:
            self._refusals.append((method.upper(), re.compile(path + r"/?$"), problem))

    def _refusal(self, method: str, path: str) -> HttpProblem | None:
        with self.lock:
            for wanted, pattern, problem in self._refusals:
                if wanted in (method, "*") and pattern.fullmatch(path):
                    return problem
        return None

    # --- to be provided by each API -------------------------------------------------------
    def credential_of(self, request: Request) -> str | None:
        raise NotImplementedError

    def error_body(self, status: int, message: str, fields: list[dict[str, Any]]) -> Any:
        raise NotImplementedError

    def rate_headers(self, state: WindowState, now: float) -> dict[str, str]:
        raise NotImplementedError

    # --- pipeline -------------------------------------------------------------------------
    def now_epoch(self) -> float:
        return self.clock.now().timestamp()

    def count_calls(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1
            for m, p, _ in self.requests
            if (method is None or m == method) and (path is None or re.search(path, p))
        )

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request (usable as an ``httpx.MockTransport`` handler)."""
        path = self._relative_path(request.url.path)
        method = request.method.upper()
        if self.faults.latency:
            self._sleep(self.faults.latency)
        credential = self.credential_of(request)
        if credential is None:
            return self._finish(method, path, self.error(401, "Credenciales inválidas"))
        now = self.now_epoch()
        forced = self.injector.before(method, path, self.clock.monotonic())
        outcome = forced.outcome if forced else None
        if outcome is Outcome.TIMEOUT_BEFORE:
            self._log(method, path, 0)
            raise SimulatedTimeout("simulated timeout before processing", request=request)
        if forced is not None and outcome is Outcome.RATE_LIMITED:
            state = self.windows.peek(credential, now)
            storm_end = self.injector.storm_until
            if forced.reset_in is not None:  # announced as a server whose clock ticks seconds
                reset_at = now + forced.reset_in
                if self.faults.time_scale == 1:
                    reset_at = math.floor(reset_at)
            elif storm_end:
                reset_at = max(now + (storm_end - self.clock.monotonic()), state.reset_at)
            else:
                reset_at = state.reset_at
            limited = WindowState(False, state.limit, 0, reset_at)
            return self._finish(method, path, self._rate_limited(limited, now))
        state = self.windows.hit(credential, now)
        if not state.allowed:
            return self._finish(method, path, self._rate_limited(state, now))
        headers = self.rate_headers(state, now)
        if outcome in (Outcome.ERROR_500, Outcome.ERROR_503):
            status = 500 if outcome is Outcome.ERROR_500 else 503
            return self._finish(method, path, self.error(status, "Error interno", headers=headers))
        response = self._dispatch(method, path, request, credential, headers)
        if response.is_success and self.injector.drop_after_commit(method, path):
            self._log(method, path, 0)
            raise SimulatedTimeout("simulated timeout after the write committed", request=request)
        return self._finish(method, path, response)

    def _dispatch(
        self, method: str, path: str, request: Request, credential: str, headers: dict[str, str]
    ) -> Response:
        try:
            refused = self._refusal(method, path)
            if refused is not None:
                raise refused
            found = self.router.match(method, path)
            if found is None:
                raise HttpProblem(404, f"No existe el recurso /{path}")
            handler, args = found
            sim_request = SimRequest(
                method=method,
                path=path,
                params=dict(request.url.params.items()),
                body=_body(request),
                raw=request,
                args=args,
                credential=credential,
            )
            with self.lock:
                response = handler(sim_request)
        except HttpProblem as problem:
            response = self.error(problem.status, problem.message, problem.fields)
        response.headers.update(headers)
        return response

    def error(
        self,
        status: int,
        message: str,
        fields: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        return json_response(status, self.error_body(status, message, fields or []), headers)

    def _rate_limited(self, state: WindowState, now: float) -> Response:
        return self.error(429, "Too Many Requests", headers=self.rate_headers(state, now))

    def _relative_path(self, url_path: str) -> str:
        root = self.api_root.rstrip("/")
        index = url_path.find(root + "/") if root else 0
        rest = url_path[index + len(root) :] if index >= 0 else url_path
        return rest.strip("/")

    def _finish(self, method: str, path: str, response: Response) -> Response:
        self._log(method, path, response.status_code)
        # The server's clock, as every HTTP server sends it (whole seconds).
        served = format_datetime(self.clock.now().astimezone(UTC), usegmt=True)
        response.headers.setdefault("Date", served)
        return response

    def _log(self, method: str, path: str, status: int) -> None:
        if self.record_requests:
            self.requests.append((method, path, status))


def _body(request: Request) -> Any:
    content = request.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        raise HttpProblem(400, "El cuerpo de la petición no es JSON válido") from None
