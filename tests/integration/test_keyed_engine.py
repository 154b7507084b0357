"""The keyed sync engine with a fake resource: refusals, outages, ambiguous creates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet

from handy_alegra.accounts.vault import Vault
from handy_alegra.domain.errors import (
    AmbiguousWriteError,
    RecordParseError,
    TransientError,
    ValidationError,
)
from handy_alegra.mapping.verdict import Verdict
from handy_alegra.store.database import Store
from handy_alegra.store.tables import Account
from handy_alegra.sync.keyed import HandyView, KeyedSync
from tests.integration.test_store import NOW, add_account


class FakeResource:
    kind = "product"
    group_field = "family"

    def __init__(self, codes: list[str]) -> None:
        self.codes = codes
        self.handy: dict[str, dict[str, Any]] = {}
        self.refuse: set[str] = set()
        self.outage_at: str | None = None
        self.ambiguous: set[str] = set()
        self.writes: list[tuple[str, str]] = []

    def read_source(self) -> Iterator[Any]:
        yield from self.codes
        yield RecordParseError("item", "99", "price", "is not a number")

    def judge(self) -> Callable[[Any], Verdict]:
        return self.evaluate

    def evaluate(self, record: Any) -> Verdict:
        return Verdict(
            record,
            record,
            record,
            True,
            desired={"description": record, "family": "F", "enabled": True},
        )

    def read_handy(
        self, window: tuple[datetime, datetime] | None
    ) -> Iterator[HandyView | RecordParseError]:
        for code, fields in self.handy.items():
            yield HandyView(code, code, dict(fields))

    def prepare(self, groups: set[str], *, dry_run: bool) -> list[str]:
        return []

    def create(self, code: str, fields: dict[str, Any]) -> HandyView:
        if code == self.outage_at:
            raise TransientError("Handy is down", api="handy")
        if code in self.refuse:
            raise ValidationError("refused", api="handy", status=422)
        self.writes.append(("create", code))
        self.handy[code] = dict(fields)
        if code in self.ambiguous:
            self.ambiguous.discard(code)
            raise AmbiguousWriteError("timed out", api="handy")
        return HandyView(code, code, dict(fields))

    def update(self, code: str, changes: dict[str, Any]) -> HandyView:
        self.writes.append(("update", code))
        self.handy[code].update(changes)
        return HandyView(code, code, dict(self.handy[code]))

    def fetch(self, code: str) -> HandyView | None:
        return HandyView(code, code, dict(self.handy[code])) if code in self.handy else None


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[tuple[Store, int]]:
    store = Store.open(sqlite_url)
    add_account(store, Vault([Fernet.generate_key()]))
    with store.session() as session:
        account_id = session.query(Account.id).scalar()
    yield store, account_id
    store.dispose()


def sync(store: Store, account_id: int, resource: FakeResource) -> KeyedSync:
    return KeyedSync(resource, store, account_id, "acme", lambda: NOW)


def test_a_refused_record_fails_alone_and_the_run_goes_on(engine: tuple[Store, int]) -> None:
    store, account_id = engine
    resource = FakeResource(["A", "B", "C"])
    resource.refuse = {"B"}
    summary = sync(store, account_id, resource).run()
    assert (summary.outcome, summary.exit_code) == ("partial", 1)
    assert summary.failed == {"handy_rejected": 1}
    assert summary.skipped == {"unreadable": 1}
    assert summary.counts["created"] == 2
    assert set(resource.handy) == {"A", "C"}
    resource.refuse = set()
    again = sync(store, account_id, resource).run()  # the refused one is tried again
    assert again.counts["created"] == 1
    assert again.exit_code == 0


def test_an_outage_interrupts_and_keeps_what_was_applied(engine: tuple[Store, int]) -> None:
    store, account_id = engine
    resource = FakeResource(["A", "B", "C"])
    resource.outage_at = "B"
    summary = sync(store, account_id, resource).run()
    assert (summary.outcome, summary.exit_code) == ("interrupted", 3)
    assert "Handy is down" in (summary.message or "")
    assert set(resource.handy) == {"A"}
    resource.outage_at = None
    again = sync(store, account_id, resource).run()
    assert again.counts["created"] == 2
    assert again.counts["unchanged"] == 1
    assert sorted(w for w in resource.writes if w[0] == "create") == [
        ("create", "A"),
        ("create", "B"),
        ("create", "C"),
    ]


def test_an_ambiguous_create_is_resolved_by_looking_not_by_posting_again(
    engine: tuple[Store, int],
) -> None:
    store, account_id = engine
    resource = FakeResource(["A"])
    resource.ambiguous = {"A"}
    summary = sync(store, account_id, resource).run()
    assert summary.counts["created"] == 1
    assert resource.writes == [("create", "A")]
