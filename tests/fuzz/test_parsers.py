"""Parser level: every record type, fed malformed payloads, either parses or names the field
that could not be read — it never raises; good payloads always parse, keys exact (ids
canonical, text cleaned); an id or a number past the limits is refused, with the reason."""

from __future__ import annotations

import pickle
import re
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from handy_alegra.domain.errors import RecordParseError
from handy_alegra.records.handy import SalesOrder
from handy_alegra.records.wire import parse_record
from tests.fuzz.strategies import (
    FUZZ,
    RECORD_TYPES,
    RecordType,
    anything_for,
    good_sales_order,
    over_the_limit,
)

FAST = settings(FUZZ, max_examples=50)
#: A reason is shown to people and stored: a 100 KB value must not end up in it.
REASON_LIMIT = 500


def check_error(error: RecordParseError, kind: str) -> None:
    assert error.kind == kind
    assert error.field.strip(), error
    assert error.problem.strip(), error
    text = str(error)
    assert text.strip()
    assert error.field in text
    assert len(text) <= REASON_LIMIT, text[:200]
    again = pickle.loads(pickle.dumps(error))  # errors cross process boundaries (workers)
    assert str(again) == text


@pytest.mark.parametrize("rtype", RECORD_TYPES, ids=lambda r: r.name)
@FAST
@given(data=st.data())
def test_any_payload_parses_or_names_the_field(rtype: RecordType, data: st.DataObject) -> None:
    raw = data.draw(anything_for(rtype.good, rtype.wild), label="raw")
    result = parse_record(rtype.model, rtype.kind, raw)
    if isinstance(result, RecordParseError):
        check_error(result, rtype.kind)
    else:
        assert isinstance(result, rtype.model)
        record_id = getattr(result, "id", "x")
        assert record_id is None or (isinstance(record_id, str) and record_id.strip())


@pytest.mark.parametrize("rtype", RECORD_TYPES, ids=lambda r: r.name)
@settings(FAST, max_examples=20)
@given(data=st.data())
def test_good_payloads_parse_with_exact_keys(rtype: RecordType, data: st.DataObject) -> None:
    raw = data.draw(st.one_of(rtype.good, rtype.wild), label="raw")
    result = parse_record(rtype.model, rtype.kind, raw)
    assert isinstance(result, rtype.model), result
    for field, parsed, expected in rtype.keys(raw, result):
        assert parsed == expected, (field, parsed, expected)
        if isinstance(expected, str):
            assert type(parsed) is str, field  # ids and codes as strings, never numbers


@pytest.mark.parametrize("rtype", [r for r in RECORD_TYPES if r.limited], ids=lambda r: r.name)
@FAST
@given(data=st.data())
def test_past_the_limits_is_unreadable_with_the_reason(
    rtype: RecordType, data: st.DataObject
) -> None:
    case = data.draw(over_the_limit(rtype), label="case")
    event(f"{re.sub(r'[.][0-9]+', '.*', case.field)}: {case.problem}")
    error = parse_record(rtype.model, rtype.kind, case.raw)
    assert isinstance(error, RecordParseError), error
    assert (error.field, error.problem) == (case.field, case.problem)
    check_error(error, rtype.kind)


@FAST
@given(raw=anything_for(good_sales_order(), good_sales_order(wild=True)))
def test_a_stored_order_reads_back_as_it_was(raw: Any) -> None:
    """The sales cycle stores ``model_dump(mode="json", by_alias=True)`` and parses it again
    before sending: the second reading must equal the first."""
    order = parse_record(SalesOrder, "sales order", raw)
    if isinstance(order, RecordParseError):
        return
    stored = order.model_dump(mode="json", by_alias=True)
    again = parse_record(SalesOrder, "sales order", stored)
    assert again == order
