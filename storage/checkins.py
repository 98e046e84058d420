"""Pain check-ins: 0-10 answers, one per kind per local day."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.models import CheckIn, Subscription, User
from storage.types import UTCDateTime


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


class NotKnown(Exception):
    """The person has no user row (never started, or deleted their data)."""


async def record_checkin_of_known_user(
    *,
    session: AsyncSession,
    user_id: int,
    kind: CheckInKind,
    score: int,
    local_date: date,
    now: datetime,
) -> str | None:
    """One statement: store the answer if the user is known; returns their reminder's zone.

    The zone (None without a subscription) lets the caller check the answer's
    day and roll the transaction back if it is outside the question's window.
    Raises NotKnown, writing nothing, for a person with no user row.
    """
    if not 0 <= score <= 10:
        raise ValueError("a check-in score is 0 to 10")
    values = {"score": score, "recorded_at": now}
    source = select(
        User.id,
        literal(str(kind)),
        literal(local_date, Date),
        literal(score),
        literal(now, UTCDateTime),
    ).where(User.id == user_id)
    zone = select(Subscription.timezone).where(Subscription.user_id == user_id).scalar_subquery()
    statement = (
        insert_for(session, CheckIn)
        .from_select(["user_id", "kind", "local_date", "score", "recorded_at"], source)
        .on_conflict_do_update(
            index_elements=[CheckIn.user_id, CheckIn.kind, CheckIn.local_date], set_=values
        )
        .returning(zone)
    )
    connection = await session.connection()  # Core: no ORM bookkeeping for one statement
    row = (await connection.execute(statement)).one_or_none()
    if row is None:
        raise NotKnown(user_id)
    return row[0]
