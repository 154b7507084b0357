"""``handy-alegra run | worker | scheduler | status``: the service, and how it is doing."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from handy_alegra import messages
from handy_alegra.accounts import registry as accounts
from handy_alegra.cli.common import console, fail, reported, runtime, say
from handy_alegra.domain.statuses import SlotStatus
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.scheduling.embedded import DEFAULT_CONCURRENCY, Dispatcher
from handy_alegra.views.status import UNHEALTHY, account_status, glance
from handy_alegra.web.metrics import serve_metrics


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        ctx: typer.Context,
        concurrency: int = typer.Option(DEFAULT_CONCURRENCY),
        tick: float = typer.Option(15.0),
        once: bool = typer.Option(False, "--once"),
        metrics_port: int = typer.Option(0),
    ) -> None:
        rt = runtime(ctx)
        if metrics_port:
            serve_metrics(rt, metrics_port)
        with reported():
            dispatcher = Dispatcher(rt, concurrency=concurrency)
            if once:
                dispatcher.run_once()
                dispatcher.shutdown()
                raise typer.Exit(1 if dispatcher.counts[SlotStatus.FAILED] else 0)
            dispatcher.serve(tick)

    @app.command()
    def worker(
        ctx: typer.Context,
        concurrency: int = typer.Option(DEFAULT_CONCURRENCY),
        metrics_port: int = typer.Option(0),
    ) -> None:
        from handy_alegra.scheduling.distributed import run_worker

        rt = runtime(ctx)
        if metrics_port:
            serve_metrics(rt, metrics_port)
        with reported():
            try:
                run_worker(rt, concurrency)
            except ValueError as exc:
                fail(str(exc))

    @app.command()
    def scheduler(ctx: typer.Context, tick: float = typer.Option(15.0)) -> None:
        from handy_alegra.scheduling.distributed import run_scheduler

        rt = runtime(ctx)
        with reported():
            try:
                run_scheduler(rt, tick)
            except ValueError as exc:
                fail(str(exc))

    @app.command()
    def status(
        ctx: typer.Context,
        account: str | None = typer.Option(None, "--account", "-a"),
        unhealthy: bool = typer.Option(False, "--unhealthy"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        rt = runtime(ctx)
        now = rt.clock.now()
        with reported(), rt.store.session() as session:
            if unhealthy:  # every account at a glance in two statements, then only those
                wanted = [g.name for g in glance(session, now) if g.health in UNHEALTHY]
                names = [n for n in wanted if account is None or n == account]
                if account and account not in wanted:
                    accounts.find_row(session, account)  # an unknown name is still an error
            else:
                names = [account] if account else accounts.names(session)
            data = [
                account_status(session, accounts.load(session, rt.vault, n), now) for n in names
            ]
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
            return
        if not data:
            console.print(
                say("cli.status.no_match" if unhealthy or account else "cli.status.no_accounts")
            )
        for item in data:
            show(item)


def show(item: dict[str, object]) -> None:
    health = messages.word("health", item["health"])
    state = (
        say("cli.status.paused")
        if item["paused"]
        else say("cli.status.running", job=messages.word("kind", item["running"]), health=health)
        if item["running"]
        else say("cli.status.active", health=health)
    )
    console.print(f"[bold]{item['account']}[/] ({item['country']}, {state})", highlight=False)
    table = Table(*(say(f"col.{c}") for c in ("kind", "last_run", "outcome", "counts", "next_run")))
    jobs = item["jobs"]
    assert isinstance(jobs, dict)
    for kind, job in jobs.items():
        last = job["last_run"] or {}
        counts = {
            k: v for k, v in (last.get("counts") or {}).items() if v and not isinstance(v, dict)
        }
        table.add_row(
            messages.word("kind", kind),
            (last.get("started_at") or say("outcome.never"))[:16],
            messages.word("outcome", last["outcome"]) if last.get("outcome") else "—",
            ", ".join(f"{messages.word('count', k)} {v}" for k, v in counts.items()),
            (job["next_run"] or "—")[:16],
        )
    console.print(table)
    problems = item["problems"]
    assert isinstance(problems, dict)
    orders = problems["orders"]
    if orders["count"]:
        console.print(say("cli.status.orders", count=orders["count"]), highlight=False)
        for order in orders["orders"][:10]:
            console.print(
                f"    #{order['order']} ({order['customer']}): {order['explanation']}",
                highlight=False,
            )
    for kind in ("products", "customers"):
        skipped = problems[kind]
        if skipped["count"]:
            parts = ", ".join(f"{reasons.label(r)} {n}" for r, n in skipped["by_reason"].items())
            console.print(
                say(f"cli.status.{kind}", count=skipped["count"], parts=parts), highlight=False
            )
    hooks = problems["webhooks"]
    if hooks["count"]:
        parts = ", ".join(f"{reasons.label(r)} {n}" for r, n in hooks["by_reason"].items())
        console.print(
            say("cli.status.webhooks", days=hooks["days"], count=hooks["count"], parts=parts),
            highlight=False,
        )
        for latest in hooks["latest"][:3]:
            console.print(f"    {latest['at'][:16]}: {latest['explanation']}", highlight=False)
