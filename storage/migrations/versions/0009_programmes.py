"""home programmes: programmes, versions, links, enrolments; weekdays and two times a day

A practitioner's programme is stored in versions; a signed deep link names a
link row; a patient's enrolment keeps its version and their own days and
times. Subscriptions gain the weekdays they fire on and an optional second
time, and a delivery is unique per subscription, local date and slot (the
day's first or second time).

Revision ID: 0009_programmes
Revises: 0008_pending_index
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009_programmes"
down_revision = "0008_pending_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("practitioner_name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
    )
    op.create_table(
        "programme_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.String(length=16), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("days_per_week", sa.Integer(), nullable=True),
        sa.Column("times_per_day", sa.Integer(), nullable=False),
        sa.Column("course_weeks", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "times_per_day IN (1, 2)", name=op.f("ck_programme_versions_times_per_day")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_versions_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_versions")),
        sa.UniqueConstraint(
            "programme_id", "version", name=op.f("uq_programme_versions_programme_id_version")
        ),
    )
    op.create_table(
        "programme_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("single_use", sa.Boolean(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_links_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_links")),
    )
    op.create_index(op.f("ix_programme_links_programme_id"), "programme_links", ["programme_id"])
    op.create_table(
        "programme_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("times", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("keep_reminders", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_programme_enrolments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_enrolments_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["programme_links.id"],
            name=op.f("fk_programme_enrolments_link_id_programme_links"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_enrolments")),
    )
    op.create_index(op.f("ix_programme_enrolments_user_id"), "programme_enrolments", ["user_id"])
    op.create_index(
        op.f("ix_programme_enrolments_programme_id"), "programme_enrolments", ["programme_id"]
    )
    op.create_index(
        "ix_programme_enrolments_one_active",
        "programme_enrolments",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("weekdays", sa.Integer(), server_default=sa.text("127"), nullable=False)
        )
        batch_op.add_column(sa.Column("second_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("enrolment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_subscriptions_enrolment_id_programme_enrolments"),
            "programme_enrolments",
            ["enrolment_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("slot", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.drop_constraint("uq_deliveries_subscription_id_local_date", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_deliveries_subscription_id_local_date_slot"),
            ["subscription_id", "local_date", "slot"],
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deliveries_subscription_id_local_date_slot", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_deliveries_subscription_id_local_date"),
            ["subscription_id", "local_date"],
        )
        batch_op.drop_column("slot")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_subscriptions_enrolment_id_programme_enrolments", type_="foreignkey"
        )
        batch_op.drop_column("enrolment_id")
        batch_op.drop_column("second_time")
        batch_op.drop_column("weekdays")
    op.drop_index("ix_programme_enrolments_one_active", table_name="programme_enrolments")
    op.drop_index(op.f("ix_programme_enrolments_programme_id"), table_name="programme_enrolments")
    op.drop_index(op.f("ix_programme_enrolments_user_id"), table_name="programme_enrolments")
    op.drop_table("programme_enrolments")
    op.drop_index(op.f("ix_programme_links_programme_id"), table_name="programme_links")
    op.drop_table("programme_links")
    op.drop_table("programme_versions")
    op.drop_table("programmes")
