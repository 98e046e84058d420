"""questionnaires: runs (PEG, RMDQ) and their answers per item

A run's `next_item` is the questionnaire's pending step, so a restart or
another instance takes the next answer. A programme's questionnaire is at
most one run per enrolment and reason. (Written as 0010 after 0009; renumbered
0012 to follow 0011_staff_consent, which landed on main first.)

Revision ID: 0012_questionnaires
Revises: 0011_staff_consent
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0012_questionnaires"
down_revision = "0011_staff_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("instrument", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("next_item", sa.Integer(), nullable=False),
        sa.Column("score", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_questionnaire_runs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["programme_enrolments.id"],
            name=op.f("fk_questionnaire_runs_enrolment_id_programme_enrolments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_runs")),
        sa.UniqueConstraint(
            "enrolment_id", "reason", name=op.f("uq_questionnaire_runs_enrolment_id_reason")
        ),
    )
    op.create_index(op.f("ix_questionnaire_runs_user_id"), "questionnaire_runs", ["user_id"])
    op.create_table(
        "questionnaire_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["questionnaire_runs.id"],
            name=op.f("fk_questionnaire_answers_run_id_questionnaire_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_answers")),
        sa.UniqueConstraint("run_id", "item", name=op.f("uq_questionnaire_answers_run_id_item")),
    )


def downgrade() -> None:
    op.drop_table("questionnaire_answers")
    op.drop_index(op.f("ix_questionnaire_runs_user_id"), table_name="questionnaire_runs")
    op.drop_table("questionnaire_runs")
