"""At DEBUG, no patient's text, location, name or username reaches a log record.

The bot talks real HTTP (httpx) to the loopback Bot API, updates go through
the Application's own update queue ("Processing update ...") and getUpdates
("... finished with return value ..."), so this is what production logs at
LOG_LEVEL=DEBUG, python-telegram-bot's and httpx's records included.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from telegram import Update

from bot.application import build_application, running
from bot.local_api import BotCall, InProcessBotAPI
from bot.log_setup import scrub
from bot.loopback_server import serving
from bot.update_factory import UpdateFactory
from tests.bot.test_token_never_logged import FAKE_TOKEN, Everything
from tests.conftest import make_settings

FIRST, LAST, USERNAME = "Zenobia", "Quillfeather", "zenobia_q_1987"
SECRET_TEXT = "my back hurts since the fall xyzzy-plugh"
LATITUDE, LONGITUDE = 41.8812345, -87.6298765
SECRETS = [FIRST, LAST, USERNAME, "xyzzy", "plugh", "41.88123", "87.62987", "41.8812", "87.6298"]


class UpdatesFromTelegram(InProcessBotAPI):
    """Answers getUpdates with queued updates, as Telegram does when polling."""

    def __init__(self) -> None:
        super().__init__()
        self.queued: list[dict[str, Any]] = []

    def _answer(self, call: BotCall) -> Any:
        if call.method == "getUpdates":
            queued, self.queued = self.queued, []
            return queued
        return super()._answer(call)


def patient_update(factory: UpdateFactory, **content: Any) -> dict[str, Any]:
    data = factory.message(**content).to_dict()
    person = {"first_name": FIRST, "last_name": LAST, "username": USERNAME}
    data["message"]["from"].update(person)
    data["message"]["chat"].update(person)
    return data


async def test_patients_never_reach_the_log_at_debug(tmp_path: Path) -> None:
    catcher = Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(catcher)
    root.setLevel(logging.DEBUG)
    noisy = ("httpx", "httpcore", "telegram", "apscheduler", "sqlalchemy")
    old_levels = {name: logging.getLogger(name).level for name in noisy}
    for name in noisy:
        logging.getLogger(name).setLevel(logging.DEBUG)
    api = UpdatesFromTelegram()
    try:
        async with serving(api) as loopback:
            settings = make_settings(
                tmp_path / "t.sqlite3",
                telegram_bot_token=FAKE_TOKEN,
                telegram_api_base_url=loopback.base_url,
                log_level="DEBUG",
            )
            app = build_application(settings)  # the real HTTPXRequest
            async with running(app):
                factory = UpdateFactory(app.bot, user_id=77)
                start = patient_update(
                    factory,
                    text="/start",
                    entities=[{"type": "bot_command", "offset": 0, "length": 6}],
                )
                api.queued.append(start)
                for update in await app.bot.get_updates():  # the polling path
                    await app.update_queue.put(update)
                for content in (
                    {"text": SECRET_TEXT},
                    {
                        "text": "/remind",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
                    },
                    {"location": {"latitude": LATITUDE, "longitude": LONGITUDE}},
                    {
                        "text": f"/point {USERNAME}",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                    },
                ):
                    await app.update_queue.put(
                        Update.de_json(patient_update(factory, **content), app.bot)
                    )
                loopback.api.fail(500, "Internal Server Error", method="sendMessage")
                await app.update_queue.put(
                    Update.de_json(patient_update(factory, text=SECRET_TEXT), app.bot)
                )
                for _ in range(500):  # let the update fetcher work through the queue
                    if app.update_queue.empty() and len(api.sent(77)) >= 5:
                        break
                    await asyncio.sleep(0.01)
    finally:
        root.removeHandler(catcher)
        root.setLevel(old_level)
        for name, level in old_levels.items():
            logging.getLogger(name).setLevel(level)
    joined = "\n".join(catcher.lines)
    # The libraries did log updates, calls and answers at DEBUG...
    assert "Processing update" in joined
    assert "Calling Bot API endpoint `sendMessage`" in joined
    assert "finished with return value" in joined
    assert "HTTP Request: POST" in joined
    assert any(FIRST in call.text for call in api.sent(77))  # the greeting used the name
    # ...and no patient is in them.
    for secret in SECRETS:
        assert secret not in joined, secret


def test_scrub_keeps_the_shape_only() -> None:
    payload = {
        "update_id": 5,
        "message": {
            "message_id": 9,
            "text": "secret",
            "chat": {"id": 3, "type": "private", "first_name": "Ann"},
            "location": {"latitude": 1.5, "longitude": 2.5},
        },
    }
    assert scrub(payload) == {
        "update_id": 5,
        "message": {
            "message_id": 9,
            "text": "…",
            "chat": {"id": 3, "type": "private", "first_name": "…"},
            "location": {"latitude": "…", "longitude": "…"},
        },
    }
