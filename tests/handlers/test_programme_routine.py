"""The guided routine follows the patient's programme; updates, pregnancy, export and delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from storage import programmes
from storage.models import ProgrammeEnrolment, ProgrammeLink, Subscription
from storage.programmes import ProgrammeStep, Schedule
from tests.harness import FakeClock, Patient, only_shown, only_text, texts
from tests.i18n_support import assert_in_language
from tests.programme_support import back_programme, enrolment_of, prescribe
from tests.reminders_support import subscription_of

SEVEN_AM_CHICAGO = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _morning(clock: FakeClock) -> None:
    clock.set(SEVEN_AM_CHICAGO)


async def start(patient: Patient, code: str) -> None:
    await patient.send(f"/start {code}")
    await patient.press("8:00")
    await patient.press("Start the programme")


async def test_pregnancy_leaves_flagged_points_out_of_card_and_routine(
    app: AcubotApp, patient: Patient
) -> None:
    steps = (ProgrammeStep("BL23", 60), ProgrammeStep("BL40", 75))
    prescribed = await prescribe(app, back_programme(steps=steps))
    await patient.send("/pregnancy on")
    card = (await patient.send(f"/start {prescribed.code}"))[0].text
    assert "Left out while you are pregnant" in card
    await patient.press("8:00")
    await patient.press("Start the programme")
    intro, first = texts(await patient.send("/routine"))
    assert "I have left out BL23" in intro
    assert "Step 1 of 1" in first and "Hold for 75 seconds" in first and "BL23" not in first


async def test_every_point_flagged_in_pregnancy_offers_the_safe_points(
    app: AcubotApp, patient: Patient
) -> None:
    prescribed = await prescribe(app, back_programme(steps=(ProgrammeStep("BL23", 60),)))
    await start(patient, prescribed.code)
    await patient.send("/pregnancy on")
    shown = texts(await patient.send("/routine"))
    assert "I have left out BL23" in shown[0]
    assert "won't guide you through it" in shown[1]


async def test_a_point_no_longer_in_the_catalogue_is_skipped_with_a_note(
    app: AcubotApp, patient: Patient
) -> None:
    steps = (ProgrammeStep("BL99", 60, "old"), ProgrammeStep("BL40", 75))
    prescribed = await prescribe(app, back_programme(steps=steps))
    card = (await patient.send(f"/start {prescribed.code}"))[0].text
    assert "BL99</b> (no longer in our point list: skipped)" in card
    await patient.press("8:00")
    await patient.press("Start the programme")
    intro, first = texts(await patient.send("/routine"))
    assert "BL99 is no longer in our point list" in intro
    assert ("Step 1 of 1" in first and "BL40" in first) or "Hold for 75 seconds" in first


async def test_the_reminders_start_button_and_old_buttons_follow_the_programme(
    app: AcubotApp, patient: Patient
) -> None:
    prescribed = await prescribe(app)
    await start(patient, prescribed.code)
    await patient.send("/programme")
    first = only_text(await patient.press("Start the routine"))
    assert "Step 1 of 2" in first and "Hold for 75 seconds" in first
    timer = only_text(await patient.press("Start 75 s timer"))
    assert "hold for 75 seconds" in timer
    step_message = patient.message_with_button("Next: step 2")
    assert "no longer in use" in str(await patient.press_data("rtn:programme:9:show", step_message))
    # After leaving, a programme button opens the clinic's routine instead.
    await patient.send("/programme")
    await patient.press("Leave the programme")
    await patient.press("Yes, leave it")
    after = texts(await patient.press_data("rtn:programme:1:show", step_message))
    assert any("Step 1 of" in text for text in after)
    assert not any("75 seconds" in text for text in after)


async def test_accepting_an_update_with_the_same_days_switches_the_version(
    app: AcubotApp, patient: Patient
) -> None:
    prescribed = await prescribe(app)
    await start(patient, prescribed.code)
    newer = back_programme(steps=(ProgrammeStep("BL40", 120, "Longer now"),))
    async with app.bot_data.sessions.begin() as session:
        await programmes.save_new_version(
            session=session,
            programme_id=prescribed.programme_id,
            spec=newer,
            now=SEVEN_AM_CHICAGO,
        )
    shown = only_text(await patient.send("/programme"))
    assert "updated this programme" in shown and "hold 75 seconds" in shown
    card = only_shown(await patient.press("See the update"))
    assert "hold 120 seconds" in card and "Longer now" in card
    # An Accept for another version than the newest is refused.
    assert "no longer applies" in str(await patient.press_data("pgm:accept:7"))
    done = only_shown(await patient.press("Accept the update"))
    assert "updated “Low back, home care”" in done
    enrolment = await enrolment_of(app, 1)
    assert enrolment is not None and enrolment.version == 2
    _, first = texts(await patient.send("/routine"))
    assert "Hold for 120 seconds" in first and "Longer now" in first
    assert "See the update" not in str(patient.latest_message().get("reply_markup"))


async def test_an_update_with_other_days_asks_for_days_and_times_again(
    app: AcubotApp, patient: Patient
) -> None:
    prescribed = await prescribe(app)
    await start(patient, prescribed.code)
    before = await enrolment_of(app, 1)
    newer = back_programme(schedule=Schedule.DAILY, times_per_day=2)
    async with app.bot_data.sessions.begin() as session:
        await programmes.save_new_version(
            session=session, programme_id=prescribed.programme_id, spec=newer, now=SEVEN_AM_CHICAGO
        )
    await patient.send("/programme")
    assert "other days or times" in only_shown(await patient.press("See the update"))
    calls = await patient.press("Accept the update")
    assert "first reminder of the day" in texts(calls)[-1]
    await patient.press("7:00")
    await patient.press("9:00")
    assert "You have started" in only_shown(await patient.press("Start the programme"))
    after = await enrolment_of(app, 1)
    assert after is not None and before is not None
    assert after.version == 2 and after.start_date == before.start_date
    assert after.weekdays == 127 and len(after.times) == 2
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.routine == "programme"


async def test_export_includes_and_delete_removes_the_programme(
    app: AcubotApp, patient: Patient
) -> None:
    prescribed = await prescribe(app)
    await start(patient, prescribed.code)
    calls = await patient.send("/export")
    [document] = [c for c in calls if c.method == "sendDocument"]
    data = json.loads(document.contents["document"])
    [followed] = data["home_programmes"]
    assert followed["title"] == "Low back, home care" and followed["status"] == "active"
    assert followed["times"] == ["08:00"] and followed["user_id"] == 1
    assert "home programme" in only_text(await patient.send("/privacy"))
    await patient.send("/delete")
    await patient.press("Yes, delete")
    async with app.bot_data.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProgrammeEnrolment)) == 0
        assert await session.scalar(select(func.count()).select_from(Subscription)) == 0
        link = await session.get(ProgrammeLink, prescribed.link_id)
        assert link is not None and link.used_by == 0  # still used, by nobody
    # Erased, the single-use link does not open again.
    assert "already been used" in only_text(await patient.send(f"/start {prescribed.code}"))


@pytest.mark.parametrize("language", ["es", "zh"])
async def test_the_whole_programme_speaks_the_patients_language(
    app: AcubotApp, api: InProcessBotAPI, language: str
) -> None:
    patient = Patient(app, api, user_id=5, language_code=language)
    spec = back_programme(
        schedule=Schedule.PER_WEEK, weekdays=127, days_per_week=1, times_per_day=2
    )
    prescribed = await prescribe(app, spec)
    # The practitioner's own words (title, names, notes) are theirs, in English here.
    staff_words = ["Low back, home care", "Dr Ana Ruiz", "Sit on a firm chair"]
    staff_words.append("Gentle pressure only, and stop if it hurts.")
    shown = texts(await patient.send(f"/start {prescribed.code}"))
    day = "lun" if language == "es" else "周一"
    shown += texts(await patient.press(day))
    shown += texts(await patient.press("▶"))
    shown += texts(await patient.press("8:00"))
    shown += texts(await patient.send("19:30"))
    shown += texts(await patient.press("✅"))
    shown += texts(await patient.send("/routine"))
    shown += texts(await patient.send("/programme"))
    shown += texts(await patient.press("🚪"))
    shown += texts(await patient.press("🚪"))
    assert await enrolment_of(app, 5) is None
    for text in shown:
        assert_in_language(text, language, staff_words)
