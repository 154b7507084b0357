"""A verdict: how the rules judge one Alegra record for Handy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handy_alegra.domain.errors import RecordParseError


@dataclass(frozen=True, slots=True)
class Verdict:
    """``sync`` with the Handy fields wanted (``desired``), or skipped with a ``reason`` code
    (texts in ``messages/reasons.py``) and the values the explanation needs (``detail``)."""

    source_id: str | None
    code: str | None
    name: str
    sync: bool
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    desired: dict[str, Any] = field(default_factory=dict)


def skip(
    source_id: str | None, code: str | None, name: str, reasons: list[str], **detail: Any
) -> Verdict:
    """A skip for the first of ``reasons``; the others are kept as ``also``."""
    if len(reasons) > 1:
        detail["also"] = reasons[1:]
    return Verdict(source_id, code, name, False, reasons[0], detail)


def unreadable(error: RecordParseError) -> Verdict:
    return Verdict(
        error.record_id,
        None,
        "",
        False,
        "unreadable",
        {"field": error.field, "problem": error.problem},
    )
