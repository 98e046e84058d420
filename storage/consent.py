"""A patient's consent to share their own progress with the clinic's staff.

Append-only: each answer is a new row with its time and the version of the
text the patient saw; the latest row (highest id, as rows are only ever
appended) is the current answer, and no row means no. The clinician view's
reads (storage.clinician) check it with the patient's data each time they
run, so a withdrawal takes effect at once. While a patient shares, their
first name as Telegram gives it is kept on their user row for the clinician
view; saying no clears it. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, Update, bindparam, case, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsentRecord as ConsentRow
from storage.models import User
from storage.patient_numbers import assign_patient_number

FIRST_NAME_LENGTH = 64  # Telegram's limit for a first name


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    user_id: int
    shares: bool
    text_version: str
    recorded_at: datetime


def _record(row: ConsentRow) -> ConsentRecord:
    return ConsentRecord(
        user_id=row.user_id,
        shares=row.shares,
        text_version=row.text_version,
        recorded_at=row.recorded_at,
    )


async def record_consent(
    *,
    session: AsyncSession,
    user_id: int,
    shares: bool,
    text_version: str,
    now: datetime,
    first_name: str | None = None,
) -> ConsentRecord:
    """Appends the patient's answer; the user row must exist (store them first).

    Yes keeps `first_name` (Telegram's) on the user row; no clears it.
    """
    row = ConsentRow(user_id=user_id, shares=shares, text_version=text_version, recorded_at=now)
    session.add(row)
    await session.flush()
    name = (first_name or None) if shares else None
    await session.execute(update(User).where(User.id == user_id).values(first_name=_fit(name)))
    if shares:  # staff's short number for them (storage.patient_numbers), at the first yes
        await assign_patient_number(session=session, user_id=user_id, now=now)
    return _record(row)


def _fit(name: str | None) -> str | None:
    return name[:FIRST_NAME_LENGTH] if name else None


async def current_consent(*, session: AsyncSession, user_id: int) -> ConsentRecord | None:
    """The latest answer; None if the patient was never asked (which means no)."""
    row = await session.scalar(
        select(ConsentRow).where(ConsentRow.user_id == user_id).order_by(ConsentRow.id.desc())
    )
    return _record(row) if row is not None else None


async def shares_progress(*, session: AsyncSession, user_id: int) -> bool:
    """Whether staff may see this patient's progress right now."""
    current = await current_consent(session=session, user_id=user_id)
    return current is not None and current.shares


async def consent_history(*, session: AsyncSession, user_id: int) -> list[ConsentRecord]:
    """Every answer, oldest first."""
    rows = await session.scalars(
        select(ConsentRow).where(ConsentRow.user_id == user_id).order_by(ConsentRow.id)
    )
    return [_record(row) for row in rows]


async def consented_patient_ids(*, session: AsyncSession) -> list[int]:
    """Patients whose latest answer is yes, by id."""
    latest = select(func.max(ConsentRow.id).label("id")).group_by(ConsentRow.user_id).subquery()
    result = await session.scalars(
        select(ConsentRow.user_id)
        .join(latest, latest.c.id == ConsentRow.id)
        .where(ConsentRow.shares.is_(True))
        .order_by(ConsentRow.user_id)
    )
    return list(result)


def _seen_statement() -> Update:
    """Sets a known user's chat id and last-seen time, and their first name only
    while their latest answer shares (read inside the UPDATE; everyone else's
    name stays as it is, empty). Built once, with bound parameters, so many
    people are written by one executemany."""
    users = cast(Table, User.__table__)
    latest_shares = (
        select(ConsentRow.shares)
        .where(ConsentRow.user_id == users.c.id)
        .order_by(ConsentRow.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        update(users)
        .where(users.c.id == bindparam("seen_user"))
        .values(
            chat_id=bindparam("seen_chat"),
            last_seen_at=bindparam("seen_at", type_=users.c.last_seen_at.type),
            first_name=case(
                (latest_shares.is_(true()), bindparam("seen_name", type_=users.c.first_name.type)),
                else_=users.c.first_name,
            ),
        )
    )


_SEEN = _seen_statement()


async def record_seen_many(
    *, session: AsyncSession, seen: Sequence[tuple[int, int, str | None, datetime]]
) -> None:
    """(user id, chat id, first name, when) for each person, in one statement.

    It never creates a user.
    """
    if not seen:
        return
    await session.execute(
        _SEEN,
        [
            {
                "seen_user": user_id,
                "seen_chat": chat_id,
                "seen_at": at,
                "seen_name": _fit(first_name or None),
            }
            for user_id, chat_id, first_name, at in seen
        ],
    )
