"""``handy-alegra operators …`` and ``handy-alegra serve``: the dashboard's users and server."""

from __future__ import annotations

import json
import signal
import socket
import threading
from datetime import timedelta
from types import FrameType

import typer
import uvicorn
from rich.table import Table

from handy_alegra import messages
from handy_alegra.accounts import operators
from handy_alegra.accounts import registry as accounts
from handy_alegra.cli.common import console, fail, reported, runtime, say
from handy_alegra.config.settings import load_settings
from handy_alegra.scheduling.embedded import DEFAULT_CONCURRENCY, Dispatcher

group = typer.Typer(no_args_is_help=True)


def _password(prompt: str) -> str:
    """From the settings (HANDY_ALEGRA_OPERATOR_PASSWORD: scripts), else a hidden prompt asked
    twice."""
    given = load_settings().operator_password
    if given is not None:
        return given.get_secret_value()
    return str(typer.prompt(say(prompt), hide_input=True, confirmation_prompt=True))


@group.command("add")
def add(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    language: str = typer.Option("es"),
) -> None:
    rt = runtime(ctx)
    password = _password("cli.operators.password")
    with reported(), rt.store.session() as session:
        operators.add(session, username, password, now=rt.clock.now(), language=language)
    console.print(say("cli.operators.added", name=username), highlight=False)


@group.command("passwd")
def passwd(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    rt = runtime(ctx)
    password = _password("cli.operators.new_password")
    with reported(), rt.store.session() as session:
        ended = operators.set_password(session, username, password)
    console.print(say("cli.operators.passwd", name=username, count=ended), highlight=False)


@group.command("list")
def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        rows = operators.listing(session, rt.clock.now())
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    columns = ("username", "language", "state", "sessions", "added")
    table = Table(*(say(f"cli.operators.col.{c}") for c in columns))
    for row in rows:
        table.add_row(
            str(row["username"]),
            str(row["language"]),
            messages.word("state", row["state"]),
            str(row["sessions"]),
            str(row["created_at"])[:16],
        )
    console.print(table)


@group.command("remove")
def remove(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    yes: bool = typer.Option(False, "--yes"),
) -> None:
    rt = runtime(ctx)
    if not yes:
        typer.confirm(say("cli.operators.confirm_remove", name=username), abort=True)
    with reported(), rt.store.session() as session:
        operators.remove(session, username)
    console.print(say("cli.operators.removed", name=username), highlight=False)


@group.command("disable")
def disable(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    _set_disabled(ctx, username, True)


@group.command("enable")
def enable(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    _set_disabled(ctx, username, False)


def _set_disabled(ctx: typer.Context, username: str, disabled: bool) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        ended = operators.set_disabled(session, username, disabled, now=rt.clock.now())
    key = "cli.operators.disabled" if disabled else "cli.operators.enabled"
    console.print(say(key, name=username, count=ended), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="operators")

    @app.command()
    def serve(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1"),
        port: int = typer.Option(8080),
        with_service: bool = typer.Option(False, "--with-service"),
        tick: float = typer.Option(15.0),
        concurrency: int = typer.Option(DEFAULT_CONCURRENCY),
        secure_cookies: bool = typer.Option(
            False,
            "--secure-cookies",
        ),
        session_idle_minutes: int | None = typer.Option(
            None,
            min=1,
            max=12 * 60,
        ),
    ) -> None:
        from handy_alegra.web.app import create_app

        rt = runtime(ctx)
        with reported():
            web = create_app(
                rt,
                https_only=secure_cookies,
                session_idle=timedelta(
                    minutes=session_idle_minutes or rt.settings.session_idle_minutes
                ),
            )
            with rt.store.session() as session:  # a wrong key refuses to start
                accounts.check_key(session, rt.vault)
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.create_server((host, port), family=family)
        except OSError as exc:
            fail(say("cli.serve.cannot_listen", host=host, port=port, error=exc.strerror))
        config = uvicorn.Config(web, log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        dispatcher = Dispatcher(rt, concurrency=concurrency) if with_service else None
        service = None
        if dispatcher is not None:
            service = threading.Thread(target=dispatcher.serve, args=(tick,), name="service")
            service.start()

        def stop(signum: int, _: FrameType | None) -> None:
            server.should_exit = True
            if dispatcher is not None:
                dispatcher.stopping.set()

        # uvicorn hands a signal it caught back to these handlers after its own shutdown
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        shown_host = f"[{host}]" if ":" in host else host
        console.print(
            say("cli.serve.listening", host=shown_host, port=sock.getsockname()[1])
            + (say("cli.serve.with_service") if dispatcher else ""),
            highlight=False,
        )
        try:
            server.run(sockets=[sock])
        finally:
            if dispatcher is not None and service is not None:
                dispatcher.stopping.set()
                service.join()
