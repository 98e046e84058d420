"""Pain check-ins: 0-10 answers, one per kind per local day."""

from __future__ import annotations

import functools
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Integer, String, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
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


@functools.cache
def _record_checkin_statement(dialect: str) -> Any:
    """The check-in upsert, built once per backend, with bound parameters.

    Building the statement and its cache key for every answer cost as much
    CPU as running it.
    """
    source = select(
        User.id,
        bindparam("p_kind", type_=String()),
        bindparam("p_date", type_=Date()),
        bindparam("p_score", type_=Integer()),
        bindparam("p_now", type_=UTCDateTime()),
    ).where(User.id == bindparam("p_user"))
    zone = (
        select(Subscription.timezone)
        .where(Subscription.user_id == bindparam("p_user"))
        .scalar_subquery()
    )
    insert = postgresql.insert(CheckIn) if dialect == "postgresql" else sqlite.insert(CheckIn)
    return (
        insert.from_select(["user_id", "kind", "local_date", "score", "recorded_at"], source)
        .on_conflict_do_update(
            index_elements=[CheckIn.user_id, CheckIn.kind, CheckIn.local_date],
            set_={"score": bindparam("p_score"), "recorded_at": bindparam("p_now")},
        )
        .returning(zone)
    )


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
    statement = _record_checkin_statement(session.get_bind().dialect.name)
    connection = await session.connection()  # Core: no ORM bookkeeping for one statement
    row = (
        await connection.execute(
            statement,
            {
                "p_user": user_id,
                "p_kind": str(kind),
                "p_date": local_date,
                "p_score": score,
                "p_now": now,
            },
        )
    ).one_or_none()
    if row is None:
        raise NotKnown(user_id)
    return row[0]
