"""visits and their reminders

A visit at the clinic (entered by the patient or by staff) and one row per
reminder it gets (the day before, a few hours before) and per no-answer
check, written when the visit is entered: unique (visit_id, kind), so none
is ever sent twice. Partial indexes on the rows still to do keep the
dispatcher's queries off the growing history. users.last_seen_at gets an
index: staff choose a visit's patient among those seen most recently.

Revision ID: 0014_visits
Revises: 0013_patient_numbers
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import CleanString, UTCDateTime

revision = "0014_visits"
down_revision = "0013_patient_numbers"
branch_labels = None
depends_on = None

# As in storage.models (a migration keeps its own copy: models change later).
PLANNED = "status = 'planned'"
OPEN = "status IN ('claimed', 'sending')"


def upgrade() -> None:
    op.create_index(op.f("ix_users_last_seen_at"), "users", ["last_seen_at"], unique=False)
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("zone", CleanString(length=64), nullable=False),
        sa.Column("entered_by", sa.BigInteger(), nullable=False),
        sa.Column("patient_name", CleanString(length=64, truncate=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("flagged_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'confirmed', 'reschedule', 'cancelled')",
            name=op.f("ck_visits_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_visits_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    op.create_index(op.f("ix_visits_starts_at"), "visits", ["starts_at"], unique=False)
    op.create_index("ix_visits_user_id_starts_at", "visits", ["user_id", "starts_at"])
    op.create_table(
        "visit_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("error", CleanString(length=200, truncate=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('day_before', 'lead', 'no_answer')", name=op.f("ck_visit_reminders_kind")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_visit_reminders_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_reminders")),
        sa.UniqueConstraint("visit_id", "kind", name=op.f("uq_visit_reminders_visit_id_kind")),
    )
    op.create_index(
        "ix_visit_reminders_planned",
        "visit_reminders",
        ["due_at"],
        unique=False,
        sqlite_where=sa.text(PLANNED),
        postgresql_where=sa.text(PLANNED),
    )
    op.create_index(
        "ix_visit_reminders_open",
        "visit_reminders",
        ["status", "lease_until"],
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_visit_reminders_open", table_name="visit_reminders")
    op.drop_index("ix_visit_reminders_planned", table_name="visit_reminders")
    op.drop_table("visit_reminders")
    op.drop_index("ix_visits_user_id_starts_at", table_name="visits")
    op.drop_index(op.f("ix_visits_starts_at"), table_name="visits")
    op.drop_table("visits")
    op.drop_index(op.f("ix_users_last_seen_at"), table_name="users")
