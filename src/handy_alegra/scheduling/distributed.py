"""Scale-out on PostgreSQL with Procrastinate: ``handy-alegra scheduler`` makes the due slots
and defers one job per slot; ``handy-alegra worker`` runs them, on any number of machines.

Exactly once per due job, however many schedulers run: a slot is a unique row (account, kind,
slot time) that only one scheduler creates, and only one worker can claim. Procrastinate's
``lock`` (one job per account at a time) and ``queueing_lock`` (one waiting job per slot)
keep the queue tidy; the account lease in our tables is what guarantees that one account never
runs twice at the same time, across machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import FrameType

import procrastinate
import structlog
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import text

from handy_alegra.domain.statuses import SlotStatus
from handy_alegra.messages import Refusal
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling import slots
from handy_alegra.scheduling.embedded import DEFAULT_CONCURRENCY
from handy_alegra.scheduling.jobs import execute
from handy_alegra.store.database import Store, normalize_url
from handy_alegra.sync.sales import worker_id

log = structlog.get_logger("handy_alegra.scale_out")

QUEUE = "handy_alegra"
TASK = "handy_alegra.run_slot"
_SCHEMA_LOCK = 7_246_115_002
#: A job whose deadline (``slots.DEADLINE``) is this close goes ahead of the others (priority
#: 1): sales cycles, and a daily run that is overdue; daily runs due within the hour wait.
URGENT = timedelta(minutes=5)
#: A slot this scheduler deferred is not deferred again for this long (clock seconds).
REDEFER = 60.0


def conninfo(database_url: str) -> str:
    url = normalize_url(database_url)
    if not url.startswith("postgresql+psycopg://"):
        raise Refusal("error.scale_out")
    return "postgresql://" + url[len("postgresql+psycopg://") :]


def make_app(database_url: str) -> procrastinate.App:
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url))
    )

    @app.task(name=TASK, queue=QUEUE, pass_context=False)
    def run_slot(slot_id: int) -> None:
        outcome = execute(
            _WORKER.runtime(), slot_id, owner=_WORKER.owner, should_stop=_WORKER.stopping.is_set
        )
        if outcome.status == SlotStatus.BUSY:  # the account runs elsewhere: try again shortly
            log.info("account_busy", slot=slot_id)

    return app


class _WorkerState:
    """What the jobs of one worker process share: its owner name, the stop flag, and one
    runtime — one store engine and one API client (with its rate limiter) per credential for
    all its jobs, instead of a store opened (and its migrations checked) per job."""

    def __init__(self) -> None:
        self.owner = worker_id()
        self.stopping = threading.Event()
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def use(self, runtime: Runtime) -> None:
        with self._lock:
            self._runtime = runtime

    def runtime(self) -> Runtime:
        with self._lock:
            if self._runtime is None:
                self._runtime = Runtime.from_env()
            return self._runtime


_WORKER = _WorkerState()


def ensure_schema(store: Store, app: procrastinate.App) -> None:
    """Procrastinate's tables, created once (under an advisory lock) if missing."""
    with store.engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        exists = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
        if exists is None:
            schema = app.schema_manager.get_schema()
            connection.exec_driver_sql(schema.replace("%", "%%"))


def schedule_once(
    runtime: Runtime, app: procrastinate.App, deferred: dict[int, float] | None = None
) -> int:
    """One scheduler tick: make the due slots and defer a job for each queued one.

    ``deferred`` (slot id → when, on the clock's monotonic seconds): the slots this scheduler
    deferred lately, not deferred again for ``REDEFER`` — at a peak a thousand slots stay
    queued for a few ticks, and each new attempt would be an insert refused by the queueing
    lock. After that a slot still queued is deferred again (its job ran and found the account
    busy, or another scheduler's job was lost)."""
    now = runtime.clock.now()
    with runtime.store.session() as session:
        slots.make_due_slots(session, now)
        slots.recover_abandoned(session, now)
        waiting = [
            (s.id, s.account_id, 1 if slots.deadline(s.kind, s.due_at) <= now + URGENT else 0)
            for s in slots.queued(session)
        ]
    recent = deferred if deferred is not None else {}
    moment = runtime.clock.monotonic()
    for slot_id in [k for k, at in recent.items() if moment - at >= REDEFER]:
        del recent[slot_id]
    count = 0
    task = app.tasks[TASK]
    for slot_id, account_id, priority in waiting:
        if slot_id in recent:
            continue
        recent[slot_id] = moment
        try:
            task.configure(
                lock=f"account:{account_id}", queueing_lock=f"slot:{slot_id}", priority=priority
            ).defer(slot_id=slot_id)
            count += 1
        except AlreadyEnqueued:
            pass  # a job for this slot is already waiting
    return count


def run_scheduler(runtime: Runtime, tick_seconds: float = 15.0) -> None:
    """Tick until SIGTERM/SIGINT. Any number may run: slots are made once."""
    app = make_app(runtime.settings.store_url)
    stopping = threading.Event()
    _on_signals(stopping)
    with app.open():
        ensure_schema(runtime.store, app)
        log.info("scheduler_started")
        deferred: dict[int, float] = {}
        while not stopping.is_set():
            try:
                schedule_once(runtime, app, deferred)
            except Exception:
                log.exception("scheduler_tick_failed")
            stopping.wait(tick_seconds)
    log.info("scheduler_stopped")


def run_worker(runtime: Runtime, concurrency: int = DEFAULT_CONCURRENCY) -> None:
    """Run slots until SIGTERM/SIGINT; the jobs in hand stop at their next checkpoint, then
    the worker exits."""
    app = make_app(runtime.settings.store_url)
    runtime.size_store_pool(concurrency)
    with app.open():
        ensure_schema(runtime.store, app)
    _WORKER.use(runtime)
    asyncio.run(_work(app, concurrency))


async def _work(app: procrastinate.App, concurrency: int) -> None:
    # Procrastinate runs a synchronous task in the event loop's default executor, which has
    # min(32, CPUs + 4) threads: 6 on two cores, whatever ``concurrency`` says.
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(concurrency, thread_name_prefix="job"))
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE], concurrency=concurrency, install_signal_handlers=False
            )
        )
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        log.info("worker_started", owner=_WORKER.owner, concurrency=concurrency)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({worker, waiter}, return_when=asyncio.FIRST_COMPLETED)
        _WORKER.stopping.set()  # running jobs stop at their next checkpoint
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        waiter.cancel()
    log.info("worker_stopped", owner=_WORKER.owner)


def _on_signals(event: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(_: int, __: FrameType | None) -> None:
        event.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
