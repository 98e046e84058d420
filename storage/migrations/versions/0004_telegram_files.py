"""telegram files

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_files",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_telegram_files")),
    )


def downgrade() -> None:
    op.drop_table("telegram_files")
