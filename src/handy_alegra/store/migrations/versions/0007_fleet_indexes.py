"""indexes for a fleet: the scheduler's queue, status, the dashboard, retention

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The queue: queued slots of some kinds, by due time (slots.next_up) — one range read,
    # whatever the number of finished slots kept. Replaces the index on status alone.
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.drop_index("ix_slots_status")
        batch_op.create_index("ix_slots_status_kind_due", ["status", "kind", "due_at"])
    # An account's verdicts by kind (status' skipped records, the run that replaces them, a
    # webhook's record, retention): the only index was by run.
    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_verdicts_account_kind_sync", ["account_id", "kind", "sync", "reason"]
        )
    # Orders with problems across every account (the dashboard's list) without reading them all.
    with op.batch_alter_table("order_records", schema=None) as batch_op:
        batch_op.create_index("ix_order_records_status_account", ["status", "account_id"])
    # An account's runs of every kind by time (its page, its chart, retention).
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_account_started", ["account_id", "started_at"])


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_account_started")
    with op.batch_alter_table("order_records", schema=None) as batch_op:
        batch_op.drop_index("ix_order_records_status_account")
    with op.batch_alter_table("verdicts", schema=None) as batch_op:
        batch_op.drop_index("ix_verdicts_account_kind_sync")
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.drop_index("ix_slots_status_kind_due")
        batch_op.create_index("ix_slots_status", ["status"])
