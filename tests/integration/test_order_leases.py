"""A sales run's order leases in the store: short, renewed while the run lives, checked
before a POST; a run that stops renewing loses them within a lease."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from handy_alegra.accounts.vault import Vault
from handy_alegra.domain.clock import ManualClock
from handy_alegra.store import orders as records
from handy_alegra.store.database import Store
from handy_alegra.sync.sales_leases import LEASE, RENEW_EVERY, Holder, OrderLeases
from tests.integration.test_store import NOW, add_account


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store.open(database_url)
    add_account(store, Vault([Fernet.generate_key()]))
    yield store
    store.dispose()


@pytest.fixture
def order(store: Store) -> int:
    with store.session() as session:
        records.insert_seen(
            session,
            1,
            handy_id="501",
            order={},
            customer_code="C-1",
            customer_name="Tienda",
            ordered_at=NOW,
            edited_from=None,
            now=NOW,
        )
        record = records.find(session, 1, "501")
        assert record is not None
        return record.id


def lease(store: Store, record_id: int) -> tuple[str | None, object]:
    with store.session() as session:
        return records.lease_of(session, record_id)


def test_a_lease_is_short_and_the_heartbeat_keeps_it(store: Store, order: int) -> None:
    clock = ManualClock(NOW)
    mine = OrderLeases(store, "me", clock.now)
    theirs = OrderLeases(store, "them", clock.now)
    assert mine.take(order) is None
    assert lease(store, order) == ("me", NOW + LEASE)
    assert timedelta(seconds=90) >= LEASE
    clock.advance(50)
    mine.beat()
    clock.advance(50)  # 100 s after the take: alive, so still ours
    assert theirs.take(order) == Holder("me", NOW + timedelta(seconds=50) + LEASE)
    assert mine.keep(order)
    mine.release(order)
    assert lease(store, order) == (None, None)


def test_a_run_that_stops_renewing_loses_its_orders_within_a_lease(
    store: Store, order: int
) -> None:
    clock = ManualClock(NOW)
    dead = OrderLeases(store, "dead", clock.now)
    assert dead.take(order) is None
    clock.advance(LEASE.total_seconds() + 1)
    assert OrderLeases(store, "next", clock.now).take(order) is None


def test_the_check_before_a_post_sees_a_lease_that_went_elsewhere(store: Store, order: int) -> None:
    clock = ManualClock(NOW)
    slow = OrderLeases(store, "slow", clock.now)
    assert slow.take(order) is None
    clock.advance(RENEW_EVERY.total_seconds() - 1)
    assert slow.keep(order)  # renewed moments ago: nobody can have it
    clock.advance(LEASE.total_seconds() + 1)  # stuck (a paused VM), no heartbeat
    assert OrderLeases(store, "other", clock.now).take(order) is None
    assert not slow.keep(order)
    assert slow.lost == {order: Holder("other", clock.now() + LEASE)}
    slow.release(order)  # never lets go of a lease that is not its own
    assert lease(store, order) == ("other", clock.now() + LEASE)


def test_a_slow_run_renews_its_lease_before_posting(store: Store, order: int) -> None:
    clock = ManualClock(NOW)
    slow = OrderLeases(store, "slow", clock.now)
    assert slow.take(order) is None
    clock.advance(45)  # minutes of 429s compressed: past the last renewal, lease still ours
    assert slow.keep(order)
    assert lease(store, order) == ("slow", clock.now() + LEASE)


def test_the_heartbeat_thread_beats_on_the_clocks_scale(store: Store, order: int) -> None:
    leases = OrderLeases(store, "me", ManualClock(NOW).now, scale=60.0)
    assert leases.interval == RENEW_EVERY.total_seconds() / 60
    with leases:
        assert leases._thread is not None and leases._thread.is_alive()
    assert not leases._thread.is_alive()
