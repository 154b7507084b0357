"""What a run did, counted: the summary printed at the end and stored with the run."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handy_alegra.domain.statuses import RESUMABLE_OUTCOMES, OrderStatus, RunOutcome

#: At most this many plan lines are kept on a summary (its counts still count every record).
PLAN_LIMIT = 5000

#: Exit codes of a ``sync`` command.
EXIT_OK = 0
EXIT_RECORDS_FAILED = 1  # finished; some records failed for data reasons
EXIT_INTERRUPTED = 3  # an API outage (or lost credentials), or a stop: the next run resumes
EXIT_CRASHED = 4  # a bug ended the run (closed as crashed; ``--debug`` shows the traceback)

#: The counts every summary of a kind shows, even when zero. A sales count named after an
#: order status counts the orders this run brought to it.
EFFECTS = {
    "catalog": ("created", "updated", "enabled", "disabled", "unchanged", "left_alone"),
    "customers": ("created", "updated", "enabled", "disabled", "unchanged", "left_alone"),
    "sales": (
        "read",
        OrderStatus.SENT,
        "adopted",
        "updated",
        OrderStatus.VOIDED,
        OrderStatus.CANCELLED,
        OrderStatus.NEEDS_ATTENTION,
        "pending",
        "held",
    ),
}


class Stopped(Exception):
    """A run asked to stop (the service is shutting down) reached a checkpoint."""


@dataclass
class RunSummary:
    kind: str
    account: str
    dry_run: bool = False
    run_id: int | None = None
    outcome: RunOutcome = RunOutcome.OK  # decided when the run is closed (sync/lifecycle.py)
    counts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    message: str | None = None
    planned: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: BaseException | None = field(default=None, repr=False, compare=False)  # a crash's
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def bump(self, key: str, amount: int = 1) -> None:
        """Count an effect (safe from several threads)."""
        with self._lock:
            self.counts[key] += amount

    def fail(self, reason: str) -> None:
        with self._lock:
            self.failed[reason] += 1

    def add_planned(self, lines: list[dict[str, Any]]) -> None:
        """Keep what was decided for a record (safe from several threads; ``PLAN_LIMIT``)."""
        with self._lock:
            self.planned.extend(lines[: max(0, PLAN_LIMIT - len(self.planned))])

    @property
    def exit_code(self) -> int:
        if self.outcome == RunOutcome.CRASHED:
            return EXIT_CRASHED
        if self.outcome in RESUMABLE_OUTCOMES:
            return EXIT_INTERRUPTED
        return EXIT_RECORDS_FAILED if sum(self.failed.values()) else EXIT_OK

    def counts_json(self) -> dict[str, Any]:
        shown = EFFECTS.get(self.kind, ())
        return {
            **{effect: self.counts.get(effect, 0) for effect in shown},
            **{k: v for k, v in self.counts.items() if k not in shown},
            "skipped": dict(sorted(self.skipped.items())),
            "failed": dict(sorted(self.failed.items())),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "account": self.account,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            **self.counts_json(),
            "message": self.message,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            **({"plan": self.planned} if self.dry_run else {}),
        }
