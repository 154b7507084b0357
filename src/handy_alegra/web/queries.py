"""Read models of the dashboard: what its pages show, read from the store through the
services that the command line uses too (``status``, ``explain``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.domain.statuses import WAITING
from handy_alegra.store.tables import Run, Slot
from handy_alegra.views.status import UNHEALTHY, Health, account_status, glance, last_run
from handy_alegra.web.chart import Chart, runs_per_day

JOBS = ("catalog", "customers", "sales")
CHART_DAYS = 28


def local(moment: datetime | None, account: AccountConfig) -> str:
    return moment.astimezone(account.zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class AccountRow:
    name: str
    country: str
    paused: bool
    running: str | None
    health: str  # ok | warn | bad | paused
    last: dict[str, str | None]  # job → outcome of its last run
    orders: int
    skipped: int


def health(status: dict[str, Any]) -> str:
    """ok | warn | bad | paused: ``status.health``, the one rule the CLI shows too."""
    return str(status["health"])


#: Accounts per page of the list.
PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    """What the accounts list is narrowed to (the query string of ``/accounts``)."""

    name: str = ""
    country: str = ""  # "" | MX | CO
    health: str = ""  # "" | ok | warn | bad | paused | unhealthy (warn or bad)
    page: int = 1

    def query(self, **changes: Any) -> str:
        """The query string of these filters with ``changes`` (for links)."""
        values = {**self.__dict__, **changes}
        shown = {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}
        return urlencode(shown)


@dataclass(frozen=True)
class AccountsPage:
    rows: list[AccountRow]
    filters: Filters
    matching: int  # accounts that pass the filters (on every page)
    pages: int
    by_health: dict[str, int]  # of the accounts that pass the name and country filters


def overview(session: Session, now: datetime, filters: Filters | None = None) -> AccountsPage:
    """One page of the accounts list: every account at a glance in two statements
    (``status.glance``), filtered by name, country and health, 50 to a page."""
    filters = filters or Filters()
    found = glance(session, now, name=filters.name or None, country=filters.country or None)
    by_health = Counter(g.health for g in found)
    wanted = UNHEALTHY if filters.health == "unhealthy" else {filters.health}
    chosen = [g for g in found if not filters.health or g.health in wanted]
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    rows = [
        AccountRow(
            name=g.name,
            country=g.country,
            paused=g.paused,
            running=g.running,
            health=g.health,
            last=g.last,
            orders=g.orders,
            skipped=g.skipped,
        )
        for g in chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ]
    return AccountsPage(
        rows,
        Filters(filters.name, filters.country, filters.health, page),
        len(chosen),
        pages,
        {h: by_health.get(h, 0) for h in Health},
    )


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str
    when: str
    duration: str
    counts: list[tuple[str, int]]
    outcome: str
    message: str | None


def duration(start: datetime, end: datetime | None) -> str:
    if end is None:
        return ""
    seconds = max(0, round((end - start).total_seconds()))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def counted(counts: dict[str, Any]) -> list[tuple[str, int]]:
    """The non-zero counts of a run, reason breakdowns added up (``skipped``, ``failed``)."""
    shown: list[tuple[str, int]] = []
    for key, value in counts.items():
        total = sum(value.values()) if isinstance(value, dict) else value
        if isinstance(total, int) and total:
            shown.append((key, total))
    return shown


def runs(session: Session, account: AccountConfig, limit: int = 30) -> list[RunRow]:
    rows = session.scalars(
        select(Run)
        .where(Run.account_id == account.id, Run.dry_run.is_(False))
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(limit)
    )
    return [run_row(r, account) for r in rows]


def run_row(run: Run, account: AccountConfig) -> RunRow:
    return RunRow(
        id=run.id,
        kind=run.kind,
        when=local(run.started_at, account),
        duration=duration(run.started_at, run.finished_at),
        counts=counted(run.counts or {}),
        outcome=run.outcome,
        message=run.message,
    )


def chart(session: Session, account: AccountConfig, now: datetime) -> Chart:
    today = now.astimezone(account.zone).date()
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    since = now - timedelta(days=CHART_DAYS + 1)
    counts: dict[date, Counter[str]] = {}
    for started, outcome in session.execute(
        select(Run.started_at, Run.outcome).where(
            Run.account_id == account.id, Run.dry_run.is_(False), Run.started_at >= since
        )
    ):
        day = started.astimezone(account.zone).date()
        if day >= days[0]:
            counts.setdefault(day, Counter())[outcome] += 1
    return runs_per_day(days, counts)


@dataclass
class AccountPage:
    account: AccountConfig
    status: dict[str, Any]
    runs: list[RunRow]
    chart: Chart
    next_runs: dict[str, str] = field(default_factory=dict)
    last_runs: dict[str, RunRow | None] = field(default_factory=dict)
    work_pending: bool = False


def account_page(session: Session, account: AccountConfig, now: datetime, lang: str) -> AccountPage:
    status = account_status(session, account, now, lang=lang)
    upcoming = {kind: parse(job["next_run"]) for kind, job in status["jobs"].items()}
    waiting = session.scalar(
        select(func.count()).where(Slot.account_id == account.id, Slot.status.in_(WAITING))
    )
    pending = bool(waiting or status["running"])
    last: dict[str, RunRow | None] = {}
    for kind in JOBS:
        run = last_run(session, account.id, kind)
        last[kind] = run_row(run, account) if run is not None else None
    return AccountPage(
        account,
        status,
        runs(session, account),
        chart(session, account, now),
        {kind: local(moment, account) for kind, moment in upcoming.items() if moment},
        last,
        pending,
    )


def sales_waiting(session: Session, account_id: int) -> bool:
    """A sales job is queued or running for the account (an order retried is about to go)."""
    return bool(
        session.scalar(
            select(func.count()).where(
                Slot.account_id == account_id,
                Slot.kind == "sales",
                Slot.status.in_(WAITING),
            )
        )
    )
