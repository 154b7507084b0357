"""The per-order leases of one sales run: short, and renewed while the run lives.

A run takes an order's lease (an atomic conditional UPDATE, ``store.orders.take_lease``) for
``LEASE`` before working on it; a heartbeat thread renews every lease the run holds every
``RENEW_EVERY`` (scaled like the clock), and the lease is checked — renewed in the store when
the last renewal is older than ``RENEW_EVERY`` — right before a remission is posted. A run
that dies stops renewing: its orders are free again at most ``LEASE`` after its last beat,
so the next cycle, or ``sync sales`` run by hand, sends them (ADR 0006).

Leases compare moments on the workers' clocks: workers on several machines need their clocks
in sync (NTP) to well within ``LEASE``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

import structlog

from handy_alegra.store import orders as records
from handy_alegra.store.database import Store

log = structlog.get_logger("handy_alegra.sales")

LEASE = timedelta(seconds=60)
RENEW_EVERY = timedelta(seconds=15)  # a quarter of the lease: three beats may be missed


@dataclass(frozen=True)
class Holder:
    """Another worker holding an order's lease, and until when."""

    owner: str
    until: datetime


class OrderLeases:
    def __init__(
        self, store: Store, owner: str, now: Callable[[], datetime], *, scale: float = 1.0
    ) -> None:
        self.store = store
        self.owner = owner
        self.now = now
        self.interval = RENEW_EVERY.total_seconds() / scale  # real seconds between beats
        self.lost: dict[int, Holder] = {}  # orders whose lease lapsed and went to another worker
        self._renewed: dict[int, datetime] = {}  # orders held → when last taken or renewed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def take(self, record_id: int) -> Holder | None:
        """Take the order's lease: ``None`` when it is ours now, else who holds it."""
        for _ in range(3):  # a holder letting go between the two statements: try again
            now = self.now()
            with self.store.session() as session:
                if records.take_lease(session, record_id, self.owner, now, now + LEASE):
                    with self._lock:
                        self._renewed[record_id] = now
                    return None
                owner, until = records.lease_of(session, record_id)
            if owner is not None and until is not None:
                return Holder(owner, until)
        return Holder("?", self.now())

    def keep(self, record_id: int) -> bool:
        """Whether the order is still ours (checked before a POST): renewed in the store
        unless it was within ``RENEW_EVERY``, when nobody else can have taken it."""
        now = self.now()
        with self._lock:
            last = self._renewed.get(record_id)
        if last is not None and now - last < RENEW_EVERY:
            return True
        with self.store.session() as session:
            kept = records.renew_lease(session, record_id, self.owner, now + LEASE)
            owner, until = (None, None) if kept else records.lease_of(session, record_id)
        if kept:
            with self._lock:
                self._renewed[record_id] = now
            return True
        log.warning("order_lease_lost", record=record_id, holder=owner)
        self.lost[record_id] = Holder(owner or "?", until or now)
        return False

    def release(self, record_id: int) -> None:
        with self.store.session() as session:
            records.release_lease(session, record_id, self.owner)
        with self._lock:
            self._renewed.pop(record_id, None)

    def beat(self) -> None:
        """Renew every lease this run holds."""
        now = self.now()
        with self.store.session() as session:
            records.renew_leases(session, self.owner, now + LEASE)
        with self._lock:
            self._renewed = dict.fromkeys(self._renewed, now)

    # --- the heartbeat -------------------------------------------------------------------------
    def __enter__(self) -> OrderLeases:
        self._thread = threading.Thread(target=self._beat, daemon=True, name="order-leases")
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:  # the store is away: the next beat tries again
                log.exception("order_lease_heartbeat_failed")
