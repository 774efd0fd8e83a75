"""payments.action_due_at: the grace deadline of a declined balance (dunning)

A declined or authentication-required off-session balance gives the member a pay link and a grace
period; the sweeper finds the overdue ones by this column.

Revision ID: 3c7d1e9a4b20
Revises: ea92263bee75
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "3c7d1e9a4b20"
down_revision = "ea92263bee75"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action_due_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_payments_action_due_at"), ["action_due_at"], unique=False)


def downgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_action_due_at"))
        batch_op.drop_column("action_due_at")
