"""A patient starts a practitioner's home programme from its link, follows it and leaves it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from handlers.context import AcubotApp
from storage.models import PendingStep, ProgrammeEnrolment, QuestionnaireRun, Subscription
from storage.programmes import ALL_WEEKDAYS, EnrolmentStatus, Schedule, weekday_mask
from tests.harness import FakeClock, Patient, only_shown, only_text, texts
from tests.programme_support import (
    MON_WED_FRI,
    all_enrolments,
    back_programme,
    enrolment_of,
    prescribe,
)
from tests.reminders_support import dispatch, en_time, en_when, subscribe, subscription_of

SEVEN_AM_CHICAGO = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # Tuesday 1 June, 07:00 CDT


@pytest.fixture(autouse=True)
def _morning(clock: FakeClock) -> None:
    clock.set(SEVEN_AM_CHICAGO)


async def count(app: AcubotApp, model: type) -> int:
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_from_link_to_routine_to_progress_to_leaving(
    app: AcubotApp, patient: Patient
) -> None:
    prescribed = await prescribe(app)
    calls = await patient.send(f"/start {prescribed.code}")
    card, question = texts(calls)
    assert "<b>Low back, home care</b>" in card and "Dr Ana Ruiz" in card
    assert "Gentle pressure only" in card
    assert card.index("BL40") < card.index("KI7")
    assert "hold 75 seconds" in card and "hold 40 seconds" in card
    assert "Every Monday, Wednesday, and Friday" in card and "A course of 6 weeks" in card
    assert "What time should I remind you?" in question
    assert await count(app, ProgrammeEnrolment) == 0

    confirm = only_shown(await patient.press("8:00"))
    assert "Monday, Wednesday, and Friday" in confirm
    # Tuesday now: the first reminder is on Wednesday.
    assert en_when(date(2027, 6, 2), "08:00") in confirm
    assert await count(app, ProgrammeEnrolment) == 0  # nothing before ✅ Start

    # The programme's start brings the Roland-Morris questionnaire, item 1, once.
    done, questionnaire = texts(await patient.press("Start the programme"))
    assert "Roland-Morris back questionnaire · 1 of 24" in questionnaire
    assert "I stay at home most of the time because of my back." in questionnaire
    assert "Yes" in str(patient.latest_message()["reply_markup"])
    async with app.bot_data.sessions() as session:
        run = (await session.execute(select(QuestionnaireRun))).scalar_one()
    assert (run.instrument, run.reason, run.next_item) == ("rmdq", "programme_start", 0)
    assert "You have started “Low back, home care”" in done
    assert f"First reminder: <b>{en_when(date(2027, 6, 2), '08:00')}</b>" in done
    enrolment = await enrolment_of(app, 1)
    assert enrolment is not None
    assert enrolment.weekdays == MON_WED_FRI and enrolment.times == (time(8, 0),)
    assert enrolment.start_date == date(2027, 6, 1) and enrolment.link_id == prescribed.link_id
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.routine == "programme" and sub.timezone == "America/Chicago"
    assert sub.next_due_at == datetime(2027, 6, 2, 13, 0, tzinfo=UTC)
    async with app.bot_data.sessions() as session:
        row = (await session.execute(select(Subscription))).scalar_one()
        assert (row.weekdays, row.second_time, row.enrolment_id) == (
            MON_WED_FRI,
            None,
            enrolment.id,
        )
    assert await count(app, PendingStep) == 0

    # The routine follows the programme: its points, in order, with its holds.
    intro, first = texts(await patient.send("/routine"))
    assert "Low back, home care" in intro
    assert "Step 1 of 2" in first and "Hold for 75 seconds" in first
    assert "Sit on a firm chair" in first
    assert "Start 75 s timer" in str(patient.latest_message()["reply_markup"])
    second = only_text(await patient.press("Next: step 2"))
    assert "Step 2 of 2 · KI7" in second and "Hold for 40 seconds" in second
    finished = texts(await patient.press("Finish"))
    assert "Routine complete" in finished[0]

    progress = only_text(await patient.send("/programme"))
    assert "Low back, home care" in progress
    assert "Week 1 of 6" in progress
    assert "1 of 3 days done this week" in progress
    assert f"Next reminder: <b>{en_when(date(2027, 6, 2), '08:00')}</b>" in progress

    ask = only_shown(await patient.press("Leave the programme"))
    assert "Leave “Low back, home care”?" in ask and en_time("08:00") in ask
    assert (await enrolment_of(app, 1)) is not None  # asked first
    left = only_shown(await patient.press("Yes, leave it"))
    assert "You have left" in left
    assert await enrolment_of(app, 1) is None
    assert [e.status for e in await all_enrolments(app, 1)] == [EnrolmentStatus.LEFT]
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.routine == "clinic" and sub.local_time == time(8, 0)
    # Every day again: tomorrow, Wednesday... and the day after (Thursday) too.
    assert sub.next_due_at == datetime(2027, 6, 2, 13, 0, tzinfo=UTC)
    async with app.bot_data.sessions() as session:
        row = (await session.execute(select(Subscription))).scalar_one()
        assert (row.weekdays, row.second_time, row.enrolment_id) == (ALL_WEEKDAYS, None, None)
    assert "not following a home programme" in only_text(await patient.send("/programme"))


async def test_patient_picks_days_and_two_times(app: AcubotApp, patient: Patient) -> None:
    spec = back_programme(
        schedule=Schedule.PER_WEEK, weekdays=ALL_WEEKDAYS, days_per_week=3, times_per_day=2
    )
    prescribed = await prescribe(app, spec, single_use=False)
    _, question = texts(await patient.send(f"/start {prescribed.code}"))
    assert "Which 3 days of the week" in question
    assert "Done" not in str(patient.latest_message()["reply_markup"])
    await patient.press("Mon")
    await patient.press("Wed")
    assert "Done" not in str(patient.latest_message()["reply_markup"])
    # A typed answer is no way to choose days.
    assert "tap the days" in only_text(await patient.send("monday"))
    shown = only_shown(await patient.press("Fri"))
    assert "Chosen: 3 of 3" in shown
    await patient.press("Tue")  # four: Done goes away
    assert "Done" not in str(patient.latest_message()["reply_markup"])
    await patient.press("✅ Tue")
    first = only_shown(await patient.press("Done"))
    assert "first reminder of the day" in first
    second = only_shown(await patient.press("8:00"))
    assert "And the second one?" in second
    # The same time again is refused; a typed one is taken.
    assert "different time" in only_text(await patient.send("8:00"))
    confirm = only_text(await patient.send("7:30 pm"))
    assert "Monday, Wednesday, and Friday" in confirm
    assert en_time("08:00") in confirm and en_time("19:30") in confirm
    await patient.press("Start the programme")
    enrolment = await enrolment_of(app, 1)
    assert enrolment is not None and enrolment.weekdays == weekday_mask([0, 2, 4])
    assert enrolment.times == (time(8, 0), time(19, 30))
    async with app.bot_data.sessions() as session:
        row = (await session.execute(select(Subscription))).scalar_one()
        assert row.second_time == time(19, 30) and row.local_time == time(8, 0)


async def test_an_existing_reminders_zone_is_kept_and_can_be_changed(
    app: AcubotApp, patient: Patient
) -> None:
    await subscribe(app, 1, at="09:00", zone="Europe/Madrid")
    prescribed = await prescribe(app)
    _, question = texts(await patient.send(f"/start {prescribed.code}"))
    assert "Madrid" in question
    await patient.press("Change time zone")
    assert "Tokyo" in only_text(await patient.send("Tokyo"))
    confirm = only_shown(await patient.press("7:00"))
    assert "Tokyo" in confirm
    await patient.press("Start the programme")
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.timezone == "Asia/Tokyo" and sub.local_time == time(7, 0)


@pytest.mark.parametrize("step", ["time", "zone", "confirm", "days"])
async def test_cancel_at_every_step_changes_nothing(
    app: AcubotApp, patient: Patient, step: str
) -> None:
    spec = back_programme(schedule=Schedule.PER_WEEK, weekdays=ALL_WEEKDAYS, days_per_week=1)
    prescribed = await prescribe(app, spec if step == "days" else None)
    await patient.send(f"/start {prescribed.code}")
    if step != "days":
        if step == "zone":
            await patient.press("Change time zone")
        elif step == "confirm":
            await patient.press("8:00")
    stopped = only_shown(await patient.press("Cancel"))
    assert "Nothing was changed" in stopped
    assert await count(app, ProgrammeEnrolment) == 0
    assert await count(app, Subscription) == 0
    assert await count(app, PendingStep) == 0


async def test_slash_cancel_stops_the_flow(app: AcubotApp, patient: Patient) -> None:
    prescribed = await prescribe(app)
    await patient.send(f"/start {prescribed.code}")
    assert "stopped setting up the programme" in only_text(await patient.send("/cancel"))
    assert await count(app, PendingStep) == 0


async def test_another_instance_takes_the_next_answer(
    app: AcubotApp,
    patient: Patient,
    settings,
    api,
    clock,
    sleep,  # type: ignore[no-untyped-def]
) -> None:
    from bot.application import running
    from tests.conftest import make_app

    prescribed = await prescribe(app)
    await patient.send(f"/start {prescribed.code}")
    async with running(make_app(settings, api, clock, sleep)) as other:
        there = Patient(other, api, user_id=1)
        assert en_when(date(2027, 6, 2), "08:00") in only_text(await there.send("8:00"))
        await there.press("Start the programme")
    assert await enrolment_of(app, 1) is not None


async def test_without_a_programme_programme_explains_the_qr_code(patient: Patient) -> None:
    text = only_text(await patient.send("/programme"))
    assert "not following a home programme" in text and "QR code" in text


async def test_reminders_come_on_the_programmes_days_and_open_its_routine(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    prescribed = await prescribe(app)  # Mon, Wed, Fri
    await patient.send(f"/start {prescribed.code}")
    await patient.press("8:00")
    await patient.press("Start the programme")
    sent_on: list[date] = []
    # Tuesday 1 June to Monday 7 June, each day at 8:01 CDT.
    for day in range(7):
        clock.set(datetime(2027, 6, 1, 13, 1, tzinfo=UTC) + timedelta(days=day))
        report = await dispatch(app)
        if report.sent:
            sent_on.append((clock.current - timedelta(hours=5)).date())
    assert [d.strftime("%a") for d in sent_on] == ["Wed", "Fri", "Mon"]
    steps = texts(await patient.press("Start guided routine"))
    assert "Low back, home care" in steps[0]
    assert "Step 1 of 2" in steps[1] and "Hold for 75 seconds" in steps[1]
