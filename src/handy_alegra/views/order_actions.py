"""What a person may do to an order record (CLI and dashboard alike)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from handy_alegra.accounts.registry import AccountError
from handy_alegra.domain.statuses import RETRYABLE, OrderStatus
from handy_alegra.messages import Said
from handy_alegra.store.orders import find


def retry(session: Session, account_id: int, handy_id: str) -> None:
    """Send a failed or needs-attention order again in the next sales cycle."""
    record = find(session, account_id, handy_id)
    if record is None:
        raise AccountError("error.order_unknown", id=handy_id)
    if record.status not in RETRYABLE:
        status = Said(f"order.{OrderStatus(record.status)}")
        raise AccountError("error.order_not_retryable", id=handy_id, status=status)
    record.status, record.reason = OrderStatus.FAILED, None
