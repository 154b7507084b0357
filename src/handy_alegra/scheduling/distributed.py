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
from types import FrameType

import procrastinate
import structlog
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import text

from handy_alegra.messages import Refusal
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling import slots
from handy_alegra.scheduling.jobs import execute
from handy_alegra.store.database import Store, normalize_url
from handy_alegra.store.statuses import SlotStatus
from handy_alegra.sync.sales import worker_id

log = structlog.get_logger("handy_alegra.scale_out")

QUEUE = "handy_alegra"
TASK = "handy_alegra.run_slot"
_SCHEMA_LOCK = 7_246_115_002


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
        runtime = Runtime.from_env()
        try:
            outcome = execute(
                runtime, slot_id, owner=_WORKER.owner, should_stop=_WORKER.stopping.is_set
            )
            if outcome.status == SlotStatus.BUSY:  # the account runs elsewhere: try again shortly
                log.info("account_busy", slot=slot_id)
        finally:
            runtime.close()

    return app


class _WorkerState:
    def __init__(self) -> None:
        self.owner = worker_id()
        self.stopping = threading.Event()


_WORKER = _WorkerState()


def ensure_schema(store: Store, app: procrastinate.App) -> None:
    """Procrastinate's tables, created once (under an advisory lock) if missing."""
    with store.engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        exists = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
        if exists is None:
            schema = app.schema_manager.get_schema()
            connection.exec_driver_sql(schema.replace("%", "%%"))


def schedule_once(runtime: Runtime, app: procrastinate.App) -> int:
    """One scheduler tick: make the due slots and defer a job for each queued one."""
    now = runtime.clock.now()
    with runtime.store.session() as session:
        slots.make_due_slots(session, now)
        slots.recover_abandoned(session, now)
        waiting = [(s.id, s.account_id) for s in slots.queued(session)]
    deferred = 0
    task = app.tasks[TASK]
    for slot_id, account_id in waiting:
        try:
            task.configure(lock=f"account:{account_id}", queueing_lock=f"slot:{slot_id}").defer(
                slot_id=slot_id
            )
            deferred += 1
        except AlreadyEnqueued:
            pass  # a job for this slot is already waiting
    return deferred


def run_scheduler(runtime: Runtime, tick_seconds: float = 15.0) -> None:
    """Tick until SIGTERM/SIGINT. Any number may run: slots are made once."""
    app = make_app(runtime.settings.store_url)
    stopping = threading.Event()
    _on_signals(stopping)
    with app.open():
        ensure_schema(runtime.store, app)
        log.info("scheduler_started")
        while not stopping.is_set():
            try:
                schedule_once(runtime, app)
            except Exception:
                log.exception("scheduler_tick_failed")
            stopping.wait(tick_seconds)
    log.info("scheduler_stopped")


def run_worker(runtime: Runtime, concurrency: int = 4) -> None:
    """Run slots until SIGTERM/SIGINT; the jobs in hand stop at their next checkpoint, then
    the worker exits."""
    app = make_app(runtime.settings.store_url)
    with app.open():
        ensure_schema(runtime.store, app)
    asyncio.run(_work(app, concurrency))


async def _work(app: procrastinate.App, concurrency: int) -> None:
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE], concurrency=concurrency, install_signal_handlers=False
            )
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
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
