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

group = typer.Typer(help="Run a sync of one account now.", no_args_is_help=True)

AccountOption = typer.Option(..., "--account", "-a", help="The account's name.")
DryRun = typer.Option(False, "--dry-run", help="Print the plan; write nothing.")
AsJson = typer.Option(False, "--json", help="Print the summary as one JSON object.")


EXIT_CTRL_C = 130

Full = typer.Option(False, "--full", help="Read all of Handy again, not only what changed.")


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
    """Alegra items → Handy products (price with IVA, stock, family).

    Exit status: 0 done, 1 done but some records failed, 3 interrupted by an API outage or
    stopped (the next run resumes), 4 crashed (a bug; --debug shows where).

    Example:

        handy-alegra sync catalog --account acme --dry-run
    """
    _run(ctx, catalog, account, dry_run, as_json, full)


@group.command("customers")
def sync_customers(
    ctx: typer.Context,
    account: str = AccountOption,
    dry_run: bool = DryRun,
    as_json: bool = AsJson,
    full: bool = Full,
) -> None:
    """Alegra client contacts → Handy customers, one zone per seller.

    Example:

        handy-alegra sync customers --account acme --json
    """
    _run(ctx, customers, account, dry_run, as_json, full)


@group.command("daily")
def sync_daily(
    ctx: typer.Context,
    account: str = AccountOption,
    dry_run: bool = DryRun,
    as_json: bool = AsJson,
) -> None:
    """Catalog and customers together, side by side (what the scheduler runs daily).

    Example:

        handy-alegra sync daily --account acme
    """
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
    """Handy orders → Alegra remissions, each exactly once.

    Example:

        handy-alegra sync sales --account acme
    """
    _run(ctx, sales, account, dry_run, as_json)
