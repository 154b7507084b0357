"""Shared fixtures: a manual clock, retries without backoff, and both simulators wired to
their clients in-process (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import stamina

from handy_alegra.clock import ManualClock


@pytest.fixture(autouse=True)
def _retries_without_backoff() -> Iterator[None]:
    """stamina retries still happen (up to 6 attempts) but never sleep."""
    with stamina.set_testing(True, attempts=6, cap=True):
        yield


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 2, 15, 0, 7, tzinfo=UTC))
