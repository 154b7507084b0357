"""``handy-alegra db …`` and ``handy-alegra secrets …``: the store and its encryption key."""

from __future__ import annotations

from dataclasses import asdict

import typer
from cryptography.fernet import Fernet
from sqlalchemy import select

from handy_alegra.accounts import registry as accounts
from handy_alegra.cli.common import console, reported, runtime, say
from handy_alegra.store import retention
from handy_alegra.store.tables import Account

db = typer.Typer(no_args_is_help=True)
secrets = typer.Typer(no_args_is_help=True)


@db.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    rt = runtime(ctx)
    with reported():
        place = rt.store.where  # opening the store migrates it
    console.print(say("cli.db.up_to_date", place=place), highlight=False)


@db.command("prune")
def db_prune(
    ctx: typer.Context,
    days: int | None = typer.Option(None, min=0),
    account: str | None = typer.Option(None, "--account", "-a"),
) -> None:
    rt = runtime(ctx)
    if days is None:
        days = rt.settings.retention_days
    total = retention.Pruned()
    with reported(), rt.store.session() as session:
        ids = (
            [accounts.find_row(session, account).id]
            if account
            else list(session.scalars(select(Account.id).order_by(Account.id)))
        )
        for account_id in ids:
            total += retention.prune(session, account_id, rt.clock.now(), days)
    if days == 0:
        console.print(say("cli.db.kept_all"), highlight=False)
        return
    console.print(say("cli.db.pruned", days=days, **asdict(total)), highlight=False)


@secrets.command("generate-key")
def generate_key() -> None:
    typer.echo(Fernet.generate_key().decode())


@secrets.command("rotate")
def rotate(ctx: typer.Context) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        count = accounts.rotate_secrets(session, rt.vault)
    console.print(say("cli.secrets.rotated", count=count), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(db, name="db")
    app.add_typer(secrets, name="secrets")
