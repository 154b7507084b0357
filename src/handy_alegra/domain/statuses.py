"""Every status the store keeps, defined once: how a run ended, where an order is, what became
of a due job (slot) and of a Handy record. Each is a ``StrEnum`` whose values are the strings
in the database, so a member compares equal to what a row holds and is written as that string
(no migration). The sets that alerts, the dashboard, ``status``, metrics and the scheduler read
are defined here too, next to their enum; nothing else spells these values out (a test greps
``src`` for them).
"""

from __future__ import annotations

from enum import StrEnum


class RunOutcome(StrEnum):
    """How a run of a sync ended (``runs.outcome``); ``sync/lifecycle.py`` decides it."""

    RUNNING = "running"  # opened, not closed yet (or its process was killed)
    OK = "ok"  # finished; every record went through or was skipped for a reason
    PARTIAL = "partial"  # finished; some records failed for data reasons (listed per record)
    INTERRUPTED = "interrupted"  # an API outage or refused credentials ended it early
    STOPPED = "stopped"  # asked to stop (a shutdown, Ctrl-C) and stopped at a checkpoint
    CRASHED = "crashed"  # a bug ended it: the exception's type and text are its message


#: Runs that ended badly: alerts count them and the dashboard shows the account failing.
UNHEALTHY_OUTCOMES = frozenset({RunOutcome.INTERRUPTED, RunOutcome.CRASHED})
#: One run ending so opens an alert at once (a bug does not heal by waiting); outages
#: need ``alert_failed_runs`` in a row.
ALERT_AT_ONCE = frozenset({RunOutcome.CRASHED})
#: Runs that say nothing of an account's health (a shutdown, or not over yet): alerts and
#: the dashboard look past them to the run before.
NEUTRAL_OUTCOMES = frozenset({RunOutcome.RUNNING, RunOutcome.STOPPED})
#: Finished their work (a job whose runs ended so needs no failed-runs alert read).
ENDED_WELL = frozenset({RunOutcome.OK, RunOutcome.PARTIAL})
#: Ended before their work was done; the next run resumes it (``sync`` exits 3).
RESUMABLE_OUTCOMES = frozenset({RunOutcome.INTERRUPTED, RunOutcome.STOPPED})


class OrderStatus(StrEnum):
    """Where one Handy order is on its way to Alegra (``order_records.status``)::

    pending → sending → sent
    failed (retried every cycle) · needs_attention (a person must act)
    cancelling → voided (cancelled after its remission existed) · cancelled (before)
    superseded (edited: the newer version carries the remission)
    """

    PENDING = "pending"
    SENDING = "sending"  # committed before the POST: the next attempt looks for its marker
    SENT = "sent"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    CANCELLING = "cancelling"
    VOIDED = "voided"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"


#: Records a sales cycle still has to send.
OPEN = (OrderStatus.PENDING, OrderStatus.SENDING, OrderStatus.FAILED)
#: What a cycle works on: records still to send, and cancellations waiting for their void
#: (an order in one of these may still change without anyone acting).
WORK = (*OPEN, OrderStatus.CANCELLING)
#: Not sent, and not being sent: a newer read of the order may replace what is kept of it, an
#: edit supersedes it.
UNSENT_YET = (OrderStatus.PENDING, OrderStatus.FAILED)
#: Orders that have not gone through: ``status`` and the dashboard list them, alerts watch them.
NOT_THROUGH = (OrderStatus.FAILED, OrderStatus.NEEDS_ATTENTION, OrderStatus.SENDING)
#: Orders not yet in Alegra (the age of the oldest is a metric).
UNSENT = (*OPEN, OrderStatus.NEEDS_ATTENTION)
#: What a person may send again ("retry now").
RETRYABLE = (OrderStatus.FAILED, OrderStatus.NEEDS_ATTENTION)
#: A cancelled order in one of these needs nothing more.
FINAL = (OrderStatus.VOIDED, OrderStatus.CANCELLED)
#: Done with: their attempts can go with the history (``store.retention``).
SETTLED = (OrderStatus.SENT, OrderStatus.VOIDED, OrderStatus.CANCELLED, OrderStatus.SUPERSEDED)
#: Their remission (if any) is voided or about to be: not a live one.
GOING = (*FINAL, OrderStatus.CANCELLING)


class SlotStatus(StrEnum):
    """What became of one due job (``slots.status``)."""

    QUEUED = "queued"  # due, waiting for a worker (again, after a stop for a shutdown)
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # a run of it was interrupted or crashed
    SKIPPED = "skipped"  # the account was paused or gone, or another worker claimed the slot
    BUSY = "busy"  # never stored: another worker holds the account; the slot stays queued


#: Slots a service is about to run or running.
WAITING = (SlotStatus.QUEUED, SlotStatus.RUNNING)


class RecordOutcome(StrEnum):
    """The last thing done to one Handy product or customer (``handy_records.outcome``)."""

    CREATED = "created"
    UPDATED = "updated"
    ENABLED = "enabled"
    DISABLED = "disabled"
    FAILED = "failed"  # Handy refused the write (``reason``); tried again every run
    UNCHANGED = "unchanged"
    SKIP = "skip"  # Alegra names it but it does not qualify (``reason``)
    LEFT_ALONE = "left_alone"  # only in Handy: not ours
