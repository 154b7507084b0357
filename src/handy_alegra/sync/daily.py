"""The daily job: catalog and customers at once.

They write different Handy records and share the account's rate limiters, so running them
side by side lets one's Handy writes fill the time the other spends reading Alegra — the job
then takes about as long as the busier API's rate limit allows, not the sum of both syncs.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from handy_alegra.accounts import AccountConfig
from handy_alegra.runtime import Runtime
from handy_alegra.sync import catalog, customers
from handy_alegra.sync.progress import Progress
from handy_alegra.sync.summary import RunSummary


def run(
    runtime: Runtime,
    account: AccountConfig,
    *,
    dry_run: bool = False,
    progress: Callable[[str], Progress] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[RunSummary]:
    """Both syncs, in parallel; ``progress(name)`` gives each its own progress lane."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="daily") as pool:
        jobs = [
            pool.submit(
                sync.run,
                runtime,
                account,
                dry_run=dry_run,
                progress=progress(name) if progress else None,
                should_stop=should_stop,
            )
            for name, sync in (("catalog", catalog), ("customers", customers))
        ]
        return [job.result() for job in jobs]
