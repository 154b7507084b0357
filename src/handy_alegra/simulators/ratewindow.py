"""Server-side fixed rate-limit windows, one per credential, as both APIs announce them."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WindowState:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds at which the window ends


class FixedWindows:
    """``limit`` requests per ``window`` seconds per key; windows are aligned on the epoch."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self.rejected = 0

    def hit(self, key: str, now: float) -> WindowState:
        index = math.floor(now / self.window)
        reset_at = (index + 1) * self.window
        with self._lock:
            current, count = self._counts.get(key, (index, 0))
            if current != index:
                count = 0
            if count >= self.limit:
                self.rejected += 1
                return WindowState(False, self.limit, 0, reset_at)
            count += 1
            self._counts[key] = (index, count)
            return WindowState(True, self.limit, self.limit - count, reset_at)

    def peek(self, key: str, now: float) -> WindowState:
        index = math.floor(now / self.window)
        with self._lock:
            current, count = self._counts.get(key, (index, 0))
        used = count if current == index else 0
        reset_at = (index + 1) * self.window
        return WindowState(used < self.limit, self.limit, self.limit - used, reset_at)


def seconds_text(seconds: float, *, whole: bool) -> str:
    """Seconds rounded up: whole seconds as the real APIs send them, or milliseconds when a
    time scale has shrunk the window below what whole seconds can express."""
    if whole:
        return str(math.ceil(seconds))
    return f"{math.ceil(seconds * 1000) / 1000:.3f}"
