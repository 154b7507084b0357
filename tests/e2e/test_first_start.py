"""Six commands started at the same instant on a fresh home all succeed: the SQLite store is
migrated once (a file lock beside it), the key file is made once, and both are private.

The processes come from a fork server that has the CLI imported already, so each start costs
a fork rather than an interpreter start; a barrier releases the six together."""

from __future__ import annotations

import multiprocessing
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

COMMANDS = (
    ("accounts", "list"),
    ("status", "--json"),
    ("operators", "list"),
    ("db", "upgrade"),
    ("secrets", "rotate"),  # opens the vault: makes the key file
    ("secrets", "rotate"),
)
ROUNDS = 10


def _command(home: str, args: tuple[str, ...], barrier: Any) -> None:
    """In a child: the real console entry point, as a fresh process would run it."""
    for name in ("HANDY_ALEGRA_DATABASE_URL", "HANDY_ALEGRA_SECRET_KEY", "HANDY_ALEGRA_DEBUG"):
        os.environ.pop(name, None)
    os.environ["HANDY_ALEGRA_HOME"] = home
    sys.argv = ["handy-alegra", *args]
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # quiet: only the exit code matters (stderr is kept for failures)
    from handy_alegra.cli import main

    barrier.wait()
    try:
        main()
    except SystemExit as exit_:
        os._exit(exit_.code if isinstance(exit_.code, int) else 1)
    os._exit(0)


@pytest.fixture(scope="module")
def context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["handy_alegra.cli", "tests.e2e.test_first_start"])
    return ctx


def test_six_concurrent_first_commands_on_a_fresh_home_all_succeed(
    tmp_path: Path, context: Any
) -> None:
    for round_ in range(ROUNDS):
        home = tmp_path / f"home-{round_}" / "handy-alegra"  # not even its folder exists yet
        barrier = context.Barrier(len(COMMANDS))
        children = [
            context.Process(target=_command, args=(str(home), args, barrier)) for args in COMMANDS
        ]
        for child in children:
            child.start()
        for child in children:
            child.join(timeout=120)
        codes = [(args, child.exitcode) for args, child in zip(COMMANDS, children, strict=True)]
        assert all(code == 0 for _, code in codes), (round_, codes)
        store = home / "handy-alegra.sqlite3"
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert stat.S_IMODE(store.stat().st_mode) == 0o600
        assert stat.S_IMODE((home / "secret.key").stat().st_mode) == 0o600
        assert not [p.name for p in home.iterdir() if p.name.startswith(".secret.key")]
