"""Private stays private: in a group the bot shares general content only.

A /start (or anything) in a group never changes where the bot writes to a
patient; personal commands and buttons are refused there with a pointer to
the private chat; bulk messages and replies about a patient's own data go
to their private chat only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.local_api import BotCall, InProcessBotAPI
from handlers.context import AcubotApp
from handlers.groups import PRIVATE_ONLY, PRIVATE_ONLY_ALERT
from storage.models import PendingStep, Subscription, User
from tests.conftest import ADMIN_ID
from tests.handlers.test_broadcasts import compose
from tests.harness import Patient, texts
from tests.reminders_support import en_time, subscribe_many

GROUP = {"id": -100_555, "type": "supergroup", "title": "Back care club"}


async def in_group(patient: Patient, text: str) -> list[BotCall]:
    """The patient types `text` in the group."""
    content: dict[str, Any] = {"text": text, "chat": GROUP}
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0])
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    before = len(patient.api.calls)
    await patient.app.process_update(patient.updates.message(**content))
    return patient.api.calls[before:]


async def press_in_group(patient: Patient, data: str) -> list[BotCall]:
    # Telegram sends the pressed message with its keyboard (handlers.flows reads
    # a press on a message without one as a second tap on an answered question).
    keyboard = {"inline_keyboard": [[{"text": "menu", "callback_data": data}]]}
    message = {"message_id": 7, "date": 0, "chat": GROUP, "text": "menu", "reply_markup": keyboard}
    before = len(patient.api.calls)
    await patient.app.process_update(patient.updates.press(message, data))
    return patient.api.calls[before:]


async def stored_chat_id(app: AcubotApp, user_id: int) -> int | None:
    async with app.bot_data.sessions() as session:
        return await session.scalar(select(User.chat_id).where(User.id == user_id))


async def test_a_group_start_does_not_move_the_patient(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    await patient.send("/start")
    calls = await in_group(patient, "/start")
    assert [c.chat_id for c in calls if c.method == "sendMessage"] == [GROUP["id"]]
    assert "message me privately" in texts(calls)[0]
    assert await stored_chat_id(app, 1) == 1
    # Someone who never wrote privately is not stored by a group /start either.
    stranger = Patient(app, api, user_id=2)
    await in_group(stranger, "/start@acubot_offline_bot")
    assert await stored_chat_id(app, 2) is None


async def test_personal_commands_in_a_group_ask_for_the_private_chat(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    await patient.send("/start")
    await subscribe_many(app, [1])
    admin = Patient(app, api, user_id=ADMIN_ID)
    personal = [
        "/progress",
        "/privacy",
        "/export",
        "/delete",
        "/remind",
        "/routine",
        "/settings",
        "/pause 3",
        "/resume",
        "/stop",
        "/cancel",
        "/stats",
    ]
    for command in personal:
        calls = await in_group(patient, command)
        sent = [c for c in calls if c.method in {"sendMessage", "sendPhoto", "sendDocument"}]
        assert [(c.chat_id, c.text) for c in sent] == [(GROUP["id"], PRIVATE_ONLY)], command
        assert sent[0].buttons[0]["url"] == "https://t.me/acubot_offline_bot"
    calls = await in_group(admin, "/broadcast")
    assert texts(calls) == [PRIVATE_ONLY]
    async with app.bot_data.sessions() as session:
        assert (await session.scalars(select(PendingStep))).all() == []
        subscription = await session.scalar(select(Subscription))
    assert subscription is not None and subscription.active and subscription.chat_id == 1
    assert api.sent(1)[-1].text.startswith("Hello, Pat")  # nothing more went to the private chat


async def test_general_content_is_shared_in_a_group(patient: Patient) -> None:
    for command, expected in [
        ("/point UB40", "BL40"),
        ("/safety", "emergency department now"),
        ("/points", "Acupressure points"),
        ("/meridian BL", "Bladder"),
        ("/help", "What I can do"),
        ("/book", "Book a visit"),
    ]:
        calls = await in_group(patient, command)
        assert any(expected in text for text in texts(calls)), command
        assert {c.chat_id for c in calls if c.chat_id is not None} == {GROUP["id"]}
    help_buttons = (await in_group(patient, "/help"))[-1].buttons
    assert all(b.get("callback_data") != "sub:begin" for b in help_buttons)


async def test_buttons_in_a_group(patient: Patient) -> None:
    calls = await press_in_group(patient, "menu:safety")
    assert any("emergency department now" in text for text in texts(calls))
    calls = await press_in_group(patient, "pt:BL40")
    assert any("BL40" in text for text in texts(calls))
    for data in ("sub:begin", "rem:done:1", "chk:pain:20270301:3", "del:yes", "rtn:clinic:0:show"):
        calls = await press_in_group(patient, data)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
        assert calls[0].params["text"] == PRIVATE_ONLY_ALERT


async def test_group_chatter_never_reaches_a_pending_flow(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    await patient.send("/remind")
    assert await in_group(patient, "7:30") == []  # not answered, not taken as the time
    assert await in_group(patient, "weizhong") == []
    assert await in_group(patient, "/start@some_other_bot") == []
    async with app.bot_data.sessions() as session:
        assert (await session.scalar(select(PendingStep))) is not None
    reply = texts(await patient.send("7:30"))
    assert any(en_time("07:30") in text for text in reply)


async def test_a_general_command_in_a_group_leaves_the_private_question_waiting(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    await patient.send("/remind")
    calls = await in_group(patient, "/point UB40")
    assert {c.chat_id for c in calls if c.chat_id is not None} == {GROUP["id"]}
    assert not any("I stopped" in text for text in texts(calls))  # the card only
    assert any("BL40" in text for text in texts(calls))
    reply = texts(await patient.send("7:30"))  # the private question still takes it
    assert any(en_time("07:30") in text for text in reply)


async def test_bulk_messages_go_to_the_private_chat_after_a_group_start(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    await patient.send("/start")
    await in_group(patient, "/start")
    await in_group(patient, "/point UB40")
    admin = Patient(app, api, user_id=ADMIN_ID)
    await admin.send("/start")
    await compose(admin)
    await admin.press("Send now")
    await app.bot_data.sender.run()
    broadcast = [c for c in api.sent() if c.text == "New evening hours from Monday!"]
    assert {c.chat_id for c in broadcast} == {1, ADMIN_ID}  # never the group
    progress = await patient.send("/progress")
    assert {c.chat_id for c in progress if c.method == "sendMessage"} == {1}
