"""Reminders in Spanish and Chinese, end to end (issue 13).

A Spanish and a Chinese patient set up /remind (a typed time and a preset),
manage it with /settings, /pause, /resume and /stop; the dispatcher then
sends the daily reminder in the RECIPIENT's language (their /language choice,
else their Telegram language), and Done -> 0-10 -> thanks is edited in place
in that language. Every text and button label is checked for English.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.local_api import BotCall, InProcessBotAPI
from content.i18n import translator
from content.languages import language_from_tag
from handlers.context import AcubotApp
from scheduler import subscriptions
from storage import reminders, users
from tests.harness import FakeClock, Patient, only_shown, only_text
from tests.i18n_support import assert_in_language, english_words
from tests.reminders_support import dispatch, subscription_of

SEVEN_AM_CHICAGO = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # Tuesday 1 June, 07:00 CDT
EIGHT_AM_CHICAGO = SEVEN_AM_CHICAGO + timedelta(hours=1)
JUNE_1 = date(2027, 6, 1)
# Names that stay as they are in every language: IANA zones and their cities.
ZONE_NAMES = ["Chicago (America/Chicago)", "America/Chicago", "Europe/London"]

SPANISH = {
    "tag": "es",
    "confirm": "Confirmar",
    "settings_title": "Tu recordatorio diario",
    "done": "Hecho",
    "paused_1": "1 día",
    "paused_2": "2 días",
    "pause_button": "Pausar 7 días",
}
CHINESE = {
    "tag": "zh-CN",
    "confirm": "确认",
    "settings_title": "您的每日提醒",
    "done": "完成",
    "paused_1": "暂停 1 天",
    "paused_2": "暂停 2 天",
    "pause_button": "暂停 7 天",
}
PATIENTS = [pytest.param(SPANISH, id="es"), pytest.param(CHINESE, id="zh")]


@pytest.fixture(autouse=True)
def _morning(clock: FakeClock) -> None:
    clock.set(SEVEN_AM_CHICAGO)


def check(calls: list[BotCall], language: str) -> list[BotCall]:
    """Every text, alert and button label of these calls is in `language`."""
    for call in calls:
        text = call.params.get("text")
        if call.method in {"sendMessage", "editMessageText", "answerCallbackQuery"} and text:
            assert_in_language(text, language, allowed=ZONE_NAMES)
        for button in call.buttons:
            label = button["text"]
            if any(char.isalpha() for char in label.replace("AM", "").replace("PM", "")) and not (
                label in ZONE_NAMES or "/" in label
            ):
                assert_in_language(label, language)
            else:  # a time or a score: digits only, never English words
                assert not english_words(label), label
    return calls


def shown(calls: list[BotCall]) -> BotCall:
    """The one message these calls sent or edited."""
    messages = [c for c in calls if c.method in {"sendMessage", "editMessageText"}]
    assert len(messages) == 1, [(c.method, c.text[:50]) for c in messages]
    return messages[0]


def labels(call: BotCall) -> list[str]:
    return [button["text"] for button in call.buttons]


async def remind_flow(patient: Patient, language: str, answer: str | None) -> str:
    """/remind, then a typed time (or the 08:00 preset), then Confirm; returns the last text."""
    tr = translator(language)  # type: ignore[arg-type]
    ask = shown(check(await patient.send("/remind"), language))
    presets = [tr.time(time(h)) for h in (7, 8, 12, 18, 21)]
    assert labels(ask)[:5] == presets
    if answer is None:
        confirm = shown(check(await patient.press(tr.time(time(8))), language))
    else:
        confirm = shown(check(await patient.send(answer), language))
    assert confirm.method in {"sendMessage", "editMessageText"}
    done = check(await patient.press(tr._("✅ Confirm")), language)
    return only_shown(done)


# -- /remind, /settings, /pause, /resume, /stop ------------------------------------


@pytest.mark.parametrize("who", PATIENTS)
async def test_remind_and_settings_in_the_patients_language(
    app: AcubotApp, api: InProcessBotAPI, who: dict[str, Any]
) -> None:
    patient = Patient(app, api, user_id=11, language_code=who["tag"])
    language = language_from_tag(who["tag"])
    tr = translator(language)
    # A typed time: "7:30 pm" is read, and shown as the locale writes it.
    text = await remind_flow(patient, language, "7:30 pm")
    assert tr.time(time(19, 30)) == "19:30" and "19:30" in text
    assert tr.day(JUNE_1) in text  # the first one comes today
    sub = await subscription_of(app, 11)
    assert sub is not None and sub.local_time == time(19, 30)

    settings = shown(check(await patient.send("/settings"), language))
    assert who["settings_title"] in settings.text and "<b>19:30</b>" in settings.text
    assert any(who["pause_button"] in label for label in labels(settings))
    routine_titles = {r.title for r in app.bot_data.catalogues[language].routines}
    assert routine_titles <= {label.removeprefix("● ") for label in labels(settings)}

    paused = only_text(check(await patient.send("/pause 7"), language))
    assert tr.day(JUNE_1 + timedelta(days=7)) in paused
    assert who["paused_1"] in only_text(check(await patient.send("/pause 1"), language))
    assert who["paused_2"] in only_text(check(await patient.send("/pause 2"), language))
    refused = only_text(check(await patient.send("/pause 500"), language))
    assert "/pause 14" in refused and "90" in refused
    resumed = only_text(check(await patient.send("/resume"), language))
    assert tr.day(JUNE_1) in resumed and "19:30" in resumed
    only_text(check(await patient.send("/stop"), language))
    assert (await subscription_of(app, 11)).active is False  # type: ignore[union-attr]
    only_text(check(await patient.send("/stop"), language))  # nothing to stop
    only_text(check(await patient.send("/pause"), language))  # nothing to pause
    stopped = shown(check(await patient.send("/settings"), language))
    assert len(labels(stopped)) >= 2


@pytest.mark.parametrize("who", PATIENTS)
async def test_bad_answers_are_explained_in_the_patients_language(
    app: AcubotApp, api: InProcessBotAPI, who: dict[str, Any]
) -> None:
    patient = Patient(app, api, user_id=12, language_code=who["tag"])
    language = language_from_tag(who["tag"])
    check(await patient.send("/remind"), language)
    for bad in ("25:61", "13 pm", "7:5", "x" * 100):
        reply = only_text(check(await patient.send(bad), language))
        assert reply.startswith("⚠️")
    hint = only_text(check(await patient.send("weizhong"), language))
    assert "BL40" in hint and "/point BL40" in hint
    zones = shown(
        check(await patient.press(translator(language)._("🌍 Change time zone")), language)
    )
    assert "Europe/London" in zones.text
    for place in ("narnia", "united states", "x" * 100):
        check(await patient.send(place), language)
    check(await patient.send("london"), language)  # a zone, then the time question again
    text = await remind_flow_from_time(patient, language)
    assert "London (Europe/London)" in text


async def remind_flow_from_time(patient: Patient, language: str) -> str:
    tr = translator(language)  # type: ignore[arg-type]
    check(await patient.press(tr.time(time(8))), language)
    return only_shown(check(await patient.press(tr._("✅ Confirm")), language))


# -- the dispatcher writes in the recipient's language ---------------------------


@pytest.mark.parametrize("who", PATIENTS)
async def test_daily_reminder_done_and_check_in_in_the_recipients_language(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock, who: dict[str, Any]
) -> None:
    patient = Patient(app, api, user_id=13, language_code=who["tag"])
    language = language_from_tag(who["tag"])
    tr = translator(language)
    text = await remind_flow(patient, language, None)  # the 08:00 preset
    assert tr.time(time(8)) in text
    clock.set(EIGHT_AM_CHICAGO + timedelta(seconds=5))
    assert (await dispatch(app)).sent == 1
    reminder = api.sent(13)[-1]
    check([reminder], language)
    catalogue = app.bot_data.catalogues[language]
    routine = catalogue.routine("clinic")
    assert tr.day(JUNE_1) in reminder.text and routine.title.replace("'", "&#x27;") in reminder.text
    for step in catalogue.routine_steps("clinic"):
        assert step.title.replace("'", "&#x27;") in reminder.text
    assert len(labels(reminder)) == 6

    reminder_id = patient.message_with_button(who["done"])["message_id"]
    done = check(await patient.press(who["done"]), language)
    question = shown(done)
    assert question.method == "editMessageText"  # the reminder becomes the question
    assert question.params["message_id"] == reminder_id
    assert tr._("How is your back right now?") in question.text
    assert [b["text"] for b in question.buttons] == [str(n) for n in range(11)]
    question_message = copy.deepcopy(patient.message_with_button("5"))
    thanks = shown(check(await patient.press("5"), language))
    assert thanks.method == "editMessageText" and "5/10" in thanks.text
    assert thanks.params["message_id"] == reminder_id
    old_copy = question.buttons[0]["callback_data"]
    again = check(await patient.press_data(old_copy, question_message), language)
    assert again  # an old copy of the buttons is answered, in the language too


@pytest.mark.parametrize("who", PATIENTS)
async def test_reminder_buttons_snooze_skip_stop_in_the_recipients_language(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock, who: dict[str, Any]
) -> None:
    patient = Patient(app, api, user_id=14, language_code=who["tag"])
    language = language_from_tag(who["tag"])
    tr = translator(language)
    await remind_flow(patient, language, None)
    clock.set(EIGHT_AM_CHICAGO + timedelta(seconds=5))
    await dispatch(app)
    snoozed = check(await patient.press(tr._("⏰ Snooze 30 min")), language)
    assert tr.time(time(8, 30)) in only_text(snoozed)
    settings = only_text(check(await patient.send("/settings"), language))
    assert tr.time(time(8, 30)) in settings
    clock.advance(minutes=31)
    assert (await dispatch(app)).snoozes_sent == 1
    again = api.sent(14)[-1]
    check([again], language)
    assert tr._("<b>⏰ Here is your snoozed reminder</b> — {day}", day=tr.day(JUNE_1)) in again.text
    check(await patient.press(tr._("⏭ Skip today")), language)
    check(await patient.press(tr._("⏰ Snooze 1 h")), language)  # skipped: nothing to snooze
    check(await patient.press(tr._("🔕 Stop reminders")), language)
    clock.advance(days=1)
    check(await patient.press(tr._("⏰ Snooze 1 h")), language)  # yesterday's reminder
    reminder = patient.message_with_button(tr._("✅ Done"))
    check(await patient.press_data("rem:done:999999", reminder), language)  # not theirs: gone
    check(await patient.press_data("rem:s30:999999", reminder), language)
    check(await patient.press_data("chk:pain:20270601:11", reminder), language)  # forged


async def test_weekly_peg_goes_in_the_recipients_language(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    """The weekly PEG (it replaced the activity question): items, buttons and result."""
    sunday_8am = datetime(2027, 6, 6, 13, 0, 5, tzinfo=UTC)
    clock.set(sunday_8am - timedelta(hours=1))
    patients = [
        Patient(app, api, user_id=15 + i, language_code=tag) for i, tag in enumerate(["es", "zh"])
    ]
    for patient in patients:
        await remind_flow(patient, language_from_tag(patient.language_code), None)
    clock.set(sunday_8am)
    assert (await dispatch(app)).sent == 2
    for patient in patients:
        language = language_from_tag(patient.language_code)
        question = api.sent(patient.user_id)[-1]
        check([question], language)
        assert question.text.startswith("📝")
        tr = translator(language)
        assert tr._("PEG pain scale") in question.text
        for score in ("3", "4"):
            check(await patient.press(score), language)
        result = only_shown(check(await patient.press("5"), language))
        four = {"es": "4,0", "zh": "4.0"}[language]  # each language's decimal mark
        assert tr._("Your score: <b>{score}</b> out of {worst}.", score=four, worst="10") in result


# -- the language chosen with /language wins over Telegram's ------------------------


@pytest.mark.parametrize(
    ("telegram", "choose", "language"),
    [("en", "Español", "es"), ("es-MX", "English", "en"), ("en-GB", "简体中文", "zh")],
)
async def test_a_chosen_language_wins_over_telegrams_for_the_reminder(
    app: AcubotApp,
    api: InProcessBotAPI,
    clock: FakeClock,
    telegram: str,
    choose: str,
    language: str,
) -> None:
    patient = Patient(app, api, user_id=20, language_code=telegram)
    await patient.send("/language")
    await patient.press(choose)
    await remind_flow(patient, language, None) if language != "en" else await english_flow(patient)
    clock.set(EIGHT_AM_CHICAGO + timedelta(seconds=5))
    assert (await dispatch(app)).sent == 1
    reminder = api.sent(20)[-1]
    tr = translator(language)  # type: ignore[arg-type]
    assert tr.day(JUNE_1) in reminder.text
    assert labels(reminder)[1] == tr._("✅ Done")
    if language != "en":
        check([reminder], language)
    else:
        assert "Time for today's back care" in reminder.text


async def english_flow(patient: Patient) -> None:
    await patient.send("/remind")
    await patient.press("8:00")
    await patient.press("Confirm")


async def test_two_recipients_in_one_tick_each_get_their_own_language(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    people = {21: "es", 22: "zh-hans", 23: "en", 24: "zh-TW"}
    for user_id, tag in people.items():
        patient = Patient(app, api, user_id=user_id, language_code=tag)
        if tag == "en":
            await english_flow(patient)
        else:
            await remind_flow(patient, language_from_tag(tag), None)
    clock.set(EIGHT_AM_CHICAGO + timedelta(seconds=5))
    assert (await dispatch(app)).sent == 4
    for user_id, tag in people.items():
        language = language_from_tag(tag)
        reminder = api.sent(user_id)[-1]
        assert labels(reminder)[1] == translator(language)._("✅ Done")
        if language != "en":
            check([reminder], language)


# -- times per locale ------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "shown_as"), [("es", "19:30"), ("zh", "19:30"), ("en", "7:30\u202fPM")]
)
async def test_a_typed_time_is_shown_as_the_locale_writes_it(
    app: AcubotApp, api: InProcessBotAPI, tag: str, shown_as: str
) -> None:
    patient = Patient(app, api, user_id=30, language_code=tag)
    await patient.send("/remind")
    confirm = only_text(await patient.send("7:30 pm"))
    assert f"<b>{shown_as}</b>" in confirm
    assert translator(language_from_tag(tag)).time(time(19, 30)) == shown_as


@pytest.mark.parametrize(
    ("tag", "typed", "shown_as"),
    [
        ("es", "a las ocho y media de la noche", "20:30"),
        ("es", "a las 7 de la mañana", "7:00"),
        ("zh", "晚上7点半", "19:30"),
        ("zh-TW", "早上八點", "08:00"),  # Traditional characters too
    ],
)
async def test_a_time_typed_in_words_is_read(
    app: AcubotApp, api: InProcessBotAPI, tag: str, typed: str, shown_as: str
) -> None:
    """The answer to "what time?" in the patient's own words, not only in digits."""
    patient = Patient(app, api, user_id=31, language_code=tag)
    await patient.send("/remind")
    confirm = only_text(await patient.send(typed))
    assert f"<b>{shown_as}</b>" in confirm


def test_plural_forms_in_spanish_and_chinese() -> None:
    es, zh = translator("es"), translator("zh")
    one, other = "⏸ Reminders paused for {n} day.", "⏸ Reminders paused for {n} days."
    assert es.n_(one, other, 1) == "⏸ Recordatorios en pausa durante 1 día."
    assert es.n_(one, other, 2) == "⏸ Recordatorios en pausa durante 2 días."
    assert es.n_(one, other, 0) == "⏸ Recordatorios en pausa durante 0 días."
    assert (
        zh.n_(one, other, 1) == "⏸ 提醒已暂停 1 天。"
        and zh.n_(one, other, 2) == "⏸ 提醒已暂停 2 天。"
    )
    minute = ("<b>{routine}</b>, about {n} minute:", "<b>{routine}</b>, about {n} minutes:")
    assert es.n_(*minute, 1, routine="R") == "<b>R</b>, unos 1 minuto:"
    assert es.n_(*minute, 7, routine="R") == "<b>R</b>, unos 7 minutos:"
    assert zh.n_(*minute, 7, routine="R") == "<b>R</b>，约 7 分钟："


# -- the due-row query carries the language ------------------------------------------


async def test_claimed_rows_carry_each_recipients_language_in_one_statement(
    app: AcubotApp, clock: FakeClock
) -> None:
    services = app.bot_data
    now = clock()
    async with services.sessions.begin() as session:
        for user_id, tag in {41: "es-MX", 42: "zh-hant", 43: None, 44: "en"}.items():
            await users.record_user_seen(
                session=session, user_id=user_id, chat_id=user_id, language_code=tag, now=now
            )
            await subscriptions.subscribe(
                session=session,
                user_id=user_id,
                chat_id=user_id,
                local_time=time(8),
                zone="America/Chicago",
                routine="clinic",
                now=now,
            )
        await users.choose_language(session=session, user_id=44, language="zh")
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    later = now + timedelta(days=1)
    event.listen(services.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with services.sessions.begin() as session:
            claimed = await reminders.claim_due_subscriptions(
                session=session, now=later, lease_until=later, owner="t", limit=10
            )
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == 1  # the claim itself; no read per row
    languages = {sub.user_id: language_from_tag(sub.language_tag) for sub in claimed}
    assert languages == {41: "es", 42: "zh", 43: "en", 44: "zh"}
