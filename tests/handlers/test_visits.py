"""Visits end to end through the real Application: entered, reminded, answered, the front desk told.

The clock is injected; the dispatcher's tick is run by hand at each moment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import icalendar
import pytest
from sqlalchemy import func, select

from bot.application import running
from bot.local_api import BotCall, InProcessBotAPI
from bot.settings import Settings
from content.i18n import translator
from handlers.context import AcubotApp
from storage.models import Visit, VisitReminder
from tests.conftest import ADMIN_ID, RecordingSleep, make_app
from tests.harness import FakeClock, Patient, only_shown, texts
from tests.reminders_support import dispatch, en_time, subscribe

# Monday 8 March 2027, 09:00 in Chicago (CST); the clocks go forward on Sunday the 14th.
MONDAY_MORNING = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)
EN = translator("en")


def en_moment(day: date, hh_mm: str) -> str:
    """A visit's day and time as the bot writes them in English: "Mon, March 15, 3:00 PM"."""
    return f"{EN.day(day)}, {en_time(hh_mm)}"


@pytest.fixture(autouse=True)
def _monday(clock: FakeClock) -> None:
    clock.set(MONDAY_MORNING)


@pytest.fixture
def staff(app: AcubotApp, api: InProcessBotAPI) -> Patient:
    return Patient(app, api, user_id=ADMIN_ID)


async def count(app: AcubotApp, model: type) -> int:
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def to(calls: list[BotCall], chat_id: int) -> list[BotCall]:
    return [c for c in calls if c.chat_id == chat_id]


def documents(calls: list[BotCall]) -> list[BotCall]:
    return [c for c in calls if c.method == "sendDocument"]


def parse_ics(api: InProcessBotAPI, call: BotCall) -> icalendar.Event:
    content = api.file_content(call, "document")
    assert content is not None
    calendar = icalendar.Calendar.from_ical(content)
    (event,) = calendar.walk("VEVENT")
    return event


async def enter_visit(patient: Patient, typed: str) -> list[BotCall]:
    question = only_shown(await patient.send("/visit"))
    assert "When is your visit?" in question
    shown = only_shown(await patient.send(typed))
    assert "Shall I save it?" in shown
    return await patient.press("Save it")


async def test_entered_reminded_across_the_clock_change_answered_and_the_front_desk_told(
    app: AcubotApp,
    patient: Patient,
    api: InProcessBotAPI,
    clock: FakeClock,
    settings: Settings,
    sleep: RecordingSleep,
) -> None:
    saved = await enter_visit(patient, "2027-03-15 15:00")
    assert "Saved: your visit on <b>" + en_moment(date(2027, 3, 15), "15:00") in texts(saved)[0]
    (ics,) = documents(saved)
    event = parse_ics(api, ics)
    start = event.decoded("dtstart")
    assert start.astimezone(UTC) == datetime(2027, 3, 15, 20, 0, tzinfo=UTC)  # 15:00 CDT
    assert str(start.tzinfo) == "America/Chicago"
    assert event["dtstart"].params["TZID"] == "America/Chicago"
    assert "River Forest Health & Wellness" in str(event["location"])
    assert event.walk("VALARM")
    assert await count(app, VisitReminder) == 3  # day before, no-answer check, lead

    # Sunday 14 March, after the clocks went forward: 18:00 CDT is 23:00 UTC (not 00:00).
    clock.set(datetime(2027, 3, 14, 22, 59, tzinfo=UTC))
    before = len(api.calls)
    await dispatch(app)
    assert to(api.calls[before:], 1) == []
    clock.set(datetime(2027, 3, 14, 23, 0, tzinfo=UTC))
    before = len(api.calls)
    report = await dispatch(app)
    assert report.visits is not None and report.visits.sent == 1
    (reminder,) = to(api.calls[before:], 1)
    assert "your visit at River Forest Health &amp; Wellness is tomorrow" in reminder.text
    assert en_moment(date(2027, 3, 15), "15:00") in reminder.text
    assert [b["text"] for b in reminder.buttons] == [
        "✅ I'll be there",
        "📅 I need to reschedule",
        "❌ Cancel my visit",
    ]

    # A restart between reminders: a second Application on the same database sends none again.
    second_api = InProcessBotAPI()
    async with running(make_app(settings, second_api, clock, sleep)) as second:
        clock.advance(minutes=1)
        again = await dispatch(second)
        assert again.visits is not None and again.visits.sent == 0
        assert second_api.sent() == []

    pressed = patient.message_with_button("I'll be there")
    before = len(api.calls)
    answered = await patient.press("I'll be there")
    assert "Thanks — see you on <b>" in only_shown([c for c in answered if c.chat_id == 1])
    assert any(c.method == "editMessageText" for c in answered)
    assert any(c.method == "answerCallbackQuery" for c in answered)
    (ics,) = documents(answered)
    assert parse_ics(api, ics).decoded("dtstart").astimezone(UTC) == datetime(
        2027, 3, 15, 20, 0, tzinfo=UTC
    )
    (notice,) = to(api.calls[before:], ADMIN_ID)
    assert "confirmed their visit on " + en_moment(date(2027, 3, 15), "15:00") in notice.text
    # A double tap: nothing changes, nobody is told twice.
    again_calls = await patient.press_data("vis:ok:1", pressed)
    assert to(again_calls, ADMIN_ID) == []

    # The lead reminder, 2 h before (13:00 CDT), once; the no-answer check finds an answer.
    clock.set(datetime(2027, 3, 15, 18, 0, tzinfo=UTC))
    before = len(api.calls)
    report = await dispatch(app)
    assert report.visits is not None and report.visits.sent == 1
    assert report.visits.flagged == 0
    (soon,) = to(api.calls[before:], 1)
    assert "Soon: your visit" in soon.text
    before = len(api.calls)
    await dispatch(app)
    assert api.calls[before:] == []


async def test_a_patient_in_another_zone_is_reminded_in_theirs_and_staff_see_clinic_time(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI, clock: FakeClock, staff: Patient
) -> None:
    await subscribe(app, 1, zone="Europe/Madrid")
    saved = await enter_visit(patient, "tomorrow 17:00")  # Tuesday 9 March, 17:00 CET
    assert en_moment(date(2027, 3, 9), "17:00") in texts(saved)[0]
    # 18:00 in Madrid the evening before is 17:00 UTC (Chicago: 11:00).
    clock.set(datetime(2027, 3, 8, 16, 59, tzinfo=UTC))
    before = len(api.calls)
    await dispatch(app)
    assert [c for c in to(api.calls[before:], 1) if "vis:" in str(c.params)] == []
    clock.set(datetime(2027, 3, 8, 17, 0, tzinfo=UTC))
    before = len(api.calls)
    await dispatch(app)
    visit_reminders = [c for c in to(api.calls[before:], 1) if "tomorrow" in c.text]
    assert len(visit_reminders) == 1
    assert en_moment(date(2027, 3, 9), "17:00") in visit_reminders[0].text
    before = len(api.calls)
    await patient.press("I need to reschedule")
    shown = texts(to(api.calls[before:], 1))
    assert any("https://clinic.example.com/book" in t for t in shown)
    (notice,) = to(api.calls[before:], ADMIN_ID)
    # 17:00 in Madrid is 10:00 in Chicago.
    assert "needs another time for their visit on " + en_moment(date(2027, 3, 9), "10:00") in (
        notice.text
    )
    assert "Madrid" not in notice.text
    # Later, /today shows it too: tomorrow's visit, in clinic time, with the answer.
    today = only_shown(await staff.send("/today"))
    tomorrow = today[today.index("Tomorrow, ") :]
    assert en_time("10:00") in tomorrow and "needs another time" in tomorrow
    assert "No visits entered for today." in today


async def test_bad_times_are_asked_again_with_a_reason(patient: Patient, app: AcubotApp) -> None:
    await patient.send("/visit")
    assert "already passed" in only_shown(await patient.send("2027-03-01 10:00"))
    assert "more than a year ahead" in only_shown(await patient.send("2029-01-01 10:00"))
    assert "does not exist" in only_shown(await patient.send("2027-02-30 10:00"))
    gap = only_shown(await patient.send("2027-03-14 2:30"))
    assert "clocks change" in gap and en_time("03:00") in gap
    assert "couldn't read" in only_shown(await patient.send("sometime soon"))
    assert "add the time" in only_shown(await patient.send("friday"))
    assert await count(app, Visit) == 0
    # Still waiting: a good time now is taken.
    assert "Shall I save it?" in only_shown(await patient.send("friday 3pm"))


async def test_cancel_asks_first_and_a_double_tap_or_an_old_button_changes_nothing(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    (saved,) = documents(await enter_visit(patient, "friday 3pm"))
    listed = only_shown(await patient.send("/visits"))
    assert en_moment(date(2027, 3, 12), "15:00") in listed and "not answered yet" in listed
    asked = only_shown(await patient.press("Cancel 1"))
    assert "Cancel your visit on" in asked
    question = patient.message_with_button("Yes, cancel it")
    before = len(api.calls)
    cancelled = to(await patient.press("Yes, cancel it"), 1)
    assert "is cancelled" in only_shown(cancelled)
    assert len(to(api.calls[before:], ADMIN_ID)) == 1
    # A calendar file that takes the saved visit out of a calendar (RFC 5546's CANCEL).
    (removal,) = documents(cancelled)
    assert "take it out" in removal.text
    content = api.file_content(removal, "document")
    assert content is not None
    calendar = icalendar.Calendar.from_ical(content)
    assert str(calendar["method"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == str(parse_ics(api, saved)["uid"])
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 1
    assert event.decoded("dtstart") == parse_ics(api, saved).decoded("dtstart")
    assert not event.walk("VALARM")
    # The same button pressed again (the old message, as a second tap would carry it).
    before = len(api.calls)
    await patient.press_data("vis:cancel_yes:1", question)
    alerts = [c for c in api.calls[before:] if c.method == "answerCallbackQuery"]
    assert "already cancelled" in alerts[0].params["text"]
    assert to(api.calls[before:], ADMIN_ID) == []
    # A confirm button of the cancelled visit: a clear reply, still cancelled.
    before = len(api.calls)
    await patient.press_data("vis:ok:1", question)
    alerts = [c for c in api.calls[before:] if c.method == "answerCallbackQuery"]
    assert "was cancelled" in alerts[0].params["text"]
    assert documents(api.calls[before:]) == []
    assert "no visits coming up" in only_shown(await patient.send("/visits"))
    # Someone else's visit, or a forged one.
    other = Patient(app, api, user_id=2)
    before = len(api.calls)
    await other.press_data("vis:ok:1", question)
    alerts = [c for c in api.calls[before:] if c.method == "answerCallbackQuery"]
    assert "no longer available" in alerts[0].params["text"]


async def test_no_answer_by_the_morning_is_flagged_and_a_blocked_patient_reported(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI, clock: FakeClock, staff: Patient
) -> None:
    await enter_visit(patient, "wednesday 11am")  # 10 March, 11:00 CST
    api.block(1)
    clock.set(datetime(2027, 3, 10, 0, 0, tzinfo=UTC))  # 18:00 CST on the 9th
    before = len(api.calls)
    report = await dispatch(app)
    assert report.visits is not None and report.visits.blocked == 1
    (notice,) = to(api.calls[before:], ADMIN_ID)
    assert "could not deliver the reminder" in notice.text
    assert en_moment(date(2027, 3, 10), "11:00") in notice.text
    # Its lead reminder fails too: the front desk knows already, no second notice.
    clock.set(datetime(2027, 3, 10, 15, 0, tzinfo=UTC))  # 09:00 CST
    before = len(api.calls)
    report = await dispatch(app)
    assert report.visits is not None and report.visits.blocked == 1
    assert to(api.calls[before:], ADMIN_ID) == []
    # Unblocked and a second visit: its day-before reminder goes, nobody answers.
    api.rules.clear()
    await patient.send("/start")
    await enter_visit(patient, "thursday 11am")  # 11 March
    clock.set(datetime(2027, 3, 11, 0, 0, tzinfo=UTC))
    await dispatch(app)
    clock.set(datetime(2027, 3, 11, 14, 0, tzinfo=UTC))  # 08:00 CST on the 11th
    before = len(api.calls)
    report = await dispatch(app)
    assert report.visits is not None and report.visits.flagged == 1
    (notice,) = to(api.calls[before:], ADMIN_ID)
    assert "has not answered the reminder" in notice.text
    today = only_shown(await staff.send("/today"))
    assert en_time("11:00") in today and "no answer to the reminder" in today


async def test_staff_enter_a_visit_for_a_patient_who_is_asked_to_confirm(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI, staff: Patient, clock: FakeClock
) -> None:
    await patient.send("/start")
    assert "not a Telegram user id" in only_shown(await staff.send("/visit abc"))
    assert "has not started the bot" in only_shown(await staff.send("/visit 4242"))
    picker = await staff.send("/visit")
    assert "Whose visit is it?" in only_shown(picker)
    await staff.press("patient 1")
    assert "in clinic time" in texts(api.calls[-2:])[-1]
    await staff.send("today 4pm")
    before = len(api.calls)
    await staff.press("Save it")
    told = to(api.calls[before:], 1)
    assert len(told) == 1 and "has booked a visit for you" in told[0].text
    assert en_moment(date(2027, 3, 8), "16:00") in told[0].text
    assert "been told and asked to confirm" in texts(to(api.calls[before:], ADMIN_ID))[0]
    booked = patient.message_with_button("I'll be there")
    before = len(api.calls)
    await patient.press("I'll be there")
    assert len(documents(api.calls[before:])) == 1
    today = only_shown(await staff.send("/today"))
    assert en_time("16:00") in today and "confirmed" in today
    # A patient may not use /today, nor another's /visit buttons.
    assert "only for clinic staff" in only_shown(await patient.send("/today"))
    before = len(api.calls)
    await patient.press_data("visp:5", booked)
    alerts = [c for c in api.calls[before:] if c.method == "answerCallbackQuery"]
    assert "only for clinic staff" in alerts[0].params["text"]


async def test_export_shows_the_visits_and_delete_erases_them(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    await enter_visit(patient, "friday 3pm")
    exported = documents(await patient.send("/export"))
    content = api.file_content(exported[0], "document")
    assert content is not None and b'"visits"' in content and b'"day_before"' in content
    await patient.send("/delete")
    await patient.press("Yes, delete")
    assert await count(app, Visit) == 0
    assert await count(app, VisitReminder) == 0


async def test_the_visit_said_in_own_words_is_read_as_visit(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    shown = only_shown(await patient.send("My next appointment is friday 3pm"))
    assert "Shall I save it?" in shown and en_moment(date(2027, 3, 12), "15:00") in shown
    saved = await patient.press("Save it")
    assert len(documents(saved)) == 1
    # A past one is answered as /visit answers it; a point's name stays a point.
    assert "already passed" in only_shown(await patient.send("my appointment is 2027-03-01 8:00"))
    await patient.send("/cancel")
    assert "Shall I save it?" not in " ".join(texts(await patient.send("visit BL40")))
    spanish = Patient(app, api, user_id=3, language_code="es")
    shown = only_shown(await spanish.send("mi próxima cita es el viernes a las 15:00"))
    assert "¿La guardo?" in shown


async def test_each_reads_their_own_language_the_patient_spanish_the_front_desk_english(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    paciente = Patient(app, api, user_id=5, language_code="es")
    await paciente.send("/visit")
    assert "¿La guardo?" in only_shown(await paciente.send("viernes 15:00"))
    saved = await paciente.press("Guardarla")
    assert "Guardada" in texts(saved)[0] and len(documents(saved)) == 1
    clock.set(datetime(2027, 3, 12, 0, 0, tzinfo=UTC))  # 18:00 CST on Thursday the 11th
    before = len(api.calls)
    await dispatch(app)
    (reminder,) = to(api.calls[before:], 5)
    assert "Un recordatorio: tu visita" in reminder.text and "mañana" in reminder.text
    assert reminder.buttons[0]["text"] == "✅ Allí estaré"
    before = len(api.calls)
    await paciente.press("Cancelar mi visita")
    await paciente.press("Sí, cancelarla")
    (notice,) = to(api.calls[before:], ADMIN_ID)
    assert "cancelled their visit on " + en_moment(date(2027, 3, 12), "15:00") in notice.text


async def test_the_staff_picker_never_names_a_patient_from_their_sharing_consent(
    app: AcubotApp, api: InProcessBotAPI, patient: Patient, staff: Patient
) -> None:
    """Users' first names are kept for practitioners, with consent: not for the front desk."""
    await patient.send("/start")
    await patient.send("/privacy")
    await patient.press("Share with the clinic")  # patient 1's first name is now kept
    booked = Patient(app, api, user_id=3)
    await enter_visit(booked, "friday 3pm")  # patient 3's name is kept with the visit
    await staff.send("/visit")
    labels = [
        button["text"]
        for row in staff.latest_message()["reply_markup"]["inline_keyboard"]
        for button in row
    ]
    assert "patient 1" in labels  # by id, though their first name is stored
    assert "Pat" in labels and "patient 3" not in labels  # the visit's name


async def test_the_export_leaves_out_which_staff_account_entered_a_visit(
    patient: Patient, api: InProcessBotAPI, staff: Patient
) -> None:
    await patient.send("/start")
    await staff.send("/visit 1")
    await staff.send("today 4pm")
    await staff.press("Save it")
    (exported,) = documents(await patient.send("/export"))
    content = api.file_content(exported, "document")
    assert content is not None and b'"visits"' in content and b'"starts_at"' in content
    assert b"entered_by" not in content and str(ADMIN_ID).encode() not in content


async def test_confirming_after_asking_to_reschedule_brings_the_reminders_back(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI, clock: FakeClock
) -> None:
    from scheduler.visit_rules import ReminderKind
    from storage.visits import PATIENT_REMINDER_KINDS

    assert set(PATIENT_REMINDER_KINDS) == set(ReminderKind) - {ReminderKind.NO_ANSWER}
    await enter_visit(patient, "2027-03-15 15:00")
    clock.set(datetime(2027, 3, 14, 23, 0, tzinfo=UTC))  # the day before, 18:00 CDT
    await dispatch(app)
    reminder = patient.message_with_button("I'll be there")
    await patient.press("I need to reschedule")
    # Then the patient finds the time works after all.
    confirmed = await patient.press_data("vis:ok:1", reminder)
    assert "Thanks — see you on <b>" in only_shown([c for c in confirmed if c.chat_id == 1])
    # The lead reminder, 2 h before, comes as planned.
    clock.set(datetime(2027, 3, 15, 18, 0, tzinfo=UTC))
    before = len(api.calls)
    report = await dispatch(app)
    assert report.visits is not None and report.visits.sent == 1
    (soon,) = to(api.calls[before:], 1)
    assert "Soon: your visit" in soon.text
