"""SQLAlchemy models. Changes to them need an Alembic migration (store/migrations)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from handy_alegra.domain.statuses import OrderStatus, RunOutcome, SlotStatus
from handy_alegra.store.types import DecimalJson, DecimalText, UTCDateTime

Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: Json}


class Account(Base):
    """One company: its credentials (encrypted) and its settings."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("webhook_token", name="uq_accounts_webhook_token"),
        UniqueConstraint("webhook_token_hash", name="uq_accounts_webhook_token_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    alegra_url: Mapped[str] = mapped_column(String(300))
    alegra_email: Mapped[str] = mapped_column(String(300))
    alegra_token: Mapped[str] = mapped_column(Text)  # Fernet ciphertext
    handy_url: Mapped[str] = mapped_column(String(300))
    handy_token: Mapped[str] = mapped_column(Text)  # Fernet ciphertext
    price_list_id: Mapped[str] = mapped_column(String(64))
    price_list_name: Mapped[str] = mapped_column(String(200))
    all_items: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="America/Mexico_City")
    colombia_default_nit: Mapped[str] = mapped_column(String(30), default="222222222")
    default_zone: Mapped[str] = mapped_column(String(200), default="Sin vendedor")
    default_family: Mapped[str] = mapped_column(String(200), default="General")
    warehouse_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sales_since: Mapped[datetime]
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_at: Mapped[str] = mapped_column(String(5), default="03:00", server_default="03:00")
    sales_every: Mapped[int] = mapped_column(Integer, default=10, server_default="10")  # minutes
    alert_failed_runs: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    alert_order_minutes: Mapped[int] = mapped_column(Integer, default=120, server_default="120")
    alert_webhook_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    alert_email: Mapped[str | None] = mapped_column(String(300), nullable=True)
    webhook_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: sha256 of the token: the receiver looks the account up by it (no timing to learn from)
    webhook_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    webhook_public_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    colombia_regime: Mapped[str] = mapped_column(
        String(40), default="SIMPLIFIED_REGIME", server_default="SIMPLIFIED_REGIME"
    )
    order_external_id_form: Mapped[str | None] = mapped_column(String(10), nullable=True)
    product_external_id_form: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Cursor(Base):
    """Where an incremental read of one account resumes."""

    __tablename__ = "cursors"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[datetime]


class Run(Base):
    """One run of one sync for one account."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # catalog | customers | sales
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), default=RunOutcome.RUNNING)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_runs_account_kind_started", "account_id", "kind", "started_at"),
        Index("ix_runs_account_started", "account_id", "started_at"),
    )


class Verdict(Base):
    """How the latest run judged one Alegra record: to sync (with the fields it wants in
    Handy) or skipped (with the reason). Replaced by every run; read by explain and status."""

    __tablename__ = "verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # product | customer
    source_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # Alegra id
    code: Mapped[str | None] = mapped_column(String(200), nullable=True)  # Handy code
    name: Mapped[str] = mapped_column(String(300), default="")
    sync: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(50), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    desired: Mapped[dict[str, Any]] = mapped_column(DecimalJson, default=dict)

    __table_args__ = (
        Index("ix_verdicts_run_kind_code", "run_id", "kind", "code"),
        Index("ix_verdicts_account_kind_sync", "account_id", "kind", "sync", "reason"),
    )


class Snapshot(Base):
    """A Handy record as read during a run, before the plan decides what to do with it."""

    __tablename__ = "snapshots"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(DecimalJson, default=dict)


class HandyRecord(Base):
    """What this service knows of one Handy record (product or customer), by code: whether it
    manages it, Handy's last known values of the synced fields, and the last thing done."""

    __tablename__ = "handy_records"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(200), primary_key=True)
    handy_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    managed: Mapped[bool] = mapped_column(Boolean, default=False)
    known: Mapped[dict[str, Any]] = mapped_column(DecimalJson, default=dict)
    source_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(50), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_id: Mapped[int | None] = mapped_column(nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (Index("ix_handy_records_source", "account_id", "kind", "source_id"),)


class OrderRecord(Base):
    """One Handy order and what became of it in Alegra (one row per account and order id).

    ``status``: an ``OrderStatus`` (``domain/statuses.py``); ``reason`` says why one failed or
    needs attention; ``replaced_by`` names the newer version of a superseded one.
    """

    __tablename__ = "order_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    handy_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING)
    reason: Mapped[str | None] = mapped_column(String(50), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    order: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the order as last read
    customer_code: Mapped[str] = mapped_column(String(200), default="")
    customer_name: Mapped[str] = mapped_column(String(300), default="")
    ordered_at: Mapped[datetime]
    remission_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    alegra_client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remission_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remission_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    handy_total: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    alegra_total: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    edited_from: Mapped[str | None] = mapped_column(String(64), nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_id_written: Mapped[bool] = mapped_column(Boolean, default=False)
    #: How the remission went onto the Handy order: "id", "number", or "refused" (every form
    #: refused: never tried again).
    external_id_form: Mapped[str | None] = mapped_column(String(10), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (
        UniqueConstraint("account_id", "handy_id", name="uq_order_records_account_order"),
        Index("ix_order_records_account_status", "account_id", "status"),
        Index("ix_order_records_status_account", "status", "account_id"),
    )


class OrderAttempt(Base):
    """One attempt on an order: what was tried and how it ended."""

    __tablename__ = "order_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("order_records.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(nullable=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(50), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CustomerLink(Base):
    """A Handy customer and the Alegra client its orders go to."""

    __tablename__ = "customer_links"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    handy_code: Mapped[str] = mapped_column(String(200), primary_key=True)
    alegra_contact_id: Mapped[str] = mapped_column(String(64))
    created_by_us: Mapped[bool] = mapped_column(Boolean, default=False)
    linked_at: Mapped[datetime]


class AccountLease(Base):
    """Who is running a job of an account, until when: runs of one account never overlap,
    whatever machine they run on; a lease that is not renewed expires."""

    __tablename__ = "account_leases"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    owner: Mapped[str] = mapped_column(String(100))
    until: Mapped[datetime]
    job: Mapped[str] = mapped_column(String(20), default="")


class Slot(Base):
    """One due job: an account's daily catalog + customers, or a sales cycle, for one slot
    time. Unique per (account, kind, due_at), so however many schedulers run, a slot is made
    once; claimed by exactly one worker."""

    __tablename__ = "slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # daily | sales
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=SlotStatus.QUEUED)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    run_ids: Mapped[list[int]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=list
    )
    message: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("account_id", "kind", "due_at", name="uq_slots_account_kind_due"),
        Index("ix_slots_status_kind_due", "status", "kind", "due_at"),
    )


class Operator(Base):
    """A person who may use the dashboard (password stored as an scrypt hash)."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="es", server_default="es")
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None] = mapped_column(nullable=True)  # may not log in


class OperatorSession(Base):
    """One signed-in browser: the cookie holds a random token, this row its sha256. Logging
    out, a new password, disabling or removing the operator delete rows; a row unused for
    the idle limit, or older than the lifetime limit, no longer signs anyone in."""

    __tablename__ = "operator_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_operator_sessions_operator", "operator_id"),)


class Alert(Base):
    """One problem of one account that was (or is) notified: opened once, cleared once."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))  # "runs:catalog", "order:29079294"
    message: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime]
    opened_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    cleared_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cleared_notified: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_alerts_account_key", "account_id", "key"),)


class WebhookEvent(Base):
    """An Alegra webhook received, waiting to be synced (re-read by id, then planned)."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(30))  # edit-item, new-client, …
    record_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(50), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(300), nullable=True)

    __table_args__ = (Index("ix_webhook_events_pending", "account_id", "processed_at"),)
