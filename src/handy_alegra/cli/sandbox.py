"""``handy-alegra sandbox``: both simulated APIs on loopback, seeded, for trying things."""

from __future__ import annotations

from dataclasses import replace

import typer

from handy_alegra.cli.common import say
from handy_alegra.domain.clock import SystemClock
from handy_alegra.simulators.asgi import SimulatorApp, bind, make_server
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.seed import World, build_world


def faults_option(text: str, time_scale: float) -> Faults:
    try:
        faults = Faults.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return replace(faults, time_scale=time_scale) if time_scale != 1.0 else faults


def describe(world: World, base_url: str) -> str:
    c = world.credentials
    alegra = f"{base_url}/alegra/api/v1"
    handy = f"{base_url}/handy/api/v2"
    return "\n".join(
        [
            f"Alegra API   {alegra}",
            f"  user       {c.alegra_email}",
            f"  token      {c.alegra_token}",
            f"Handy API    {handy}",
            f"  token      {c.handy_token}",
            f"{say('cli.sandbox.price_list'):12} {world.price_list['name']} "
            f"(id {world.price_list['id']})",
            "",
            say("cli.sandbox.try"),
            f"  curl -u '{c.alegra_email}:{c.alegra_token}' '{alegra}/items?start=0&limit=30'",
            f"  curl -u '{c.alegra_email}:{c.alegra_token}' '{alegra}/items?start=30&limit=30'",
            f"  curl -H 'Authorization: Bearer {c.handy_token}' '{handy}/product?page=1&max=100'",
        ]
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def sandbox(
        host: str = typer.Option("127.0.0.1"),
        port: int = typer.Option(8765),
        seed: int = typer.Option(1),
        country: str = typer.Option("MX"),
        items: int = typer.Option(200),
        orders: int = typer.Option(20),
        alegra_faults: str = typer.Option(""),
        handy_faults: str = typer.Option(""),
        time_scale: float = typer.Option(1.0),
    ) -> None:
        world = build_world(
            seed=seed,
            country=country,
            items=items,
            orders=orders,
            clock=SystemClock(),
            alegra_faults=faults_option(alegra_faults, time_scale),
            handy_faults=faults_option(handy_faults, time_scale),
        )
        sock = bind(host, port)
        base_url = f"http://{host}:{sock.getsockname()[1]}"
        typer.echo(describe(world, base_url))
        typer.echo(say("cli.sandbox.serving"))
        server = make_server(SimulatorApp({"alegra": world.alegra, "handy": world.handy}))
        server.run(sockets=[sock])  # returns on Ctrl-C or SIGTERM
