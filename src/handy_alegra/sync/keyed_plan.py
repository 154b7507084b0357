"""The pure planning step of an Alegra → Handy sync keyed by Handy code.

For one code: the verdicts of the Alegra records that name it, and what is known of the Handy
record with that code (if any, and whether this service manages it) → exactly one action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from handy_alegra.mapping.verdict import Verdict

CREATE, UPDATE, ENABLE, DISABLE = "create", "update", "enable", "disable"
UNCHANGED, SKIP, LEFT_ALONE = "unchanged", "skip", "left_alone"
WRITES = frozenset({CREATE, UPDATE, ENABLE, DISABLE})


@dataclass(frozen=True, slots=True)
class Known:
    """Handy's current values of the synced fields of a record, and whether we manage it."""

    fields: dict[str, Any]
    managed: bool


@dataclass(frozen=True, slots=True)
class Action:
    kind: str
    code: str
    changes: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    source_id: str | None = None
    desired: dict[str, Any] = field(default_factory=dict)  # every field wanted (create, update)


def same(wanted: Any, current: Any) -> bool:
    if wanted in (None, "") and current in (None, ""):
        return True
    if isinstance(wanted, Decimal) or isinstance(current, Decimal):
        try:
            return Decimal(str(wanted)) == Decimal(str(current))
        except ArithmeticError:
            return False
    return bool(wanted == current)


def diff(desired: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The desired fields whose value differs from Handy's."""
    return {k: v for k, v in desired.items() if not same(v, current.get(k))}


def plan(code: str, verdicts: Sequence[Verdict], known: Known | None) -> Action:
    syncing = [v for v in verdicts if v.sync]
    if len(syncing) > 1:
        ids = sorted(v.source_id or "?" for v in syncing)
        return _not_wanted(code, known, "duplicate_reference", {"ids": ids}, None)
    if syncing:
        wanted = syncing[0]
        desired = dict(wanted.desired)
        if known is None:
            return Action(CREATE, code, desired, source_id=wanted.source_id, desired=desired)
        changes = diff(desired, known.fields)
        if not changes:
            return Action(UNCHANGED, code, source_id=wanted.source_id)
        enabling = changes.get("enabled") is True and known.fields.get("enabled") is False
        return Action(
            ENABLE if enabling else UPDATE,
            code,
            changes,
            source_id=wanted.source_id,
            desired=desired,
        )
    if verdicts:
        first = verdicts[0]
        return _not_wanted(
            code, known, first.reason or "skipped", dict(first.detail), first.source_id
        )
    return _not_wanted(code, known, "not_in_alegra", {}, None)


def _not_wanted(
    code: str, known: Known | None, reason: str, detail: dict[str, Any], source_id: str | None
) -> Action:
    """No Alegra record qualifies for ``code``: disable what we manage, leave the rest."""
    if known is not None and known.managed:
        if known.fields.get("enabled", True) is not False:
            return Action(DISABLE, code, {"enabled": False}, reason, detail, source_id)
        return Action(UNCHANGED, code, {}, reason, detail, source_id)
    if known is not None and reason == "not_in_alegra":
        return Action(LEFT_ALONE, code, {}, reason, detail, source_id)
    return Action(SKIP, code, {}, reason, detail, source_id)
