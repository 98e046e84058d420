"""Drives the real Application through the in-process Bot API.

A test sends what a patient would type or press and reads back the Bot API
calls the bot made. Time comes from a `FakeClock`, never from sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update

from bot.local_api import BotCall, InProcessBotAPI
from bot.update_factory import UpdateFactory
from handlers.context import AcubotApp


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    current: datetime = field(default_factory=lambda: datetime(2027, 3, 1, 15, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, instant: datetime) -> datetime:
        self.current = instant
        return instant


@dataclass
class Patient:
    """One person chatting with the bot."""

    app: AcubotApp
    api: InProcessBotAPI
    user_id: int = 1
    # The language of the patient's Telegram app ("es", "zh-CN"...).
    language_code: str | None = "en"

    def __post_init__(self) -> None:
        self.updates = UpdateFactory(
            self.app.bot, user_id=self.user_id, language_code=self.language_code
        )

    async def send(self, text: str) -> list[BotCall]:
        """Types a message; returns the calls the bot made in answer."""
        return await self._process(self.updates.text(text))

    async def press(self, label: str, calls: list[BotCall] | None = None) -> list[BotCall]:
        """Presses the button whose label contains `label` on the latest message with it."""
        message = self.message_with_button(label)
        button = next(b for b in _buttons(message) if label.casefold() in b["text"].casefold())
        return await self._process(self.updates.press(message, button["callback_data"]))

    async def press_data(self, data: str, message: dict[str, Any] | None = None) -> list[BotCall]:
        """Presses a button with this exact callback data (forged or old ones too)."""
        message = message or self.latest_message()
        return await self._process(self.updates.press(message, data))

    async def send_message(self, **content: Any) -> list[BotCall]:
        """Sends a non-text message (photo, sticker...) given as Bot API fields."""
        return await self._process(self.updates.message(**content))

    async def share_location(self, latitude: float, longitude: float) -> list[BotCall]:
        return await self._process(self.updates.location(latitude, longitude))

    def latest_message(self) -> dict[str, Any]:
        chat_messages = [m for (chat, _), m in self.api.messages.items() if chat == self.user_id]
        return chat_messages[-1]

    def message_with_button(self, label: str) -> dict[str, Any]:
        for (chat, _), message in reversed(self.api.messages.items()):
            if chat == self.user_id and any(
                label.casefold() in b["text"].casefold() for b in _buttons(message)
            ):
                return message
        raise AssertionError(f"no message with a button labelled {label!r}")

    async def _process(self, update: Update) -> list[BotCall]:
        before = len(self.api.calls)
        await self.app.process_update(update)
        return self.api.calls[before:]


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def texts(calls: list[BotCall]) -> list[str]:
    """The texts (and captions) of the messages among these calls."""
    return [
        call.text
        for call in calls
        if call.method in {"sendMessage", "sendPhoto", "editMessageText"}
    ]


def only_text(calls: list[BotCall]) -> str:
    """The one message these calls sent (or showed by editing one); fails if more or none."""
    sent = [c for c in calls if c.method in {"sendMessage", "sendPhoto", "editMessageText"}]
    assert len(sent) == 1, f"expected one message, got {[c.text[:60] for c in sent]}"
    return sent[0].text


def card(calls: list[BotCall]) -> str:
    """A picture card: one photo (the caption) then one text; both texts joined."""
    sent = [c for c in calls if c.method in {"sendMessage", "sendPhoto"}]
    assert [c.method for c in sent] == ["sendPhoto", "sendMessage"], [c.method for c in sent]
    return sent[0].text + "\n\n" + sent[1].text


def only_shown(calls: list[BotCall]) -> str:
    """The one message these calls showed, sent or edited in place; fails otherwise."""
    shown = [c for c in calls if c.method in {"sendMessage", "sendPhoto", "editMessageText"}]
    assert len(shown) == 1, f"expected one message, got {[(c.method, c.text[:60]) for c in shown]}"
    return shown[0].text


def pain_data(message: dict[str, Any], score: int) -> str:
    """The callback data of the 0-10 button `score` on a question message."""
    buttons = _buttons(message)
    return next(b["callback_data"] for b in buttons if b["text"] == str(score))
