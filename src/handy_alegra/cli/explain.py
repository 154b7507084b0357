"""``handy-alegra explain …``: what the last run did with one record, and why."""

from __future__ import annotations

import json

import typer

from handy_alegra.accounts import registry as accounts
from handy_alegra.cli.common import console, reported, runtime
from handy_alegra.views.explain import Explanation, explain_order, explain_record

group = typer.Typer(no_args_is_help=True)


def _show(explanation: Explanation, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {"title": explanation.title, "lines": explanation.lines, **explanation.data},
                ensure_ascii=False,
                default=str,
            )
        )
    else:
        console.print(f"[bold]{explanation.title}[/]", highlight=False)
        for line in explanation.lines:
            console.print(f"  {line}", highlight=False)
    if not explanation.found:
        raise typer.Exit(1)


def _explain(ctx: typer.Context, kind: str, key: str, account: str, as_json: bool) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        config = accounts.load(session, rt.vault, account)
        explanation = explain_record(session, config, kind, key)
    _show(explanation, as_json)


@group.command("product")
def product(
    ctx: typer.Context,
    reference: str = typer.Argument(...),
    account: str = typer.Option(..., "--account", "-a"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    _explain(ctx, "product", reference, account, as_json)


@group.command("customer")
def customer(
    ctx: typer.Context,
    name_or_code: str = typer.Argument(...),
    account: str = typer.Option(..., "--account", "-a"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    _explain(ctx, "customer", name_or_code, account, as_json)


@group.command("order")
def order(
    ctx: typer.Context,
    handy_id: str = typer.Argument(...),
    account: str = typer.Option(..., "--account", "-a"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        config = accounts.load(session, rt.vault, account)
        explanation = explain_order(session, config, handy_id)
    _show(explanation, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="explain")
