"""The embedded default: an in-process dispatcher over the store, no other server.

Every tick it makes the slots that are due (the store keeps each one unique), hands queued
slots to a bounded thread pool — at most one job per account at a time here, and the account
lease across processes — and waits for the next tick. On SIGTERM/SIGINT it stops taking
work; running jobs stop at their next checkpoint; leases are released; it exits 0.
"""

from __future__ import annotations

import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from types import FrameType

import structlog

from handy_alegra.runtime import Runtime
from handy_alegra.scheduling import slots
from handy_alegra.scheduling.jobs import Outcome, execute
from handy_alegra.sync.sales import worker_id

log = structlog.get_logger("handy_alegra.service")


class Dispatcher:
    def __init__(self, runtime: Runtime, *, concurrency: int = 4, owner: str | None = None) -> None:
        self.runtime = runtime
        self.owner = owner or worker_id()
        self.pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="job")
        self.running: dict[int, Future[Outcome]] = {}  # account id → its job here
        self.stopping = threading.Event()
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()

    def tick(self) -> list[int]:
        """Make the due slots and start what can start; returns the slots started."""
        if self.stopping.is_set():
            return []
        now = self.runtime.clock.now()
        with self.runtime.store.session() as session:
            created = slots.make_due_slots(session, now)
            recovered = slots.recover_abandoned(session, now)
            waiting = [(s.id, s.account_id) for s in slots.queued(session)]
        if created or recovered:
            log.info("slots_made", created=created, recovered=recovered)
        started = []
        with self._lock:
            for slot_id, account_id in waiting:
                job = self.running.get(account_id)
                if job is not None and not job.done():
                    continue  # the account is busy here; the slot waits for a later tick
                self.running[account_id] = self.pool.submit(self._run, slot_id)
                started.append(slot_id)
        return started

    def _run(self, slot_id: int) -> Outcome:
        outcome = execute(self.runtime, slot_id, owner=self.owner, should_stop=self.stopping.is_set)
        with self._lock:
            self.outcomes.append(outcome)
        return outcome

    def drain(self) -> None:
        """Wait for every job started so far (tests: tick, drain, advance the clock)."""
        with self._lock:
            jobs = list(self.running.values())
        for job in jobs:
            job.result()

    def serve(self, tick_seconds: float = 15.0) -> None:
        """Tick until asked to stop; then finish or checkpoint the jobs in hand and return."""
        self._install_signals()
        log.info("service_started", owner=self.owner, tick=tick_seconds)
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:  # the store may be briefly unreachable: try at the next tick
                log.exception("tick_failed")
            self.stopping.wait(tick_seconds)
        self.shutdown()

    def shutdown(self) -> None:
        self.stopping.set()
        self.pool.shutdown(wait=True)
        log.info("service_stopped", owner=self.owner)

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def stop(signum: int, _: FrameType | None) -> None:
            log.info("stop_requested", signal=signal.Signals(signum).name)
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
