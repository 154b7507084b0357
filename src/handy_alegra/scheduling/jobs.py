"""Running one slot: take the account's lease (kept alive by a heartbeat), claim the slot, run
the syncs, record the outcome, let go. The same for the embedded dispatcher and for
Procrastinate workers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

import structlog

from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.domain.clock import real_seconds
from handy_alegra.domain.statuses import ENDED_WELL, UNHEALTHY_OUTCOMES, RunOutcome, SlotStatus
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling import alerts, slots
from handy_alegra.scheduling.schedule import DAILY, EVENTS, SALES
from handy_alegra.store import retention
from handy_alegra.store.tables import Account, Slot
from handy_alegra.sync import daily, sales
from handy_alegra.sync import webhooks as webhook_sync
from handy_alegra.sync.summary import RunSummary

log = structlog.get_logger("handy_alegra.jobs")

LEASE = timedelta(minutes=5)

Job = Callable[[Runtime, AccountConfig, Callable[[], bool]], list[RunSummary]]
_JOBS: dict[str, Job] = {
    DAILY: lambda rt, a, stop: daily.run(rt, a, should_stop=stop),
    SALES: lambda rt, a, stop: [sales.run(rt, a, should_stop=stop)],
    EVENTS: lambda rt, a, stop: [webhook_sync.process(rt, a, stop)],
}
HEARTBEAT_SECONDS = 60.0
#: A job stopped for a shutdown is not done: its slot goes back to the queue, and the next
#: service (or another worker) runs it, resuming where its runs stopped.
STOPPED_BEFORE = "stopped before it started; queued again"
STOPPED_DURING = "stopped for a shutdown; queued again"
#: The kinds of run each job makes (their failed-runs alerts are evaluated after it).
RUN_KINDS = {DAILY: ("catalog", "customers"), SALES: ("sales",), EVENTS: ("webhook",)}


@dataclass(frozen=True)
class Outcome:
    slot_id: int
    status: SlotStatus  # done | failed | busy | skipped | queued (stopped: to run again)
    summaries: tuple[RunSummary, ...] = ()


def execute(
    runtime: Runtime, slot_id: int, *, owner: str, should_stop: Callable[[], bool] = lambda: False
) -> Outcome:
    store, clock = runtime.store, runtime.clock
    with store.session() as session:  # the lease, the slot and the account in one transaction
        slot = session.get(Slot, slot_id)
        if slot is None or slot.status != SlotStatus.QUEUED:
            return Outcome(slot_id, SlotStatus.SKIPPED)
        account_id, kind = slot.account_id, slot.kind
        now = clock.now()
        if not slots.take_lease(session, account_id, owner, kind, now, now + LEASE):
            return Outcome(slot_id, SlotStatus.BUSY)  # another job of this account runs elsewhere
        if not slots.claim(session, slot_id, owner, now):
            slots.release_lease(session, account_id, owner, now)
            return Outcome(slot_id, SlotStatus.SKIPPED)
        row = session.get(Account, account_id)
        account = accounts.to_config(row, runtime.vault) if row is not None else None
    heartbeat = _Heartbeat(runtime, account_id, owner)
    heartbeat.start()
    structlog.contextvars.bind_contextvars(
        account=account.name if account else account_id, slot=slot_id, job=kind
    )
    summaries: list[RunSummary] = []
    status, message = SlotStatus.DONE, None
    try:
        if account is None or account.paused:
            status, message = SlotStatus.SKIPPED, "the account is paused or gone"
        elif should_stop():
            status, message = SlotStatus.QUEUED, STOPPED_BEFORE
        else:
            for summary in _JOBS[kind](runtime, account, should_stop):
                summaries.append(summary)
                log.info(
                    "run_finished",
                    kind=summary.kind,
                    run_id=summary.run_id,
                    outcome=summary.outcome,
                    counts=summary.counts_json(),
                )
                if summary.outcome == RunOutcome.STOPPED:
                    status, message = SlotStatus.QUEUED, STOPPED_DURING
                elif summary.outcome in UNHEALTHY_OUTCOMES and status != SlotStatus.QUEUED:
                    status, message = SlotStatus.FAILED, summary.message
            if kind == DAILY and status != SlotStatus.QUEUED:  # once a day: a subscription
                webhook_sync.ensure_subscriptions(runtime, account)  # Alegra dropped comes
                _prune(runtime, account)  # back, and old history goes
    except Exception as exc:  # a bug must not take the whole service down
        log.exception("job_crashed")
        status, message = SlotStatus.FAILED, f"{type(exc).__name__}: {exc}"
    finally:
        heartbeat.stop()
        if account is not None:
            ended_well = {s.kind for s in summaries if s.outcome in ENDED_WELL}
            _alert(runtime, account, RUN_KINDS[kind], ended_well)
        with store.session() as session:  # done, and the account free, in one transaction
            run_ids = [s.run_id for s in summaries if s.run_id is not None]
            slots.finish(session, slot_id, status, run_ids, message, clock.now())
            slots.release_lease(session, account_id, owner, clock.now())
        structlog.contextvars.unbind_contextvars("account", "slot", "job")
    return Outcome(slot_id, status, tuple(summaries))


def _prune(runtime: Runtime, account: AccountConfig) -> None:
    """The account's history older than the retention period (``store.retention``)."""
    try:
        with runtime.store.session() as session:
            pruned = retention.prune(
                session, account.id, runtime.clock.now(), runtime.settings.retention_days
            )
    except Exception:  # pruning can wait for tomorrow; the job's work is done
        log.exception("pruning_failed")
        return
    if pruned.total():
        log.info("history_pruned", **asdict(pruned))


def _alert(
    runtime: Runtime, account: AccountConfig, kinds: tuple[str, ...], ended_well: set[str]
) -> None:
    """Open or clear the account's alerts (still under its lease: one evaluator at a time);
    the failed-runs alerts of the kinds of run this job made (the others did not change) —
    a kind whose run just ended well has no failed-runs problem, without reading its runs."""
    try:
        alerts.run(
            runtime.store.session,
            account,
            runtime.clock.now(),
            mailer=alerts.smtp_mailer(runtime.settings),
            kinds=kinds,
            fine=tuple(k for k in kinds if k in ended_well),
        )
    except Exception:  # an alert that cannot be sent must not fail the job
        log.exception("alerts_failed")


class _Heartbeat:
    """Renews the account lease while a job runs, so a long catalog keeps it; if the process
    dies, the lease simply expires. It beats every minute of the service's clock (a sped-up
    clock in the benchmarks would otherwise see five-minute leases expire under a job)."""

    def __init__(self, runtime: Runtime, account_id: int, owner: str) -> None:
        self.runtime, self.account_id, self.owner = runtime, account_id, owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"lease-{account_id}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(real_seconds(self.runtime.clock, HEARTBEAT_SECONDS)):
            with self.runtime.store.session() as session:
                now = self.runtime.clock.now()
                slots.renew_lease(session, self.account_id, self.owner, now + LEASE)
