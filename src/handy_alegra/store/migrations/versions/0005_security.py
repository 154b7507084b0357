"""security: server-side sessions, disabled operators, webhook token lookup by hash, the detail
of a webhook delivery that could not be used

Revision ID: 0005_security
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

import handy_alegra.store.types

revision = "0005_security"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", handy_alegra.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_seen_at", handy_alegra.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("operator_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_operator_sessions_operator", ["operator_id"], unique=False)

    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "disabled_at", handy_alegra.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_accounts_webhook_token_hash", ["webhook_token_hash"])
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.Integer()),
        sa.column("webhook_token", sa.String()),
        sa.column("webhook_token_hash", sa.String()),
    )
    bind = op.get_bind()
    for account_id, token in bind.execute(
        sa.select(accounts.c.id, accounts.c.webhook_token).where(
            accounts.c.webhook_token.is_not(None)
        )
    ).all():
        digest = hashlib.sha256(token.encode()).hexdigest()
        bind.execute(
            accounts.update().where(accounts.c.id == account_id).values(webhook_token_hash=digest)
        )

    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_column("detail")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_accounts_webhook_token_hash", type_="unique")
        batch_op.drop_column("webhook_token_hash")
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("operator_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_operator_sessions_operator")
    op.drop_table("operator_sessions")
