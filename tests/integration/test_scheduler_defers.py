"""The scale-out scheduler's tick (``distributed.schedule_once``) with a stand-in for
Procrastinate: each queued slot is deferred once, not at every tick while it waits (at a peak
a thousand would be refused by the queueing lock every 15 seconds), again after a minute if
still queued; sales cycles go ahead of daily runs that have the hour."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from procrastinate.exceptions import AlreadyEnqueued

from handy_alegra.config.settings import Settings
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling import slots
from handy_alegra.scheduling.distributed import TASK, schedule_once
from tests.integration.test_store import add_account


class Queue:
    """What ``app.tasks[TASK].configure(...).defer(...)`` needs: a queueing lock per slot."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.attempts = 0
        self.tasks = {TASK: self}

    def configure(self, **options: Any) -> Queue:
        self.options = options
        return self

    def defer(self, slot_id: int) -> None:
        self.attempts += 1
        key = self.options["queueing_lock"]
        if key in self.jobs:
            raise AlreadyEnqueued(key)
        self.jobs[key] = {"slot": slot_id, **self.options}


def test_each_queued_slot_is_deferred_once_then_again_after_a_minute(
    sqlite_url: str, tmp_path: Path
) -> None:
    clock = ManualClock(datetime(2026, 11, 3, 9, 0, 5, tzinfo=UTC))  # 03:00 in Mexico City
    rt = Runtime(
        Settings(home=tmp_path, database_url=sqlite_url, secret_key=Fernet.generate_key().decode()),
        clock,
    )
    for name in ("acme", "beta"):
        add_account(rt.store, rt.vault, name)
    queue = Queue()
    deferred: dict[int, float] = {}
    assert schedule_once(rt, queue, deferred) == 4  # type: ignore[arg-type]
    with rt.store.session() as session:
        kinds = {s.id: s.kind for s in slots.queued(session)}
    assert sorted((kinds[j["slot"]], j["priority"]) for j in queue.jobs.values()) == [
        ("daily", 0), ("daily", 0),  # the 03:00 daily runs have the hour…
        ("sales", 1), ("sales", 1),  # …the sales cycles go first
    ]  # fmt: skip
    clock.advance(15)
    assert schedule_once(rt, queue, deferred) == 0  # type: ignore[arg-type]
    assert queue.attempts == 4  # nothing tried again while they wait
    clock.advance(60)
    schedule_once(rt, queue, deferred)  # type: ignore[arg-type]
    assert queue.attempts == 8  # a minute on, still queued: tried again (refused: waiting)
    rt.close()
