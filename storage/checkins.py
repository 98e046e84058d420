"""Pain check-ins: 0-10 answers, one per kind per local day."""

from __future__ import annotations

import functools
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Integer, String, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.database import execute_committed
from storage.dialect import days_since, insert_for
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


class OutsideWindow(Exception):
    """The answer's day is outside its question's window where the patient lives: not stored."""

    def __init__(self, zone: str | None) -> None:
        super().__init__(zone)
        self.zone = zone  # their reminder's zone (None without one)


_P_NOW = bindparam("p_now", type_=UTCDateTime())
_P_DATE = bindparam("p_date", type_=Date())
_ZONE = (
    select(Subscription.timezone)
    .where(Subscription.user_id == bindparam("p_user"))
    .scalar_subquery()
)


@functools.cache
def _record_checkin_statement(dialect: str) -> Any:
    """The check-in upsert, built once per backend, with bound parameters.

    Building the statement and its cache key for every answer cost as much
    CPU as running it. It writes only for a known user, and only when the
    answer's day is within the question's window on the patient's local
    calendar (their reminder's zone, else the clinic's), so one statement
    decides and stores.
    """
    zone = func.coalesce(_ZONE, bindparam("p_clinic_zone", type_=String()))
    source = select(
        User.id, bindparam("p_kind", type_=String()), _P_DATE,
        bindparam("p_score", type_=Integer()), _P_NOW,
    ).where(
        User.id == bindparam("p_user"),
        days_since(_P_NOW, zone, _P_DATE).between(0, bindparam("p_window", type_=Integer())),
    )  # fmt: skip
    insert = postgresql.insert(CheckIn) if dialect == "postgresql" else sqlite.insert(CheckIn)
    return (
        insert.from_select(["user_id", "kind", "local_date", "score", "recorded_at"], source)
        .on_conflict_do_update(
            index_elements=[CheckIn.user_id, CheckIn.kind, CheckIn.local_date],
            set_={"score": bindparam("p_score"), "recorded_at": bindparam("p_now")},
        )
        .returning(_ZONE)
    )


_USER_ZONE = select(User.id, _ZONE).where(User.id == bindparam("p_user"))


async def record_checkin_of_known_user(
    *,
    engine: AsyncEngine,
    user_id: int,
    kind: CheckInKind,
    score: int,
    local_date: date,
    now: datetime,
    window_days: int,
    clinic_zone: str,
) -> str | None:
    """One statement, its own transaction: the answer stored; returns their reminder's zone.

    Stored only if `local_date` (the day the question was asked) is 0 to
    `window_days` days before `now`'s local date. Raises NotKnown for a person
    with no user row and OutsideWindow otherwise, writing nothing; only then
    is a second statement read, to tell the two apart.
    """
    if not 0 <= score <= 10:
        raise ValueError("a check-in score is 0 to 10")
    parameters = {
        "p_user": user_id,
        "p_kind": str(kind),
        "p_date": local_date,
        "p_score": score,
        "p_now": now,
        "p_window": window_days,
        "p_clinic_zone": clinic_zone,
    }
    statement = _record_checkin_statement(engine.dialect.name)
    rows = await execute_committed(engine, statement, parameters)
    if rows:
        zone: str | None = rows[0][0]
        return zone
    async with engine.connect() as connection:
        known = (await connection.execute(_USER_ZONE, {"p_user": user_id})).one_or_none()
    if known is None:
        raise NotKnown(user_id)
    raise OutsideWindow(known[1])
