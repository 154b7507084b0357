import pytest

from handy_alegra.clients.pages import numbered_pages, offset_pages
from handy_alegra.errors import TransientError


def offset_source(total: int, size: int = 30):
    records = [{"id": str(i)} for i in range(total)]
    calls: list[int] = []

    def fetch(start: int, limit: int) -> list[dict[str, str]]:
        calls.append(start)
        return records[start : start + limit]

    return fetch, calls


@pytest.mark.parametrize(
    ("total", "requests"), [(0, 1), (1, 1), (29, 1), (30, 2), (31, 2), (60, 3), (61, 3)]
)
def test_offset_pages_stop_at_the_first_short_page(total: int, requests: int) -> None:
    fetch, calls = offset_source(total)
    got = list(offset_pages(fetch, page_size=30, what="items", api="alegra"))
    assert [r["id"] for r in got] == [str(i) for i in range(total)]
    assert len(calls) == requests


def test_offset_pages_yield_each_record_once_when_data_shifts() -> None:
    pages = {0: [{"id": str(i)} for i in range(30)], 30: [{"id": str(i)} for i in range(29, 40)]}
    got = list(
        offset_pages(lambda start, _: pages[start], page_size=30, what="items", api="alegra")
    )
    assert [r["id"] for r in got] == [str(i) for i in range(40)]


def test_a_repeated_full_page_is_an_error_not_an_early_end() -> None:
    page = [{"id": str(i)} for i in range(30)]
    with pytest.raises(TransientError, match="repeated a page"):
        list(offset_pages(lambda *_: page, page_size=30, what="items", api="alegra"))


def test_numbered_pages_follow_has_next_and_detect_loops() -> None:
    data = {1: [{"id": 1}, {"id": 2}], 2: [{"id": 3}]}
    got = list(numbered_pages(lambda n: (data[n], n < 2), what="product", api="handy"))
    assert [r["id"] for r in got] == [1, 2, 3]
    with pytest.raises(TransientError, match="repeated page 2"):
        list(numbered_pages(lambda n: ([{"id": 1}], True), what="product", api="handy"))
