"""The step a multi-step flow is waiting on, kept in the database.

A restart, or another instance taking the next message, loses nothing. A
step has a lifetime: one older than the caller's `fresh_after` is treated as
gone, so an answer typed days later is read as a new message.

The row does not need a `users` row: a person who deleted their data may
start /remind again without being stored as a user until they confirm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for, rows_affected
from storage.models import PendingStep


@dataclass(frozen=True, slots=True)
class PendingRecord:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


async def get_pending(
    *, session: AsyncSession, user_id: int, fresh_after: datetime | None = None
) -> PendingRecord | None:
    """The user's waiting step; None if there is none or it is older than `fresh_after`."""
    row = (
        await session.execute(
            select(
                PendingStep.flow, PendingStep.step, PendingStep.data, PendingStep.updated_at
            ).where(PendingStep.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        return None
    record = PendingRecord(*row)
    return None if fresh_after is not None and is_stale(record, fresh_after) else record


def is_stale(record: PendingRecord, fresh_after: datetime) -> bool:
    """A step last touched at or before `fresh_after` has expired."""
    return record.updated_at is not None and record.updated_at <= fresh_after


async def set_pending(
    *,
    session: AsyncSession,
    user_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    """Remember where the user is in a flow (one flow per user at a time)."""
    values = {"flow": flow, "step": step, "data": data, "updated_at": now}
    statement = insert_for(session, PendingStep).values(user_id=user_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[PendingStep.user_id], set_=values)
    )


async def clear_pending(
    *, session: AsyncSession, user_id: int, stale_after: datetime | None = None
) -> bool:
    """Forget the user's waiting step (only if stale, given `stale_after`); True if one went."""
    statement = delete(PendingStep).where(PendingStep.user_id == user_id)
    if stale_after is not None:  # a step saved meanwhile by another update stays
        statement = statement.where(PendingStep.updated_at <= stale_after)
    result = await session.execute(statement)
    return rows_affected(result) > 0
