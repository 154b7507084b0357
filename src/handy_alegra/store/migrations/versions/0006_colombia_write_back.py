"""Colombian regime setting; learnt externalId forms; per-order write-back form

Revision ID: 0006
Revises: 0005_security
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "colombia_regime",
                sa.String(length=40),
                server_default="SIMPLIFIED_REGIME",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("order_external_id_form", sa.String(10), nullable=True))
        batch_op.add_column(sa.Column("product_external_id_form", sa.String(10), nullable=True))
    with op.batch_alter_table("order_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id_form", sa.String(10), nullable=True))
    # Orders written back before this revision took the remission id as text.
    op.execute("UPDATE order_records SET external_id_form = 'id' WHERE external_id_written")
    op.execute(
        "UPDATE accounts SET order_external_id_form = 'id' WHERE id IN "
        "(SELECT account_id FROM order_records WHERE external_id_written)"
    )


def downgrade() -> None:
    with op.batch_alter_table("order_records", schema=None) as batch_op:
        batch_op.drop_column("external_id_form")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("product_external_id_form")
        batch_op.drop_column("order_external_id_form")
        batch_op.drop_column("colombia_regime")
