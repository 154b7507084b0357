"""``handy-alegra orders …``: look at orders and send one again after fixing its data."""

from __future__ import annotations

import json

import typer
from sqlalchemy import select

from handy_alegra import messages
from handy_alegra.accounts import registry as accounts
from handy_alegra.cli.common import console, print_summary, reported, runtime, say
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.store.tables import OrderRecord
from handy_alegra.sync import sales
from handy_alegra.views import order_actions

group = typer.Typer(no_args_is_help=True)


@group.command("list")
def list_(
    ctx: typer.Context,
    account: str = typer.Option(..., "--account", "-a"),
    status: str | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        config = accounts.load(session, rt.vault, account)
        query = select(OrderRecord).where(OrderRecord.account_id == config.id)
        if status:
            query = query.where(OrderRecord.status == status)
        rows = session.scalars(query.order_by(OrderRecord.ordered_at.desc()).limit(500)).all()
        data = [
            {
                "order": r.handy_id,
                "status": r.status,
                "reason": r.reason,
                "customer": r.customer_name,
                "remission": r.remission_id,
                "number": r.remission_number,
            }
            for r in rows
        ]
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    for row in data:
        status = messages.word("order", row["status"])
        console.print(
            f"{row['order']:>12}  {status:18} {(row['customer'] or '')[:40]:40} "
            f"{reasons.label(row['reason'])}",
            highlight=False,
        )


@group.command("retry")
def retry(
    ctx: typer.Context,
    handy_id: str = typer.Argument(...),
    account: str = typer.Option(..., "--account", "-a"),
    now: bool = typer.Option(False, "--now"),
) -> None:
    rt = runtime(ctx)
    with reported():
        with rt.store.session() as session:
            config = accounts.load(session, rt.vault, account)
            order_actions.retry(session, config.id, handy_id)
        console.print(say("cli.orders.retry", id=handy_id), highlight=False)
        if now:
            print_summary(sales.run(rt, config), as_json=False)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="orders")
