"""an index on pending_steps.updated_at

Each process reads the waiting steps saved since its last look (at most once
a second, storage.pending.PendingIndex); without the index that read scans
every step ever abandoned.

Revision ID: 0008_pending_index
Revises: 0007_language
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0008_pending_index"
down_revision = "0007_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pending_steps_updated_at", "pending_steps", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_steps_updated_at", table_name="pending_steps")
