"""``handy-alegra sync …``: run one sync of one account now."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import NoReturn

import typer
from sqlalchemy import delete

from handy_alegra.accounts import registry as accounts
from handy_alegra.cli.common import (
    DEBUG,
    RichProgress,
    errors,
    print_summary,
    reported,
    runtime,
)
from handy_alegra.domain.statuses import RunOutcome
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.store.tables import Cursor
from handy_alegra.sync import catalog, customers, daily, sales
from handy_alegra.sync.summary import RunSummary

group = typer.Typer(no_args_is_help=True)

AccountOption = typer.Option(..., "--account", "-a")
DryRun = typer.Option(False, "--dry-run")
AsJson = typer.Option(False, "--json")


EXIT_CTRL_C = 130

Full = typer.Option(False, "--full")


def _run(
    ctx: typer.Context,
    sync: ModuleType,
    account: str,
    dry_run: bool,
    as_json: bool,
    full: bool = False,
) -> None:
    rt = runtime(ctx)
    with reported():
        with rt.store.session() as session:
            config = accounts.load(session, rt.vault, account)
            if full and not dry_run:
                cursor = f"handy_{'product' if sync is catalog else 'customer'}s"
                session.execute(
                    delete(Cursor).where(Cursor.account_id == config.id, Cursor.name == cursor)
                )
        with RichProgress(enabled=not as_json) as progress, _ctrl_c():
            summary = sync.run(rt, config, dry_run=dry_run, progress=progress)
    print_summary(summary, as_json=as_json)
    _exit([summary])


@contextmanager
def _ctrl_c() -> Iterator[None]:
    """Ctrl-C: the run has been closed as stopped; say what that means, exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        errors.print(reasons.outcome_meaning(RunOutcome.STOPPED), highlight=False)
        raise typer.Exit(EXIT_CTRL_C) from None


def _exit(summaries: list[RunSummary]) -> NoReturn:
    """The exit code of the worst run; under ``--debug`` a crash's traceback."""
    for summary in summaries:
        if summary.error is not None and DEBUG.get():
            raise summary.error
    raise typer.Exit(max(s.exit_code for s in summaries))


@group.command("catalog")
def sync_catalog(
    ctx: typer.Context,
    account: str = AccountOption,
    dry_run: bool = DryRun,
    as_json: bool = AsJson,
    full: bool = Full,
) -> None:
    _run(ctx, catalog, account, dry_run, as_json, full)


@group.command("customers")
def sync_customers(
    ctx: typer.Context,
    account: str = AccountOption,
    dry_run: bool = DryRun,
    as_json: bool = AsJson,
    full: bool = Full,
) -> None:
    _run(ctx, customers, account, dry_run, as_json, full)


@group.command("daily")
def sync_daily(
    ctx: typer.Context,
    account: str = AccountOption,
    dry_run: bool = DryRun,
    as_json: bool = AsJson,
) -> None:
    rt = runtime(ctx)
    with reported():
        with rt.store.session() as session:
            config = accounts.load(session, rt.vault, account)
        with RichProgress(enabled=not as_json) as progress, _ctrl_c():
            summaries = daily.run(rt, config, dry_run=dry_run, progress=progress.lane)
    for summary in summaries:
        print_summary(summary, as_json=as_json)
    _exit(summaries)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="sync")


@group.command("sales")
def sync_sales(
    ctx: typer.Context, account: str = AccountOption, dry_run: bool = DryRun, as_json: bool = AsJson
) -> None:
    _run(ctx, sales, account, dry_run, as_json)
