"""Issue 13: a Spanish and a Chinese patient get every reply, caption and button in their language.

Each test drives the real Application as a patient whose Telegram app is in
Spanish ("es") or Chinese ("zh-CN") and checks every text, caption, button
label and button answer with `assert_in_language`: the bot's own words, the
content (cards, meridians, safety, evidence, own-words symptoms) and a red
flag's plain words. Only the titles of published sources stay as written.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from html import unescape

import pytest
from sqlalchemy import select

from bot.local_api import BotCall, InProcessBotAPI
from content.i18n import translator
from content.languages import NATIVE_NAMES
from handlers.context import AcubotApp, AcubotContext
from handlers.errors import APOLOGY, on_error
from handlers.reply import FLOOD_NOTE, flood_notice
from scheduler import callback_data as cb
from storage.models import User
from tests.handlers.test_groups import in_group, press_in_group
from tests.harness import Patient, card, only_text, texts
from tests.i18n_support import CJK, assert_in_language, english_words

# (Telegram's language_code, the language the bot speaks)
PATIENTS = [pytest.param("es", "es", id="es"), pytest.param("zh-CN", "zh", id="zh")]
# Titles of books, journals and bodies are names: the sources stay findable as published.
TITLES = [
    "A Manual of Acupuncture",
    "Annals of Internal Medicine",
    "Cochrane Database of Systematic Reviews",
    "American College of Physicians",
]
EMERGENCY_WORDS = {"es": "urgencias", "zh": "急诊"}


def untranslated(app: AcubotApp, language: str) -> list[str]:
    """What may stay as written in any language: the titles of the sources."""
    return list(TITLES)


def check(calls: Iterable[BotCall], language: str, allowed: list[str]) -> int:
    """Every text, caption, button label and button answer of these calls; how many."""
    checked = 0
    for call in calls:
        shown = [call.text] if call.text else []  # a message, a caption or a button's answer
        shown += [button["text"] for button in call.buttons]
        for text in shown:
            _assert_in_language(unescape(text), language, allowed)
            checked += 1
    return checked


def _assert_in_language(text: str, language: str, allowed: list[str]) -> None:
    if language == "zh" and not CJK.search(text) and any(phrase in text for phrase in allowed):
        # Only content still in English ("BL23 Shènshū · Kidney Shu"): no English sentence.
        assert not english_words(text, allowed), text
        return
    assert_in_language(text, language, allowed)


async def stored_language(app: AcubotApp, user_id: int) -> str | None:
    async with app.bot_data.sessions() as session:
        return await session.scalar(select(User.language).where(User.id == user_id))


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_start_and_help(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=11, language_code=tag)
    allowed = untranslated(app, language)
    start = await patient.send("/start")
    assert "River Forest Health &amp; Wellness" in only_text(start)
    assert app.bot_data.catalogues[language].safety.short_notice[:20] in only_text(start)
    assert check(start, language, allowed) >= 5  # the text and the menu's buttons
    help_ = await patient.send("/help")
    assert "/point" in only_text(help_) and "/language" in only_text(help_)
    check(help_, language, allowed)
    # The menu's buttons answer in the language too.
    labels = {"es": ("Puntos", "Meridianos"), "zh": ("穴位", "经络")}[language]
    for label in labels:
        check(await patient.press(label), language, allowed)


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_point_card_and_the_points_menu(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=12, language_code=tag)
    allowed = untranslated(app, language)
    calls = await patient.send("/point UB40")
    whole = card(calls)
    assert "BL40" in whole and "委中" in whole  # codes and hanzi stay
    assert check(calls, language, allowed) >= 5  # caption, text, three buttons
    where = {"es": "Dónde encontrarlo", "zh": "位置"}[language]
    assert where in whole
    menu = await patient.send("/points")
    assert check(menu, language, allowed) > 10
    pressed = await patient.press("BL23")
    assert "BL23" in card(pressed)
    check(pressed, language, allowed)
    # A name the catalogue does not have: the suggestions, in the language.
    check(await patient.send("/point weizong"), language, allowed)
    check(await patient.send("/point LI4"), language, allowed)  # avoided in pregnancy


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_meridians(app: AcubotApp, api: InProcessBotAPI, tag: str, language: str) -> None:
    patient = Patient(app, api, user_id=13, language_code=tag)
    allowed = untranslated(app, language)
    calls = await patient.send("/meridian BL")
    shown = card(calls)
    bladder = app.bot_data.catalogues[language].meridian("BL")
    assert bladder is not None and bladder.name in shown
    # The count, written by the locale ("67" in both; no English "points in all").
    assert tr_number(language, bladder.point_count) in shown
    check(calls, language, allowed)
    for command in ("/meridian", "/meridian SI", "/meridian EX", "/meridian nonsense"):
        check(await patient.send(command), language, allowed)


def tr_number(language: str, value: int) -> str:
    return translator(language).number(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_safety_evidence_pregnancy_and_booking(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=14, language_code=tag)
    allowed = untranslated(app, language)
    safety = await patient.send("/safety")
    assert "911" in only_text(safety) and EMERGENCY_WORDS[language] in only_text(safety)
    check(safety, language, allowed)
    evidence = await patient.send("/evidence")
    assert app.bot_data.catalogues[language].safety.evidence_summary[:15] in only_text(evidence)
    check(evidence, language, allowed)
    check(await patient.send("/book"), language, allowed)
    pregnancy = await patient.send("/pregnancy")
    assert len(pregnancy[-1].buttons) == 2
    check(pregnancy, language, allowed)
    check(await patient.press("✅"), language, allowed)  # yes: the flag is on
    card_calls = await patient.send("/point BL23")  # flagged: the caution leads the card
    assert card(card_calls).startswith("🤰")
    check(card_calls, language, allowed)
    check(await patient.send("/pregnancy maybe"), language, allowed)
    check(await patient.send("/pregnancy off"), language, allowed)


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_privacy_language_switch_and_export(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=15, language_code=tag)
    allowed = untranslated(app, language)
    await patient.send("/start")
    privacy = await patient.send("/privacy")
    assert "/language" in only_text(privacy)  # the chosen language is stored, and says so
    check(privacy, language, allowed)
    # Switch to English: stored, and the confirmation is already in English.
    choose = await patient.send("/language")
    check(choose, language, [*allowed, *NATIVE_NAMES.values()])  # each language in its own words
    english = only_text(await patient.press("English"))
    assert "in English from now on" in english
    assert await stored_language(app, 15) == "en"
    assert "What I can do" in only_text(await patient.send("/help"))
    # And back: the confirmation in the new language.
    native = {"es": "Español", "zh": "简体中文"}[language]
    back = await patient.press(native, await patient.send("/language"))
    assert_in_language(only_text(back), language)
    assert {"es": "español", "zh": "简体中文"}[language] in only_text(back)
    assert await stored_language(app, 15) == language
    check(await patient.send("/help"), language, allowed)
    export = await patient.send("/export")
    [document] = [c for c in export if c.method == "sendDocument"]
    data = json.loads(document.contents["document"])
    assert data["profile"]["language"] == language and data["profile"]["language_code"] == tag
    check(export, language, allowed)
    check(await patient.send("/delete"), language, allowed)
    check(await patient.press("🗑"), language, allowed)


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_unknown_command_stale_button_and_other_messages(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=16, language_code=tag)
    allowed = untranslated(app, language)
    unknown = await patient.send("/frobnicate")
    assert "/frobnicate" in only_text(unknown)
    check(unknown, language, allowed)
    # A button from an older version of the bot: the alert says so.
    keyboard = {"inline_keyboard": [[{"text": "old", "callback_data": "zz:1"}]]}
    old = {"message_id": 1, "date": 0, "chat": {"id": 16, "type": "private"}, "text": "old"}
    stale = await patient.press_data("zz:1", {**old, "reply_markup": keyboard})
    assert [c.method for c in stale] == ["answerCallbackQuery"]
    assert check(stale, language, allowed) == 1
    sticker = {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1}
    sticker |= {"is_animated": False, "is_video": False, "type": "regular"}
    check(await patient.send_message(sticker=sticker), language, allowed)
    check(await patient.send("/cancel"), language, allowed)


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_a_red_flag_typed_in_english_is_answered_in_the_patients_language(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=17, language_code=tag)
    allowed = untranslated(app, language)
    reply = await patient.send("I lost control of my bladder")
    text = only_text(reply)
    assert "<b>911</b>" in text and EMERGENCY_WORDS[language] in text
    check(reply, language, allowed)
    # A command's argument is screened too.
    assert "911" in only_text(await patient.send("/point my legs are both numb"))


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_own_words_replies(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=18, language_code=tag)
    allowed = untranslated(app, language)
    for text in ("thank you", "purple elephants dancing", "sciatica", "I'm pregnant"):
        calls = await patient.send(text)
        assert texts(calls), text
        check(calls, language, allowed)
    check(await patient.send("weizhong"), language, allowed)  # a point's name: its card


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_groups_answer_in_the_senders_language(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=19, language_code=tag)
    allowed = untranslated(app, language)
    check(await in_group(patient, "/start"), language, allowed)
    check(await in_group(patient, "/remind"), language, allowed)  # personal: in private
    personal = cb.encode(cb.SubscribeButton("begin"))
    assert check(await press_in_group(patient, personal), language, allowed) == 1


@pytest.mark.parametrize(
    ("tag", "language"),
    [("zh-TW", "zh"), ("zh-hant", "zh"), ("zh-Hans", "zh"), ("es-MX", "es"), ("fr", "en")],
)
async def test_telegram_tags_choose_the_language(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=20, language_code=tag)
    text = only_text(await patient.send("/start"))
    if language == "en":
        assert text.startswith("Hello, Pat!")
        return
    assert_in_language(text, language)
    assert text.startswith({"es": "¡Hola, Pat!", "zh": "您好，Pat！"}[language])


async def test_two_patients_at_the_same_moment_each_get_their_language(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    spanish = Patient(app, api, user_id=31, language_code="es")
    chinese = Patient(app, api, user_id=32, language_code="zh-CN")
    for _ in range(3):
        await asyncio.gather(
            app.process_update(spanish.updates.text("/point UB40")),
            app.process_update(chinese.updates.text("/point UB40")),
            app.process_update(spanish.updates.text("/help")),
            app.process_update(chinese.updates.text("/help")),
        )
    by_chat: dict[int, list[BotCall]] = {31: [], 32: []}
    for call in api.calls:
        if call.chat_id in by_chat:
            by_chat[call.chat_id].append(call)
    assert check(by_chat[31], "es", untranslated(app, "es")) >= 18
    assert check(by_chat[32], "zh", untranslated(app, "zh")) >= 18
    spanish_text = "\n".join(c.text for c in by_chat[31])
    chinese_text = "\n".join(c.text for c in by_chat[32])
    assert "Dónde encontrarlo" in spanish_text and "位置" not in spanish_text
    assert "位置" in chinese_text and "Dónde" not in chinese_text


def test_counts_are_written_by_each_locale() -> None:
    """A meridian's point count: the plural form and the number as each locale writes them."""
    es, zh = translator("es"), translator("zh")
    one = "It has {n} point in all, along the course the picture shows."
    many = "It has {n} points in all, along the course the picture shows."
    assert es.n_(one, many, 1).startswith("Tiene 1 punto en total")
    assert es.n_(one, many, 1234).startswith("Tiene 1.234 puntos en total")
    assert zh.n_(one, many, 1234) == "这条经共有1,234个穴位，分布在图中所示的循行路线上。"
    assert translator("en").n_(one, many, 1234).startswith("It has 1,234 points")


@pytest.mark.parametrize(("tag", "language"), PATIENTS)
async def test_the_apology_and_the_flood_note_are_in_the_patients_language(
    app: AcubotApp, api: InProcessBotAPI, tag: str, language: str
) -> None:
    patient = Patient(app, api, user_id=21, language_code=tag)
    allowed = untranslated(app, language)
    update = patient.updates.text("/progress")
    before = len(api.calls)
    context = AcubotContext.from_error(update, RuntimeError("boom"), app)
    await on_error(update, context)
    [apology] = api.calls[before:]
    assert apology.text == translator(language)._(APOLOGY) != APOLOGY  # type: ignore[arg-type]
    check([apology], language, allowed)
    # The flood note runs before any handler: Telegram's tag, or the /language choice.
    before = len(api.calls)
    await flood_notice(update, True, False, languages=app.bot_data.languages)
    [note] = api.calls[before:]
    check([note], language, allowed)
    app.bot_data.languages.remember(21, "en", app.bot_data.now())
    before = len(api.calls)
    await flood_notice(update, True, False, languages=app.bot_data.languages)
    assert [c.text for c in api.calls[before:]] == [FLOOD_NOTE]
