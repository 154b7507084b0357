"""Walking paginated listings: each record once, and a loud stop if the API repeats itself.

A listing that silently stopped early would make a sync believe records were deleted, so a
page made only of records already seen raises ``TransientError`` instead of ending quietly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from handy_alegra.errors import TransientError


def _key(raw: Any) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


def _fresh(page: list[Any], seen: set[str]) -> Iterator[Any]:
    for raw in page:
        key = _key(raw)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        yield raw


def offset_pages(
    fetch: Callable[[int, int], list[Any]], *, page_size: int, what: str, api: str
) -> Iterator[Any]:
    """``fetch(start, limit)`` until a short page (Alegra style)."""
    seen: set[str] = set()
    start = 0
    while True:
        page = fetch(start, page_size)
        before = len(seen)
        fresh = list(_fresh(page, seen))
        yield from fresh
        if len(page) < page_size:
            return
        if not fresh and len(seen) == before:
            raise TransientError(
                f"the {what} listing repeated a page at offset {start}; stopped to avoid "
                "treating the rest as missing",
                api=api,
            )
        start += page_size


def numbered_pages(
    fetch: Callable[[int], tuple[list[Any], bool]], *, what: str, api: str, max_pages: int = 100_000
) -> Iterator[Any]:
    """``fetch(page) -> (records, has_next)`` from page 1 while there is a next page (Handy)."""
    seen: set[str] = set()
    page_number = 1
    while page_number <= max_pages:
        records, has_next = fetch(page_number)
        before = len(seen)
        yield from _fresh(records, seen)
        if not has_next or not records:
            return
        if len(seen) == before:
            raise TransientError(
                f"the {what} listing repeated page {page_number}; stopped to avoid "
                "treating the rest as missing",
                api=api,
            )
        page_number += 1
    raise TransientError(f"the {what} listing did not end after {max_pages} pages", api=api)
