"""``handy-alegra accounts …``: activate a company and manage it. No command prints a token."""

from __future__ import annotations

import json

import typer
from pydantic import SecretStr
from rich.table import Table

from handy_alegra.accounts import activation, doctor
from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.activation import ActivationError, Credentials
from handy_alegra.cli.common import (
    RichProgress,
    console,
    fail,
    print_summary,
    reported,
    runtime,
    say,
    warn,
)
from handy_alegra.clients.alegra import DEFAULT_BASE_URL as ALEGRA_URL
from handy_alegra.clients.handy import DEFAULT_BASE_URL as HANDY_URL
from handy_alegra.config.settings import load_settings
from handy_alegra.mapping.clients import DEFAULT_REGIME
from handy_alegra.sync import daily

group = typer.Typer(no_args_is_help=True)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _ask(what: str) -> str:
    return str(typer.prompt(say(what), hide_input=True))


@group.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    country: str = typer.Option(...),
    alegra_email: str = typer.Option(...),
    alegra_token: str | None = typer.Option(None),
    handy_token: str | None = typer.Option(None),
    price_list: str = typer.Option(...),
    all_items: bool = typer.Option(False, "--all-items"),
    alegra_url: str = typer.Option(ALEGRA_URL),
    handy_url: str = typer.Option(HANDY_URL),
    timezone: str = typer.Option("America/Mexico_City"),
    colombia_default_nit: str = typer.Option("222222222"),
    colombia_regime: str = typer.Option(DEFAULT_REGIME),
    sales_since: str | None = typer.Option(None),
    warehouse: str | None = typer.Option(None),
    daily_at: str = typer.Option("03:00"),
    sales_every: int = typer.Option(10),
    no_initial_sync: bool = typer.Option(False, "--no-initial-sync"),
) -> None:
    rt = runtime(ctx)
    given = load_settings()
    creds = Credentials.given(
        alegra_email,
        alegra_token or _secret(given.alegra_token) or _ask("cli.accounts.ask_alegra_token"),
        handy_token or _secret(given.handy_token) or _ask("cli.accounts.ask_handy_token"),
        alegra_url,
        handy_url,
    )
    with reported():
        try:
            config, checked = activation.activate(
                rt,
                name,
                creds,
                country=country,
                price_list=price_list,
                all_items=all_items,
                timezone=timezone,
                colombia_default_nit=colombia_default_nit,
                colombia_regime=colombia_regime,
                sales_since=activation.parse_since(sales_since, timezone) if sales_since else None,
                warehouse=warehouse,
                daily_at=daily_at,
                sales_every=sales_every,
            )
        except ActivationError as exc:
            fail(say("cli.accounts.nothing_stored", error=exc))
    for warning in checked.all_warnings():
        warn(warning)
    console.print(
        say(
            "cli.accounts.activated",
            name=config.name,
            company=checked.company_name,
            country=config.country,
            price_list=config.price_list_name,
            id=config.price_list_id,
        ),
        highlight=False,
    )
    if no_initial_sync:
        return
    with RichProgress() as progress:
        summaries = daily.run(rt, config, progress=progress.lane)
    for summary in summaries:
        print_summary(summary, as_json=False)


@group.command("list")
def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        rows = [a.public() for a in accounts.load_all(session, rt.vault)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    columns = ("name", "country", "price_list", "items", "timezone", "state")
    table = Table(*(say(f"cli.accounts.col.{c}") for c in columns))
    for row in rows:
        table.add_row(
            row["name"],
            row["country"],
            f"{row['price_list_name']} ({row['price_list_id']})",
            say("cli.accounts.all_items" if row["all_items"] else "cli.accounts.inventoriable"),
            row["timezone"],
            say("state.paused" if row["paused"] else "state.active"),
        )
    console.print(table)


@group.command("show")
def show(ctx: typer.Context, name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        data = accounts.load(session, rt.vault, name).public()
    data["alegra_token"] = data["handy_token"] = say("cli.accounts.hidden")
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    for key, value in data.items():
        console.print(f"{key:22} {value}", highlight=False)


@group.command("edit")
def edit(
    ctx: typer.Context,
    name: str,
    alegra_email: str | None = typer.Option(None),
    alegra_token: str | None = typer.Option(None),
    handy_token: str | None = typer.Option(None),
    price_list: str | None = typer.Option(None),
    all_items: bool | None = typer.Option(None, "--all-items/--inventoriable-only"),
    alegra_url: str | None = typer.Option(None),
    handy_url: str | None = typer.Option(None),
    country: str | None = typer.Option(None),
    timezone: str | None = typer.Option(None),
    colombia_default_nit: str | None = typer.Option(None),
    colombia_regime: str | None = typer.Option(None),
    default_zone: str | None = typer.Option(None),
    default_family: str | None = typer.Option(None),
    warehouse: str | None = typer.Option(None),
    sales_since: str | None = typer.Option(None),
    daily_at: str | None = typer.Option(None),
    sales_every: str | None = typer.Option(None),
    alert_after_failed_runs: str | None = typer.Option(None),
    alert_order_minutes: str | None = typer.Option(None),
    alert_webhook_url: str | None = typer.Option(None),
    alert_email: str | None = typer.Option(None),
) -> None:
    rt = runtime(ctx)
    given = load_settings()
    asked = activation.Edit(
        alegra_email=alegra_email,
        alegra_token=alegra_token or _secret(given.alegra_token),
        handy_token=handy_token or _secret(given.handy_token),
        alegra_url=alegra_url,
        handy_url=handy_url,
        country=country,
        price_list=price_list,
        warehouse=warehouse,
        all_items=all_items,
        timezone=timezone,
        sales_since=sales_since,
        daily_at=daily_at,
        sales_every=sales_every,
        default_zone=default_zone,
        default_family=default_family,
        colombia_default_nit=colombia_default_nit,
        colombia_regime=colombia_regime,
        alert_failed_runs=alert_after_failed_runs,
        alert_order_minutes=alert_order_minutes,
        alert_webhook_url=alert_webhook_url,
        alert_email=alert_email,
    )
    with reported():
        try:
            edited = activation.edit(rt, name, asked)
        except ActivationError as exc:
            fail(say("cli.accounts.nothing_changed", error=exc))
    for warning in edited.checked.all_warnings() if edited.checked else []:
        warn(warning)
    fields = [say("cli.accounts.credentials") if f == "credentials" else f for f in edited.changed]
    console.print(say("cli.accounts.updated", name=name, fields=", ".join(fields)), highlight=False)


@group.command("remove")
def remove(ctx: typer.Context, name: str, yes: bool = typer.Option(False, "--yes")) -> None:
    rt = runtime(ctx)
    if not yes:
        typer.confirm(say("cli.accounts.confirm_remove", name=name), abort=True)
    with reported(), rt.store.session() as session:
        accounts.remove(session, name)
    console.print(say("cli.accounts.removed", name=name), highlight=False)


@group.command("doctor")
def doctor_(ctx: typer.Context, name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        account = accounts.load(session, rt.vault, name)
    checks = doctor.run(rt.alegra(account), rt.handy(account), account)
    failed = sum(c.failed for c in checks)
    if as_json:
        typer.echo(json.dumps([c.to_json() for c in checks], ensure_ascii=False))
    else:
        for check in checks:
            console.print(check.line(), highlight=False)
        console.print(doctor.summary(len(checks), failed), highlight=False)
    if failed:
        raise typer.Exit(1)


def _set_paused(ctx: typer.Context, name: str, paused: bool) -> None:
    rt = runtime(ctx)
    with reported(), rt.store.session() as session:
        accounts.update(session, rt.vault, name, now=rt.clock.now(), paused=paused)
    console.print(
        say("cli.accounts.paused" if paused else "cli.accounts.active", name=name), highlight=False
    )


@group.command("pause")
def pause(ctx: typer.Context, name: str) -> None:
    _set_paused(ctx, name, True)


@group.command("resume")
def resume(ctx: typer.Context, name: str) -> None:
    _set_paused(ctx, name, False)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="accounts")
