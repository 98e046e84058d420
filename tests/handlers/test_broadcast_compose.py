"""Composing a broadcast: ◀ Back on every step, ✖ Cancel from any, ✏️ Edit one thing,
a send time confirmed in words, numbers only for confirmed broadcasts, and the
staff member never counted among the recipients."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.local_api import InProcessBotAPI
from content.i18n import translator
from scheduler import broadcast_message
from storage import users
from storage.broadcasts import BroadcastStatus
from storage.models import Broadcast, BroadcastRecipient, PendingStep
from tests.conftest import ADMIN_ID
from tests.harness import FakeClock, Patient, only_text, texts

ENGLISH = translator("en")

MONDAY_NOON = datetime(2027, 6, 7, 17, 0, tzinfo=UTC)  # 12:00 in Chicago


@pytest.fixture(autouse=True)
def _noon(clock: FakeClock) -> None:
    clock.set(MONDAY_NOON)


@pytest.fixture
def admin(app, api: InProcessBotAPI) -> Patient:  # type: ignore[no-untyped-def]
    return Patient(app, api, user_id=ADMIN_ID)


async def add_patients(app, ids) -> None:  # type: ignore[no-untyped-def]
    services = app.bot_data
    async with services.sessions.begin() as session:
        for user_id in ids:
            await users.record_user_seen(
                session=session, user_id=user_id, chat_id=user_id, language_code="en",
                now=services.now(),
            )  # fmt: skip


async def count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def to_preview(admin: Patient, text: str = "Evening hours from Monday") -> None:
    await admin.send("/broadcast")
    await admin.send(text)
    await admin.press("Book an appointment")
    await admin.press("Everyone")


async def test_every_step_has_back_and_cancel(app, admin: Patient, api: InProcessBotAPI) -> None:  # type: ignore[no-untyped-def]
    await admin.send("/broadcast")
    assert labels(admin.latest_message()) == ["✖ Cancel"]  # the first step: no going back
    await admin.send("Hello")
    assert "◀ Back" in labels(admin.latest_message()) and "✖ Cancel" in labels(
        admin.latest_message()
    )
    # Back from the button question returns to the message question.
    assert "Send me the message" in only_text(await admin.press("◀ Back"))
    await admin.send("Hello again")
    await admin.press("A custom button")
    assert "◀ Back" in labels(admin.latest_message())
    await admin.send("Book now")
    url_step = admin.latest_message()
    assert "web address" in url_step["text"] and "◀ Back" in labels(url_step)
    assert "button's label" in only_text(await admin.press("◀ Back"))
    await admin.send("Book now")
    await admin.send("https://clinic.example.com/now")
    assert "Who should get it" in admin.latest_message()["text"]
    assert "◀ Back" in labels(admin.latest_message())
    assert "Add a button" in only_text(await admin.press("◀ Back"))
    await admin.press("No button")
    await admin.press("Everyone")
    assert {"◀ Back", "✖ Cancel", "✏️ Edit"} <= set(labels(admin.latest_message()))
    await admin.press("Send later")
    assert "◀ Back" in labels(admin.latest_message())
    assert "It will go to" in only_text(await admin.press("◀ Back"))  # back at the preview


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 4, 5])
async def test_cancel_from_any_step_drops_the_draft_without_a_number(
    app, admin: Patient, api: InProcessBotAPI, steps: int
) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1])
    script = [
        ("send", "Hello"),
        ("press", "A custom button"),
        ("send", "Book now"),
        ("send", "https://clinic.example.com/now"),
        ("press", "Everyone"),
    ]
    await admin.send("/broadcast")
    for kind, value in script[:steps]:
        await (admin.send(value) if kind == "send" else admin.press(value))
    cancelled = await admin.press("✖ Cancel")
    assert only_text(cancelled) == "I stopped composing your broadcast. Nothing was sent."
    assert await count(app, Broadcast) == 0 and await count(app, PendingStep) == 0
    # The next broadcast is #1: dropped drafts take no number.
    await to_preview(admin)
    assert "Broadcast #1" in texts(await admin.press("Confirm"))[-1]


async def test_edit_changes_one_thing_and_returns_to_the_preview(
    app, admin: Patient, api: InProcessBotAPI
) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1, 2])
    await users_with_reminder(app, [1])
    await to_preview(admin)
    # The message.
    await admin.press("✏️ Edit")
    assert {"📝 Message", "🔘 Button", "👥 Audience", "🕐 Time", "◀ Back"} <= set(
        labels(admin.latest_message())
    )
    await admin.press("📝 Message")
    preview, control = texts(await admin.send("Evening hours from Tuesday"))
    assert preview == "Evening hours from Tuesday" and "It will go to <b>2 people</b>" in control
    # The button (the rest is kept).
    await admin.press("✏️ Edit")
    await admin.press("🔘 Button")
    preview_calls = await admin.press("No button")
    copy = next(c for c in preview_calls if c.method == "sendMessage")
    assert copy.text == "Evening hours from Tuesday" and copy.buttons == []
    # The audience.
    await admin.press("✏️ Edit")
    await admin.press("👥 Audience")
    control = texts(await admin.press("Reminder subscribers"))[-1]
    assert "It will go to <b>1 person</b> (reminder subscribers" in control
    # The time: confirmed in words in the preview, then scheduled.
    await admin.press("✏️ Edit")
    await admin.press("🕐 Time")
    words = only_text(await admin.send("friday 9am"))
    assert "It will go out <b>Friday 11 June 2027 at 09:00 (America/Chicago)</b>" in words
    # Back from the edit menu changes nothing.
    await admin.press("✏️ Edit")
    assert "It will go out <b>Friday 11 June" in only_text(await admin.press("◀ Back"))
    scheduled = texts(await admin.press("Confirm: schedule"))[-1]
    assert "scheduled" in scheduled and "Friday, June 11, 2027 at 09:00" in scheduled
    async with app.bot_data.sessions() as session:
        columns = (Broadcast.text, Broadcast.audience, Broadcast.status, Broadcast.button_url)
        row = (await session.execute(select(*columns))).one()
    assert row == ("Evening hours from Tuesday", "subscribers", BroadcastStatus.SCHEDULED, None)


async def users_with_reminder(app, ids) -> None:  # type: ignore[no-untyped-def]
    from tests.reminders_support import subscribe_many

    await subscribe_many(app, ids)


async def test_back_while_editing_returns_to_the_edit_menu(app, admin: Patient) -> None:  # type: ignore[no-untyped-def]
    await to_preview(admin)
    await admin.press("✏️ Edit")
    await admin.press("👥 Audience")
    assert "What would you like to change" in only_text(await admin.press("◀ Back"))
    await admin.press("📝 Message")
    assert "What would you like to change" in only_text(await admin.press("◀ Back"))


async def test_send_later_prompt_has_a_real_example_and_confirms_in_words(
    app, admin: Patient, api: InProcessBotAPI
) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1])
    await to_preview(admin)
    prompt = only_text(await admin.press("Send later"))
    assert "<code>tomorrow 9:00</code> (Tuesday 8 June at 09:00)" in prompt
    assert "<code>2027-06-08 09:00</code>" in prompt
    assert "America/Chicago" in prompt
    for bad, words in (("yesterday 9", "already passed"), ("2/30 9am", "doesn't exist")):
        reply = only_text(await admin.send(bad))
        assert reply.startswith("⚠️") and words in reply
    preview = only_text(await admin.send("in 2 hours"))
    assert "today, Monday 7 June 2027 at 14:00 (America/Chicago), in 2 h" in preview
    assert await count(app, Broadcast) == 0  # not before Confirm
    # "Send it now instead" clears the time again.
    await admin.press("Change time")
    assert "as soon as you confirm" in only_text(await admin.press("Send it now instead"))


async def test_a_time_that_passed_before_confirm_is_asked_again(
    app, admin: Patient, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    await to_preview(admin)
    await admin.press("Send later")
    await admin.send("in 20 minutes")
    clock.advance(minutes=25)  # still within FLOW_TIMEOUT, but past the chosen time
    reply = only_text(await admin.press("Confirm: schedule"))
    assert "has passed" in reply and await count(app, Broadcast) == 0


async def test_the_sender_is_not_a_recipient(app, admin: Patient, api: InProcessBotAPI) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1, 2, ADMIN_ID])
    await to_preview(admin)
    assert "It will go to <b>2 people</b>" in admin.latest_message()["text"]
    await admin.press("Confirm")
    await app.bot_data.sender.run()
    async with app.bot_data.sessions() as session:
        recipients = (await session.scalars(select(BroadcastRecipient.user_id))).all()
    assert sorted(recipients) == [1, 2]


def test_progress_never_says_about_zero_seconds_left() -> None:
    from storage.broadcasts import BroadcastRecord

    record = BroadcastRecord(
        id=3, admin_id=1, status="sending", text="x", entities=[], photo_file_id=None,
        button_label=None, button_url=None, audience="all", send_at=None, total=10,
        progress_chat_id=None, progress_message_id=None, progress_shown_at=None,
        created_at=MONDAY_NOON, confirmed_at=MONDAY_NOON, finished_at=None,
    )  # fmt: skip
    zone = ZoneInfo("America/Chicago")
    for eta in (0.0, 0.2, 0.49, 0.99):
        assert "left" not in broadcast_message.progress_text(
            ENGLISH, record, {}, zone, eta_seconds=eta
        )
    assert "About 5 s left" in broadcast_message.progress_text(
        ENGLISH, record, {}, zone, eta_seconds=5
    )


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "New evening hours from Monday! Book soon please",
            "New evening hours from Monday! Book soon…",
        ),
        ("Short one", "Short one"),
        ("Two\nlines of text", "Two lines of text"),
        ("x" * 50, "x" * 40 + "…"),
        (
            "We are closed on Friday, 12 December, for the holiday",
            "We are closed on Friday, 12 December…",
        ),
    ],
)
def test_broadcast_titles_cut_at_a_word(text: str, title: str) -> None:
    assert broadcast_message.title(text) == title


async def test_broadcasts_list_titles_end_at_a_word(app, admin: Patient) -> None:  # type: ignore[no-untyped-def]
    await to_preview(admin, "New evening hours from Monday! Book soon please, spaces are limited")
    await admin.press("Confirm")
    listing = only_text(await admin.send("/broadcasts"))
    assert "“New evening hours from Monday! Book soon…”" in listing


async def test_staff_see_their_commands_in_help(app, admin: Patient, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    staff_help = only_text(await admin.send("/help"))
    assert "Clinic staff" in staff_help
    for command in ("/broadcast", "/broadcasts", "/stats"):
        assert f"{command} — " in staff_help
    patient_help = only_text(await patient.send("/help"))
    assert "Clinic staff" not in patient_help and "/broadcast" not in patient_help


async def test_expired_draft_buttons_say_so(app, admin: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    await to_preview(admin)
    clock.advance(hours=1)
    calls = await admin.press("Confirm")
    [answer] = [c.params["text"] for c in calls if c.method == "answerCallbackQuery"]
    assert "no longer open" in answer and await count(app, Broadcast) == 0
