"""A reason a record cannot go through, with the values its explanation needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)
