"""The embedded default: an in-process dispatcher over the store, no other server.

Every tick it makes the slots that are due (the store keeps each one unique); queued slots
start on a pool of job threads, the earliest deadline first (``slots.DEADLINE``: sales cycles
before daily runs), one job per account at a time here and the account lease across
processes. A slot starts only when a thread is free to run it, and a thread that frees up
takes the next slot at once, without waiting for the tick. On SIGTERM/SIGINT it stops taking
work; running jobs stop at their next checkpoint; leases are released; it exits 0.

The jobs wait on the APIs most of their time (a sales cycle with no new order: two 80 ms
answers and a few store writes), so the pool is sized for many in flight: the per-credential
rate limiters still hold each account to its APIs' limits.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from types import FrameType

import structlog

from handy_alegra.domain.statuses import SlotStatus
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling import slots
from handy_alegra.scheduling.jobs import Outcome, execute
from handy_alegra.sync.sales import worker_id

log = structlog.get_logger("handy_alegra.service")

#: Jobs in flight in one process (``run --concurrency``); see docs/operations.md for sizing.
DEFAULT_CONCURRENCY = 32
#: Outcomes kept for a look (tests, ``run --once``); older ones are only counted.
RECENT = 1_000


class Dispatcher:
    def __init__(
        self,
        runtime: Runtime,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        owner: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.owner = owner or worker_id()
        self.concurrency = max(1, concurrency)
        runtime.size_store_pool(self.concurrency)
        self.pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="job")
        #: account id → its job here, from its start until its thread is about to free up
        self.running: dict[int, Future[Outcome]] = {}
        self._wake = threading.Event()  # a job ended (a thread is free), or a stop
        self.stopping = _Stop(self._wake)
        #: the latest outcomes (bounded: the service runs for months) and counts by status
        self.outcomes: deque[Outcome] = deque(maxlen=RECENT)
        self.counts: Counter[str] = Counter()
        self._held: set[int] = set()  # slots whose account another process holds: next tick
        self._lock = threading.Lock()

    def tick(self) -> list[int]:
        """Make the due slots and start what can start; returns the slots started."""
        if self.stopping.is_set():
            return []
        now = self.runtime.clock.now()
        with self.runtime.store.session() as session:
            created = slots.make_due_slots(session, now)
            recovered = slots.recover_abandoned(session, now)
        if created or recovered:
            log.info("slots_made", created=created, recovered=recovered)
        with self._lock:
            self._held.clear()
        return self.dispatch()

    def dispatch(self) -> list[int]:
        """Start queued slots on the free threads, the earliest deadline first."""
        if self.stopping.is_set():
            return []
        with self._lock:
            busy = set(self.running)
            held = set(self._held)
        free = self.concurrency - len(busy)
        if free <= 0:
            return []
        with self.runtime.store.session() as session:
            # slots of accounts busy here, or held elsewhere, may come first: read past them
            waiting = slots.next_up(session, free + len(busy) + len(held))
        started: list[int] = []
        with self._lock:
            for slot_id, account_id in waiting:
                if len(started) == free:
                    break
                if account_id in busy or slot_id in held:
                    continue  # the account is busy; the slot waits for its turn
                busy.add(account_id)
                self.running[account_id] = self.pool.submit(self._run, slot_id, account_id)
                started.append(slot_id)
        return started

    def _run(self, slot_id: int, account_id: int) -> Outcome:
        try:
            outcome = execute(
                self.runtime, slot_id, owner=self.owner, should_stop=self.stopping.is_set
            )
            with self._lock:
                self.outcomes.append(outcome)
                self.counts[outcome.status] += 1
                if outcome.status == SlotStatus.BUSY:  # another process runs the account: not again
                    self._held.add(slot_id)  # before the next tick
            return outcome
        finally:  # the account is free before anyone wakes (a waker that still saw it
            with self._lock:  # running would pass over its next slot)
                self.running.pop(account_id, None)
            self._wake.set()

    def drain(self) -> None:
        """Wait for every job started so far (tests: tick, drain, advance the clock)."""
        with self._lock:
            jobs = list(self.running.values())
        for job in jobs:
            job.result()

    def run_once(self) -> None:
        """Run everything that is due now, then return (``run --once``): slots are made once;
        a job that frees a thread lets the next queued one start, until none can."""
        started = self.tick()
        while started or self._busy():
            self._wake.wait()
            self._wake.clear()
            started = self.dispatch()
            if not started and not self._busy():  # the last jobs may have ended while it
                started = self.dispatch()  # looked: one more look with every thread free
        self.drain()

    def _busy(self) -> bool:
        with self._lock:
            return bool(self.running)

    def serve(self, tick_seconds: float = 15.0) -> None:
        """Tick until asked to stop; then finish or checkpoint the jobs in hand and return."""
        self._install_signals()
        log.info(
            "service_started", owner=self.owner, tick=tick_seconds, concurrency=self.concurrency
        )
        next_tick = 0.0
        while not self.stopping.is_set():
            try:
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + tick_seconds
                    self.tick()
                else:
                    self.dispatch()
            except Exception:  # the store may be briefly unreachable: try at the next tick
                log.exception("tick_failed")
            self._wake.wait(max(0.0, next_tick - time.monotonic()))
            self._wake.clear()
        self.shutdown()

    def stop(self) -> None:
        self.stopping.set()

    def shutdown(self) -> None:
        self.stop()
        self.pool.shutdown(wait=True)
        log.info("service_stopped", owner=self.owner)

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def stop(signum: int, _: FrameType | None) -> None:
            log.info("stop_requested", signal=signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


class _Stop(threading.Event):
    """The stop flag; setting it also wakes the dispatcher (SIGTERM, or ``serve
    --with-service`` stopping it from another thread)."""

    def __init__(self, wake: threading.Event) -> None:
        super().__init__()
        self._wake_up = wake

    def set(self) -> None:
        super().set()
        self._wake_up.set()
