"""Text from Telegram and from people fits the columns on both databases.

Language tags up to 35 characters; NUL (which PostgreSQL refuses in text)
and lone surrogates (which neither database can encode) are refused with a
clear message where a person typed them, and removed everywhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from telegram import Update

from bot.local_api import InProcessBotAPI
from bot.update_factory import UpdateFactory
from handlers.context import AcubotApp
from storage import broadcasts, pending, users
from storage.models import Broadcast, PendingStep, User
from storage.types import has_unstorable, storable
from tests.conftest import ADMIN_ID
from tests.harness import Patient, texts

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


async def language_of(app: AcubotApp, user_id: int) -> str | None:
    async with app.bot_data.sessions() as session:
        return await session.scalar(select(User.language_code).where(User.id == user_id))


@pytest.mark.parametrize(
    ("code", "stored"),
    [
        ("en-GB-x-clinicpatient", "en-GB-x-clinicpatient"),
        ("x" * 35, "x" * 35),
        ("x" * 36, None),  # longer than any tag Telegram sends: not kept, /start still works
        ("en\x00GB", None),
        ("pt-br", "pt-br"),
    ],
)
async def test_long_language_tags_do_not_break_start(
    app: AcubotApp, api: InProcessBotAPI, code: str, stored: str | None
) -> None:
    update = UpdateFactory(app.bot, user_id=5).text("/start").to_dict()
    update["message"]["from"]["language_code"] = code
    before = len(api.calls)
    await app.process_update(Update.de_json(update, app.bot))
    assert any(text.startswith("Hello, Pat") for text in texts(api.calls[before:]))
    assert await language_of(app, 5) == stored


async def test_nul_in_a_broadcast_is_refused_with_a_clear_message(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    admin = Patient(app, api, user_id=ADMIN_ID)
    await admin.send("/broadcast")
    assert "invisible control character" in texts(await admin.send("Evening\x00 hours"))[0]
    assert texts(await admin.send("Evening hours"))  # asked again, then accepted
    await admin.press("custom")
    reply = texts(await admin.send("Book\x00 now"))
    assert "control character" in reply[0]
    await admin.send("Book now")
    # The draft lives in the pending step until it is confirmed (no broadcast row yet).
    async with app.bot_data.sessions() as session:
        assert await session.scalar(select(Broadcast)) is None
        draft = await session.scalar(select(PendingStep).where(PendingStep.user_id == ADMIN_ID))
    assert draft is not None and draft.flow == "broadcast"
    assert draft.data["text"] == "Evening hours" and draft.data["label"] == "Book now"


async def test_the_column_types_clean_what_the_databases_refuse(app: AcubotApp) -> None:
    sessions = app.bot_data.sessions
    async with sessions.begin() as session:
        await users.record_user_seen(
            session=session, user_id=9, chat_id=9, language_code="en", now=NOW
        )
        draft = await broadcasts.create_draft(session=session, admin_id=9, now=NOW)
        await broadcasts.update_broadcast(
            session=session,
            broadcast_id=draft,
            text="Hello\x00 there \ud800!",
            entities=[{"type": "bold", "offset": 0, "length": 5, "x": "a\x00b"}],
            button_label="Bo\x00ok",
        )
        await pending.set_pending(
            session=session,
            user_id=9,
            flow="remind",
            step="zone",
            data={"typed": "Lon\x00don", "list": ["\ud83d"]},
            now=NOW,
        )
    async with sessions() as session:
        stored = await session.get(Broadcast, draft)
        waiting = await pending.get_pending(session=session, user_id=9)
    assert stored is not None and stored.text == "Hello there \ufffd!"
    assert stored.entities[0]["x"] == "ab" and stored.button_label == "Book"
    assert waiting is not None and waiting.data == {"typed": "London", "list": ["\ufffd"]}


def test_storable_text() -> None:
    assert storable("a\x00b\ud800c") == "ab\ufffdc"
    assert has_unstorable("\x00") and has_unstorable("\udfff") and not has_unstorable("😀 é\n\t")
