"""Pain check-ins: 0-10 answers, one per kind per local day."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.models import CheckIn


class CheckInKind(StrEnum):
    PAIN = "pain"  # "How is your back right now?"
    ACTIVITY = "activity"  # "How much did back pain limit your activities this week?"


async def record_checkin(
    *,
    session: AsyncSession,
    user_id: int,
    kind: CheckInKind,
    score: int,
    local_date: date,
    now: datetime,
) -> None:
    """Store an answer; a second answer the same local day replaces the first."""
    if not 0 <= score <= 10:
        raise ValueError("a check-in score is 0 to 10")
    values = {"score": score, "recorded_at": now}
    statement = insert_for(session, CheckIn).values(
        user_id=user_id, kind=kind, local_date=local_date, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CheckIn.user_id, CheckIn.kind, CheckIn.local_date], set_=values
        )
    )
