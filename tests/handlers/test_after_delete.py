"""After /delete, nothing brings a person back but /start, finishing /remind or
saying they are pregnant (the flag is stored so cards and the routine carry the caution).

The walk sends every command the bot registers and presses every button of
every message it ever showed the person (old ones from before /delete too),
then checks that no user row appeared and that neither a broadcast nor a
reminder reaches them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from telegram.ext import CommandHandler

from bot.local_api import InProcessBotAPI
from storage.models import BroadcastRecipient, Delivery, Subscription, User
from tests.conftest import ADMIN_ID
from tests.harness import FakeClock, Patient
from tests.reminders_support import dispatch

MORNING = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)  # Tuesday 06:00 in Chicago
# Arguments a person would type after these commands.
ARGUMENTS = {"point": " ub40", "meridian": " BL", "pause": " 3"}
# Finishing /remind is consent to be messaged again: walked separately below.
# "Yes, I'm pregnant" asks the bot to remember it (safety first): it stores them.
CONSENT = {"sub:ok", "preg:1"}


async def rows(app, model, user_id: int = 1) -> int:  # type: ignore[no-untyped-def]
    column = model.id if model is User else model.user_id
    async with app.bot_data.sessions() as session:
        return int(
            await session.scalar(select(func.count()).select_from(model).where(column == user_id))
        )


def commands(app) -> list[str]:  # type: ignore[no-untyped-def]
    found = {
        command
        for group in app.handlers.values()
        for handler in group
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    # /start brings a person back by design; /delete and /cancel are harmless.
    return sorted(found - {"start"})


def callback_buttons(api: InProcessBotAPI, chat_id: int) -> list[tuple[dict[str, Any], str]]:
    found = []
    for (chat, _), message in list(api.messages.items()):
        if chat != chat_id:
            continue
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if "callback_data" in button:
                    found.append((message, button["callback_data"]))
    return found


async def everyone_broadcast(admin: Patient, text: str) -> None:
    await admin.send("/broadcast")
    await admin.send(text)
    await admin.press("No button")
    await admin.press("Everyone")
    await admin.press("Confirm")
    await admin.app.bot_data.sender.run()


# The reminder as it was first sent, per app (its buttons are pressed after /delete).
OLD_REMINDERS: dict[int, dict[str, Any]] = {}


async def deleted_patient(app, api: InProcessBotAPI, clock: FakeClock) -> Patient:  # type: ignore[no-untyped-def]
    """A patient with a reminder, a done day and a check-in, who then deletes it all."""
    clock.set(MORNING)
    me = Patient(app, api, user_id=1)
    await me.send("/start")
    await me.send("/remind")
    await me.press("8:00")
    await me.press("Confirm")
    clock.advance(hours=2)
    assert (await dispatch(app)).sent == 1
    # ✅ Done edits the reminder in place: keep a copy of it as first sent, buttons and all.
    OLD_REMINDERS[id(app)] = me.message_with_button("✅ Done")
    await me.press("✅ Done")
    await me.press("4")
    await me.send("/delete")
    await me.press("Yes, delete")
    assert await rows(app, User) == 0
    return me


async def test_no_command_or_button_brings_a_deleted_person_back(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    me = await deleted_patient(app, api, clock)
    admin = Patient(app, api, user_id=ADMIN_ID)
    await admin.send("/start")  # staff are users like anyone else
    walked: set[str] = set()
    for command in commands(app):
        await me.send(f"/{command}{ARGUMENTS.get(command, '')}")
        await me.send("weizhong")  # and free text after each
        assert await rows(app, User) == 0, f"/{command} stored the person again"
        walked.add(f"/{command}")
    reminder = OLD_REMINDERS.pop(id(app))
    old_copies = [
        (reminder, button["callback_data"])
        for row in reminder["reply_markup"]["inline_keyboard"]
        for button in row
        if "callback_data" in button
    ]
    for _ in range(10):  # buttons, and the buttons those buttons showed, to the end
        new = [
            (m, d) for m, d in [*old_copies, *callback_buttons(api, 1)] if d not in walked | CONSENT
        ]
        if not new:
            break
        for message, data in new:
            if data in walked:
                continue
            await me.press_data(data, message)
            walked.add(data)
            assert await rows(app, User) == 0, f"button {data} stored the person again"
    assert {"/routine", "/remind", "/settings", "/progress", "/export"} <= walked
    assert any(d.startswith("rtn:") for d in walked) and any(d.startswith("chk:") for d in walked)
    assert any(d.startswith("rem:") for d in walked)  # the old reminder's buttons

    # Nothing bulk reaches them: an everyone-broadcast and the next days' reminders.
    sent_before = len(api.sent(1))
    await everyone_broadcast(admin, "Closed on Friday")
    for _ in range(3):
        clock.advance(days=1)
        await dispatch(app)
    assert len(api.sent(1)) == sent_before
    assert await rows(app, BroadcastRecipient) == 0 and await rows(app, Delivery) == 0
    assert await rows(app, User) == 0 and await rows(app, Subscription) == 0


async def test_start_brings_them_back_and_broadcasts_reach_them_again(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    me = await deleted_patient(app, api, clock)
    admin = Patient(app, api, user_id=ADMIN_ID)
    await me.send("/routine")
    await everyone_broadcast(admin, "First")
    assert not any(c.text == "First" for c in api.sent(1))
    await me.send("/start")
    assert await rows(app, User) == 1
    await everyone_broadcast(admin, "Second")
    assert any(c.text == "Second" for c in api.sent(1))


async def test_finishing_remind_is_consent_and_brings_them_back(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    me = await deleted_patient(app, api, clock)
    await me.send("/remind")
    await me.press("7:00")
    assert await rows(app, User) == 0  # not before they confirm
    await me.press("Confirm")
    assert await rows(app, User) == 1 and await rows(app, Subscription) == 1
    clock.set(MORNING + timedelta(days=1, hours=1))  # Wednesday 07:00 in Chicago
    assert (await dispatch(app)).sent == 1


async def test_saying_they_are_pregnant_stores_the_flag_saying_not_stores_nobody(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    me = await deleted_patient(app, api, clock)
    await me.send("/pregnancy")
    await me.press("No, I'm not pregnant")
    assert await rows(app, User) == 0  # "off" is what the bot assumes of a stranger
    await me.send("/pregnancy")
    await me.press("✅ Yes, I'm pregnant")
    assert await rows(app, User) == 1
    async with app.bot_data.sessions() as session:
        assert await session.scalar(select(User.pregnant).where(User.id == 1)) is True
