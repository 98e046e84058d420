"""routine days

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routine_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_routine_days_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routine_days")),
        sa.UniqueConstraint(
            "user_id", "local_date", name=op.f("uq_routine_days_user_id_local_date")
        ),
    )
    with op.batch_alter_table("routine_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routine_days_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("routine_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routine_days_user_id"))

    op.drop_table("routine_days")
