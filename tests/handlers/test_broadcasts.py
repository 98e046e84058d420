"""Clinic broadcasts end to end: compose, authorise, deliver once, report, cancel."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.application import running
from bot.local_api import BotCall, InProcessBotAPI
from bot.settings import Settings
from storage import users
from storage.models import Broadcast, BroadcastRecipient, User
from tests.conftest import ADMIN_ID, RecordingSleep, make_app
from tests.harness import FakeClock, Patient, card, only_text, texts
from tests.reminders_support import subscribe_many

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
                session=session,
                user_id=user_id,
                chat_id=user_id,
                language_code="en",
                now=services.now(),
            )


def patient_sends(api: InProcessBotAPI, ids, text: str | None = None) -> list[BotCall]:  # type: ignore[no-untyped-def]
    """Messages sent to these chats (only those with `text`, if given)."""
    wanted = set(ids)
    return [c for c in api.sent() if c.chat_id in wanted and (text is None or c.text == text)]


DEFAULT_TEXT = "New evening hours from Monday!"


async def compose(
    admin: Patient,
    text: str = DEFAULT_TEXT,
    button: str = "Book an appointment",
    audience: str = "Everyone",
) -> None:
    await admin.send("/broadcast")
    await admin.send(text)
    await admin.press(button)
    await admin.press(audience)


async def send_all(app) -> None:  # type: ignore[no-untyped-def]
    await app.bot_data.sender.run()


async def test_compose_preview_confirm_deliver_report(
    app, api: InProcessBotAPI, admin: Patient
) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, range(1, 6))
    await admin.send("/start")
    first = await admin.send("/broadcast")
    assert "Send me the message" in only_text(first)
    await admin.send_message(
        text="Evening hours start Monday. Book soon!",
        entities=[{"type": "bold", "offset": 0, "length": 13}],
    )
    assert "Add a button" in api.sent(ADMIN_ID)[-1].text
    audience_calls = await admin.press("Book an appointment")
    audience_text = only_text(audience_calls)
    assert "Everyone who started the bot (5)" in str(
        audience_calls[-1].buttons
    )  # 5 patients; the admin is not a recipient of their own broadcast
    assert "Who should get it" in audience_text
    preview_calls = await admin.press("Everyone")
    preview, control = [c for c in preview_calls if c.method == "sendMessage"]
    assert preview.params["text"] == "Evening hours start Monday. Book soon!"
    assert preview.params["entities"] == [{"type": "bold", "offset": 0, "length": 13}]
    assert preview.buttons == [
        {"text": "Book an appointment", "url": "https://clinic.example.com/book"}
    ]
    assert "It will go to <b>5 people</b>" in control.text
    assert patient_sends(api, range(1, 6)) == []  # nothing before Confirm

    progress = texts(await admin.press("Confirm"))[-1]
    assert "Broadcast #1" in progress and "Sent: <b>0 of 5</b>" in progress
    await send_all(app)
    delivered = patient_sends(api, range(1, 6))
    assert sorted(c.chat_id for c in delivered) == [1, 2, 3, 4, 5]
    for call in delivered:  # exactly as previewed
        assert call.params["text"] == preview.params["text"]
        assert call.params["entities"] == preview.params["entities"]
        assert call.buttons == preview.buttons
    final = api.calls_to("editMessageText", ADMIN_ID)[-1]
    assert "finished" in final.text and "Sent: <b>5 of 5</b>" in final.text
    listing = only_text(await admin.send("/broadcasts"))
    assert "#1 · done · 5/5 sent" in listing


async def test_photo_with_caption_and_custom_button(
    app, api: InProcessBotAPI, admin: Patient
) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1])
    await admin.send("/broadcast")
    await admin.send_message(
        photo=[{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
               {"file_id": "big-photo", "file_unique_id": "b", "width": 1280, "height": 960}],
        caption="Our new treatment room",
    )  # fmt: skip
    await admin.press("custom button")
    await admin.send("Read more")
    for bad in (
        "http://clinic.example.com",
        "not a url",
        "javascript:alert(1)",
        "https://",
        "https://" + "a" * 600 + ".com",
    ):
        assert "https://" in only_text(await admin.send(bad))
    await admin.send("https://clinic.example.com/news")
    await admin.press("Everyone")
    await admin.press("Confirm")
    await send_all(app)
    [photo] = [c for c in api.calls_to("sendPhoto", 1)]
    assert (
        photo.params["photo"] == "big-photo" and photo.params["caption"] == "Our new treatment room"
    )
    assert photo.buttons == [{"text": "Read more", "url": "https://clinic.example.com/news"}]


async def test_audiences(app, api: InProcessBotAPI, admin: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1, 2, 3])
    await subscribe_many(app, [1, 2])
    await compose(admin, button="No button", audience="Reminder subscribers")
    await admin.press("Confirm")
    await send_all(app)
    assert sorted(c.chat_id for c in patient_sends(api, [1, 2, 3])) == [1, 2]
    await compose(
        admin, text="For those without reminders", button="No button", audience="without reminders"
    )
    await admin.press("Confirm")
    await send_all(app)
    async with app.bot_data.sessions() as session:
        second = await session.scalars(
            select(BroadcastRecipient.user_id).where(BroadcastRecipient.broadcast_id == 2)
        )
        assert sorted(second.all()) == [3]  # never the admin: not a recipient of their own
    assert [c.chat_id for c in patient_sends(api, [3])][-1] == 3


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({"text": "   "}, "empty"),
        ({"text": "x" * 4097}, "4,096"),
        (
            {
                "photo": [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}],
                "caption": "c" * 1025,
            },
            "1,024",
        ),
        (
            {
                "sticker": {
                    "file_id": "st",
                    "file_unique_id": "st",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            },
            "Stickers",
        ),
        ({"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}, "voice"),
    ],
)
async def test_bad_messages_are_refused_and_nothing_is_sent(
    app,
    api: InProcessBotAPI,
    admin: Patient,
    content: dict,
    words: str,
    handler_errors: list[logging.LogRecord],  # type: ignore[no-untyped-def]
) -> None:
    await add_patients(app, [1])
    await admin.send("/broadcast")
    text = only_text(await admin.send_message(**content))
    assert words in text and "Send me the message" in text
    assert handler_errors == []
    await send_all(app)
    assert patient_sends(api, [1]) == []


async def test_second_broadcast_while_composing(app, admin: Patient) -> None:  # type: ignore[no-untyped-def]
    await admin.send("/broadcast")
    await admin.send("A draft to drop")
    stopped, fresh = texts(await admin.send("/broadcast"))
    assert stopped == "I stopped composing your broadcast. Nothing was sent."
    assert "New broadcast" in fresh
    assert "composing your broadcast" in only_text(await admin.send("/cancel"))
    # Dropped drafts take no number: the first confirmed broadcast is #1.
    await compose(admin)
    assert "Broadcast #1" in texts(await admin.press("Confirm"))[-1]


async def test_non_admins_are_refused_everything(
    app,
    api: InProcessBotAPI,
    admin: Patient,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    await add_patients(app, [1, 2])
    await compose(admin)
    patient = Patient(app, api, user_id=1)
    await patient.send("/start")
    caplog.set_level(logging.WARNING, logger="handlers.admin")
    for command in ("/broadcast", "/broadcasts", "/stats"):
        assert "only for clinic staff" in only_text(await patient.send(command))
    admin_message = admin.message_with_button("Confirm")
    for forged in ("bcx:send", "bcx:aud:all", "bcx:cancel", "bc:cancel:1", "bcx:btn:none"):
        calls = await patient.press_data(forged, admin_message)
        assert [c.method for c in calls] == ["answerCallbackQuery"]
        assert calls[0].params["text"] == "Sorry, that is only for clinic staff."
    async with app.bot_data.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert await session.scalar(select(func.count()).select_from(BroadcastRecipient)) == 0
    refusals = [r.getMessage() for r in caplog.records if "Refused" in r.getMessage()]
    assert len(refusals) == 8 and all("user 1" in r for r in refusals)
    # The admin's draft is untouched and still works.
    await admin.press("Confirm")
    await send_all(app)
    assert sorted(c.chat_id for c in patient_sends(api, [1, 2], DEFAULT_TEXT)) == [1, 2]


async def test_double_tapped_confirm_makes_one_broadcast(
    app, api: InProcessBotAPI, admin: Patient
) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1, 2])
    await compose(admin)
    confirm_message = admin.message_with_button("Confirm")
    await admin.press("Confirm")
    second = await admin.press_data("bcx:send", confirm_message)
    assert any("no longer open" in (c.params.get("text") or "") for c in second)
    await send_all(app)
    await send_all(app)
    assert sorted(c.chat_id for c in patient_sends(api, [1, 2])) == [1, 2]
    async with app.bot_data.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 1


async def test_restart_in_the_middle_delivers_everyone_exactly_once(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    clock.set(MONDAY_NOON)
    recipients = range(1, 501)
    first_api = InProcessBotAPI()
    async with running(make_app(settings, first_api, clock, sleep)) as first:
        await add_patients(first, recipients)
        await compose(Patient(first, first_api, user_id=ADMIN_ID))
        await Patient(first, first_api, user_id=ADMIN_ID).press("Confirm")

        def stop_after_137(call: BotCall, _result: object) -> None:
            if call.method == "sendMessage" and len(patient_sends(first_api, recipients)) == 137:
                first.bot_data.sender.request_stop()  # the bot is shutting down

        first_api.listeners.append(stop_after_137)
        await send_all(first)
        sent_before = len(patient_sends(first_api, recipients))
        assert 137 <= sent_before < 500
    second_api = InProcessBotAPI()
    async with running(make_app(settings, second_api, clock, sleep)) as second:
        await send_all(second)
        everyone = patient_sends(first_api, recipients) + patient_sends(second_api, recipients)
        assert sorted(c.chat_id for c in everyone) == list(recipients)
        final = second_api.calls_to("editMessageText", ADMIN_ID)[-1].text
        assert (
            "finished" in final and "Sent: <b>500 of 500</b>" in final
        )  # 500 patients and the admin


async def test_blocked_retry_after_and_bad_requests(
    app, api: InProcessBotAPI, admin: Patient, sleep: RecordingSleep
) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, range(1, 11))
    api.block(3)
    api.block(4)
    api.fail(
        429, "Too Many Requests: retry after 7", method="sendMessage", chat_id=5, retry_after=7
    )
    api.fail(400, "Bad Request: chat not found", chat_id=6, times=None)
    await compose(admin)
    await admin.press("Confirm")
    await send_all(app)
    got = sorted(
        {c.chat_id for c in patient_sends(api, range(1, 11)) if c.chat_id not in (3, 4, 6)}
    )
    assert got == [1, 2, 5, 7, 8, 9, 10]
    assert 7 in sleep.waits
    final = api.calls_to("editMessageText", ADMIN_ID)[-1].text
    assert "Sent: <b>7 of 10</b>" in final  # 7 patients and the admin
    assert "Blocked the bot (skipped): 2" in final and "Failed: 1" in final
    async with app.bot_data.sessions() as session:
        blocked = set((await session.scalars(select(User.id).where(User.blocked))).all())
    assert blocked == {3, 4}
    # The next broadcast does not even try the blocked ones.
    api.rules.clear()
    await compose(admin, text="Second")
    await admin.press("Confirm")
    await send_all(app)
    assert {c.chat_id for c in api.sent() if c.text == "Second"} == {
        1,
        2,
        5,
        6,
        7,
        8,
        9,
        10,
        ADMIN_ID,
    }


async def test_someone_who_blocks_after_confirm_is_skipped(
    app, api: InProcessBotAPI, admin: Patient
) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1, 2])
    await compose(admin)
    await admin.press("Confirm")
    async with app.bot_data.sessions.begin() as session:
        await session.execute(update(User).where(User.id == 2).values(blocked=True))
    await send_all(app)
    assert [c.chat_id for c in patient_sends(api, [1, 2])] == [1]


async def test_cancel_in_flight_sends_nothing_after_it(
    app, api: InProcessBotAPI, admin: Patient
) -> None:  # type: ignore[no-untyped-def]
    recipients = range(1, 301)
    await add_patients(app, recipients)
    await compose(admin)
    await admin.press("Confirm")
    progress = admin.message_with_button("Cancel broadcast")
    cancelled_at: list[int] = []

    def cancel_after_50(call: BotCall, _result: object) -> None:
        if call.method == "sendMessage" and len(patient_sends(api, recipients)) == 50:
            cancel_now.set()

    cancel_now = asyncio.Event()
    api.listeners.append(cancel_after_50)
    sending = asyncio.create_task(send_all(app))
    await cancel_now.wait()
    await admin.press_data(
        progress["reply_markup"]["inline_keyboard"][0][0]["callback_data"], progress
    )
    cancelled_at.append(len(api.calls))
    await sending
    await send_all(app)  # a later tick finds nothing to do
    after_cancel = [
        c
        for c in api.calls[cancelled_at[0] :]
        if c.method == "sendMessage" and c.chat_id in set(recipients)
    ]
    assert after_cancel == []
    assert 50 <= len(patient_sends(api, recipients)) < 300
    final = api.calls_to("editMessageText", ADMIN_ID)[-1].text
    assert "cancelled" in final and "Not sent because cancelled" in final


async def test_scheduled_broadcast_fires_at_its_time(
    app, api: InProcessBotAPI, admin: Patient, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1])
    await compose(admin)
    await admin.press("Send later")
    for bad in ("yesterday 9", "2020-01-01 09:00", "banana", "25:99", "2027-02-30 09:00"):
        assert only_text(await admin.send(bad)).startswith("⚠️")
    confirm_in_words = only_text(await admin.send("tomorrow 9:00"))
    assert "tomorrow, Tuesday 8 June 2027 at 09:00 (America/Chicago)" in confirm_in_words
    assert patient_sends(api, [1]) == []  # nothing scheduled before Confirm
    scheduled = only_text(await admin.press("Confirm: schedule"))
    assert "scheduled" in scheduled and "Tuesday, June 8, 2027 at 09:00" in scheduled
    clock.set(MONDAY_NOON + timedelta(hours=20, minutes=59))  # 08:59 Tuesday
    await send_all(app)
    assert patient_sends(api, [1]) == []
    clock.advance(minutes=2)
    await send_all(app)
    assert len(patient_sends(api, [1])) == 1


async def test_replies_are_not_queued_behind_a_broadcast(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    paced = settings.model_copy(update={"send_rate": 100.0})  # real pacing: 300 take ~3 s
    api = InProcessBotAPI()
    async with running(make_app(paced, api, clock, sleep)) as app:
        recipients = range(1, 301)
        await add_patients(app, recipients)
        admin = Patient(app, api, user_id=ADMIN_ID)
        await compose(admin)
        await admin.press("Confirm")
        started = asyncio.Event()
        api.listeners.append(
            lambda call, _r: started.set() if len(patient_sends(api, recipients)) == 10 else None
        )
        sending = asyncio.create_task(send_all(app))
        await started.wait()
        patient = Patient(app, api, user_id=1)
        calls = await patient.send("/point BL40")
        reply = card([c for c in calls if c.chat_id == 1 and c.text != DEFAULT_TEXT])
        reply_index = len(api.calls)
        await sending
        assert reply.startswith("<b>BL40")
        broadcast_sends_after_reply = [
            c for c in api.calls[reply_index:] if c.method == "sendMessage"
        ]
        assert len(broadcast_sends_after_reply) > 200  # the reply did not wait for the broadcast


async def test_stats_for_staff(app, api: InProcessBotAPI, admin: Patient) -> None:  # type: ignore[no-untyped-def]
    await add_patients(app, [1, 2, 3])
    await subscribe_many(app, [1, 2])
    api.block(3)
    await compose(admin)
    await admin.press("Confirm")
    await send_all(app)
    text = only_text(await admin.send("/stats"))
    assert "People who started the bot: <b>3</b>" in text  # staff are not stored by /broadcast
    assert "Unreachable (blocked the bot): 1" in text
    assert "Active reminder subscribers: <b>2</b>" in text
    assert "Broadcasts sent: 1 (2 messages delivered, 0 may not have arrived)" in text


async def test_replies_default_to_html_but_a_broadcast_is_sent_as_typed(
    app, api: InProcessBotAPI, admin: Patient
) -> None:  # type: ignore[no-untyped-def]
    """PTB's Defaults make replies HTML without link previews; staff text is never parsed."""
    await add_patients(app, [1])
    [help_reply] = [c for c in await admin.send("/help") if c.method == "sendMessage"]
    assert help_reply.params["parse_mode"] == "HTML"
    assert help_reply.params["link_preview_options"] == {"is_disabled": True}
    typed = "Hours <b>change</b> & so do prices < 5 €"
    await compose(admin, text=typed)
    await admin.press("Confirm")
    await send_all(app)
    [copy] = patient_sends(api, [1], typed)
    assert "parse_mode" not in copy.params
