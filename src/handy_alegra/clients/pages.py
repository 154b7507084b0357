"""Walking paginated listings: each record once, in order, and a loud stop if the API repeats
itself.

The first page says how many records (Alegra's ``metadata.total``) or pages (Handy's
``totalPages``) there are; the other pages are then fetched ``ahead`` at a time in parallel
(the rate limiter still paces them) and yielded in order — no request is made past the end.
If the listing grew meanwhile, the walk goes on page by page until a short page.

A listing that silently stopped early would make a sync believe records were deleted, so a
page made only of records already seen raises ``TransientError`` instead of ending quietly.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from handy_alegra.domain.errors import TransientError
from handy_alegra.records.wire import canonical_id

T = TypeVar("T")


def _key(raw: Any) -> str | None:
    return canonical_id(raw.get("id")) if isinstance(raw, dict) else None


def _fresh(page: list[Any], seen: set[str]) -> list[Any]:
    fresh = []
    for raw in page:
        key = _key(raw)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        fresh.append(raw)
    return fresh


def in_order(call: Callable[[int], T], args: Iterable[int], ahead: int) -> Iterator[T]:
    """``call(a)`` for each argument, at most ``ahead`` at a time, results in argument order."""
    args = iter(args)
    if ahead <= 1:
        yield from (call(a) for a in args)
        return
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="page") as pool:
        waiting: deque[Future[T]] = deque()
        try:
            for a in args:
                waiting.append(pool.submit(call, a))
                if len(waiting) >= ahead:
                    yield waiting.popleft().result()
            while waiting:
                yield waiting.popleft().result()
        finally:
            for future in waiting:
                future.cancel()


def offset_pages(
    fetch: Callable[[int, int], tuple[list[Any], int | None]],
    *,
    page_size: int,
    what: str,
    api: str,
    ahead: int = 1,
) -> Iterator[Any]:
    """Alegra style: ``fetch(start, limit) -> (records, total or None)`` until a short page."""
    seen: set[str] = set()
    first, total = fetch(0, page_size)
    yield from _fresh(first, seen)
    if len(first) < page_size:
        return
    planned = range(page_size, math.ceil(total / page_size) * page_size, page_size) if total else ()
    pages = in_order(lambda at: fetch(at, page_size), planned, ahead)
    for start, (page, _) in zip(planned, pages, strict=False):
        fresh = _fresh(page, seen)
        yield from fresh
        if len(page) < page_size:
            if total is not None and start + len(page) < total:
                raise _ended_early(what, api, start + len(page), total)
            return
        _check_progress(page, fresh, what, api, f"offset {start}")
    start = planned[-1] + page_size if planned else page_size
    # Read on until a short page even past the announced total: a total that came short of
    # the truth would otherwise hide records, and the sync would take them for deleted.
    while True:  # the listing grew (or the API gave no total): one page at a time
        page, _ = fetch(start, page_size)
        fresh = _fresh(page, seen)
        yield from fresh
        if len(page) < page_size:
            return
        _check_progress(page, fresh, what, api, f"offset {start}")
        start += page_size


def numbered_pages(
    fetch: Callable[[int], tuple[list[Any], bool, int | None]],
    *,
    what: str,
    api: str,
    ahead: int = 1,
    max_pages: int = 100_000,
) -> Iterator[Any]:
    """Handy style: ``fetch(page) -> (records, has_next, total_pages or None)`` from page 1."""
    seen: set[str] = set()
    records, has_next, pages = fetch(1)
    yield from _fresh(records, seen)
    if not has_next or not records:
        return
    planned = range(2, min(pages, max_pages) + 1) if pages else range(0)
    number = 1
    for number, (page, more, _) in zip(planned, in_order(fetch, planned, ahead), strict=False):
        fresh = _fresh(page, seen)
        yield from fresh
        if not more or not page:
            if pages is not None and number < pages:
                raise _ended_early(what, api, number, pages)
            return
        _check_progress(page, fresh, what, api, f"page {number}")
    number += 1
    while number <= max_pages:
        page, more, _ = fetch(number)
        fresh = _fresh(page, seen)
        yield from fresh
        if not more or not page:
            return
        _check_progress(page, fresh, what, api, f"page {number}")
        number += 1
    raise TransientError(f"the {what} listing did not end after {max_pages} pages", api=api)


def _ended_early(what: str, api: str, reached: int, announced: int) -> TransientError:
    return TransientError(
        f"the {what} listing ended at {reached} although it announced {announced}; stopped to "
        "avoid treating the rest as missing",
        api=api,
    )


def _check_progress(page: list[Any], fresh: list[Any], what: str, api: str, where: str) -> None:
    if page and not fresh:
        raise TransientError(
            f"the {what} listing repeated a page at {where}; stopped to avoid treating the rest "
            "as missing",
            api=api,
        )
