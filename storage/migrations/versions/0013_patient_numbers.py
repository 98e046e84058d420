"""patient numbers: the short number staff type in /patient <n>

Given the first time a patient says yes to sharing their progress; patients
who already share get theirs in the order of their first yes.

Revision ID: 0013_patient_numbers
Revises: 0012_questionnaires
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0013_patient_numbers"
down_revision = "0012_questionnaires"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_numbers",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_patient_numbers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_patient_numbers")),
        sa.UniqueConstraint("user_id", name=op.f("uq_patient_numbers_user_id")),
        sqlite_autoincrement=True,
    )
    # Patients who said yes before this migration: numbered by their first yes.
    op.execute(
        "INSERT INTO patient_numbers (user_id, assigned_at) "
        "SELECT user_id, MIN(recorded_at) FROM consent_records WHERE shares "
        "GROUP BY user_id ORDER BY MIN(recorded_at), user_id"
    )


def downgrade() -> None:
    op.drop_table("patient_numbers")
