"""``handy-alegra demo``: the product on its embedded default, against local simulators."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.console import Console
from rich.table import Table

from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.alegra_records import Contact, Item
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.handy_records import SalesOrder
from handy_alegra.clock import SystemClock
from handy_alegra.http import build_client
from handy_alegra.simulators.asgi import SimulatorApp, serve_in_thread
from handy_alegra.simulators.seed import build_world


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        items: int = typer.Option(300, help="Size of the simulated Alegra catalog."),
        seed: int = typer.Option(1, help="Seed of the simulated company."),
    ) -> None:
        """Start both simulated APIs on loopback, seed a Mexican company, and read it through
        the real clients over HTTP.

        Example:

            handy-alegra demo
        """
        console = Console()
        clock = SystemClock()
        world = build_world(seed=seed, items=items, orders=25, clock=clock)
        server = serve_in_thread(SimulatorApp({"alegra": world.alegra, "handy": world.handy}))
        try:
            c = world.credentials
            alegra = AlegraClient(
                build_client(f"{server.base_url}/alegra/api/v1"),
                email=c.alegra_email,
                token=c.alegra_token,
                clock=clock,
            )
            handy = HandyClient(
                build_client(f"{server.base_url}/handy/api/v2"), token=c.handy_token, clock=clock
            )
            company = alegra.company()
            read_items = list(alegra.iter_items())
            contacts = list(alegra.iter_contacts(type="client"))
            now = clock.now()
            orders = list(handy.iter_sales_orders(now - timedelta(hours=9), now))
            table = Table(
                title=f"{company.name} ({company.country}) — simulated, on {server.base_url}"
            )
            table.add_column("what")
            table.add_column("count", justify="right")
            table.add_row("Alegra items read", str(sum(isinstance(i, Item) for i in read_items)))
            table.add_row(
                "Alegra client contacts", str(sum(isinstance(x, Contact) for x in contacts))
            )
            table.add_row(
                "Handy orders (last 9 h)", str(sum(isinstance(o, SalesOrder) for o in orders))
            )
            table.add_row(
                "API calls: Alegra / Handy",
                f"{len(world.alegra.requests)} / {len(world.handy.requests)}",
            )
            console.print(table)
        finally:
            server.stop()
