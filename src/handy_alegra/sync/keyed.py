"""The imperative shell of an Alegra → Handy sync keyed by Handy code (products, customers).

A run: (1) stream the Alegra records, judging each with the pure rules and keeping the
verdicts in the store page by page; (2) read Handy — everything on the first run, afterwards
only what changed since the previous run (``lastUpdated`` window) — into the run's snapshots;
(3) make sure the families or zones the verdicts name exist; (4) plan code by code in batches
(the pure ``keyed_plan.plan``) and apply the writes, recording after each batch what Handy now
holds. Memory stays bounded by a batch, whatever the size of the catalog. The run opens and
closes through ``lifecycle.opened``: an API outage, a stop for a shutdown (checked after every
page read and before every batch written) or a bug ends it cleanly — what was applied stays
applied and recorded, the run's scratch rows go, the cursor does not move, and the next run
picks up from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy.orm import Session

from handy_alegra.clients.pages import in_order
from handy_alegra.domain.errors import (
    AmbiguousWriteError,
    ApiError,
    NotFoundError,
    RecordParseError,
)
from handy_alegra.domain.statuses import RecordOutcome
from handy_alegra.mapping.verdict import Verdict, unreadable
from handy_alegra.store import sync_state as state
from handy_alegra.store.database import Store
from handy_alegra.store.tables import HandyRecord
from handy_alegra.sync import lifecycle
from handy_alegra.sync.keyed_plan import (
    CREATE,
    DISABLE,
    ENABLE,
    LEFT_ALONE,
    SKIP,
    UNCHANGED,
    UPDATE,
    WRITES,
    Action,
    Known,
    plan,
)
from handy_alegra.sync.progress import Progress, Silent
from handy_alegra.sync.summary import RunSummary, Stopped

log = structlog.get_logger("handy_alegra.sync")

MAX_HANDY_CODE = 200
#: How far back an incremental Handy read reaches before the previous run's start.
OVERLAP = timedelta(minutes=10)
BATCH = 500
PAGE = 200  # verdicts and snapshots are written in groups of this size
EFFECT = {
    CREATE: RecordOutcome.CREATED,
    UPDATE: RecordOutcome.UPDATED,
    ENABLE: RecordOutcome.ENABLED,
    DISABLE: RecordOutcome.DISABLED,
}
RUN_KIND = {"product": "catalog", "customer": "customers"}


@dataclass(frozen=True, slots=True)
class HandyView:
    """A Handy record as the plan compares it: its code, id and synced fields."""

    code: str
    handy_id: str | None
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str
    error: str


class Resource(Protocol):
    """What a keyed sync needs from one kind of record."""

    kind: str  # "product" | "customer"
    group_field: str  # the field naming a Handy grouping created on demand: "family" | "zone"

    def read_source(self) -> Iterator[Any]:
        """The Alegra records to judge (a ``RecordParseError`` for one that cannot be read)."""
        ...

    def judge(self) -> Callable[[Any], Verdict]:
        """The pure rules for one record, with everything they need read now (the customers':
        the sellers' current names). Every run and every webhook job asks for its own."""
        ...

    def read_handy(
        self, window: tuple[datetime, datetime] | None
    ) -> Iterator[HandyView | RecordParseError]: ...

    def prepare(self, groups: set[str], *, dry_run: bool) -> list[str]:
        """Make sure the named groups exist (unless dry-run); one line per group created."""
        ...

    def create(self, code: str, fields: dict[str, Any]) -> HandyView: ...

    def update(self, code: str, changes: dict[str, Any]) -> HandyView: ...

    def fetch(self, code: str) -> HandyView | None: ...


@dataclass
class KeyedSync:
    resource: Resource
    store: Store
    account_id: int
    account_name: str
    now: Callable[[], datetime]
    progress: Progress = field(default_factory=Silent)
    should_stop: Callable[[], bool] = lambda: False
    workers: int = 1  # Handy writes in parallel
    source_read: Callable[[], None] = lambda: None  # every Alegra record has been read

    def _checkpoint(self) -> None:
        if self.should_stop():
            raise Stopped

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def cursor_name(self) -> str:
        return f"handy_{self.kind}s"

    def run(self, *, dry_run: bool = False) -> RunSummary:
        started = self.now()
        summary = RunSummary(RUN_KIND[self.kind], self.account_name, dry_run, started_at=started)
        judged = False

        def clean(session: Session) -> None:  # snapshots; verdicts of an unfinished judging
            if summary.run_id is not None:
                state.drop_run_scratch(session, summary.run_id, verdicts=dry_run or not judged)

        with lifecycle.opened(self.store, self.account_id, summary, self.now, on_close=clean):
            assert summary.run_id is not None
            run_id = summary.run_id
            groups = self._judge_alegra(run_id, summary)
            judged = True
            self.source_read()
            if not dry_run:
                with self.store.session() as session:
                    state.keep_only_run_verdicts(session, self.account_id, self.kind, run_id)
            self._read_handy(run_id, started)
            for line in self.resource.prepare(groups, dry_run=dry_run):
                summary.planned.append(
                    {"action": f"create_{self.resource.group_field}", "name": line}
                )
            self._plan_and_apply(run_id, summary, dry_run)
            if not dry_run:  # every read and write completed: the next run reads from here
                with self.store.session() as session:
                    state.set_cursor(session, self.account_id, self.cursor_name, started)
        return summary

    # --- 1. Alegra ---------------------------------------------------------------------------
    def _judge_alegra(self, run_id: int, summary: RunSummary) -> set[str]:
        """Judge every Alegra record; returns the group names the syncing ones want."""
        self.progress.phase(f"Reading Alegra {self.kind}s")
        groups: set[str] = set()
        page: list[Verdict] = []
        judge = self.resource.judge()
        for record in self.resource.read_source():
            verdict = unreadable(record) if isinstance(record, RecordParseError) else judge(record)
            if verdict.sync:
                group = verdict.desired.get(self.resource.group_field)
                if isinstance(group, str):
                    groups.add(group)
            elif verdict.reason:
                summary.skipped[verdict.reason] += 1
            page.append(verdict)
            self.progress.advance()
            if len(page) >= PAGE:
                self._save_verdicts(run_id, page)
                page = []
                self._checkpoint()
        self._save_verdicts(run_id, page)
        return groups

    def _save_verdicts(self, run_id: int, page: list[Verdict]) -> None:
        with self.store.session() as session:
            state.add_verdicts(session, self.account_id, run_id, self.kind, page)

    # --- 2. Handy ----------------------------------------------------------------------------
    def _read_handy(self, run_id: int, started: datetime) -> None:
        with self.store.session() as session:
            cursor = state.get_cursor(session, self.account_id, self.cursor_name)
        window = None if cursor is None else (cursor - OVERLAP, started)
        self.progress.phase(
            f"Reading Handy {self.kind}s ({'all' if window is None else 'changed'})"
        )
        seen: set[str] = set()
        page: list[tuple[str, dict[str, Any]]] = []
        for view in self.resource.read_handy(window):
            if isinstance(view, RecordParseError):
                log.warning("handy_record_unreadable", account=self.account_name, error=str(view))
                continue
            if view.code in seen or len(view.code) > MAX_HANDY_CODE:
                continue  # a code this long is no code of ours (Handy's own records only)
            seen.add(view.code)
            page.append((view.code, {**view.fields, "_id": view.handy_id}))
            self.progress.advance()
            if len(page) >= PAGE:
                self._save_snapshots(run_id, page)
                page = []
                self._checkpoint()
        self._save_snapshots(run_id, page)

    def _save_snapshots(self, run_id: int, page: list[tuple[str, dict[str, Any]]]) -> None:
        with self.store.session() as session:
            state.add_snapshots(session, run_id, self.kind, page)

    # --- 3. plan and apply -------------------------------------------------------------------
    def _plan_and_apply(self, run_id: int, summary: RunSummary, dry_run: bool) -> None:
        self.progress.phase(f"Writing Handy {self.kind}s")
        with self.store.session() as session:
            batches = list(
                state.codes_to_plan(session, self.account_id, run_id, self.kind, batch=BATCH)
            )
        for codes in batches:
            self._checkpoint()
            with self.store.session() as session:
                verdicts, snapshots, records = state.load_batch(
                    session, self.account_id, run_id, self.kind, codes
                )
                planned = [
                    plan(
                        code, verdicts.get(code, []), _known(snapshots.get(code), records.get(code))
                    )
                    for code in codes
                ]
                if dry_run:
                    for action in planned:
                        _count(summary, action)
                        if action.kind in WRITES and len(summary.planned) < 5000:
                            summary.planned.append(_plan_line(action))
                    continue
                results, outage = self._apply_all(planned)
                for action in planned:
                    if action.code in results:
                        self._settled(
                            session, run_id, action, results[action.code],
                            snapshots.get(action.code), records.get(action.code), summary,
                        )  # fmt: skip
            if outage is not None:
                raise outage  # what was written is recorded; the run stops here

    def _apply_all(
        self, actions: list[Action]
    ) -> tuple[dict[str, HandyView | Failure | None], ApiError | None]:
        """Carry out a batch's actions, the writes ``workers`` at a time (the rate limiter
        paces them). An outage stops the batch: what was done before it is returned."""
        results: dict[str, HandyView | Failure | None] = {}
        writes = [a for a in actions if a.kind in WRITES]
        for action in actions:
            if action.kind not in WRITES:
                results[action.code] = None
        try:
            for action, result in zip(
                writes,
                in_order(lambda i: self._apply(writes[i]), range(len(writes)), self.workers),
                strict=True,
            ):
                results[action.code] = result
        except ApiError as exc:
            return results, exc
        return results, None

    def settle(
        self,
        session: Session,
        run_id: int,
        code: str,
        verdicts: list[Verdict],
        snapshot: dict[str, Any] | None,
        row: HandyRecord | None,
        summary: RunSummary,
    ) -> Action:
        """Plan one code, apply the action and record what Handy now holds (one record: the
        webhook path)."""
        action = plan(code, verdicts, _known(snapshot, row))
        self._settled(session, run_id, action, self._apply(action), snapshot, row, summary)
        return action

    def _settled(
        self,
        session: Session,
        run_id: int,
        action: Action,
        result: HandyView | Failure | None,
        snapshot: dict[str, Any] | None,
        row: HandyRecord | None,
        summary: RunSummary,
    ) -> None:
        if isinstance(result, Failure):
            summary.failed[result.reason] += 1
        else:
            _count(summary, action)
        if row is None and (snapshot is not None or result is not None):
            row = state.record_for(session, self.account_id, self.kind, action.code)
        if row is not None:
            self._record(row, action, result, snapshot, run_id)
        self.progress.advance()

    def _apply(self, action: Action) -> HandyView | Failure | None:
        """Carry out one action: what Handy now holds, a Failure (Handy refused the record; the
        run goes on), or None when nothing was written. Outages raise and stop the run."""
        if action.kind not in WRITES:
            return None
        try:
            if action.kind == CREATE:
                return self._create(action)
            try:
                return self.resource.update(action.code, action.changes)
            except NotFoundError:
                if action.kind == DISABLE:
                    return HandyView(action.code, None, {"enabled": False})
                return self.resource.create(action.code, action.desired)  # gone from Handy
        except AmbiguousWriteError as exc:
            return Failure("outcome_unknown", str(exc))
        except ApiError as exc:
            if exc.retryable or exc.status in (401, 402, 403):
                raise
            return Failure("handy_rejected", str(exc))

    def _create(self, action: Action) -> HandyView:
        try:
            return self.resource.create(action.code, action.changes)
        except AmbiguousWriteError:
            found = self.resource.fetch(action.code)  # did the create happen after all?
            if found is None:
                raise
            return found

    def _record(
        self,
        row: HandyRecord,
        action: Action,
        result: HandyView | Failure | None,
        snapshot: dict[str, Any] | None,
        run_id: int,
    ) -> None:
        if snapshot is not None:
            row.handy_id = snapshot.get("_id") or row.handy_id
            row.known = {k: v for k, v in snapshot.items() if k != "_id"}
        if isinstance(result, HandyView):
            row.handy_id = result.handy_id or row.handy_id
            row.known = dict(result.fields)
            row.managed = True
            row.outcome, row.reason = EFFECT[action.kind], action.reason
            row.detail, row.run_id, row.changed_at = dict(action.detail), run_id, self.now()
            row.source_id = action.source_id or row.source_id
        elif isinstance(result, Failure):
            row.outcome, row.reason = RecordOutcome.FAILED, result.reason
            row.detail, row.run_id, row.changed_at = {"error": result.error}, run_id, self.now()
        elif action.kind == UNCHANGED and action.reason is None:
            row.managed = True  # Alegra names it and Handy already matches: ours from now on
            row.source_id = action.source_id
            if row.outcome in (None, RecordOutcome.FAILED, SKIP, LEFT_ALONE):
                row.outcome, row.reason, row.run_id = RecordOutcome.UNCHANGED, None, run_id
        elif action.kind in (SKIP, LEFT_ALONE) and not row.managed:
            row.outcome, row.reason = RecordOutcome(action.kind), action.reason


def _known(snapshot: dict[str, Any] | None, record: HandyRecord | None) -> Known | None:
    managed = bool(record and record.managed)
    if snapshot is not None:
        return Known({k: v for k, v in snapshot.items() if k != "_id"}, managed)
    if record is not None and record.handy_id is not None:
        return Known(dict(record.known), managed)
    return None


def _count(summary: RunSummary, action: Action) -> None:
    if action.reason == "duplicate_reference":  # found by the plan, not by the item rules
        summary.skipped[action.reason] += len(action.detail.get("ids", ()))
    if action.kind in EFFECT:
        summary.counts[EFFECT[action.kind]] += 1
    elif action.kind == UNCHANGED:
        summary.counts[RecordOutcome.UNCHANGED] += 1
    elif action.kind == LEFT_ALONE:
        summary.counts[RecordOutcome.LEFT_ALONE] += 1


def _plan_line(action: Action) -> dict[str, Any]:
    line: dict[str, Any] = {"action": action.kind, "code": action.code}
    if action.changes:
        line["changes"] = {
            k: v if isinstance(v, bool | type(None)) else str(v) for k, v in action.changes.items()
        }
    if action.reason:
        line["reason"] = action.reason
    return line
