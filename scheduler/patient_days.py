"""Which day it is, for a patient or for the clinic, and what that day allows.

Rules the handlers used to hold, as functions that tests can call without
Telegram: a patient's day is counted in their reminder's zone, else the
clinic's; a finished routine counts as that day's ✅ Done; a snooze only makes
sense for today's reminder while it is still open; the clinic's statistics
count whole local days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.schedule_rule import local_date_of
from storage import reminders
from storage.progress import record_routine_day
from storage.reminders import DeliveryRecord, SubscriptionRecord
from storage.users import get_user


def patient_zone(sub: SubscriptionRecord | None, clinic_timezone: str) -> ZoneInfo:
    """The zone a patient's days are counted in: their reminder's, else the clinic's."""
    return ZoneInfo(sub.timezone if sub else clinic_timezone)


async def complete_routine(
    *, session: AsyncSession, user_id: int, clinic_timezone: str, now: datetime
) -> date:
    """Records a finished guided routine; returns the patient's local date it counts for.

    It counts as a routine day for a known patient, and as that day's ✅ Done
    for a subscriber (no reminder is then sent that day).
    """
    sub = await reminders.get_subscription(session=session, user_id=user_id)
    today = local_date_of(now, patient_zone(sub, clinic_timezone))
    if await get_user(session=session, user_id=user_id) is not None:
        await record_routine_day(session=session, user_id=user_id, local_date=today, now=now)
    if sub is not None:
        await reminders.mark_done(
            session=session,
            subscription_id=sub.id,
            user_id=user_id,
            local_date=today,
            due_at=now,
            now=now,
            slots=len(sub.times),
        )
    return today


class NoSnooze(StrEnum):
    """Why a reminder cannot be snoozed."""

    NOT_TODAY = "not today"  # the reminder was for a day that has passed
    DONE = "done"
    SKIPPED = "skipped"


def why_no_snooze(delivery: DeliveryRecord, today: date) -> NoSnooze | None:
    """None when today's reminder is still open and may be snoozed."""
    if delivery.local_date != today:
        return NoSnooze.NOT_TODAY
    if delivery.done_at:
        return NoSnooze.DONE
    if delivery.skipped_at:
        return NoSnooze.SKIPPED
    return None


@dataclass(frozen=True, slots=True)
class ClinicDays:
    """The clinic's today and the 7 days ending today, as instants."""

    today: date
    today_start: datetime
    week_start: datetime  # the start of the day 6 days before today


def clinic_days(now: datetime, zone: ZoneInfo) -> ClinicDays:
    """Day boundaries for the clinic's statistics, at local midnight in its zone."""
    today = local_date_of(now, zone)
    today_start = datetime.combine(today, time(0), tzinfo=zone)
    return ClinicDays(today, today_start, today_start - timedelta(days=6))
