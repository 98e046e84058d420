"""Extending the claim leases an instance holds, the same way for every claimed table.

Reminders (subscriptions), broadcast recipients and visit reminders are each
claimed under a short lease (`lease_owner`, `lease_until`) that the sender
renews while it works (scheduler.leases.renewing).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, TextClause, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_affected


async def extend_held_leases(
    *,
    session: AsyncSession,
    model: type[Any],
    owner: str,
    lease_until: datetime,
    where: ColumnElement[bool] | TextClause | None = None,
) -> int:
    """Sets `lease_until` on the rows of `model` that `owner` holds (and `where` picks).

    Rows another transaction has locked are skipped (PostgreSQL's SKIP LOCKED),
    so the background renewal never waits on, or deadlocks with, the sender
    recording those very rows (which lets their leases go anyway). How many
    were extended.
    """
    held = select(model.id).where(model.lease_owner == owner)
    if where is not None:
        held = held.where(where)
    result = await session.execute(
        update(model)
        .where(model.id.in_(held.with_for_update(skip_locked=True).scalar_subquery()))
        .values(lease_until=lease_until)
    )
    return rows_affected(result)
