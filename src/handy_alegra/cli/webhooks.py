"""``handy-alegra webhooks …``: near-real-time catalog and customers from Alegra."""

from __future__ import annotations

import typer

from handy_alegra.accounts import registry as accounts
from handy_alegra.cli.common import console, fail, reported, runtime, say
from handy_alegra.domain.errors import ApiError
from handy_alegra.records.alegra import WebhookSubscription
from handy_alegra.sync.webhooks import bare, ensure_subscriptions, new_token, receiver_url

group = typer.Typer(no_args_is_help=True)


@group.command("enable")
def enable(
    ctx: typer.Context,
    account: str = typer.Option(..., "--account", "-a"),
    public_url: str = typer.Option(...),
) -> None:
    rt = runtime(ctx)
    with reported():
        public_url = accounts.check_url(
            public_url, "public", allow_insecure=rt.settings.allow_insecure_http
        )
        with rt.store.session() as session:
            current = accounts.load(session, rt.vault, account)
            token = current.webhook_token or new_token()
            accounts.update(
                session,
                rt.vault,
                account,
                now=rt.clock.now(),
                webhook_token=token,
                webhook_public_url=public_url.rstrip("/"),
            )
        with rt.store.session() as session:
            config = accounts.load(session, rt.vault, account)
        try:
            created = ensure_subscriptions(rt, config)
        except ApiError as exc:
            fail(str(exc))
    target = f"{public_url.rstrip('/')}/webhooks/alegra/…"
    console.print(
        say("cli.webhooks.enabled", account=account, target=target, count=len(created)),
        highlight=False,
    )


@group.command("disable")
def disable(ctx: typer.Context, account: str = typer.Option(..., "--account", "-a")) -> None:
    rt = runtime(ctx)
    with reported():
        with rt.store.session() as session:
            config = accounts.load(session, rt.vault, account)
        if config.webhook_token and config.webhook_public_url:
            wanted = bare(receiver_url(config.webhook_public_url, config.webhook_token))
            alegra = rt.alegra(config)
            for sub in alegra.list_webhooks():
                if isinstance(sub, WebhookSubscription) and bare(sub.url) == wanted:
                    alegra.delete_webhook(sub.id)
        with rt.store.session() as session:
            accounts.update(
                session,
                rt.vault,
                account,
                now=rt.clock.now(),
                webhook_token=None,
                webhook_public_url=None,
            )
    console.print(say("cli.webhooks.disabled", account=account), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="webhooks")
