"""Every command, and every button those commands show, in Spanish and in Chinese.

A patient (and a staff member) whose Telegram is in Spanish or Chinese walks
the whole command table, then presses each callback button of each reply
(one level deep); no text, caption or button label may carry an English
sentence. Codes, names, links and the clinic's own words are allowed.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.local_api import BotCall, InProcessBotAPI
from handlers.commands import COMMANDS
from handlers.context import AcubotApp
from tests.conftest import ADMIN_ID
from tests.harness import Patient
from tests.i18n_support import assert_in_language

SHOWN = {"sendMessage", "sendPhoto", "editMessageText", "editMessageCaption", "sendDocument"}
# Commands that change what later commands see are walked last, and /delete not at all
# beyond its question (its "delete" button would erase the walker's own data mid-walk).
LAST = ("stop", "delete", "broadcast")
ARGUMENTS = {"point": "UB40", "meridian": "BL", "pause": "7"}
# Words that are the clinic's or a person's own, or names that stay as they are.
ALLOWED = (
    "River Forest Health & Wellness",
    "Pat",
    # Sources are cited by their published titles.
    "A Manual of Acupuncture",
    "Annals of Internal Medicine",
    "Cochrane Database of Systematic Reviews",
    "American College of Physicians",
)


def _shown(calls: list[BotCall]) -> list[BotCall]:
    return [call for call in calls if call.method in SHOWN]


def _check(calls: list[BotCall], language: str, where: str) -> None:
    try:
        _check_calls(calls, language)
    except AssertionError as error:
        raise AssertionError(f"after {where}: {error}") from None


def _check_calls(calls: list[BotCall], language: str) -> None:
    for call in _shown(calls):
        text = call.params.get("text") or call.params.get("caption") or ""
        if text:
            assert_in_language(str(text), language, ALLOWED)
        for button in call.buttons:
            assert_in_language(button["text"], language, ALLOWED, words_needed=False)
    for call in calls:
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            assert_in_language(str(call.params["text"]), language, ALLOWED)


def _callback_buttons(
    api: InProcessBotAPI, chat_id: int, before: dict[Any, Any]
) -> list[tuple[dict[str, Any], str]]:
    """(message, callback data) for every callback button on messages sent or changed since."""
    found = []
    for key, message in api.messages.items():
        if key[0] != chat_id or before.get(key) is message:
            continue
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if button.get("callback_data"):
                    found.append((message, button["callback_data"]))
    return found


async def _walk(person: Patient, language: str, *, staff: bool) -> int:
    commands = [c for c in COMMANDS if staff or not c.staff]
    commands.sort(key=lambda c: c.name in LAST)
    pressed = 0
    for command in commands:
        text = f"/{command.name} {ARGUMENTS.get(command.name, '')}".strip()
        before = dict(person.api.messages)
        calls = await person.send(text)
        _check(calls, language, text)
        for message, data in _callback_buttons(person.api, person.user_id, before):
            if data.startswith(("priv:delete", "lang:")):
                continue  # erasing the walker, or leaving the language under test
            press = await person.press_data(data, message)
            _check(press, language, f"{text} → {data}")
            pressed += 1
        await person.send("/cancel")
    return pressed


@pytest.mark.parametrize("tag", ["es", "zh-CN"])
async def test_every_command_and_button_in_the_patients_language(
    app: AcubotApp, api: InProcessBotAPI, tag: str
) -> None:
    language = tag[:2]
    person = Patient(app, api, user_id=7, language_code=tag)
    await person.send("/start")
    pressed = await _walk(person, language, staff=False)
    assert pressed > 20


@pytest.mark.parametrize("tag", ["es", "zh-hans"])
async def test_every_staff_command_in_the_staff_members_language(
    app: AcubotApp, api: InProcessBotAPI, tag: str
) -> None:
    language = tag[:2]
    staff = Patient(app, api, user_id=ADMIN_ID, language_code=tag)
    await staff.send("/start")
    await _walk(staff, language, staff=True)
