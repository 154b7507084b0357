"""Run outcomes, order statuses and slot statuses are spelled out once (``domain/statuses.py``):
a grep of ``src`` finds none elsewhere, and every one has its words on the dashboard, in
``explain`` and on the command line."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import handy_alegra
from handy_alegra.domain.statuses import (
    ALERT_AT_ONCE,
    NEUTRAL_OUTCOMES,
    RESUMABLE_OUTCOMES,
    UNHEALTHY_OUTCOMES,
    OrderStatus,
    RunOutcome,
    SlotStatus,
)
from handy_alegra.messages import MESSAGES
from handy_alegra.messages import reason_texts as reasons

SRC = Path(handy_alegra.__file__).parent
DEFINING = SRC / "domain" / "statuses.py"
TRANSLATIONS = SRC / "messages" / "words.py"  # the words for them (keys are composite)
VALUES = frozenset(m.value for enum in (RunOutcome, OrderStatus, SlotStatus) for m in enum)
#: Ordinary words that also name other things in the code (a count, the kind of a flash
#: message, a key of a JSON answer): flagged where they are used as a status or an outcome.
#: Every other value is flagged wherever it appears.
COMMON = frozenset({"ok", "running", "failed", "pending", "sent", "cancelled", "skipped", "done"})
STATUS_NAME = re.compile(r"(status|outcome)(es|s)?$", re.IGNORECASE)
PASS_THROUGH = (ast.Tuple, ast.List, ast.Set, ast.Starred, ast.keyword, ast.Call, ast.IfExp)


def _named_as_status(node: ast.AST) -> bool:
    """``status``, ``record.status``, ``job["outcome"]``, ``last.get("outcome")``, …"""
    if isinstance(node, ast.Name):
        return bool(STATUS_NAME.search(node.id))
    if isinstance(node, ast.Attribute):
        return bool(STATUS_NAME.search(node.attr))
    if isinstance(node, ast.Subscript):
        return _is_status_key(node.slice)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and node.args:
            return _is_status_key(node.args[0])
        return _named_as_status(node.func.value)  # ``OrderRecord.status.in_(…)``
    if isinstance(node, ast.Tuple | ast.List):
        return any(_named_as_status(e) for e in node.elts)
    return False


def _is_status_key(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(STATUS_NAME.search(node.value))
    )


def _all_statuses(node: ast.AST) -> bool:
    """A tuple, list or set literal made of status values only: a set of statuses."""
    if not isinstance(node, ast.Tuple | ast.List | ast.Set):
        return False
    texts = [e for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return bool(texts) and len(texts) == len(node.elts) and all(e.value in VALUES for e in texts)


def _used_as_status(constant: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    child: ast.AST = constant
    node = parents.get(child)
    while node is not None:
        if _all_statuses(node):
            return True
        if isinstance(node, ast.Compare):
            return any(_named_as_status(n) for n in (node.left, *node.comparators))
        if isinstance(node, ast.keyword) and node.arg and STATUS_NAME.search(node.arg):
            return True
        if isinstance(node, ast.Dict):
            keys = [k for k, v in zip(node.keys, node.values, strict=True) if v is child]
            return any(k is not None and _is_status_key(k) for k in keys)
        if isinstance(node, ast.Assign):
            return any(_named_as_status(t) for t in node.targets)
        if isinstance(node, ast.AnnAssign | ast.AugAssign):
            return _named_as_status(node.target)
        if isinstance(node, ast.Call) and child is node.func:
            return False
        if not isinstance(node, PASS_THROUGH):
            return False
        child, node = node, parents.get(node)
    return False


def literals(source: str) -> list[tuple[int, str]]:
    """(line, value) of each status spelled out in ``source``."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if node.value not in VALUES:
            continue
        if node.value not in COMMON or _used_as_status(node, parents):
            found.append((node.lineno, node.value))
    return sorted(found)


def test_the_scanner_finds_statuses_spelled_out_and_leaves_other_words_alone() -> None:
    source = """
record.status = "sent"
record.status, record.reason = "failed", None
if run.outcome in ("ok", "partial"):
    pass
query.where(OrderRecord.status.in_(("pending", "failed")))
update(Slot).values(status="queued", owner=None)
RETRYABLE = ("failed", "needs_attention")
outcome: str = "ok"
seen = job["outcome"] == "running"
message = "crashed"
flash(request, "ok", "saved")
summary.counts["sent"] += 1
checks = {"store": "ok"}
EFFECTS = ("read", "sent", "adopted")
row = {"status": "pending"}
"""
    assert literals(source) == [
        (2, "sent"),
        (3, "failed"),
        (4, "ok"),
        (4, "partial"),
        (6, "failed"),
        (6, "pending"),
        (7, "queued"),
        (8, "failed"),
        (8, "needs_attention"),
        (9, "ok"),
        (10, "running"),
        (11, "crashed"),
        (16, "pending"),
    ]


def test_no_status_is_spelled_out_outside_the_module_that_defines_them() -> None:
    found = {
        f"{path.relative_to(SRC)}:{line}": value
        for path in sorted(SRC.rglob("*.py"))
        if path not in (DEFINING, TRANSLATIONS)
        for line, value in literals(path.read_text(encoding="utf-8"))
    }
    assert found == {}, "use the enums of domain/statuses.py"


def test_the_sets_are_made_of_their_enum() -> None:
    assert {RunOutcome.INTERRUPTED, RunOutcome.CRASHED} == UNHEALTHY_OUTCOMES
    assert RunOutcome.STOPPED not in UNHEALTHY_OUTCOMES  # a shutdown is nobody's failure
    assert ALERT_AT_ONCE <= UNHEALTHY_OUTCOMES
    assert not NEUTRAL_OUTCOMES & UNHEALTHY_OUTCOMES
    assert {RunOutcome.INTERRUPTED, RunOutcome.STOPPED} == RESUMABLE_OUTCOMES
    assert RunOutcome("crashed") is RunOutcome.CRASHED  # the values stay the stored strings


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_status_has_its_words(lang: str) -> None:
    """The dashboard, ``explain`` and the command line can say every one of them."""
    assert {k for k in MESSAGES if k.startswith("order_status.")} == {
        f"order_status.{s}" for s in OrderStatus
    }
    missing = [f"order.{s}" for s in OrderStatus if f"order.{s}" not in MESSAGES]
    missing += [f"outcome.{o}" for o in RunOutcome if f"outcome.{o}" not in MESSAGES]
    assert missing == []
    for outcome in (RunOutcome.INTERRUPTED, RunOutcome.STOPPED, RunOutcome.CRASHED):
        meaning = reasons.outcome_meaning(outcome, lang)
        assert meaning and "\n" not in meaning
    assert reasons.outcome_meaning(RunOutcome.OK, lang) is None
