"""Why a record was skipped, failed or changed, in words a company admin understands.

Each reason code has two entries in the message catalog (``messages/reasons.py``): a short
label (``reason.<code>.label``: summaries, dashboards) and a sentence that says what happened
and what to do (``reason.<code>.text``), with the record's values quoted in it. This module
reads them: the values are clipped and lists joined first.
"""

from __future__ import annotations

from typing import Any

from handy_alegra import messages
from handy_alegra.config.settings import LANGS
from handy_alegra.domain.statuses import RunOutcome

__all__ = ["LANGS", "REASONS", "clip", "label", "language", "outcome_meaning", "sentence"]

#: Every reason code the catalog can say.
REASONS = frozenset(key.split(".")[1] for key in messages.MESSAGES if key.startswith("reason."))


def language() -> str:
    """The language of the command line and alerts: the ``lang`` setting."""
    return messages.language()


def outcome_meaning(outcome: str, lang: str | None = None) -> str | None:
    """What a run that ended so means for the person who started it; None for one that
    finished."""
    key = f"outcome_meaning.{RunOutcome(outcome)}"
    return messages.text(key, lang) if messages.has(key) else None


def label(code: str | None, lang: str | None = None) -> str:
    if code is None:
        return ""
    return messages.word("reason", f"{code}.label", lang) if code in REASONS else _plain(code)


def _plain(code: str) -> str:
    return code.replace("_", " ")


#: Longest value quoted in a sentence: a reason is read by people, a 70 KB code is not.
SHOWN = 120


def clip(value: object) -> object:
    """``value``, cut to ``SHOWN`` characters when it is long text."""
    if isinstance(value, str) and len(value) > SHOWN:
        return value[: SHOWN - 1] + "…"
    return value


def sentence(
    code: str | None, detail: dict[str, Any] | None = None, lang: str | None = None
) -> str:
    if code is None:
        return ""
    if code not in REASONS:
        return _plain(code)
    values = {
        k: clip(", ".join(map(str, v)) if isinstance(v, list) else v)
        for k, v in (detail or {}).items()
    }
    return messages.text(f"reason.{code}.text", lang, **values)
