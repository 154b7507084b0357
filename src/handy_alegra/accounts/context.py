"""What the account services and the syncs need from the composition root, as a Protocol.

``runtime.Runtime`` is one; activation, the doctor and the syncs ask for a ``Context`` so that
they never import the composition root (docs/architecture.md, the layers contract).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import SecretStr

from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.accounts.vault import Vault
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import Clock
from handy_alegra.store.database import Store


class Context(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def store(self) -> Store: ...

    @property
    def vault(self) -> Vault: ...

    @property
    def concurrency(self) -> int:
        """Pages read ahead and writes made in parallel, per sync."""
        ...

    def alegra(self, account: AccountConfig) -> AlegraClient:
        """The account's Alegra client (one per credential, shared by threads)."""
        ...

    def handy(self, account: AccountConfig) -> HandyClient: ...

    def alegra_client(self, url: str, email: str, token: str | SecretStr) -> AlegraClient: ...

    def handy_client(self, url: str, token: str | SecretStr) -> HandyClient: ...
