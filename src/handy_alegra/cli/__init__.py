"""The ``handy-alegra`` command line. Each command group lives in its own module and stays
thin: parse options, call one service, render the result. Every help text is in the catalog
(``messages/cli_help.py``), filled in when the command line starts (``cli/help.py``)."""

from __future__ import annotations

import typer

from handy_alegra import __version__
from handy_alegra.cli import common
from handy_alegra.cli.help import Localized
from handy_alegra.config.settings import LOG_LEVELS, load_settings
from handy_alegra.observability import logs

app = typer.Typer(
    name="handy-alegra",
    cls=Localized,
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
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
    log_level: str | None = typer.Option(None),
    log_json: bool = typer.Option(False, "--log-json"),
    debug: bool = typer.Option(False, "--debug"),
) -> None:
    # the root callback; its help is help.root
    settings = load_settings()  # a malformed variable stops every command here, in one line
    logs.configure(
        json=log_json or settings.log_json, level=_log_level(log_level, settings.log_level)
    )
    common.DEBUG.set(debug or settings.debug)


def _log_level(given: str | None, configured: str) -> str:
    if given is None:
        return configured
    if given.strip().upper() not in LOG_LEVELS:
        raise typer.BadParameter(
            common.say("help.usage.log_level", levels=", ".join(LOG_LEVELS)),
            param_hint="--log-level",
        )
    return given.strip().upper()


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
    """The console script: a failure an operator can fix (the store, the key, the
    configuration) is one line on stderr and exit code 2; ``--debug`` shows the traceback."""
    try:
        app()
    except Exception as exc:
        line = common.one_line(exc)
        if line is None or common.DEBUG.get():
            raise
        common.errors.print(f"[bold red]{common.say('cli.error')}:[/] {line}", highlight=False)
        raise SystemExit(common.EXIT_USAGE) from None
