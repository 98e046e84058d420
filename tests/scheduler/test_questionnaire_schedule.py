"""When a programme's RMDQ is due, and that it is started once per enrolment and reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot.local_api import ErrorRule, InProcessBotAPI
from content.questionnaires import Instrument
from handlers.context import AcubotApp
from scheduler import questionnaire_flow
from scheduler.questionnaire_flow import middle_day, middle_is_due, week_start
from storage import users
from storage.models import QuestionnaireRun
from storage.questionnaires import Reason
from tests.harness import FakeClock, Patient
from tests.programme_support import enrolment_of, prescribe
from tests.scheduler.test_programme_reminders import SUNDAY_NOON, _enrol, _tick_at_next

START = date(2027, 3, 8)  # a Monday


@pytest.mark.parametrize(
    ("weeks", "middle"),
    [
        (12, date(2027, 4, 19)),  # 6 weeks in
        (16, date(2027, 4, 19)),  # 6 weeks in, not half-way
        (None, date(2027, 4, 19)),  # open-ended: 6 weeks in
        (6, date(2027, 3, 29)),  # shorter than 12 weeks: half-way, 21 days
        (1, date(2027, 3, 11)),  # 3 days
    ],
)
def test_the_middle_rmdq_is_six_weeks_in_or_half_way(weeks: int | None, middle: date) -> None:
    assert middle_day(START, weeks) == middle
    assert middle_is_due(START, weeks, middle)
    assert not middle_is_due(START, weeks, date.fromordinal(middle.toordinal() - 1))
    assert not middle_is_due(START, weeks, date.fromordinal(middle.toordinal() + 7))


async def test_a_programme_questionnaire_is_started_once(app: AcubotApp, patient: Patient) -> None:
    prescribed = await prescribe(app)
    await patient.send(f"/start {prescribed.code}")
    await patient.press("8:00")
    await patient.press("Start the programme")
    enrolment = await enrolment_of(app, 1)
    assert enrolment is not None
    now = datetime(2027, 6, 1, tzinfo=UTC)
    async with app.bot_data.sessions.begin() as session:
        await users.record_user_seen(
            session=session, user_id=1, chat_id=1, language_code="en", now=now
        )
        again = await questionnaire_flow.start(
            session=session,
            user_id=1,
            instrument=Instrument.RMDQ,
            reason=Reason.PROGRAMME_START,
            now=now,
            enrolment_id=enrolment.id,
        )
        middle = await questionnaire_flow.start(
            session=session,
            user_id=1,
            instrument=Instrument.RMDQ,
            reason=Reason.PROGRAMME_MIDDLE,
            now=now,
            enrolment_id=enrolment.id,
        )
        middle_again = await questionnaire_flow.start(
            session=session,
            user_id=1,
            instrument=Instrument.RMDQ,
            reason=Reason.PROGRAMME_MIDDLE,
            now=now,
            enrolment_id=enrolment.id,
        )
    assert again is None  # the enrolment already asked it at its start
    assert middle is not None and middle_again is None


async def test_a_programme_without_the_weekly_day_gets_the_peg_once_a_week(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    """Monday, Wednesday and Friday reminders, a Sunday weekly day: Monday's brings it."""
    clock.set(SUNDAY_NOON)
    await _enrol(app, course_weeks=4)
    peg_days = []
    for _ in range(6):  # two weeks of Monday, Wednesday, Friday
        before = len(api.sent(1))
        await _tick_at_next(app, clock)
        new = api.sent(1)[before:]
        if any("PEG pain scale · 1 of 3" in call.text for call in new):
            peg_days.append(new[0].text.split(" — ")[1].split("\n")[0])
    assert peg_days == ["Mon, March 8", "Mon, March 15"]


def test_the_week_starts_on_the_weekly_day() -> None:
    sunday = 6
    assert week_start(date(2027, 3, 8), sunday) == date(2027, 3, 7)  # Monday -> Sunday
    assert week_start(date(2027, 3, 7), sunday) == date(2027, 3, 7)
    assert week_start(date(2027, 3, 13), sunday) == date(2027, 3, 7)  # Saturday


async def peg_runs(app: AcubotApp) -> int:
    async with app.bot_data.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(QuestionnaireRun)
                .where(QuestionnaireRun.instrument == "peg")
            )
            or 0
        )


async def test_a_peg_whose_first_item_failed_is_asked_with_the_next_reminder(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    """Monday's reminder went out, its PEG item did not: Wednesday's brings the PEG."""
    clock.set(SUNDAY_NOON)
    await _enrol(app, course_weeks=4)
    api.rules.append(
        ErrorRule(lambda call: "PEG pain scale" in call.text, 400, "Bad Request: chat not found",
                  None, 1)
    )  # fmt: skip
    peg_days = []
    for _ in range(3):  # Monday, Wednesday, Friday
        before = len(api.calls)
        await _tick_at_next(app, clock)
        new = api.calls[before:]
        if any("PEG pain scale · 1 of 3" in c.text and c.method == "sendMessage" for c in new):
            peg_days.append(next(c.text for c in new).split(" — ")[1].split("\n")[0])
    assert peg_days == ["Mon, March 8", "Wed, March 10"]  # Monday's was refused
    assert await peg_runs(app) == 1  # the one that reached the patient


async def test_a_blocked_reminder_leaves_no_questionnaire_waiting(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(SUNDAY_NOON)
    await _enrol(app, course_weeks=4)
    api.block(1)
    await _tick_at_next(app, clock)  # Monday: the reminder with the week's PEG
    assert await peg_runs(app) == 0
