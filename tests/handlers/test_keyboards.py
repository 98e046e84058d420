"""Every inline keyboard: each press is answered, and a one-shot question is answered once.

After a choice on a one-shot question (delete, confirm a broadcast, confirm a
reminder, a check-in) the message is edited, so its buttons are gone; a second
press (a double tap that raced the edit, or the same button on the edited
message) is answered as already done and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.local_api import BotCall, InProcessBotAPI
from storage.models import Broadcast, CheckIn, Subscription, User
from tests.conftest import ADMIN_ID
from tests.harness import FakeClock, Patient, only_text
from tests.reminders_support import dispatch

MORNING = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)  # Tuesday 06:00 in Chicago
ALREADY = "You already answered this one."


async def count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


def current(api: InProcessBotAPI, message: dict[str, Any]) -> dict[str, Any]:
    """The message as it is now (after the bot's edits), as Telegram sends it with a press."""
    return api.messages[(message["chat"]["id"], message["message_id"])]


def has_buttons(message: dict[str, Any]) -> bool:
    return any((message.get("reply_markup") or {}).get("inline_keyboard", []))


def answers(calls: list[BotCall]) -> list[str]:
    return [c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery"]


def data_of(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if label.casefold() in button["text"].casefold():
                return str(button["callback_data"])
    raise AssertionError(label)


async def test_delete_keep_then_yes_on_the_same_message_deletes_nothing(
    app, patient: Patient, api: InProcessBotAPI
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/start")
    await patient.send("/delete")
    question = patient.message_with_button("Yes, delete")
    yes = data_of(question, "Yes, delete")
    assert "Nothing was deleted" in only_text(await patient.press("Keep my data"))
    assert not has_buttons(current(api, question))  # the answer replaced the question
    calls = await patient.press_data(yes, current(api, question))
    assert answers(calls) == [ALREADY] and [c.method for c in calls] == ["answerCallbackQuery"]
    assert await count(app, User) == 1


async def test_reminder_confirm_is_done_once(app, patient: Patient, api: InProcessBotAPI) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("8:00")
    question = patient.message_with_button("Confirm")
    assert "You're subscribed" in only_text(await patient.press("Confirm"))
    assert not has_buttons(current(api, question))
    # The same button on the edited message, and a double tap that raced the edit.
    assert answers(await patient.press_data("sub:ok", current(api, question))) == [ALREADY]
    raced = answers(await patient.press_data("sub:ok", question))
    assert len(raced) == 1 and raced[0].startswith("Already done")
    assert await count(app, Subscription) == 1


async def test_broadcast_confirm_is_done_once(app, api: InProcessBotAPI) -> None:  # type: ignore[no-untyped-def]
    admin = Patient(app, api, user_id=ADMIN_ID)
    await admin.send("/broadcast")
    await admin.send("Closed on Friday")
    await admin.press("No button")
    await admin.press("Everyone")
    control = admin.message_with_button("Confirm")
    send = data_of(control, "Confirm")
    await admin.press("Confirm")
    # The control message became the progress report: no Confirm on it any more.
    assert "Broadcast #1" in current(api, control)["text"]
    assert "Confirm" not in str(current(api, control)["reply_markup"])
    raced = answers(await admin.press_data(send, control))
    assert len(raced) == 1 and ("already" in raced[0] or "no longer open" in raced[0])
    assert await count(app, Broadcast) == 1


async def test_every_keyboard_answers_every_press_twice(
    app,
    api: InProcessBotAPI,
    clock: FakeClock,
    handler_errors: list[logging.LogRecord],
) -> None:  # type: ignore[no-untyped-def]
    clock.set(MORNING)
    me = Patient(app, api, user_id=1)
    admin = Patient(app, api, user_id=ADMIN_ID)
    # Show every kind of keyboard: menu, points, meridians, reminder flow,
    # settings, a reminder, a check-in, the routine, delete, a broadcast.
    for text in ("/start", "/help", "/points", "/point ub40", "/meridian BL", "/privacy"):
        await me.send(text)
    await me.send("/remind")
    await me.press("Change time zone")
    await me.send("/remind")
    await me.press("8:00")
    await me.press("Confirm")
    await me.send("/settings")
    clock.advance(hours=2)
    assert (await dispatch(app)).sent == 1
    await me.send("/routine")
    for text in ("Sending", "Draft"):  # one confirmed (its progress report), one draft
        await admin.send("/broadcast")
        await admin.send(text)
        await admin.press("No button")
        await admin.press("Everyone")
        if text == "Sending":
            await admin.press("Confirm")
    pressed: set[tuple[int, str]] = set()
    for _ in range(3):
        keyboards = [
            (message, button["callback_data"])
            for (chat, _), message in list(api.messages.items())
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button and chat in {1, ADMIN_ID}
        ]
        for message, data in keyboards:
            chat = message["chat"]["id"]
            if (chat, data) in pressed or data in {"priv:delete"}:
                continue
            pressed.add((chat, data))
            presser = me if chat == 1 else admin
            for snapshot in (message, current(api, message)):
                calls = await presser.press_data(data, snapshot)
                assert answers(calls) or any(c.method.startswith("send") for c in calls), data
    prefixes = {data.split(":", 1)[0] for _, data in pressed}
    assert {"menu", "pt", "mer", "sub", "set", "rem", "chk", "rtn", "bcx", "bc"} <= prefixes
    assert handler_errors == []
    # The one-shot questions among them were acted on once.
    assert await count(app, Subscription) == 1 and await count(app, CheckIn) <= 1
    assert await count(app, Broadcast) <= 2
