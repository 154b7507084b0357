"""Structured logs (structlog): JSON lines for services, readable lines for a terminal.

A processor drops the value of any key that looks like a secret, so that a token passed to a
log call by mistake is never written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SECRET_MARKERS = ("token", "password", "secret", "authorization", "api_key", "fernet")


def redact_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if any(marker in key.lower() for marker in SECRET_MARKERS):
            event[key] = "[redacted]"
    return event


def _stderr_logger(*_: Any) -> structlog.PrintLogger:
    """Whatever ``sys.stderr`` is now (test runners swap it)."""
    return structlog.PrintLogger(sys.stderr)


def configure(*, json: bool = False, level: str = "INFO") -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(stream=sys.stderr, level=numeric, format="%(message)s", force=True)
    for noisy in ("httpx", "httpcore", "uvicorn.access", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
