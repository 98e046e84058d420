"""Issue 12 end to end: red flags first, own words, pregnancy, the routine's safety."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, time
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.application import build_application, running
from bot.local_api import InProcessBotAPI
from content.catalogue import load_catalogue
from content.i18n import translator
from content.own_words import OwnWords
from content.schema import Routine
from storage.models import AdverseEvent, PendingStep, Subscription, User
from tests.conftest import ADMIN_ID, make_settings
from tests.harness import Patient, card, only_text, texts
from tests.reminders_support import en_time
from tests.triage_tables import EMERGENCY, NEGATED, ORDINARY, RED_FLAGS, rate

EMERGENCY_START = "🚨 <b>Call 911 or go to the emergency department now.</b>"
SEE_DOCTOR_START = "🩺 <b>Please see a doctor soon.</b>"


@pytest.fixture
def media(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def api(media: Path) -> InProcessBotAPI:
    return InProcessBotAPI(media_dir=media)


@pytest.fixture
def admin(app, api: InProcessBotAPI) -> Patient:  # type: ignore[no-untyped-def]
    return Patient(app, api, user_id=ADMIN_ID)


def buttons(calls) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [b for call in calls for b in call.buttons]


# ---- 1. Red flags before anything else ----------------------------------------


async def test_red_flag_table_end_to_end_while_questions_wait(
    app, api: InProcessBotAPI, admin: Patient, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    """Each red flag typed plainly, as the answer to /remind, or in the /broadcast flow."""
    right = 0
    wrong = []
    for number, (text, level) in enumerate(RED_FLAGS):
        waiting = ("none", "remind", "broadcast")[number % 3]
        person = admin if waiting == "broadcast" else Patient(app, api, user_id=1000 + number)
        if waiting == "remind":
            await person.send("/remind")
        elif waiting == "broadcast":
            await person.send("/broadcast")
        reply = only_text(await person.send(text))
        expected = EMERGENCY_START if level == EMERGENCY else SEE_DOCTOR_START
        if reply.startswith(expected) and "/book" not in reply and "couldn't read" not in reply:
            right += 1
        else:
            wrong.append((waiting, text, reply[:80]))
        if waiting != "none":  # the question still waits: the red flag was not its answer
            async with app.bot_data.sessions() as session:
                pending = await session.get(PendingStep, person.user_id)
            assert pending is not None and pending.flow == waiting
            await person.send("/cancel")
    with capsys.disabled():
        print(f"\nend to end: red flags answered as red flags {rate(right, len(RED_FLAGS))}")
    assert not wrong, wrong


async def test_ordinary_table_end_to_end(
    app, api: InProcessBotAPI, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    alarms = []
    for number, text in enumerate(ORDINARY):
        person = Patient(app, api, user_id=2000 + number)
        if number % 2:
            await person.send("/remind")
        replies = texts(await person.send(text))
        if any(r.startswith(("🚨", "🩺")) for r in replies):
            alarms.append(text)
    with capsys.disabled():
        ok = len(ORDINARY) - len(alarms)
        print(f"\nend to end: ordinary messages without an alarm {rate(ok, len(ORDINARY))}")
    assert not alarms, alarms


@pytest.mark.parametrize("text", NEGATED)
async def test_a_denied_red_flag_gets_a_short_reminder(patient: Patient, text: str) -> None:
    replies = texts(await patient.send(text))
    assert replies[0].startswith("ℹ️") and "911" in replies[0]
    assert not any(r.startswith("🚨") for r in replies)


@pytest.mark.parametrize(
    "text",
    ["no tengo fiebre pero no puedo orinar", "se me doblan las piernas", "没有发烧，但是尿不出来"],
)
async def test_an_english_setting_patient_writing_spanish_or_chinese_is_caught(
    patient: Patient, text: str
) -> None:
    assert only_text(await patient.send(text)).startswith(EMERGENCY_START)


@pytest.mark.parametrize("text", ["¿dónde está BL23?", "委中穴在哪？", "没有发烧，也不麻"])
async def test_ordinary_spanish_or_chinese_gets_no_alarm(patient: Patient, text: str) -> None:
    assert not any(r.startswith(("🚨", "🩺")) for r in texts(await patient.send(text)))


async def test_the_emergency_number_is_a_setting(tmp_path: Path) -> None:
    api = InProcessBotAPI()
    settings = make_settings(tmp_path / "n.sqlite3", emergency_number="112")
    async with running(build_application(settings, request=api)) as app:
        patient = Patient(app, api)
        reply = only_text(await patient.send("lost control of my bladder"))
        assert reply.startswith("🚨 <b>Call 112") and "911" not in reply
        assert "call 112" in only_text(await patient.send("/safety")).lower()


async def test_red_flag_inside_a_command_argument(patient: Patient) -> None:
    assert only_text(await patient.send("/point my legs are both numb")).startswith(EMERGENCY_START)


async def test_safety_says_now_and_lists_stop_rules(patient: Patient) -> None:
    text = only_text(await patient.send("/safety"))
    first_line = text.splitlines()[0]
    assert "now" in first_line and "911" in first_line and "same day" not in text
    assert "Back pain with: " not in text and "• Over " not in text
    for words in ("sexual", "both legs", "chest pain", "infection", "steroids", "cough"):
        assert words in text
    for rule in ("Sharp, shooting", "New numbness", "more than a day", "Bruising", "faint"):
        assert rule in text
    assert "feels numb" in text.split("take extra care")[1] and "surgery" in text


async def test_start_and_safety_agree_on_now(patient: Patient) -> None:
    assert "emergency care now" in only_text(await patient.send("/start"))


async def test_severe_pain_red_flag_yes_gets_the_emergency_reply(patient: Patient) -> None:
    await patient.send("/start")  # /routine stores nobody; the check-in is kept for a user
    await patient.send("/routine")
    for _ in range(3):
        await patient.press("Next")
    await patient.press("Finish")
    noted, question = texts(await patient.press("9"))
    assert "9/10" in noted and "both legs" in question
    reply = only_text(await patient.press("Yes, one of these"))
    assert reply.startswith(EMERGENCY_START) and "/book" not in reply


async def test_severe_pain_asks_about_red_flags_even_when_nothing_is_stored(
    patient: Patient,
) -> None:
    await patient.send("/routine")  # never started: the score cannot be stored
    for _ in range(3):
        await patient.press("Next")
    await patient.press("Finish")
    not_stored, question = texts(await patient.press("9"))
    assert "can't store this" in not_stored and "both legs" in question
    reply = only_text(await patient.press("Yes, one of these"))
    assert reply.startswith(EMERGENCY_START) and "/book" not in reply


async def test_evidence_page(patient: Patient) -> None:
    text = only_text(await patient.send("/evidence"))
    for source in ("Qaseem", "NG59", "CD013814", "Murphy", "Hsieh"):
        assert source in text
    assert "three minutes per point" in text and "six weeks" in text
    assert "staying active" in text or "keeping active" in text
    assert "cure" in text and "cures" not in text


# ---- 2. Free text understood ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("kidney 3", "KI3"),
        ("bladder 40", "BL40"),
        ("KI 3", "KI3"),
        ("governing vessel 4", "GV4"),
        ("where is BL23", "BL23"),
        ("where is weizhong?", "BL40"),
    ],
)
async def test_point_names_give_the_card(patient: Patient, text: str, code: str) -> None:
    assert card(await patient.send(text)).startswith(f"<b>{code} · ")


async def test_every_symptom_and_region_gives_its_points_as_buttons(app, api) -> None:  # type: ignore[no-untyped-def]
    own_words: OwnWords = app.bot_data.own_words
    for number, symptom in enumerate(own_words.data.symptoms):
        for phrase in symptom.phrases:
            patient = Patient(app, api, user_id=3000 + number)
            calls = await patient.send(phrase)
            if phrase in {"my back", "stiff"}:
                continue  # checked in the patient's own sentences below
            text = only_text(calls)
            codes = [b["callback_data"] for b in buttons(calls)]
            assert codes == [f"pt:{code}" for code in symptom.points], (phrase, text)
            for why in symptom.points.values():
                assert why in unescape(text)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("what helps sciatica", "GB30"),
        ("what point helps sciatica", "GB30"),
        ("pain down my leg", "GB30"),
        ("my lower back hurts", "BL23"),
        ("my back is stiff today", "BL40"),
        ("stiff lower back", "BL40"),
        ("tired back", "BL23"),
        ("upper back", "EX-B2"),
        ("neck", "SI3"),
        ("hip", "GB30"),
        ("knee", "BL40"),
        ("sciatca", "GB30"),
    ],
)
async def test_symptoms_in_sentences(patient: Patient, text: str, first: str) -> None:
    calls = await patient.send(text)
    assert buttons(calls)[0]["callback_data"] == f"pt:{first}"
    assert "traditionally" in only_text(calls)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi", "Hello, Pat!"),
        ("hello", "Hello, Pat!"),
        ("thanks!", "You're welcome"),
        ("thank you so much", "You're welcome"),
        ("help", "What I can do"),
        ("menu", "What I can do"),
        ("stop", "reminder"),
        ("pause", "reminder"),
        ("book", "Book a visit"),
        ("appointment", "Book a visit"),
        ("I'd like to make an appointment", "Book a visit"),
        ("remind me", "What time should I remind you"),
        ("safety", "Stop and call 911"),
        ("does acupressure work", "What the research says"),
        ("routine", "Step 1 of"),
        ("points", "Tap a point"),
        ("can I do this while pregnant?", "talk to a practitioner"),
        ("LI4", "traditionally avoided"),
    ],
)
async def test_intents_give_the_commands_reply(patient: Patient, text: str, expected: str) -> None:
    replies = texts(await patient.send(text))
    assert any(expected in reply for reply in replies), replies


async def test_remind_me_at_730_pm_confirms_then_subscribes_at_1930(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    reply = only_text(await patient.send("remind me at 7:30 pm"))
    assert f"<b>{en_time('19:30')}</b>" in reply
    assert "You're subscribed" in only_text(await patient.press("Confirm"))
    async with app.bot_data.sessions() as session:
        sub = (await session.execute(select(Subscription))).scalar_one()
    assert sub.local_time == time(19, 30) and sub.user_id == 1


async def test_remind_me_at_8_asks_to_confirm_8(patient: Patient) -> None:
    assert f"<b>{en_time('08:00')}</b>" in only_text(await patient.send("remind me at 8"))


async def test_nothing_matched_offers_buttons(patient: Patient) -> None:
    calls = await patient.send("purple elephants dancing")
    labels = [b["text"] for b in buttons(calls)]
    assert any("Points" in label for label in labels)
    assert any("reminder" in label for label in labels)
    assert any("Safety" in label for label in labels)
    assert "What time" in only_text(await patient.press("Daily reminder"))


@pytest.mark.parametrize(
    ("text", "code"),
    [("riñón 3", "KI3"), ("vejiga 40", "BL40"), ("肾经3", "KI3"), ("委中在哪里？", "BL40")],
)
async def test_spanish_and_chinese_point_names_give_the_card(
    patient: Patient, text: str, code: str
) -> None:
    assert card(await patient.send(text)).startswith(f"<b>{code} · ")


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("me duele la espalda baja", "BL23"),
        ("tengo la espalda rígida", "BL40"),
        ("腰很痛", "BL23"),
        ("坐骨神经痛", "GB30"),
    ],
)
async def test_spanish_and_chinese_symptoms_give_the_points(
    patient: Patient, text: str, first: str
) -> None:
    assert buttons(await patient.send(text))[0]["callback_data"] == f"pt:{first}"


@pytest.mark.parametrize("text", ["recuérdame a las 8", "每天早上八点提醒我"])
async def test_spanish_and_chinese_reminders_at_8_ask_to_confirm_8(
    patient: Patient, text: str
) -> None:
    assert f"<b>{en_time('08:00')}</b>" in only_text(await patient.send(text))


@pytest.mark.parametrize("text", ["estoy embarazada", "我怀孕了"])
async def test_spanish_and_chinese_pregnancy_asks_to_confirm(patient: Patient, text: str) -> None:
    assert "Did I understand you are pregnant" in only_text(await patient.send(text))


@pytest.mark.parametrize(
    ("language", "title", "why"),
    [
        ("en", "Lower back pain", "One of our clinic's five key points"),
        ("es", "Dolor en la espalda baja", "Uno de los cinco puntos clave de nuestra clínica"),
        ("zh", "腰部疼痛", "本诊所五个重点穴位之一"),
    ],
)
async def test_a_symptom_is_shown_in_the_patients_language_whatever_it_was_typed_in(
    app, api, language: str, title: str, why: str
) -> None:  # type: ignore[no-untyped-def]
    patient = Patient(app, api, user_id=4100, language_code=language)
    for text in ("my lower back hurts", "me duele la espalda baja", "腰很痛"):
        reply = unescape(only_text(await patient.send(text)))
        assert f"<b>{title}</b>" in reply and why in reply, (text, reply)


# ---- 3. Pregnancy -------------------------------------------------------------------


async def routine_points(patient: Patient) -> list[str]:
    """The point codes of every step of the guided routine, walking through it."""
    shown = [t for t in texts(await patient.send("/routine")) if t.startswith("<b>Step")]
    total = int(shown[0].split(" of ")[1].split(" ")[0])
    for _ in range(total - 1):
        shown += [t for t in texts(await patient.press("Next")) if t.startswith("<b>Step")]
    return [t.split("(")[1].split(")")[0] for t in shown]


async def test_pregnancy_on_off_export_delete(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    catalogue = app.bot_data.catalogue
    assert "BL23" in await routine_points(patient)
    assert "Did I understand you are pregnant" in only_text(await patient.send("I'm pregnant"))
    assert "pregnancy is <b>on</b>" in only_text(await patient.press("Yes, I'm pregnant"))

    steps = await routine_points(patient)
    flagged = {p.code for p in catalogue.points if p.pregnancy_caution}
    assert steps and not set(steps) & flagged, steps
    note = texts(await patient.send("/routine"))[0]
    assert "left out BL23 and KI3" in note
    for point in catalogue.points:
        calls = await patient.send(f"/point {point.code}")
        caption = calls[0].text if calls[0].method == "sendPhoto" else ""
        if point.pregnancy_caution:
            assert caption.startswith("🤰 <b>Pregnancy"), point.code
        else:
            assert "🤰" not in card(calls), point.code

    calls = await patient.send("/export")
    [document] = [c for c in calls if c.method == "sendDocument"]
    assert json.loads(document.files["document"].read_bytes())["profile"]["pregnant"] is True

    assert "pregnancy is <b>off</b>" in only_text(await patient.send("/pregnancy off"))
    assert "BL23" in await routine_points(patient)
    assert not card(await patient.send("/point BL23")).startswith("🤰")

    await patient.send("/pregnancy on")
    await patient.send("/delete")
    await patient.press("Yes, delete everything")
    async with app.bot_data.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0
    assert "BL23" in await routine_points(patient)  # nothing remembered


async def test_pregnancy_command_shows_state_and_buttons(patient: Patient) -> None:
    calls = await patient.send("/pregnancy")
    assert "is off" in only_text(calls) and len(buttons(calls)) == 2
    assert "didn't understand" in only_text(await patient.send("/pregnancy maybe"))


@pytest.mark.parametrize("code", ["LI4", "SP6", "GB21", "BL67", "li-4", "sp 6"])
async def test_points_avoided_in_pregnancy_not_in_the_catalogue(
    patient: Patient, code: str
) -> None:
    text = only_text(await patient.send(f"/point {code}"))
    assert "traditionally avoided" in text and "not in our catalogue" not in text


async def test_all_flagged_routine_offers_safe_points(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    only_bl23 = Routine(
        id="lumbar",
        title="Lumbar only",
        description="Just the lower back press.",
        techniques=["bl23_lower_back_massage"],
        default=True,
    )
    api = InProcessBotAPI()
    app = build_application(
        make_settings(tmp_path / "r.sqlite3"),
        request=api,
        catalogue=replace(catalogue, routines=(only_bl23,)),
    )
    async with running(app):
        patient = Patient(app, api)
        await patient.send("/pregnancy on")
        calls = await patient.send("/routine")
        assert "ask your practitioner" in only_text(calls)
        codes = {b["callback_data"].removeprefix("pt:") for b in buttons(calls)}
        assert codes == {p.code for p in catalogue.points if not p.pregnancy_caution}


# ---- 4/5. The routine carries cautions, technique, stop rules, the sore button ------


async def test_every_step_shows_its_cautions_sides_and_pressure(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    catalogue = app.bot_data.catalogue
    calls = await patient.send("/routine")
    steps = catalogue.routine_steps(catalogue.default_routine.id)
    for number, technique in enumerate(steps, start=1):
        text = next(t for t in texts(calls) if t.startswith("<b>Step"))
        point = catalogue.point(technique.point)
        for caution in point.cautions:
            assert caution in unescape(text), (technique.id, caution)
        if technique.sides == "one_then_other":
            assert "other side" in text
        if technique.pressure == "firm":
            assert "firmly" in text and "gently" not in text.lower()
        assert "Press gently — mild pressure only" not in text
        calls = await patient.press("Next" if number < len(steps) else "Finish")
    finish = texts(calls)[0]
    assert "Stop pressing" in finish and "faint" in finish


async def test_too_sore_is_recorded_and_counted_for_staff(
    app, patient: Patient, admin: Patient
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/start")  # /routine stores nobody; the report is kept for a user
    await patient.send("/routine")
    for _ in range(3):
        await patient.press("Next")
    await patient.press("Finish")
    reply = only_text(await patient.press("Too sore"))
    assert "noted it" in reply and "Stop pressing" in reply
    async with app.bot_data.sessions() as session:
        event = (await session.execute(select(AdverseEvent))).scalar_one()
    assert event.user_id == 1 and event.recorded_at.tzinfo is not None
    stats = only_text(await admin.send("/stats"))
    assert "Too sore / bruised” after the routine: 1 in the last 30 days (1 in all)" in stats
    assert "sore_after_routine" in json.dumps(
        json.loads(
            next(c for c in await patient.send("/export") if c.method == "sendDocument")
            .files["document"]
            .read_bytes()
        )
    )


async def test_a_forged_sore_button_is_refused(patient: Patient) -> None:
    await patient.send("/start")
    calls = await patient.press_data("sore:nope")
    assert calls[0].method == "answerCallbackQuery" and calls[0].params.get("show_alert")


async def test_reminder_text_gives_the_real_length(app) -> None:  # type: ignore[no-untyped-def]
    from scheduler.reminder_message import reminder_text

    catalogue = app.bot_data.catalogue
    text = reminder_text(translator("en"), catalogue, "clinic", date(2027, 3, 1))
    seconds = sum(t.hold_seconds_max * t.rounds + 20 for t in catalogue.routine_steps("clinic"))
    assert f"about {round(seconds / 60)} minutes" in text and "Press gently" not in text


async def test_the_daily_reminder_leaves_out_pregnancy_points(app, api, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from tests.reminders_support import dispatch, subscribe_many

    await subscribe_many(app, [1, 2], at="08:00")
    pregnant, other = Patient(app, api, user_id=1), Patient(app, api, user_id=2)
    await pregnant.send("/pregnancy on")
    clock.set(datetime(2027, 3, 2, 14, 0, tzinfo=UTC) + timedelta(seconds=5))  # 08:00 Chicago
    assert (await dispatch(app)).sent == 2
    mine, theirs = pregnant.latest_message()["text"], other.latest_message()["text"]
    assert "BL23" not in mine.split("Left out")[0] and "Left out for pregnancy" in mine
    assert "BL23" in theirs and "Left out" not in theirs
    catalogue = app.bot_data.catalogue
    assert f"about {catalogue.routine_minutes('clinic', pregnant=True)} minutes" in mine
