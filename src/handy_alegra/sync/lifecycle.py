"""One way to open and close a run. Catalog and customers (alone, or side by side in
``sync daily``), sales cycles, webhook events and the dry runs of each do their work inside
``opened``; whatever ends the work, the run is closed with its outcome, its counts and its
message, and its scratch rows are cleaned (``on_close``):

=================================  ===========  ==============================================
the work ended by                  outcome      message
=================================  ===========  ==============================================
returning                          ok           (partial when some records failed)
an API outage (``ApiError``)       interrupted  the error — the next run resumes from here
``Stopped`` (shutdown) or Ctrl-C   stopped      stopped for a shutdown; the next run resumes…
anything else: a bug               crashed      the exception's type and text
=================================  ===========  ==============================================

A crash is logged with its traceback and kept on the summary (``error``) instead of raised:
callers read the outcome (the scheduler marks the slot failed and alerts; the command line
says what it means in one line, exits 4, and raises it under ``--debug``). Ctrl-C is raised
again once the run is closed. A dry run's row (it only holds the run's scratch rows) is
deleted when it closes; ``record=False`` opens no row at all (the sales preview).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from handy_alegra.domain.errors import ApiError
from handy_alegra.domain.statuses import RunOutcome
from handy_alegra.store import sync_state as state
from handy_alegra.store.database import Store
from handy_alegra.sync.summary import RunSummary, Stopped

log = structlog.get_logger("handy_alegra.sync")

RESUMES = "the next run resumes from here"
STOPPED_MESSAGE = "stopped for a shutdown; {resumes}"
MESSAGE_LIMIT = 500


@contextmanager
def opened(
    store: Store,
    account_id: int,
    summary: RunSummary,
    now: Callable[[], datetime],
    *,
    record: bool = True,
    resumes: str = RESUMES,
    on_close: Callable[[Session], None] | None = None,
) -> Iterator[RunSummary]:
    """Open a run of ``summary.kind`` (its id goes on ``summary.run_id``), let the body work,
    close it whatever happens. ``on_close`` runs in the closing transaction, before the run
    is recorded: it cleans the run's scratch rows and may still count (``summary.counts``)."""
    if summary.started_at is None:
        summary.started_at = now()
    if record:
        with store.session() as session:
            run = state.start_run(
                session, account_id, summary.kind, summary.started_at, dry_run=summary.dry_run
            )
            summary.run_id = run.id
    interrupted: KeyboardInterrupt | None = None
    try:
        yield summary
    except ApiError as exc:
        summary.outcome, summary.message = RunOutcome.INTERRUPTED, f"{exc} — {resumes}"
        log.warning("run_interrupted", **_who(summary), error=str(exc))
    except (Stopped, KeyboardInterrupt) as exc:
        summary.outcome, summary.message = (
            RunOutcome.STOPPED,
            STOPPED_MESSAGE.format(resumes=resumes),
        )
        log.info("run_stopped", **_who(summary))
        interrupted = exc if isinstance(exc, KeyboardInterrupt) else None
    except Exception as exc:  # a bug: the run is closed as crashed, the caller is told
        summary.outcome = RunOutcome.CRASHED
        summary.message = f"{type(exc).__name__}: {exc}"[:MESSAGE_LIMIT]
        summary.error = exc
        log.exception("run_crashed", **_who(summary))
    if summary.outcome == RunOutcome.OK and summary.failed.total():
        summary.outcome = RunOutcome.PARTIAL
    summary.finished_at = now()
    _close(store, summary, on_close)
    if interrupted is not None:
        raise interrupted


def _who(summary: RunSummary) -> dict[str, object]:
    return {"account": summary.account, "kind": summary.kind, "run_id": summary.run_id}


def _close(store: Store, summary: RunSummary, on_close: Callable[[Session], None] | None) -> None:
    try:
        with store.session() as session:
            if on_close is not None:
                on_close(session)
            _record(session, summary)
    except Exception:
        if on_close is None:
            raise
        log.exception("run_cleanup_failed", **_who(summary))  # still close the run itself
        with store.session() as session:
            _record(session, summary)


def _record(session: Session, summary: RunSummary) -> None:
    if summary.run_id is None:
        return
    if summary.dry_run:
        state.drop_run(session, summary.run_id)  # a dry run leaves the store as it found it
        summary.run_id = None
        return
    assert summary.finished_at is not None
    state.finish_run(
        session,
        summary.run_id,
        summary.finished_at,
        summary.outcome,
        summary.counts_json(),
        summary.message,
    )
