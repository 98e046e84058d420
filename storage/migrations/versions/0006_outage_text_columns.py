"""language tags up to 35 characters; stored chat ids are private chats

Telegram's `language_code` is an IETF tag, up to 35 characters; the column
was 16, so a long tag made /start fail on PostgreSQL. And a /start in a
group used to store the group as the person's chat: every private chat's id
is the person's own id, so those rows are put back.

Revision ID: 0006_outage
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_outage"
down_revision = "0006_safety"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "language_code",
            existing_type=sa.String(length=16),
            type_=sa.String(length=35),
            existing_nullable=True,
        )
    # A private chat's id is the user's id: undo what a group /start stored.
    op.execute("UPDATE users SET chat_id = id WHERE chat_id <> id")
    op.execute("UPDATE subscriptions SET chat_id = user_id WHERE chat_id <> user_id")
    op.execute(
        "UPDATE broadcast_recipients SET chat_id = user_id "
        "WHERE chat_id <> user_id AND status = 'pending'"
    )


def downgrade() -> None:
    op.execute("UPDATE users SET language_code = NULL WHERE length(language_code) > 16")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "language_code",
            existing_type=sa.String(length=35),
            type_=sa.String(length=16),
            existing_nullable=True,
        )
