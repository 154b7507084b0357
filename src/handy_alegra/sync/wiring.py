"""Building a keyed sync for one account from the runtime (its clients, store and settings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict, Unpack

from handy_alegra.accounts.context import Context
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.sync.keyed import KeyedSync, Resource
from handy_alegra.sync.progress import Progress, Silent
from handy_alegra.sync.summary import RunSummary


def keyed_sync(
    runtime: Context,
    account: AccountConfig,
    resource: Resource,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    source_read: Callable[[], None] | None = None,
) -> KeyedSync:
    return KeyedSync(
        resource,
        runtime.store,
        account.id,
        account.name,
        runtime.clock.now,
        progress or Silent(),
        should_stop=should_stop or never,
        workers=runtime.concurrency,
        source_read=source_read or nothing,
    )


def never() -> bool:
    return False


def nothing() -> None:
    return None


class RunOptions(TypedDict, total=False):
    """How a run of a sync is made (every sync's ``run`` takes these)."""

    dry_run: bool
    progress: Progress | None
    should_stop: Callable[[], bool] | None
    source_read: Callable[[], None] | None  # told once every Alegra record has been read


def run_keyed(
    runtime: Context, account: AccountConfig, resource: Resource, **options: Unpack[RunOptions]
) -> RunSummary:
    """One run of a keyed sync of ``resource`` for ``account``."""
    sync = keyed_sync(
        runtime,
        account,
        resource,
        progress=options.get("progress"),
        should_stop=options.get("should_stop"),
        source_read=options.get("source_read"),
    )
    return sync.run(dry_run=options.get("dry_run", False))
