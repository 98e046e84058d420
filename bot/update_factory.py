"""Builds the Updates Telegram would send, for `acubot chat` and the tests."""

from __future__ import annotations

import itertools
import time
from typing import Any

from telegram import Bot, Update


class UpdateFactory:
    """Makes text, command, location and button-press updates from one person."""

    def __init__(
        self,
        bot: Bot,
        user_id: int = 1,
        first_name: str = "Pat",
        language_code: str | None = "en",
    ) -> None:
        self.bot = bot
        self.user_id = user_id
        self.first_name = first_name
        # The language of the person's Telegram app (an IETF tag), or None.
        self.language_code = language_code
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1_000_000)

    def _user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
            "from": self._user(),
            **content,
        }

    def text(self, text: str) -> Update:
        """A message as the person typed it; a leading /command is marked as one."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._update(message=self._message(**content))

    def message(self, **content: Any) -> Update:
        """Any other message: a photo, a sticker, a voice note (Bot API fields)."""
        return self._update(message=self._message(**content))

    def location(self, latitude: float, longitude: float) -> Update:
        """A shared location."""
        return self._update(
            message=self._message(location={"latitude": latitude, "longitude": longitude})
        )

    def press(self, message: dict[str, Any], callback_data: str) -> Update:
        """A press on an inline button of `message` (a message the bot sent)."""
        query = {
            "id": str(next(self._update_ids)),
            "from": self._user(),
            "chat_instance": str(self.user_id),
            "message": message,
            "data": callback_data,
        }
        return self._update(callback_query=query)

    def _update(self, **content: Any) -> Update:
        data = {"update_id": next(self._update_ids), **content}
        return Update.de_json(data, self.bot)
