"""``handy-alegra operators …`` and ``handy-alegra serve``: the dashboard's users and server."""

from __future__ import annotations

import os
import signal
import socket
import threading
from types import FrameType

import typer
import uvicorn

from handy_alegra import operators
from handy_alegra.cli.common import console, fail, reported, runtime
from handy_alegra.scheduling.embedded import DEFAULT_CONCURRENCY, Dispatcher

PASSWORD_ENV = "HANDY_ALEGRA_OPERATOR_PASSWORD"

group = typer.Typer(help="People who may log in to the dashboard.", no_args_is_help=True)


def _password(prompt: str) -> str:
    """From the environment (scripts), else a hidden prompt asked twice."""
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@group.command("add")
def add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The name to log in with."),
    language: str = typer.Option("es", help="The dashboard's language for them: es or en."),
) -> None:
    """Add an operator. The password comes from HANDY_ALEGRA_OPERATOR_PASSWORD or a hidden
    prompt, and is stored as an scrypt hash.

    Example:

        handy-alegra operators add maria --language es
    """
    rt = runtime(ctx)
    password = _password("Password")
    with reported(), rt.store.session() as session:
        operators.add(session, username, password, now=rt.clock.now(), language=language)
    console.print(f"Operator {username} added.", highlight=False)


@group.command("passwd")
def passwd(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    """Set an operator's password (their open sessions end).

    Example:

        handy-alegra operators passwd maria
    """
    rt = runtime(ctx)
    password = _password("New password")
    with reported(), rt.store.session() as session:
        operators.set_password(session, username, password)
    console.print(f"Password of {username} changed.", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="operators")

    @app.command()
    def serve(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8080, help="Port to listen on (0: any free port)."),
        with_service: bool = typer.Option(
            False, "--with-service", help="Also run the service (what `run` does) in-process."
        ),
        tick: float = typer.Option(15.0, help="With --with-service: seconds between looks."),
        concurrency: int = typer.Option(
            DEFAULT_CONCURRENCY, help="With --with-service: jobs side by side."
        ),
        secure_cookies: bool = typer.Option(
            False, "--secure-cookies", help="Send the session cookie over HTTPS only."
        ),
    ) -> None:
        """Serve the dashboard, /healthz, /metrics and the Alegra webhook receiver.

        With --with-service the scheduler and its jobs run in the same process: one process
        for a small deployment. Add operators first (`operators add`).

        Example:

            handy-alegra serve --host 0.0.0.0 --port 8080 --with-service
        """
        from handy_alegra.web.app import create_app

        rt = runtime(ctx)
        with reported():
            web = create_app(rt, https_only=secure_cookies)
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.create_server((host, port), family=family)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror}")
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
            f"Dashboard on http://{shown_host}:{sock.getsockname()[1]}"
            + (" (with the service)" if dispatcher else ""),
            highlight=False,
        )
        try:
            server.run(sockets=[sock])
        finally:
            if dispatcher is not None and service is not None:
                dispatcher.stopping.set()
                service.join()
