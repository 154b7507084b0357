"""Building a keyed sync for one account from the runtime (its clients, store and settings)."""

from __future__ import annotations

from collections.abc import Callable

from handy_alegra.accounts import AccountConfig
from handy_alegra.runtime import Runtime
from handy_alegra.sync.keyed import KeyedSync, Resource
from handy_alegra.sync.progress import Progress, Silent


def keyed_sync(
    runtime: Runtime,
    account: AccountConfig,
    resource: Resource,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    source_read: Callable[[], None] | None = None,
) -> KeyedSync:
    sync = KeyedSync(
        resource, runtime.store, account.id, account.name, runtime.clock.now, progress or Silent()
    )
    sync.workers = runtime.concurrency
    if should_stop is not None:
        sync.should_stop = should_stop
    if source_read is not None:
        sync.source_read = source_read
    return sync
