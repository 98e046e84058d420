"""The day rules below the handlers: zones, routine completion, snoozes, check-in windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scheduler.checkin_rules import is_severe, may_answer
from scheduler.patient_days import (
    NoSnooze,
    clinic_days,
    complete_routine,
    patient_zone,
    why_no_snooze,
)
from storage.checkins import CheckInKind
from storage.models import Delivery, RoutineDay
from storage.reminders import DeliveryRecord
from storage.users import record_user_seen
from tests.reminders_support import subscribe, subscription_of

CHICAGO = ZoneInfo("America/Chicago")
# 03:00 UTC on 2 December is still 1 December in Chicago (21:00).
LATE_EVENING = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def delivery(local_date: date, **fields: datetime | None) -> DeliveryRecord:
    values = {"sent_at": None, "done_at": None, "skipped_at": None, "snooze_until": None}
    values.update(fields)
    return DeliveryRecord(
        id=1,
        subscription_id=1,
        user_id=1,
        local_date=local_date,
        due_at=LATE_EVENING,
        status="sent",
        message_id=None,
        **values,
    )


async def test_patient_zone_is_the_reminders_else_the_clinics(app) -> None:  # type: ignore[no-untyped-def]
    assert patient_zone(None, "Europe/London") == ZoneInfo("Europe/London")
    sub = await subscribe(app, 1, zone="Asia/Tokyo")
    assert patient_zone(sub, "Europe/London") == ZoneInfo("Asia/Tokyo")


async def test_a_finished_routine_counts_as_done_on_the_patients_own_day(app) -> None:  # type: ignore[no-untyped-def]
    await subscribe(app, 1, zone="America/Chicago")
    sessions = app.bot_data.sessions
    async with sessions.begin() as session:
        day = await complete_routine(
            session=session, user_id=1, clinic_timezone="Asia/Tokyo", now=LATE_EVENING
        )
    assert day == date(2026, 12, 1)  # Chicago's day, not Tokyo's (2 December)
    async with sessions() as session:
        assert (await session.scalars(select(RoutineDay.local_date))).all() == [day]
        [done] = (await session.scalars(select(Delivery))).all()
    assert done.local_date == day and done.done_at is not None
    assert (await subscription_of(app, 1)).active is True


async def test_routine_completion_without_a_reminder_uses_the_clinics_day(app) -> None:  # type: ignore[no-untyped-def]
    sessions = app.bot_data.sessions
    async with sessions.begin() as session:
        await record_user_seen(
            session=session, user_id=2, chat_id=2, language_code="en", now=LATE_EVENING
        )
        day = await complete_routine(
            session=session, user_id=2, clinic_timezone="Asia/Tokyo", now=LATE_EVENING
        )
        # Someone the bot does not know (deleted their data) leaves no trace.
        await complete_routine(
            session=session, user_id=3, clinic_timezone="Asia/Tokyo", now=LATE_EVENING
        )
    assert day == date(2026, 12, 2)
    async with sessions() as session:
        assert (await session.scalars(select(RoutineDay.user_id))).all() == [2]
        assert (await session.scalars(select(Delivery))).all() == []


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (delivery(date(2026, 12, 1)), None),
        (delivery(date(2026, 12, 1), snooze_until=LATE_EVENING), None),  # snoozed again
        (delivery(date(2026, 11, 30)), NoSnooze.NOT_TODAY),
        (delivery(date(2026, 12, 1), done_at=LATE_EVENING), NoSnooze.DONE),
        (delivery(date(2026, 12, 1), skipped_at=LATE_EVENING), NoSnooze.SKIPPED),
        (delivery(date(2026, 11, 30), done_at=LATE_EVENING), NoSnooze.NOT_TODAY),
    ],
)
def test_only_todays_open_reminder_can_be_snoozed(
    record: DeliveryRecord, expected: NoSnooze | None
) -> None:
    assert why_no_snooze(record, date(2026, 12, 1)) == expected


def test_clinic_days_start_at_local_midnight_across_a_clock_change() -> None:
    # Chicago moves its clocks forward on Sunday 8 March 2026.
    days = clinic_days(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), CHICAGO)
    assert days.today == date(2026, 3, 10)
    assert days.today_start == datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # CDT, UTC-5
    assert days.week_start == datetime(2026, 3, 4, 6, 0, tzinfo=UTC)  # CST, UTC-6
    assert days.today_start.astimezone(CHICAGO).hour == 0
    assert days.week_start.astimezone(CHICAGO).hour == 0
    # Late in the evening in Chicago it is already tomorrow in UTC: still Chicago's today.
    assert clinic_days(LATE_EVENING, CHICAGO).today == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("kind", "days_ago", "answerable"),
    [
        (CheckInKind.PAIN, 0, True),
        (CheckInKind.PAIN, 1, False),
        (CheckInKind.PAIN, -1, False),
        (CheckInKind.ACTIVITY, 0, True),
        (CheckInKind.ACTIVITY, 6, True),
        (CheckInKind.ACTIVITY, 7, False),
        (CheckInKind.ACTIVITY, -1, False),
    ],
)
def test_check_in_answer_windows(kind: CheckInKind, days_ago: int, answerable: bool) -> None:
    today = date(2026, 12, 1)
    assert may_answer(kind, today - timedelta(days=days_ago), today) is answerable


def test_severe_scores() -> None:
    assert [score for score in range(11) if is_severe(score)] == [8, 9, 10]
