"""The ``handy-alegra`` command line. Each command group lives in its own module and stays
thin: parse options, call one service, render the result."""

from __future__ import annotations

import typer

from handy_alegra import __version__, logs

app = typer.Typer(
    name="handy-alegra",
    help="Keeps Handy and Alegra in step: catalog and customers to Handy, sales to Alegra.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"handy-alegra {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    log_level: str = typer.Option(
        "WARNING", envvar="HANDY_ALEGRA_LOG_LEVEL", help="DEBUG, INFO, WARNING or ERROR."
    ),
    log_json: bool = typer.Option(
        False, envvar="HANDY_ALEGRA_LOG_JSON", help="Write logs as JSON lines (for services)."
    ),
) -> None:
    """handy-alegra: Handy ⇄ Alegra integration service."""
    logs.configure(json=log_json, level=log_level)


def _register() -> None:
    from handy_alegra.cli import (
        accounts,
        db,
        demo,
        explain,
        orders,
        sandbox,
        service,
        sync,
        web,
        webhooks,
    )

    for module in (demo, accounts, sync, service, web, orders, webhooks, explain, db, sandbox):
        module.register(app)


_register()


def main() -> None:
    app()
