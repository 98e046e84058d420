"""The visit summary's data: one patient, their period only, and its figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.context import AcubotApp
from scheduler.visit_report import report_figures
from storage import programmes as p
from storage import reminders, users
from storage.checkins import CheckInKind, record_checkin
from storage.patient_summary import (
    AdverseReport,
    PracticeDays,
    ProgrammeFollowed,
    ScorePoint,
    load_patient_summary,
)
from storage.progress import record_routine_day
from storage.reminders import DeliveryStatus
from storage.safety import record_adverse_event

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = date(2027, 3, 1)  # the programme's start
TODAY = date(2027, 3, 19)  # Friday of its third week
MON_WED_FRI = p.weekday_mask([0, 2, 4])
DAY = timedelta(days=1)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), CHICAGO).astimezone(UTC)


async def _patient_with_a_programme(app: AcubotApp, user_id: int = 1) -> None:
    now = noon(MONDAY - 40 * DAY)
    async with app.bot_data.sessions.begin() as session:
        await users.record_user_seen(
            session=session, user_id=user_id, chat_id=user_id, language_code="en", now=now
        )
        programme_id = await p.create_programme(
            session=session,
            spec=p.ProgrammeSpec(
                title="Low back",
                practitioner_name="Dr Lin",
                steps=(p.ProgrammeStep("BL23", 60),),
                schedule=p.Schedule.WEEKDAYS,
                weekdays=MON_WED_FRI,
                course_weeks=6,
            ),
            created_by=9,
            now=now,
        )
        await p.enrol(
            session=session,
            user_id=user_id,
            programme_id=programme_id,
            version=1,
            link_id=None,
            start_date=MONDAY,
            weekdays=MON_WED_FRI,
            times=[time(8)],
            now=noon(MONDAY),
        )
        await reminders.save_subscription(
            session=session,
            user_id=user_id,
            chat_id=user_id,
            local_time=time(8),
            timezone="America/Chicago",
            routine="programme",
            next_due_at=now,
            now=now,
            weekdays=MON_WED_FRI,
        )
        sub = await reminders.get_subscription(session=session, user_id=user_id)
        assert sub is not None
        # Mon 1, Wed 3, Mon 8, Fri 12 done; Wed 10 lost to downtime; Sat 13 done off plan.
        for n in (0, 2, 7, 11):
            await record_routine_day(
                session=session, user_id=user_id, local_date=MONDAY + n * DAY, now=noon(MONDAY)
            )
        await record_routine_day(
            session=session, user_id=user_id, local_date=MONDAY + 12 * DAY, now=noon(MONDAY)
        )
        await reminders.open_delivery(
            session=session,
            subscription_id=sub.id,
            user_id=user_id,
            local_date=MONDAY + 9 * DAY,
            due_at=noon(MONDAY + 9 * DAY),
            status=DeliveryStatus.MISSED,
        )
        for n, score in ((0, 7), (2, 6), (11, 4)):
            await record_checkin(
                session=session,
                user_id=user_id,
                kind=CheckInKind.PAIN,
                score=score,
                local_date=MONDAY + n * DAY,
                now=noon(MONDAY + n * DAY),
            )
        await record_checkin(
            session=session,
            user_id=user_id,
            kind=CheckInKind.ACTIVITY,
            score=5,
            local_date=MONDAY + 6 * DAY,
            now=noon(MONDAY + 6 * DAY),
        )
        # Outside a 4-week period: 30 days before today.
        await record_checkin(
            session=session,
            user_id=user_id,
            kind=CheckInKind.PAIN,
            score=9,
            local_date=TODAY - 30 * DAY,
            now=noon(TODAY - 30 * DAY),
        )
        # 23:30 in Chicago on Wednesday 3 is Thursday in UTC: dated the patient's day.
        late = datetime.combine(MONDAY + 2 * DAY, time(23, 30), CHICAGO).astimezone(UTC)
        await record_adverse_event(session=session, user_id=user_id, routine="programme", now=late)


async def test_the_summary_holds_the_period_and_nothing_older(app: AcubotApp) -> None:
    await _patient_with_a_programme(app)
    await _patient_with_a_programme(app, user_id=2)  # someone else's data stays theirs
    async with app.bot_data.sessions() as session:
        summary = await load_patient_summary(
            session=session, user_id=1, today=TODAY, weeks=4, zone=CHICAGO
        )
        six = await load_patient_summary(
            session=session, user_id=1, today=TODAY, weeks=6, zone=CHICAGO
        )
    assert (summary.first_day, summary.last_day) == (TODAY - 27 * DAY, TODAY)
    assert summary.programme == ProgrammeFollowed(
        "Low back", "Dr Lin", MONDAY, 6, p.EnrolmentStatus.ACTIVE, None
    )
    assert summary.plan == PracticeDays(MON_WED_FRI, MONDAY, MONDAY + 41 * DAY)
    assert summary.done_days == tuple(MONDAY + n * DAY for n in (0, 2, 7, 11, 12))
    assert summary.missed_days == (MONDAY + 9 * DAY,)
    assert summary.pain == (
        ScorePoint(MONDAY, 7),
        ScorePoint(MONDAY + 2 * DAY, 6),
        ScorePoint(MONDAY + 11 * DAY, 4),
    )
    assert summary.activity == (ScorePoint(MONDAY + 6 * DAY, 5),)
    assert summary.adverse_events == (AdverseReport(MONDAY + 2 * DAY, "sore", "programme"),)
    assert summary.peg == summary.rmdq == ()  # wired when the questionnaire tables land
    assert not summary.empty
    # Six weeks reach back to the old answer of 9.
    assert six.pain[0] == ScorePoint(TODAY - 30 * DAY, 9)

    figures = report_figures(summary)
    assert (figures.week, figures.course_weeks) == (3, 6)
    # Planned Mon/Wed/Fri 1-19 March: 9 days; Wednesday 10 is left out (the bot was
    # down), Friday 19 is today and not done yet, so 7 planned days, 4 of them done.
    assert figures.adherence is not None
    assert (figures.adherence.done, figures.adherence.planned) == (4, 7)
    assert figures.left_out == 1
    assert figures.days_done == 5  # Saturday 13 too, off plan
    assert figures.pain is not None
    assert (figures.pain.first.score, figures.pain.last.score, figures.pain.mean) == (7, 4, 5.7)


async def test_a_patient_with_nothing_stored_gets_an_empty_summary(app: AcubotApp) -> None:
    async with app.bot_data.sessions() as session:
        summary = await load_patient_summary(
            session=session, user_id=77, today=TODAY, weeks=4, zone=CHICAGO
        )
    assert summary.empty
    assert summary.programme is None and summary.plan is None
    figures = report_figures(summary)
    assert figures.adherence is None and figures.pain is None and figures.days_done == 0


async def test_only_4_or_6_weeks(app: AcubotApp) -> None:
    async with app.bot_data.sessions() as session:
        with pytest.raises(ValueError, match="4 or 6"):
            await load_patient_summary(
                session=session, user_id=1, today=TODAY, weeks=5, zone=CHICAGO
            )


async def test_a_programme_with_nothing_done_yet_is_still_worth_a_page(app: AcubotApp) -> None:
    """0 of n planned days is something to bring to the visit."""
    now = noon(MONDAY)
    async with app.bot_data.sessions.begin() as session:
        await users.record_user_seen(
            session=session, user_id=3, chat_id=3, language_code="en", now=now
        )
        programme_id = await p.create_programme(
            session=session,
            spec=p.ProgrammeSpec(
                title="Back", practitioner_name="Dr Lin", steps=(p.ProgrammeStep("BL23", 60),)
            ),
            created_by=9,
            now=now,
        )
        await p.enrol(
            session=session,
            user_id=3,
            programme_id=programme_id,
            version=1,
            link_id=None,
            start_date=MONDAY,
            weekdays=p.ALL_WEEKDAYS,
            times=[time(8)],
            now=now,
        )
    async with app.bot_data.sessions() as session:
        summary = await load_patient_summary(
            session=session, user_id=3, today=TODAY, weeks=4, zone=CHICAGO
        )
    assert not summary.empty and not summary.done_days
    figures = report_figures(summary)
    assert figures.adherence is not None
    assert (figures.adherence.done, figures.adherence.planned) == (0, 18)  # 1-18 March
    assert figures.week == 3 and figures.course_weeks is None
