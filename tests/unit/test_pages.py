import threading

import pytest

from handy_alegra.clients.pages import in_order, numbered_pages, offset_pages
from handy_alegra.domain.errors import TransientError


def offset_source(total: int, *, announce: int | None = None, size: int = 30):
    records = [{"id": str(i)} for i in range(total)]
    calls: list[int] = []
    lock = threading.Lock()

    def fetch(start: int, limit: int) -> tuple[list[dict[str, str]], int | None]:
        with lock:
            calls.append(start)
        return records[start : start + limit], announce if announce is not None else total

    return fetch, calls


@pytest.mark.parametrize("ahead", [1, 4])
@pytest.mark.parametrize(
    ("total", "requests"),
    [(0, 1), (1, 1), (29, 1), (30, 2), (31, 2), (60, 3), (61, 3), (1000, 34)],
)
def test_offset_pages_read_each_page_once_in_order(total: int, requests: int, ahead: int) -> None:
    fetch, calls = offset_source(total)
    got = list(offset_pages(fetch, page_size=30, what="items", api="alegra", ahead=ahead))
    assert [r["id"] for r in got] == [str(i) for i in range(total)]
    assert sorted(calls) == [30 * k for k in range(requests)]


def test_no_request_is_made_past_the_announced_end() -> None:
    fetch, calls = offset_source(95)
    list(offset_pages(fetch, page_size=30, what="items", api="alegra", ahead=8))
    assert sorted(calls) == [0, 30, 60, 90]


def test_a_listing_that_grew_is_followed_to_its_end() -> None:
    fetch, calls = offset_source(100, announce=40)  # the total was 40 when the walk began
    got = list(offset_pages(fetch, page_size=30, what="items", api="alegra", ahead=4))
    assert len(got) == 100
    assert sorted(calls) == [0, 30, 60, 90]


def test_without_a_total_pages_are_read_one_by_one() -> None:
    records = [{"id": str(i)} for i in range(70)]
    got = list(
        offset_pages(
            lambda s, n: (records[s : s + n], None), page_size=30, what="x", api="a", ahead=4
        )
    )
    assert len(got) == 70


def test_offset_pages_yield_each_record_once_when_data_shifts() -> None:
    pages = {0: [{"id": str(i)} for i in range(30)], 30: [{"id": str(i)} for i in range(29, 40)]}
    got = list(
        offset_pages(lambda start, _: (pages[start], 40), page_size=30, what="items", api="alegra")
    )
    assert [r["id"] for r in got] == [str(i) for i in range(40)]


@pytest.mark.parametrize("ahead", [1, 3])
def test_a_repeated_full_page_is_an_error_not_an_early_end(ahead: int) -> None:
    page = [{"id": str(i)} for i in range(30)]
    with pytest.raises(TransientError, match="repeated a page"):
        list(
            offset_pages(
                lambda *_: (page, 300), page_size=30, what="items", api="alegra", ahead=ahead
            )
        )


def test_records_without_ids_are_not_mistaken_for_a_repeated_page() -> None:
    pages = {0: [{"n": i} for i in range(30)], 30: [{"n": i} for i in range(5)]}
    got = list(offset_pages(lambda s, _: (pages[s], 35), page_size=30, what="x", api="a", ahead=2))
    assert len(got) == 35


@pytest.mark.parametrize("ahead", [1, 4])
def test_numbered_pages_follow_the_total_and_detect_loops(ahead: int) -> None:
    data = {n: [{"id": 100 * n + k} for k in range(3)] for n in range(1, 6)}
    got = list(
        numbered_pages(lambda n: (data[n], n < 5, 5), what="product", api="handy", ahead=ahead)
    )
    assert [r["id"] for r in got] == [100 * n + k for n in range(1, 6) for k in range(3)]
    with pytest.raises(TransientError, match="repeated a page at page 2"):
        list(
            numbered_pages(
                lambda n: ([{"id": 1}], True, 9), what="product", api="handy", ahead=ahead
            )
        )


def test_in_order_keeps_the_order_with_work_in_parallel() -> None:
    assert list(in_order(lambda n: n * n, range(20), ahead=5)) == [n * n for n in range(20)]
