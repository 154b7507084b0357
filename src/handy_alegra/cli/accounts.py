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
from handy_alegra.clients.alegra import CO_REGIMES
from handy_alegra.clients.alegra import DEFAULT_BASE_URL as ALEGRA_URL
from handy_alegra.clients.handy import DEFAULT_BASE_URL as HANDY_URL
from handy_alegra.config.settings import load_settings
from handy_alegra.mapping.clients import DEFAULT_REGIME
from handy_alegra.sync import daily

group = typer.Typer(help="Activate companies and manage their settings.", no_args_is_help=True)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _ask(what: str) -> str:
    return str(typer.prompt(say(what), hide_input=True))


@group.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help=f"A short name for the company (used in every command): {accounts.NAME_RULE}."
    ),
    country: str = typer.Option(..., help="MX or CO."),
    alegra_email: str = typer.Option(..., help="The Alegra user (e-mail) of the API token."),
    alegra_token: str | None = typer.Option(
        None, help="Alegra API token (or env HANDY_ALEGRA_ALEGRA_TOKEN, or asked)."
    ),
    handy_token: str | None = typer.Option(
        None, help="Handy API token (or env HANDY_ALEGRA_HANDY_TOKEN, or asked)."
    ),
    price_list: str = typer.Option(
        ..., help="Alegra price list for Handy's price: id or exact name."
    ),
    all_items: bool = typer.Option(
        False, "--all-items", help="Sync every item, not only inventoriable ones."
    ),
    alegra_url: str = typer.Option(
        ALEGRA_URL, help="Alegra API base, up to /api/v1 (https; http only to loopback)."
    ),
    handy_url: str = typer.Option(
        HANDY_URL, help="Handy API base, up to /api/v2 (https; http only to loopback)."
    ),
    timezone: str = typer.Option("America/Mexico_City", help="The company's time zone (IANA)."),
    colombia_default_nit: str = typer.Option(
        "222222222", help="NIT for Colombian clients without one."
    ),
    colombia_regime: str = typer.Option(
        DEFAULT_REGIME, help=f"Regime of new Colombian clients: {', '.join(CO_REGIMES)}."
    ),
    sales_since: str | None = typer.Option(
        None, help="Send orders created from this ISO date-time on (default: now)."
    ),
    warehouse: str | None = typer.Option(
        None, help="Alegra warehouse (id or name) remissions take goods from."
    ),
    daily_at: str = typer.Option(
        "03:00", help="Local time of the daily catalog and customer sync."
    ),
    sales_every: int = typer.Option(10, help="Minutes between sales cycles."),
    no_initial_sync: bool = typer.Option(
        False, "--no-initial-sync", help="Do not run the first catalog and customer sync."
    ),
) -> None:
    """Activate a company: check both credentials, the price list and (Colombia) Handy's
    person categories; store the account with its tokens encrypted; run the first sync.

    Example:

        handy-alegra accounts add acme --country MX --alegra-email a@acme.mx --price-list Mayoreo
    """
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
    """List the accounts (no secrets)."""
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
    """Show one account's settings (never its tokens)."""
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
    alegra_token: str | None = typer.Option(
        None, help="New Alegra token (or env HANDY_ALEGRA_ALEGRA_TOKEN)."
    ),
    handy_token: str | None = typer.Option(
        None, help="New Handy token (or env HANDY_ALEGRA_HANDY_TOKEN)."
    ),
    price_list: str | None = typer.Option(None, help="Id or exact name."),
    all_items: bool | None = typer.Option(None, "--all-items/--inventoriable-only"),
    alegra_url: str | None = typer.Option(None),
    handy_url: str | None = typer.Option(None),
    country: str | None = typer.Option(None),
    timezone: str | None = typer.Option(None),
    colombia_default_nit: str | None = typer.Option(None),
    colombia_regime: str | None = typer.Option(
        None, help=f"Regime of new Colombian clients: {', '.join(CO_REGIMES)}."
    ),
    default_zone: str | None = typer.Option(None, help="Zone for customers without a seller."),
    default_family: str | None = typer.Option(None, help="Family for items without a category."),
    warehouse: str | None = typer.Option(None, help="Id or name."),
    sales_since: str | None = typer.Option(None),
    daily_at: str | None = typer.Option(None, help="HH:MM, local."),
    sales_every: str | None = typer.Option(None, help="Minutes (a whole number, at least 1)."),
    alert_after_failed_runs: str | None = typer.Option(
        None, help="Alert after N failed runs in a row."
    ),
    alert_order_minutes: str | None = typer.Option(
        None, help="Alert when an order is stuck this long."
    ),
    alert_webhook_url: str | None = typer.Option(None, help="POST alerts here (JSON); '' to stop."),
    alert_email: str | None = typer.Option(
        None, help="E-mail alerts here (SMTP settings: docs); '' to stop."
    ),
) -> None:
    """Change an account's settings; new credentials or a new price list are checked first.
    The dashboard's settings page changes them through the same rules.

    Example:

        handy-alegra accounts edit acme --price-list General --all-items
    """
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
def remove(
    ctx: typer.Context, name: str, yes: bool = typer.Option(False, "--yes", help="Do not ask.")
) -> None:
    """Remove an account and everything this service keeps about it (Handy and Alegra are
    not touched)."""
    rt = runtime(ctx)
    if not yes:
        typer.confirm(say("cli.accounts.confirm_remove", name=name), abort=True)
    with reported(), rt.store.session() as session:
        accounts.remove(session, name)
    console.print(say("cli.accounts.removed", name=name), highlight=False)


@group.command("doctor")
def doctor_(ctx: typer.Context, name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Check an account's two APIs again, read-only, one line per check: Alegra's user and
    token, country, price list and warehouse; Handy's token (GET /user, as Handy's API guide
    tests it) and every Handy endpoint this service uses without public confirmation, each
    with the status and answer of a refusal. Exits 1 when a check fails.

    Example:

        handy-alegra accounts doctor acme
    """
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
    """Stop scheduled syncs of an account until it is resumed."""
    _set_paused(ctx, name, True)


@group.command("resume")
def resume(ctx: typer.Context, name: str) -> None:
    """Resume scheduled syncs of a paused account."""
    _set_paused(ctx, name, False)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="accounts")
