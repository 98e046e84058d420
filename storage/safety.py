"""The pregnancy flag and "too sore / bruised" reports. The caller owns the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_affected
from storage.models import AdverseEvent, User

SORE = "sore"


async def set_pregnant(*, session: AsyncSession, user_id: int, pregnant: bool) -> bool:
    """Turns the flag on or off; False if the user is not stored."""
    result = await session.execute(update(User).where(User.id == user_id).values(pregnant=pregnant))
    return bool(rows_affected(result))


# Built once: a card of a point with a pregnancy caution reads this for every /point.
_PREGNANT = select(User.pregnant).where(User.id == bindparam("p_user"))


async def is_pregnant(*, session: AsyncSession, user_id: int) -> bool:
    """Whether the user told the bot they are pregnant (False for unknown users)."""
    # Core on the session's connection: the ORM's result machinery is not needed for a flag.
    connection = await session.connection()
    return bool(await connection.scalar(_PREGNANT, {"p_user": user_id}))


async def pregnant_among(*, session: AsyncSession, user_ids: list[int]) -> frozenset[int]:
    """Which of these users have pregnancy on (one query for a batch of reminders)."""
    if not user_ids:
        return frozenset()
    rows = await session.scalars(select(User.id).where(User.pregnant, User.id.in_(user_ids)))
    return frozenset(rows)


async def record_adverse_event(
    *, session: AsyncSession, user_id: int, routine: str, now: datetime, kind: str = SORE
) -> None:
    """A report that the routine left the patient sore or bruised."""
    session.add(AdverseEvent(user_id=user_id, kind=kind, routine=routine, recorded_at=now))
    await session.flush()


async def count_adverse_events(*, session: AsyncSession, since: datetime | None = None) -> int:
    """How many reports there are (since an instant, if given): an aggregate only."""
    statement = select(func.count()).select_from(AdverseEvent)
    if since is not None:
        statement = statement.where(AdverseEvent.recorded_at >= since)
    return int(await session.scalar(statement) or 0)
