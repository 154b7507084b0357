"""Many simulated companies behind one API root, as the real APIs serve them.

Alegra and Handy each answer every company at the same URL and tell them apart by the
credential a request carries. ``Tenants`` does the same over a set of simulators of one API:
each request goes to the company whose credential it carries (Alegra: the Basic user, Handy:
the Bearer token), so every company keeps its own data and its own rate-limit windows. A
request with a credential no company knows goes to an empty simulator of that API, which
answers 401 exactly as a company's own would.
"""

from __future__ import annotations

import threading

from handy_alegra.clients.http import Request, Response
from handy_alegra.simulators.alegra import AlegraSimulator, basic_credentials
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.handy import HandySimulator
from handy_alegra.simulators.routing import Simulator


def alegra_key(request: Request) -> str | None:
    """The user a Basic ``Authorization`` names (checked by the company, not here)."""
    given = basic_credentials(request)
    return given[0] if given else None


def handy_key(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class Tenants:
    """The simulators of one API for many companies; ``handle`` serves them all."""

    def __init__(self, nobody: Simulator) -> None:
        """``nobody``: an empty simulator of the API, for credentials no company knows."""
        if isinstance(nobody, AlegraSimulator):
            self._key = alegra_key
        elif isinstance(nobody, HandySimulator):
            self._key = handy_key
        else:
            raise TypeError("Tenants serves Alegra or Handy simulators")
        self.nobody = nobody
        self.members: list[Simulator] = []
        self._by_key: dict[str, Simulator] = {}
        self._lock = threading.Lock()

    @property
    def faults(self) -> Faults:
        return self.nobody.faults

    def add(self, sim: Simulator, *keys: str) -> None:
        """Serve ``sim`` for each of ``keys`` (an Alegra user's e-mail, a Handy token)."""
        if type(sim) is not type(self.nobody):
            raise TypeError(f"this API's companies are {type(self.nobody).__name__}s")
        with self._lock:
            for key in keys:
                if key in self._by_key and self._by_key[key] is not sim:
                    raise ValueError(f"the credential {key[:12]}… already belongs to a company")
                self._by_key[key] = sim
            self.members.append(sim)

    def company(self, request: Request) -> Simulator:
        key = self._key(request)
        return self._by_key.get(key, self.nobody) if key is not None else self.nobody

    def handle(self, request: Request) -> Response:
        return self.company(request).handle(request)
