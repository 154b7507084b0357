"""What a person may do to an order record (CLI and dashboard alike)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from handy_alegra.accounts import AccountError
from handy_alegra.store.orders import find
from handy_alegra.store.statuses import RETRYABLE, OrderStatus


def retry(session: Session, account_id: int, handy_id: str) -> None:
    """Send a failed or needs-attention order again in the next sales cycle."""
    record = find(session, account_id, handy_id)
    if record is None:
        raise AccountError(f"this service has not read a Handy order {handy_id}")
    if record.status not in RETRYABLE:
        raise AccountError(
            f"order {handy_id} is {record.status}; "
            "only failed or needs-attention orders are retried"
        )
    record.status, record.reason = OrderStatus.FAILED, None
