"""pending steps without a user row

A person who deleted their data may answer /remind's questions again without
being stored as a user before they confirm, so the pending step no longer
refers to `users`.

Revision ID: 0006_flows
Revises: 0006_delivery
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0006_flows"
down_revision = "0006_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_steps", schema=None) as batch_op:
        batch_op.drop_constraint("fk_pending_steps_user_id_users", type_="foreignkey")


def downgrade() -> None:
    # Steps of people who are not users cannot keep a foreign key to users.
    op.execute("DELETE FROM pending_steps WHERE user_id NOT IN (SELECT id FROM users)")
    with op.batch_alter_table("pending_steps", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_pending_steps_user_id_users",
            "users",
            ["user_id"],
            ["id"],
            ondelete="CASCADE",
        )
