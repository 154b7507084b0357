"""Runs per day by outcome as stacked bars: the geometry of an inline SVG (pure)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from handy_alegra.domain.statuses import RunOutcome

#: Bottom to top; an outcome not listed here is drawn as ``other``.
OUTCOMES = (
    RunOutcome.OK,
    RunOutcome.PARTIAL,
    RunOutcome.INTERRUPTED,
    RunOutcome.CRASHED,
    RunOutcome.STOPPED,
    RunOutcome.RUNNING,
)
WIDTH, HEIGHT = 720, 160
LEFT, BOTTOM, TOP = 28, 20, 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    outcome: str
    count: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    day_labels: list[tuple[float, str]] = field(default_factory=list)
    scale: list[tuple[float, int]] = field(default_factory=list)  # (y, runs) gridlines
    total: int = 0


def runs_per_day(days: list[date], counts: dict[date, Counter[str]]) -> Chart:
    """``days``: the chart's days, oldest first; ``counts``: per day, runs by outcome."""
    most = max((sum(c.values()) for c in counts.values()), default=0)
    top = max(most, 1)
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(days), 1)
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    for i, day in enumerate(days):
        x = LEFT + i * slot + slot * 0.15
        base: float = HEIGHT - BOTTOM
        day_counts = counts.get(day, Counter())
        ordered: list[str] = [o for o in OUTCOMES if day_counts.get(o)]
        ordered += sorted(o for o in day_counts if o not in OUTCOMES and day_counts[o])
        for outcome in ordered:
            height = plot_height * day_counts[outcome] / top
            base -= height
            bars.append(Bar(x, base, slot * 0.7, height, day, outcome, day_counts[outcome]))
        if i % 7 == 0 or i == len(days) - 1:
            labels.append((x + slot * 0.35, day.strftime("%d/%m")))
    scale = [(HEIGHT - BOTTOM - plot_height * n / top, n) for n in sorted({0, top // 2, top})]
    return Chart(WIDTH, HEIGHT, bars, labels, scale, sum(sum(c.values()) for c in counts.values()))
