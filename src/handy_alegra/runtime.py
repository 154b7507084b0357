"""The composition root: settings → store, vault, clock → API clients for an account.

CLI commands, the scheduler and the web app get everything from a ``Runtime``; tests build
one with a manual clock and transports that route API base URLs to in-process simulators.
Nothing here does I/O until asked.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import SecretStr

from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.accounts.vault import Vault
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.http import BaseTransport, Client, Timeout, build_client
from handy_alegra.clients.requester import RetryPolicy
from handy_alegra.config.private_files import private_folder
from handy_alegra.config.settings import INSECURE_HTTP_ENV, Settings, load_settings
from handy_alegra.domain.clock import Clock, SystemClock, clock_from_env
from handy_alegra.store.database import Store

log = structlog.get_logger("handy_alegra.runtime")


def _key(api: str, url: str, user: str, token: str | SecretStr) -> str:
    """A cache key for one credential's client, made from a hash (never the token itself)."""
    secret = token.get_secret_value() if isinstance(token, SecretStr) else token
    return hashlib.sha256(f"{api}\0{url}\0{user}\0{secret}".encode()).hexdigest()


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    #: base URL prefix → transport (tests route API URLs to in-process simulators)
    transports: Mapping[str, BaseTransport] = field(default_factory=dict)
    #: divides the APIs' 60-second rate windows (benchmarks against time-scaled simulators)
    rate_scale: float = 1.0
    timeout: Timeout | None = None
    retry: RetryPolicy | None = None
    #: pages read ahead and writes made in parallel, per sync (the rate limiter paces them)
    concurrency: int = 4
    #: connections the store keeps for jobs run side by side (None: SQLAlchemy's default)
    store_pool: int | None = None
    _store: Store | None = None
    _vault: Vault | None = None
    _clients: dict[str, AlegraClient | HandyClient] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_env(cls) -> Runtime:
        return cls.from_settings(load_settings())

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        """The runtime a deployment's settings describe (nothing is opened yet)."""
        seconds = settings.http_timeout
        if settings.allow_insecure_http:
            log.warning(
                "insecure_http_allowed",
                setting=INSECURE_HTTP_ENV,
                risk="API tokens may travel in clear to hosts other than loopback; lab use only",
            )
        return cls(
            settings,
            clock=clock_from_env(settings.clock),
            rate_scale=settings.rate_window_scale,
            concurrency=settings.concurrency,
            timeout=Timeout(connect=5.0, read=seconds, write=10.0, pool=10.0) if seconds else None,
        )

    @property
    def store(self) -> Store:
        if self._store is None:
            if self.settings.create_home:
                private_folder(self.settings.home)
            self._store = Store.open(self.settings.store_url, pool_size=self.store_pool)
        return self._store

    def size_store_pool(self, jobs: int) -> None:
        """Enough store connections for ``jobs`` jobs side by side: one each, one for the
        dispatcher or scheduler and the heartbeats, and as many again at a burst (a sales
        cycle's orders go ``concurrency`` at a time, each with its own transaction)."""
        wanted = jobs + 2
        if self.store_pool is not None and self.store_pool >= wanted:
            return
        self.store_pool = wanted
        if self._store is not None:
            self._store.resize_pool(wanted)

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            self._vault = Vault.from_settings(self.settings)
        return self._vault

    def _transport(self, base_url: str) -> BaseTransport | None:
        for prefix, transport in self.transports.items():
            if base_url.startswith(prefix):
                return transport
        return None

    def alegra(self, account: AccountConfig) -> AlegraClient:
        return self.alegra_client(account.alegra_url, account.alegra_email, account.alegra_token)

    def handy(self, account: AccountConfig) -> HandyClient:
        return self.handy_client(account.handy_url, account.handy_token)

    def alegra_client(self, url: str, email: str, token: str | SecretStr) -> AlegraClient:
        def build() -> AlegraClient:
            return AlegraClient(self._http(url), email=email, token=token, **self._client_options())

        client = self._cached(_key("alegra", url, email, token), build)
        assert isinstance(client, AlegraClient)
        return client

    def handy_client(self, url: str, token: str | SecretStr) -> HandyClient:
        def build() -> HandyClient:
            return HandyClient(self._http(url), token=token, **self._client_options())

        client = self._cached(_key("handy", url, "", token), build)
        assert isinstance(client, HandyClient)
        return client

    def _cached(
        self, key: str, build: Callable[[], AlegraClient | HandyClient]
    ) -> AlegraClient | HandyClient:
        """One client per credential, shared by every thread (and its rate limiter with it)."""
        with self._lock:
            if key not in self._clients:
                self._clients[key] = build()
            return self._clients[key]

    def _http(self, url: str) -> Client:
        return build_client(url, transport=self._transport(url), **self._timeouts())

    def _client_options(self) -> dict[str, Any]:
        return {
            "clock": self.clock,
            "retry": self.retry,
            "rate_window": 60.0 / self.rate_scale,
            "read_ahead": self.concurrency,
            "allow_plain_http": self.settings.allow_insecure_http,
        }

    def _timeouts(self) -> dict[str, Timeout]:
        return {"timeout": self.timeout} if self.timeout else {}

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.requester.http.close()
            self._clients.clear()
        if self._store is not None:
            self._store.dispose()
            self._store = None
