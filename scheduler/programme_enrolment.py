"""Starting, leaving and updating a patient's home programme, with its reminders.

Each function does its whole change inside the caller's transaction: the
link claimed, the enrolment written and the subscription pointed at it
commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler import subscriptions
from scheduler.programme_routine import PROGRAMME_ROUTINE
from scheduler.schedule_rule import local_date_of, next_planned_fire
from storage import programmes, reminders
from storage.programmes import ALL_WEEKDAYS, ClaimResult, Enrolment, EnrolmentStatus


@dataclass(frozen=True, slots=True)
class Started:
    result: ClaimResult
    enrolment: Enrolment | None = None
    next_due: datetime | None = None  # the first reminder (UTC)


def first_firing(times: Sequence[time], weekdays: int, zone: ZoneInfo, after: datetime) -> datetime:
    """The first reminder strictly after `after` at one of `times`, on a chosen local weekday."""
    return next_planned_fire(sorted(times), weekdays, zone, after).at


async def follow_programme(
    *,
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    times: Sequence[time],
    weekdays: int,
    zone: str,
    enrolment_id: int,
    now: datetime,
) -> datetime:
    """Points the patient's reminder at an enrolment: its days and times; returns the first."""
    ordered = sorted(times)
    return await subscriptions.subscribe(
        session=session,
        user_id=user_id,
        chat_id=chat_id,
        local_time=ordered[0],
        zone=zone,
        routine=PROGRAMME_ROUTINE,
        now=now,
        weekdays=weekdays,
        second_time=ordered[1] if len(ordered) > 1 else None,
        enrolment_id=enrolment_id,
    )


async def start_programme(
    *,
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    link_id: int,
    programme_id: int,
    version: int,
    weekdays: int,
    times: Sequence[time],
    zone: str,
    now: datetime,
) -> Started:
    """Claims the link, enrols the patient (their local today is day one), and points
    their reminder at the programme. The patient must be stored already (users row).

    Anything but ClaimResult.OK has changed nothing.
    """
    result, link = await programmes.claim_link(
        session=session, link_id=link_id, user_id=user_id, now=now
    )
    if result is not ClaimResult.OK or link is None:
        return Started(result)
    if link.programme_id != programme_id:
        return Started(ClaimResult.UNKNOWN)
    if (
        await programmes.get_version(session=session, programme_id=programme_id, version=version)
        is None
    ):
        return Started(ClaimResult.UNKNOWN)
    return await _enrol_and_follow(
        session=session,
        user_id=user_id,
        chat_id=chat_id,
        programme_id=programme_id,
        version=version,
        link_id=link_id,
        start_date=local_date_of(now, ZoneInfo(zone)),
        weekdays=weekdays,
        times=times,
        zone=zone,
        now=now,
    )


async def update_programme(
    *,
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    enrolment_id: int,
    version: int,
    weekdays: int,
    times: Sequence[time],
    zone: str,
    now: datetime,
) -> Started:
    """Takes a programme's newer version that asks for other days or times.

    The enrolment is renewed on the new version with the same link and start
    date (so "week n of m" goes on), and the reminder follows its days and
    times. UNKNOWN (nothing changed) if that enrolment is no longer active.
    """
    current = await programmes.active_enrolment(session=session, user_id=user_id)
    if current is None or current.id != enrolment_id:
        return Started(ClaimResult.UNKNOWN)
    record = await programmes.get_version(
        session=session, programme_id=current.programme_id, version=version
    )
    if record is None:
        return Started(ClaimResult.UNKNOWN)
    return await _enrol_and_follow(
        session=session,
        user_id=user_id,
        chat_id=chat_id,
        programme_id=current.programme_id,
        version=version,
        link_id=current.link_id,
        start_date=current.start_date,
        weekdays=weekdays,
        times=times,
        zone=zone,
        now=now,
    )


async def _enrol_and_follow(
    *,
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    programme_id: int,
    version: int,
    link_id: int | None,
    start_date: date,
    weekdays: int,
    times: Sequence[time],
    zone: str,
    now: datetime,
) -> Started:
    """Writes the enrolment and points the patient's reminder at it (caller's transaction)."""
    enrolment = await programmes.enrol(
        session=session,
        user_id=user_id,
        programme_id=programme_id,
        version=version,
        link_id=link_id,
        start_date=start_date,
        weekdays=weekdays,
        times=times,
        now=now,
    )
    next_due = await follow_programme(
        session=session,
        user_id=user_id,
        chat_id=chat_id,
        times=times,
        weekdays=weekdays,
        zone=zone,
        enrolment_id=enrolment.id,
        now=now,
    )
    return Started(ClaimResult.OK, enrolment, next_due)


async def back_to_clinic_routine(
    *, session: AsyncSession, user_id: int, routine: str, now: datetime
) -> datetime | None:
    """The reminder follows the clinic's routine again: every day, at its first time.

    A reminder the patient had stopped stays stopped (only its routine
    changes); returns the next reminder of a running one.
    """
    sub = await reminders.get_subscription(session=session, user_id=user_id)
    if sub is None:
        return None
    if not sub.active:
        await reminders.update_subscription(
            session=session,
            user_id=user_id,
            now=now,
            routine=routine,
            weekdays=ALL_WEEKDAYS,
            second_time=None,
            enrolment_id=None,
        )
        return None
    paused_until = sub.paused_until if sub.paused_until and sub.paused_until > now else None
    # A pause the patient chose still holds.
    next_due = await subscriptions.first_open_occurrence(
        session=session,
        subscription_id=sub.id,
        times=(sub.local_time,),
        zone=ZoneInfo(sub.timezone),
        after=paused_until or now,
    )
    await reminders.update_subscription(
        session=session,
        user_id=user_id,
        now=now,
        routine=routine,
        weekdays=ALL_WEEKDAYS,
        second_time=None,
        enrolment_id=None,
        next_due_at=next_due,
    )
    return next_due


async def leave_programme(
    *, session: AsyncSession, user_id: int, enrolment_id: int, routine: str, now: datetime
) -> bool:
    """Ends the enrolment as left and switches the reminder back; False if it had ended."""
    ended = await programmes.end_enrolment(
        session=session, enrolment_id=enrolment_id, status=EnrolmentStatus.LEFT, now=now
    )
    if ended:
        await back_to_clinic_routine(session=session, user_id=user_id, routine=routine, now=now)
    return ended


def local_today(now: datetime, zone: str) -> date:
    return local_date_of(now, ZoneInfo(zone))
