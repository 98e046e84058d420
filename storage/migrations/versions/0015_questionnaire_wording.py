"""questionnaire wording: the language a questionnaire run was answered in

Staff see whether a score comes from a validated version of the
questionnaire (the English words) or from the clinic's own Spanish or
Chinese words. Runs answered before this revision did not keep it: they are
marked "unknown".

Revision ID: 0015_questionnaire_wording
Revises: 0014_visits
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_questionnaire_wording"
down_revision = "0014_visits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_runs") as batch:
        batch.add_column(sa.Column("wording", sa.String(length=8), nullable=True))
    op.execute("UPDATE questionnaire_runs SET wording = 'unknown' WHERE next_item > 0")


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_runs") as batch:
        batch.drop_column("wording")
