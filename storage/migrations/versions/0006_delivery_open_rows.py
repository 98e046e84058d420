"""open-row partial indexes, deliveries by due time, subscriptions by lease owner

The dispatcher's and the broadcast sender's per-tick queries read only the
rows still in a sender's hands; these partial indexes hold exactly those, so
a tick does not grow with the history. `ix_deliveries_due_at` serves pruning
after DELIVERY_RETENTION.

Revision ID: 0006_delivery
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_delivery"
down_revision = "0006_outage"
branch_labels = None
depends_on = None

OPEN_DELIVERY = "status IN ('queued', 'sending')"
OPEN_RECIPIENT = "status IN ('pending', 'claimed', 'sending')"
LEASED = "lease_owner IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_open",
        "deliveries",
        ["status", "subscription_id"],
        unique=False,
        sqlite_where=sa.text(OPEN_DELIVERY),
        postgresql_where=sa.text(OPEN_DELIVERY),
    )
    op.create_index("ix_deliveries_due_at", "deliveries", ["due_at"], unique=False)
    op.create_index(
        "ix_broadcast_recipients_open",
        "broadcast_recipients",
        ["broadcast_id", "status", "id"],
        unique=False,
        sqlite_where=sa.text(OPEN_RECIPIENT),
        postgresql_where=sa.text(OPEN_RECIPIENT),
    )
    op.create_index(
        "ix_subscriptions_lease_owner",
        "subscriptions",
        ["lease_owner"],
        unique=False,
        sqlite_where=sa.text(LEASED),
        postgresql_where=sa.text(LEASED),
    )


def downgrade() -> None:
    op.drop_index("ix_subscriptions_lease_owner", table_name="subscriptions")
    op.drop_index("ix_broadcast_recipients_open", table_name="broadcast_recipients")
    op.drop_index("ix_deliveries_due_at", table_name="deliveries")
    op.drop_index("ix_deliveries_open", table_name="deliveries")
