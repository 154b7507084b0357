"""``handy-alegra demo``: the whole product, on its embedded default, against local
simulators — activation, catalog, customers, sales, and what to do about what went wrong."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import typer
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select

from handy_alegra.accounts import activation, operators
from handy_alegra.cli.common import RichProgress, console, print_summary, say
from handy_alegra.config.settings import load_settings
from handy_alegra.domain.clock import SystemClock
from handy_alegra.domain.statuses import OrderStatus
from handy_alegra.runtime import Runtime
from handy_alegra.scheduling.embedded import Dispatcher
from handy_alegra.simulators.asgi import SimulatorApp, serve_in_thread
from handy_alegra.simulators.seed import World, build_world, seed_orders
from handy_alegra.store.tables import OrderRecord, Verdict
from handy_alegra.sync import catalog, customers, sales
from handy_alegra.views import explain

HOME = typer.Option(None)


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        items: int = typer.Option(300),
        orders: int = typer.Option(25),
        seed: int = typer.Option(1),
        home: Path | None = HOME,
        serve: bool = typer.Option(False, "--serve"),
        port: int = typer.Option(0),
        web_port: int = typer.Option(8080),
    ) -> None:
        folder = home or Path(tempfile.mkdtemp(prefix="handy-alegra-demo-"))
        clock = SystemClock()
        world = build_world(seed=seed, items=items, clock=clock)
        server = serve_in_thread(
            SimulatorApp({"alegra": world.alegra, "handy": world.handy}), port=port
        )
        settings = load_settings().model_copy(
            update={
                "home": folder,
                "database_url": f"sqlite:///{folder / 'demo.sqlite3'}",
                "secret_key": SecretStr(Fernet.generate_key().decode()),
            }
        )
        rt = Runtime(settings, clock=clock)
        try:
            _run(rt, world, server.base_url, orders)
            if serve:
                _serve(rt, server.base_url, web_port)
        finally:
            rt.close()
            server.stop()
        console.print(say("cli.demo.store", folder=folder), highlight=False)


def _run(rt: Runtime, world: World, base_url: str, orders: int) -> None:
    c = world.credentials
    console.rule(say("cli.demo.simulators", url=base_url))
    creds = activation.Credentials.given(
        c.alegra_email, c.alegra_token, c.handy_token,
        f"{base_url}/alegra/api/v1", f"{base_url}/handy/api/v2",
    )  # fmt: skip
    account, checked = activation.activate(
        rt, "demo", creds, country="MX", price_list=world.price_list["name"], warehouse="Principal"
    )
    console.print(
        say("cli.demo.activated", company=checked.company_name, price_list=account.price_list_name),
        highlight=False,
    )
    with RichProgress() as progress:
        for sync in (catalog, customers):
            print_summary(sync.run(rt, account, progress=progress), as_json=False)
    console.rule(say("cli.demo.orders"))
    seed_orders(world, orders, since=rt.clock.now())
    new_customer = {"code": "NUEVO-1", "description": "Tienda Nueva del Centro", "rfc": None}
    world.handy.add_customer(new_customer, zone_name="Zona Centro")  # typed in by a seller
    product = next(p for p in world.handy.products() if not p["code"].startswith("LOCAL-"))
    line = {"code": product["code"], "quantity": 3, "price": str(product["price"])}
    failing = world.handy.create_order("NUEVO-1", [line])
    with RichProgress() as progress:
        print_summary(sales.run(rt, account, progress=progress), as_json=False)
    console.rule(say("cli.demo.problems"))
    with rt.store.session() as session:
        skipped = session.scalar(
            select(Verdict).where(
                Verdict.kind == "product",
                Verdict.sync.is_(False),
                Verdict.reason == "no_price_in_list",
            )
        )
        for shown in (
            explain.explain_record(session, account, "product", skipped.code or "")
            if skipped
            else None,
            explain.explain_order(session, account, str(failing["id"])),
        ):
            if shown is not None:
                console.print(f"[bold]{shown.title}[/]", highlight=False)
                for text in shown.lines:
                    console.print(f"  {text}", highlight=False)
        sent = session.query(OrderRecord).filter(OrderRecord.status == OrderStatus.SENT).count()
    remissions = len(world.alegra.remissions())
    console.print(say("cli.demo.sent", sent=sent, remissions=remissions), highlight=False)


def _serve(rt: Runtime, simulators: str, web_port: int) -> None:
    """Keep the simulators, the service and the dashboard running until Ctrl-C."""
    from handy_alegra.web.app import create_app

    password = secrets.token_urlsafe(9)
    with rt.store.session() as session:
        operators.add(session, "demo", password, now=rt.clock.now())
    web = serve_in_thread(create_app(rt), port=web_port)
    console.print(say("cli.demo.dashboard", url=web.base_url, password=password), highlight=False)
    urls = {"alegra": f"{simulators}/alegra/api/v1", "handy": f"{simulators}/handy/api/v2"}
    console.print(say("cli.demo.simulator_urls", **urls), highlight=False)
    console.print(say("cli.demo.service"), highlight=False)
    try:
        Dispatcher(rt, concurrency=2).serve(tick_seconds=5.0)
    finally:
        web.stop()
