"""What every command shares: the runtime, error reporting, progress bars, summaries."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from handy_alegra import messages
from handy_alegra.config.settings import SettingsError
from handy_alegra.messages import SaidError
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.runtime import Runtime
from handy_alegra.store.database import explain, is_store_failure
from handy_alegra.sync.summary import RunSummary

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

EXIT_USAGE = 2


class _Flag:
    """A process-wide switch set by the root command (``--debug``)."""

    def __init__(self) -> None:
        self.value = False

    def set(self, value: bool) -> None:
        self.value = value

    def get(self) -> bool:
        return self.value


DEBUG = _Flag()


def one_line(exc: BaseException) -> str | None:
    """The line an operator reads for a failure they can fix; None for anything else (a bug:
    its traceback is shown)."""
    if isinstance(exc, SettingsError):
        return messages.settings_problems(exc)
    if isinstance(exc, SaidError):  # a refusal, the store, the key
        return exc.text()
    if is_store_failure(exc):
        return explain(exc, messages.Said("error.store.place")).text()
    return None


def runtime(ctx: typer.Context) -> Runtime:
    root = ctx.find_root()
    if not isinstance(root.obj, Runtime):
        root.obj = Runtime.from_env()
        root.call_on_close(root.obj.close)
    return root.obj


def say(key: str, /, **values: object) -> str:
    """A message of the catalog in the command line's language (the ``lang`` setting)."""
    return messages.text(key, None, **values)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    errors.print(f"[bold red]{say('cli.error')}:[/] {message}", highlight=False)
    raise typer.Exit(code)


def warn(message: str) -> None:
    console.print(f"[yellow]{say('cli.warning')}:[/] {message}", highlight=False)


@contextmanager
def reported() -> Iterator[None]:
    """Turn the errors an operator can fix into a message and exit code 2."""
    try:
        yield
    except Exception as exc:
        line = one_line(exc)
        if line is None or DEBUG.get():
            raise
        fail(line)


class RichProgress:
    """A progress bar per phase of a run (on stderr, so that --json stays clean)."""

    def __init__(self, enabled: bool = True) -> None:
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=errors,
            transient=False,
            disable=not enabled or not errors.is_terminal,
        )
        self.lanes = [_Lane(self.bar)]  # the first is this progress's own

    def __enter__(self) -> RichProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        for lane in self.lanes:
            lane.close()
        self.bar.__exit__(None, None, None)

    def phase(self, description: str, total: int | None = None) -> None:
        self.lanes[0].phase(description, total)

    def advance(self, amount: int = 1) -> None:
        self.lanes[0].advance(amount)

    def lane(self, name: str) -> _Lane:
        """A progress of its own on the same display (for syncs that run side by side)."""
        self.lanes.append(_Lane(self.bar, f"{name}: "))
        return self.lanes[-1]


class _Lane:
    """One line of phases on a shared display; a finished phase shows as complete."""

    def __init__(self, bar: Progress, prefix: str = "") -> None:
        self.bar, self.prefix = bar, prefix
        self.task: Any = None

    def phase(self, description: str, total: int | None = None) -> None:
        self.close()
        self.task = self.bar.add_task(self.prefix + description, total=total)

    def close(self) -> None:
        if self.task is not None:
            done = next(t.completed for t in self.bar.tasks if t.id == self.task) or 1
            self.bar.update(self.task, total=done, completed=done)

    def advance(self, amount: int = 1) -> None:
        if self.task is not None:
            self.bar.advance(self.task, amount)


def print_summary(summary: RunSummary, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(summary.to_json(), ensure_ascii=False) + "\n")
        return
    kind = messages.word("kind", summary.kind)
    title = say("cli.summary.title", kind=kind, account=summary.account) + (
        say("cli.summary.dry_run") if summary.dry_run else ""
    )
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in summary.counts_json().items():
        if isinstance(value, dict):
            total = sum(value.values())
            table.add_row(messages.word("count", key), str(total))
            for reason, count in value.items():
                table.add_row(f"  {reasons.label(reason)}", str(count))
        elif value:
            table.add_row(messages.word("count", key), str(value))
    table.add_row(say("cli.summary.outcome"), messages.word("outcome", summary.outcome))
    console.print(table)
    if summary.message:
        console.print(summary.message, highlight=False)
    meaning = reasons.outcome_meaning(summary.outcome)
    if meaning:
        console.print(meaning, highlight=False)
    if summary.dry_run and summary.planned:
        console.print(say("cli.summary.plan", count=len(summary.planned)), highlight=False)
        for line in summary.planned[:50]:
            console.print("  " + json.dumps(line, ensure_ascii=False), highlight=False)
        if len(summary.planned) > 50:
            console.print(say("cli.summary.more", count=len(summary.planned) - 50))
