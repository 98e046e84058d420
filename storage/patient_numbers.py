"""The short number staff type (`/patient 1`): given at a patient's first yes to sharing.

Numbers only grow (AUTOINCREMENT, also on SQLite), so an erased patient's
number never names someone else. The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.models import PatientNumber


async def assign_patient_number(*, session: AsyncSession, user_id: int, now: datetime) -> int:
    """The patient's number, given now if they have none (called with their yes).

    Read first: a refused insert still uses up a sequence value, and numbers
    given only on a first yes stay without gaps. The insert's ON CONFLICT is
    for two instances taking the same first yes at once.
    """
    number = await patient_number_of(session=session, user_id=user_id)
    if number is not None:
        return number
    await session.execute(
        insert_for(session, PatientNumber)
        .values(user_id=user_id, assigned_at=now)
        .on_conflict_do_nothing(index_elements=[PatientNumber.user_id])
    )
    number = await session.scalar(
        select(PatientNumber.number).where(PatientNumber.user_id == user_id)
    )
    if number is None:  # the insert above made it, or it was there
        raise LookupError(f"no patient number for user {user_id}")
    return number


async def patient_number_of(*, session: AsyncSession, user_id: int) -> int | None:
    return await session.scalar(
        select(PatientNumber.number).where(PatientNumber.user_id == user_id)
    )
