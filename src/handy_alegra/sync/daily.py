"""The daily job: catalog and customers, overlapped.

They write different Handy records and share the account's rate limiters. Customers go first
and read Alegra alone (their listing is the shorter one); as soon as they have read it, the
catalog starts reading Alegra while the customers' Handy writes go on. One's Handy writes then
fill the time the other spends reading Alegra, and the job takes about as long as the busier
API's rate limit allows — not the sum of both syncs, and Handy does not sit idle while both
share Alegra at the start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from handy_alegra.accounts.context import Context
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.sync import catalog, customers
from handy_alegra.sync.progress import Progress
from handy_alegra.sync.summary import RunSummary


def run(
    runtime: Context,
    account: AccountConfig,
    *,
    dry_run: bool = False,
    progress: Callable[[str], Progress] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[RunSummary]:
    """Both syncs, overlapped; ``progress(name)`` gives each its own progress lane. The
    summaries come catalog first, then customers. Each is a run of its own, opened and
    closed by ``lifecycle``; Ctrl-C here stops both at their next checkpoint (closed as
    stopped) before it is raised again."""
    customers_read = threading.Event()
    interrupted = threading.Event()

    def stopping() -> bool:
        return interrupted.is_set() or (should_stop is not None and should_stop())

    def lane(name: str) -> Progress | None:
        return progress(name) if progress else None

    def run_customers() -> RunSummary:
        try:
            return customers.run(
                runtime,
                account,
                dry_run=dry_run,
                progress=lane("customers"),
                should_stop=stopping,
                source_read=customers_read.set,
            )
        finally:
            customers_read.set()  # also when they stop early: never keep the catalog waiting

    def run_catalog() -> RunSummary:
        customers_read.wait()
        return catalog.run(
            runtime, account, dry_run=dry_run, progress=lane("catalog"), should_stop=stopping
        )

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="daily") as pool:
        first = pool.submit(run_customers)
        second = pool.submit(run_catalog)
        try:
            return [second.result(), first.result()]
        except KeyboardInterrupt:
            interrupted.set()  # the pool waits for both to reach a checkpoint and close
            raise
