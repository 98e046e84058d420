"""Subscribing, managing and answering reminders, end to end."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.application import running
from bot.local_api import InProcessBotAPI
from bot.settings import Settings
from content.i18n import translator
from storage.models import CheckIn, Delivery, PendingStep, Subscription
from tests.conftest import RecordingSleep, make_app, two_instances
from tests.harness import FakeClock, Patient, _buttons, only_shown, only_text, pain_data, texts
from tests.reminders_support import (
    delivery_of,
    dispatch,
    en_time,
    en_when,
    subscribe,
    subscription_of,
)

SEVEN_AM_CHICAGO = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # Tuesday 1 June, 07:00 CDT
EIGHT_AM_CHICAGO = SEVEN_AM_CHICAGO + timedelta(hours=1)


@pytest.fixture(autouse=True)
def _morning(clock: FakeClock) -> None:
    clock.set(SEVEN_AM_CHICAGO)


async def count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


# -- subscribing ----------------------------------------------------------------


async def test_subscribe_with_a_preset_time(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    text = only_text(await patient.send("/remind"))
    assert "What time" in text and "Chicago (America/Chicago)" in text
    confirm = only_text(await patient.press("8:00"))
    assert f"every day at <b>{en_time('08:00')}</b>" in confirm
    assert en_when(date(2027, 6, 1), "08:00") in confirm
    assert await count(app, Subscription) == 0  # nothing saved before Confirm
    done = only_text(await patient.press("Confirm"))
    assert "You're subscribed" in done
    assert f"Next reminder: <b>{en_when(date(2027, 6, 1), '08:00')}</b>" in done
    sub = await subscription_of(app, 1)
    assert sub.local_time == time(8, 0) and sub.timezone == "America/Chicago"
    assert sub.next_due_at == EIGHT_AM_CHICAGO
    assert await count(app, PendingStep) == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("7:30 pm", "19:30"), ("19:30", "19:30"), ("730", "07:30"), ("7.30", "07:30")],
)
async def test_subscribe_with_a_typed_time(
    app, patient: Patient, typed: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/subscribe")
    assert f"<b>{en_time(expected)}</b>" in only_text(await patient.send(typed))
    await patient.press("Confirm")
    assert (await subscription_of(app, 1)).local_time == time.fromisoformat(expected)


@pytest.mark.parametrize("bad", ["25:61", "-1", "🙂⏰", "x" * 5000, "13 pm", "<b>8</b>"])
async def test_bad_times_are_refused_and_asked_again(
    app,
    patient: Patient,
    bad: str,
    handler_errors: list[logging.LogRecord],  # type: ignore[no-untyped-def]
) -> None:
    await patient.send("/remind")
    text = only_text(await patient.send(bad))
    assert text.startswith("⚠️") and "7:30" in text and "What time" in text
    assert await count(app, Subscription) == 0
    assert handler_errors == []
    await patient.send("8:15")  # the question is still open
    await patient.press("Confirm")
    assert (await subscription_of(app, 1)).local_time == time(8, 15)


async def test_change_zone_by_name_typo_and_list(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("Change time zone")
    problem = only_text(await patient.send("Mars/Olympus"))
    assert problem.startswith("⚠️") and "Which time zone" in problem
    assert "London (Europe/London)" in only_text(await patient.send("londn"))
    await patient.press("Change time zone")
    await patient.press("Sydney")
    await patient.send("6:45")
    confirm = only_text(await patient.press("Confirm"))
    assert "Sydney (Australia/Sydney)" in confirm
    sub = await subscription_of(app, 1)
    assert sub.timezone == "Australia/Sydney" and sub.local_time == time(6, 45)


async def test_change_zone_by_sharing_a_location(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("Change time zone")
    assert "London (Europe/London)" in only_text(await patient.share_location(51.5074, -0.1278))
    await patient.press("12:00")
    await patient.press("Confirm")
    assert (await subscription_of(app, 1)).timezone == "Europe/London"


async def test_a_city_typed_for_the_time_changes_the_zone(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    assert "New York (America/New_York)" in only_text(await patient.send("new york"))


async def test_cancel_keeps_nothing(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("8:00")
    assert "Nothing was changed" in only_text(await patient.press("Cancel"))
    assert await count(app, Subscription) == 0 and await count(app, PendingStep) == 0
    await patient.send("/remind")
    assert "Nothing was changed" in only_text(await patient.send("/cancel"))
    assert only_text(await patient.send("/cancel")) == "There was nothing to cancel."
    # With no question pending, a time is just text again.
    assert "/point UB40" in only_text(await patient.send("8:00"))


async def test_restart_in_the_middle_of_subscribing_loses_nothing(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    first_api = InProcessBotAPI()
    async with running(make_app(settings, first_api, clock, sleep)) as first:
        patient = Patient(first, first_api)
        await patient.send("/remind")
        await patient.send("9:15")  # waiting for Confirm when the bot restarts
        old_confirm_message = patient.message_with_button("Confirm")
    second_api = InProcessBotAPI()
    async with running(make_app(settings, second_api, clock, sleep)) as second:
        patient = Patient(second, second_api)
        confirm = next(b for b in old_confirm_message["reply_markup"]["inline_keyboard"][0])
        await patient.press_data(confirm["callback_data"], old_confirm_message)
        sub = await subscription_of(second, 1)
        assert sub is not None and sub.local_time == time(9, 15)


async def test_expired_flow_button_is_answered(app, patient: Patient, api: InProcessBotAPI) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.send("/cancel")
    calls = await patient.press_data("sub:ok", patient.message_with_button("8:00"))
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert "expired" in answer.params["text"]


# -- managing -----------------------------------------------------------------


async def test_settings_pause_resume_stop(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    assert "no daily reminder yet" in only_text(await patient.send("/settings"))
    await subscribe(app, 1, "08:00")
    text = only_text(await patient.send("/settings"))
    assert f"Time: <b>{en_time('08:00')}</b>" in text and "Chicago (America/Chicago)" in text
    assert f"Next reminder: <b>{en_when(date(2027, 6, 1), '08:00')}</b>" in text

    for bad in ("0", "91", "soon", "-3", "9" * 50):
        assert "from 1 to 90" in only_text(await patient.send(f"/pause {bad}"))
    assert (await subscription_of(app, 1)).paused_until is None

    text = only_text(await patient.send("/pause"))
    assert "paused for 7 days" in text and en_when(date(2027, 6, 8), "08:00") in text
    assert (await subscription_of(app, 1)).next_due_at == EIGHT_AM_CHICAGO + timedelta(days=7)
    assert "Paused until" in only_text(await patient.send("/settings"))
    assert en_when(date(2027, 6, 1), "08:00") in only_text(await patient.send("/resume"))

    assert "Reminders stopped" in only_text(await patient.send("/stop"))
    sub = await subscription_of(app, 1)
    assert sub.active is False and sub.next_due_at is None
    assert "nothing to stop" in only_text(await patient.send("/unsubscribe"))
    # A stopped reminder stays stopped: /pause and /resume say so and offer /remind.
    for command in ("/pause", "/pause 3", "/resume"):
        calls = await patient.send(command)
        assert "nothing to pause" in only_text(calls) and "/remind" in only_text(calls)
        assert calls[-1].buttons == [
            {"text": "⏰ Set up a daily reminder", "callback_data": "sub:begin"}
        ]
    sub = await subscription_of(app, 1)
    assert sub.active is False and sub.next_due_at is None and sub.paused_until is None


async def test_settings_buttons_change_routine_and_pause(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await subscribe(app, 1, "08:00")
    await patient.send("/settings")
    assert "Quick seated routine" in only_text(await patient.press("Quick seated"))
    assert (await subscription_of(app, 1)).routine == "seated"
    await patient.send("/settings")
    assert "paused for 7 days" in only_text(await patient.press("Pause 7 days"))
    await patient.send("/settings")
    assert "Reminders are on" in only_text(await patient.press("Resume"))


# -- the reminder's buttons ------------------------------------------------------


async def reminder_for(app, patient: Patient, clock: FakeClock) -> int:  # type: ignore[no-untyped-def]
    """Subscribes at 08:00, moves to 08:00 and dispatches; returns the delivery id."""
    await subscribe(app, patient.user_id, "08:00")
    clock.set(EIGHT_AM_CHICAGO + timedelta(seconds=5))
    assert (await dispatch(app)).sent == 1
    async with app.bot_data.sessions() as session:
        return int(
            await session.scalar(select(Delivery.id).where(Delivery.user_id == patient.user_id))
        )


async def test_done_then_pain_check_in(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    delivery_id = await reminder_for(app, patient, clock)
    reminder = patient.message_with_button("✅ Done")
    calls = await patient.press("✅ Done")
    # The reminder itself becomes the question: one edit and the button's answer, no new message.
    assert sorted(c.method for c in calls) == ["answerCallbackQuery", "editMessageText"]
    question = only_shown(calls)
    assert "marked today's routine as done" in question
    assert "How is your back right now?" in question
    edited = patient.api.messages[(1, reminder["message_id"])]
    assert len(_buttons(edited)) == 11  # the 0-10 buttons replaced the reminder's
    assert (await delivery_of(app, delivery_id)).done_at == clock()
    calls = await patient.press("4")
    assert sorted(c.method for c in calls) == ["answerCallbackQuery", "editMessageText"]
    assert "noted 4/10" in only_shown(calls)
    assert _buttons(patient.api.messages[(1, reminder["message_id"])]) == []  # then the thanks
    again = await patient.press_data(pain_data(edited, 2), edited)  # an old copy of the buttons
    assert "noted 2/10" in only_shown(again)  # same day: replaces
    async with app.bot_data.sessions() as session:
        scores = (await session.execute(select(CheckIn.kind, CheckIn.score))).all()
    assert scores == [("pain", 2)]
    again = await patient.press_data(f"rem:done:{delivery_id}", reminder)  # an old copy
    assert [c.params.get("text") for c in again if c.method == "answerCallbackQuery"] == [
        "Already marked as done"
    ]
    assert [c.method for c in again] == ["answerCallbackQuery"]


async def test_severe_pain_asks_about_red_flags(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    await reminder_for(app, patient, clock)
    await patient.press("✅ Done")
    question = patient.message_with_button("9")
    noted, asked = texts(await patient.press("9"))  # the question becomes the thanks
    assert "9/10" in noted and "numbness around the groin" in asked.lower()
    emergency = only_text(await patient.press("Yes, one of these"))
    assert emergency.startswith("🚨 <b>Call 911") and "/book" not in emergency
    # An old copy of the buttons: answering again replaces the score and asks again.
    await patient.press_data(pain_data(question, 8), question)
    assert "/safety" in only_text(await patient.press("No, none of these"))


async def test_snooze_survives_a_restart_and_keeps_the_schedule(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    api = InProcessBotAPI()
    async with running(make_app(settings, api, clock, sleep)) as app:
        patient = Patient(app, api)
        delivery_id = await reminder_for(app, patient, clock)
        assert f"again at {en_time('08:30')}" in only_text(await patient.press("Snooze 30"))
    api2 = InProcessBotAPI()
    async with running(make_app(settings, api2, clock, sleep)) as app2:
        clock.advance(minutes=29)
        assert (await dispatch(app2)).snoozes_sent == 0
        clock.advance(minutes=2)
        assert (await dispatch(app2)).snoozes_sent == 1
        assert (await dispatch(app2)).snoozes_sent == 0
        sent = api2.sent(1)
        assert len(sent) == 1 and "snoozed reminder" in sent[0].text
        assert sent[0].buttons[1]["callback_data"] == f"rem:done:{delivery_id}"
        assert (await subscription_of(app2, 1)).next_due_at == EIGHT_AM_CHICAGO + timedelta(days=1)


async def test_buttons_on_yesterdays_reminder(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    delivery_id = await reminder_for(app, patient, clock)
    clock.advance(days=1)
    day = translator("en").day(date(2027, 6, 1))
    assert f"was for {day}" in only_text(await patient.press("Snooze 1 h"))
    assert "has passed" in only_text(await patient.press("Skip today"))
    text = only_shown(await patient.press("✅ Done"))  # late, but honest: that day is done
    assert f"for {day} as done" in text
    assert (await delivery_of(app, delivery_id)).done_at is not None
    assert (await delivery_of(app, delivery_id)).snooze_until is None


async def test_skip_and_stop_buttons(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    delivery_id = await reminder_for(app, patient, clock)
    assert "Skipped for today" in only_text(await patient.press("Skip today"))
    assert (await delivery_of(app, delivery_id)).skipped_at is not None
    assert "nothing to snooze" in only_text(await patient.press("Snooze 30"))
    assert "Reminders stopped" in only_text(await patient.press("Stop reminders"))
    assert (await subscription_of(app, 1)).active is False


async def test_someone_elses_reminder_button_changes_nothing(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    owner = Patient(app, api, user_id=1)
    delivery_id = await reminder_for(app, owner, clock)
    intruder = Patient(app, api, user_id=2)
    await intruder.send("/start")
    for action in ("done", "s30", "skip", "stop", "go"):
        calls = await intruder.press_data(f"rem:{action}:{delivery_id}")
        assert [c.method for c in calls] == ["answerCallbackQuery"]
    record = await delivery_of(app, delivery_id)
    assert record.done_at is None and record.skipped_at is None and record.snooze_until is None
    assert (await subscription_of(app, 1)).active is True
    for forged in ("rem:done:abc", "rem:done:999999", "rem::", "chk:pain:x:99", "rtn:nope:0:show"):
        calls = await intruder.press_data(forged)
        assert [c.method for c in calls] == ["answerCallbackQuery"]


# -- the guided routine ----------------------------------------------------------


async def test_guided_routine_start_to_check_in(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    delivery_id = await reminder_for(app, patient, clock)
    step = only_text(await patient.press("Start guided routine"))
    assert "Step 1 of 4" in step and "BL23" in step and "30 to 60 seconds" in step
    for number in range(1, 5):
        started = only_text(
            await patient.press("Start 60 s timer" if number != 2 else "Start 30 s timer")
        )
        assert "Timer started" in started
        [job] = app.job_queue.get_jobs_by_name("hold:1")
        await job.run(app)  # the hold ends: run the timer now instead of sleeping
        assert "Time's up" in patient.api.sent(1)[-1].text
        if number < 4:
            assert f"Step {number + 1} of 4" in only_text(
                await patient.press(f"Next: step {number + 1}")
            )
    finished = await patient.press("Finish")
    assert "Routine complete" in finished[1].text
    assert "How is your back right now?" in finished[2].text
    assert (await delivery_of(app, delivery_id)).done_at is not None
    only_shown(await patient.press("3"))
    async with app.bot_data.sessions() as session:
        assert await session.scalar(select(CheckIn.score)) == 3


async def test_routine_before_the_reminder_means_no_reminder_today(
    app, patient: Patient, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    await subscribe(app, 1, "20:00")
    await patient.send("/routine")
    for number in range(1, 4):
        await patient.press(f"Next: step {number + 1}")
    await patient.press("Finish")
    clock.set(SEVEN_AM_CHICAGO + timedelta(hours=13, seconds=5))  # 20:00
    report = await dispatch(app)
    assert report.sent == 0 and report.already_handled == 1


async def test_stopping_the_routine_cancels_its_timer(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/routine")
    await patient.press("Start 60 s timer")
    assert app.job_queue.get_jobs_by_name("hold:1")
    assert "Routine stopped" in only_text(await patient.press("Stop the routine"))
    assert all(
        job.removed for job in app.job_queue.get_jobs_by_name("hold:1")
    ) or not app.job_queue.get_jobs_by_name("hold:1")


async def test_old_check_in_button_is_answered(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    await reminder_for(app, patient, clock)
    await patient.press("✅ Done")
    clock.advance(days=1)
    day = translator("en").day(date(2027, 6, 1))
    assert f"That question was for {day}" in only_shown(await patient.press("5"))
    assert await count(app, CheckIn) == 0


@pytest.mark.parametrize(
    "bad", ["Mars/Olympus", "🙂🌍", "x" * 5000, "-1", "25:61", "'; DROP TABLE subscriptions;--"]
)
async def test_bad_zones_are_refused_and_asked_again(
    app,
    patient: Patient,
    bad: str,
    handler_errors: list[logging.LogRecord],  # type: ignore[no-untyped-def]
) -> None:
    await patient.send("/remind")
    await patient.press("8:00")
    await patient.press("Change zone")
    text = only_text(await patient.send(bad))
    assert text.startswith("⚠️") and "Which time zone" in text
    assert await count(app, Subscription) == 0
    assert handler_errors == []
    await patient.send("Denver")
    await patient.press("Confirm")
    assert (await subscription_of(app, 1)).timezone == "America/Denver"


async def test_invalid_location_is_refused(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("Change time zone")
    text = only_text(await patient.share_location(0.0, -160.0))  # open Pacific
    assert text.startswith("⚠️") and "Which time zone" in text


async def test_two_instances_answer_consecutive_steps(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    """Any instance can take any update: the waiting step lives in the database."""
    async with two_instances(settings, clock, sleep) as (on_a, on_b):
        await on_a.send("/remind")  # the question is asked by instance A
        confirm = only_text(await on_b.send("7:45 pm"))  # instance B takes the answer
        assert f"<b>{en_time('19:45')}</b>" in confirm
        confirm_message = on_b.message_with_button("Confirm")
        button = confirm_message["reply_markup"]["inline_keyboard"][0][0]
        done = only_text(await on_a.press_data(button["callback_data"], confirm_message))
        assert "You're subscribed" in done  # and A takes the Confirm again
        sub = await subscription_of(on_b.app, 1)
        assert sub is not None and sub.local_time == time(19, 45)


# -- issue 11.11: the zone step ------------------------------------------------------


async def test_a_zone_typed_at_the_confirm_step_keeps_the_time(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.send("7:30 pm")
    confirm = only_text(await patient.send("tokyo"))
    assert f"every day at <b>{en_time('19:30')}</b>" in confirm and "Tokyo (Asia/Tokyo)" in confirm
    assert "Confirm" in patient.latest_message()["reply_markup"]["inline_keyboard"][0][0]["text"]
    # Neither a time nor a place: said so, and the choice so far is kept.
    again = only_text(await patient.send("narnia"))
    assert again.startswith("⚠️ I don&#x27;t know that place")
    assert f"<b>{en_time('19:30')}</b>" in again
    assert "Tokyo (Asia/Tokyo)" in again
    await patient.press("Confirm")
    sub = await subscription_of(app, 1)
    assert sub.timezone == "Asia/Tokyo" and sub.local_time == time(19, 30)


async def test_the_zone_list_has_back(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("8:00")
    zones = await patient.press("Change zone")
    assert "◀ Back" in [b["text"] for b in zones[-1].buttons]
    back = only_text(await patient.press("Back"))
    assert back.startswith(f"Remind you every day at <b>{en_time('08:00')}</b>")
    await patient.send("/remind")
    await patient.press("Change time zone")
    assert "What time should I remind you" in only_text(await patient.press("Back"))


async def test_an_unknown_place_is_not_matched_to_unrelated_zones(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("Change time zone")
    calls = await patient.send("narnia")
    text = only_text(calls)
    assert text.startswith("⚠️ I don&#x27;t know that place") and "for example Chicago" in text
    labels = " ".join(b["text"] for b in calls[-1].buttons)
    for unrelated in ("Yerevan", "Manila", "Nouakchott"):
        assert unrelated not in labels


@pytest.mark.parametrize("typed", ["GMT", "utc", "UTC"])
async def test_gmt_and_utc_are_utc_with_a_daylight_saving_note(
    app, patient: Patient, typed: str
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("Change time zone")
    text = only_text(await patient.send(typed))
    assert "Time zone: UTC" in text and "never changes for daylight saving" in text
    confirm = only_text(await patient.press("8:00"))
    assert "in UTC?" in confirm and "never changes for daylight saving" in confirm
    await patient.press("Confirm")
    assert (await subscription_of(app, 1)).timezone == "UTC"


# -- issue 11.12: /settings, changes, /progress and the weekly answer ---------------------


async def test_settings_shows_a_pending_snooze(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    await reminder_for(app, patient, clock)
    await patient.press("Snooze 1 h")
    text = only_text(await patient.send("/settings"))
    assert f"snoozed: it comes back at <b>{en_time('09:00')}</b>" in text
    assert f"Then the next daily one: <b>{en_when(date(2027, 6, 2), '08:00')}</b>" in text
    clock.advance(hours=2)  # the snooze has come and gone
    assert "snoozed" not in only_text(await patient.send("/settings"))


async def test_a_stopped_reminder_has_no_stop_button(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await subscribe(app, 1, "08:00")
    await patient.send("/stop")
    calls = await patient.send("/settings")
    labels = [b["text"] for b in calls[-1].buttons]
    # A stopped reminder is set up again with /remind (issue 11.1), not resumed.
    assert "⏰ Set up again" in labels and not any("Stop" in label for label in labels)
    assert "nothing to pause" in only_text(await patient.send("/resume"))
    await patient.press("Set up again")
    await patient.press("8:00")
    await patient.press("Confirm")
    labels = [b["text"] for b in (await patient.send("/settings"))[-1].buttons]
    assert "🔕 Stop" in labels


async def test_changing_the_time_says_the_new_time_not_subscribed_again(
    app, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("8:00")
    first = only_text(await patient.press("Confirm"))
    assert "You're subscribed" in first and "with The" not in first
    assert "Routine: <i>Our clinic&#x27;s four points</i>" in first
    await patient.send("/settings")
    await patient.press("Change time or zone")
    await patient.send("9:15")
    changed = only_text(await patient.press("Confirm"))
    assert changed.startswith(f"✅ <b>Your reminder is now at {en_time('09:15')}</b>")
    assert "subscribed" not in changed


async def test_progress_after_a_skip_does_not_ask_a_subscriber_to_subscribe(
    app, patient: Patient, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    await reminder_for(app, patient, clock)
    await patient.press("Skip today")
    text = only_text(await patient.send("/progress"))
    assert "Nothing to show yet" in text and "/remind" not in text and "subscribe" not in text
