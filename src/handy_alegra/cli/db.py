"""``handy-alegra db …`` and ``handy-alegra secrets …``: the store and its encryption key."""

from __future__ import annotations

import typer
from cryptography.fernet import Fernet

from handy_alegra import accounts
from handy_alegra.cli.common import console, reported, runtime, say

db = typer.Typer(help="The state store.", no_args_is_help=True)
secrets = typer.Typer(help="The key that encrypts stored tokens.", no_args_is_help=True)


@db.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the store's migrations (also done automatically on start).

    Example:

        HANDY_ALEGRA_DATABASE_URL=postgresql://handy@db/handy handy-alegra db upgrade
    """
    rt = runtime(ctx)
    with reported():
        place = rt.store.where  # opening the store migrates it
    console.print(say("cli.db.up_to_date", place=place), highlight=False)


@secrets.command("generate-key")
def generate_key() -> None:
    """Print a new Fernet key (for HANDY_ALEGRA_SECRET_KEY)."""
    typer.echo(Fernet.generate_key().decode())


@secrets.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Re-encrypt every stored token with the first key of HANDY_ALEGRA_SECRET_KEY.

    Rotation: put the new key first (HANDY_ALEGRA_SECRET_KEY=new,old), run this, then drop
    the old key.
    """
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        count = accounts.rotate_secrets(session, rt.vault)
    console.print(say("cli.secrets.rotated", count=count), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(db, name="db")
    app.add_typer(secrets, name="secrets")
