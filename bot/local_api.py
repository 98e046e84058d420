"""An in-process Telegram Bot API: records every call, answers like Telegram.

Plugged into python-telegram-bot as its `BaseRequest`, it lets the real
Application run with no token and no network: the tests assert on the
recorded calls, and `acubot chat` prints them. Telegram's errors (403
blocked, 429 retry_after, 400, chat migrated) can be injected with rules.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 1_000_000_001,
    "is_bot": True,
    "first_name": "Acubot",
    "username": "acubot_offline_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

# Methods whose answer is a Message.
_MESSAGE_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "editMessageMedia",
}
_FILE_FIELDS = ("photo", "document")
# The ids this fake gives uploaded files: "local-<run>-photo-<n>", unique to one
# run (one InProcessBotAPI), as Telegram's are unique to one bot. An id from an
# earlier run (stored in the database by `acubot chat` yesterday) is refused,
# never taken for whatever file this run numbered the same. Ids of other
# shapes (a photo a test patient "sent") are accepted as they are.
LOCAL_FILE_PREFIX = "local-"
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
MAX_CALLBACK_DATA_BYTES = 64  # Telegram refuses a button whose data is longer


# What one Bot API method returns: an object, True, or a list (getUpdates).
ApiResult = dict[str, Any] | bool | list[Any]


@dataclass(frozen=True, slots=True)
class BotCall:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    # Uploaded files by part name; the path is where they were saved, if anywhere.
    files: dict[str, Path | None] = field(default_factory=dict)
    # The uploaded bytes, by part name.
    contents: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        """The message text or caption, empty for other calls."""
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons, row after row, flattened."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass(slots=True)
class ErrorRule:
    """Answer matching calls with a Telegram error, `times` times (None: always)."""

    matches: Callable[[BotCall], bool]
    status: int
    description: str
    parameters: dict[str, Any] | None = None
    times: int | None = 1


class InProcessBotAPI(BaseRequest):
    """A recording, in-process stand-in for api.telegram.org."""

    def __init__(self, media_dir: Path | None = None, *, run_id: str | None = None) -> None:
        self.calls: list[BotCall] = []
        self.rules: list[ErrorRule] = []
        self.listeners: list[Callable[[BotCall, ApiResult], None]] = []
        self.media_dir = media_dir
        self.run_id = run_id or secrets.token_hex(4)
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._saved_files = itertools.count(1)
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        # The bytes behind every file id this run issued.
        self.file_contents: dict[str, bytes] = {}
        # Where an uploaded file was saved, by the file_id it was given.
        self.file_paths: dict[str, Path] = {}

    # -- what tests and the chat use ----------------------------------------
    def calls_to(self, method: str, chat_id: int | None = None) -> list[BotCall]:
        """The recorded calls of one method, optionally to one chat."""
        return [
            call
            for call in self.calls
            if call.method == method and (chat_id is None or call.chat_id == chat_id)
        ]

    def sent(self, chat_id: int | None = None) -> list[BotCall]:
        """Messages and photos sent (not edits), in order."""
        return [
            call
            for call in self.calls
            if call.method in {"sendMessage", "sendPhoto", "sendDocument"}
            and (chat_id is None or call.chat_id == chat_id)
        ]

    def fail(
        self,
        status: int,
        description: str,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int | None = 1,
    ) -> ErrorRule:
        """Make matching calls fail as Telegram would (403, 429, 400...)."""
        parameters: dict[str, Any] = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id

        def matches(call: BotCall) -> bool:
            return (method is None or call.method == method) and (
                chat_id is None or call.chat_id == chat_id
            )

        rule = ErrorRule(matches, status, description, parameters or None, times)
        self.rules.append(rule)
        return rule

    def block(self, chat_id: int) -> ErrorRule:
        """From now on the user behind `chat_id` has blocked the bot."""
        return self.fail(403, "Forbidden: bot was blocked by the user", chat_id=chat_id, times=None)

    # -- BaseRequest ----------------------------------------------------------
    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        params = dict(request_data.parameters) if request_data else {}
        uploads = {}
        if request_data is not None and request_data.contains_files:
            for part, value in request_data.multipart_data.items():
                content = value[1] if isinstance(value[1], bytes) else value[1].read()
                uploads[part] = (value[0], content)
        return self.handle(url.rsplit("/", 1)[-1], params, uploads)

    def handle(
        self, api_method: str, params: dict[str, Any], uploads: dict[str, tuple[str, bytes]]
    ) -> tuple[int, bytes]:
        """Answers one Bot API call: (HTTP status, JSON body), as Telegram would."""
        contents = {part: content for part, (_, content) in uploads.items()}
        call = BotCall(api_method, params, self._store_files(uploads), contents)
        self.calls.append(call)

        for rule in self.rules:
            if rule.times != 0 and rule.matches(call):
                if rule.times is not None:
                    rule.times -= 1
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": rule.status,
                    "description": rule.description,
                }
                if rule.parameters:
                    body["parameters"] = rule.parameters
                return rule.status, json.dumps(body).encode()

        if self._unknown_own_file_id(call):
            # Like Telegram with an id it never issued: here, one from an
            # earlier run of the in-process API (the sender then re-uploads).
            body = {"ok": False, "error_code": 400, "description": WRONG_FILE_ID}
            return 400, json.dumps(body).encode()

        if any(
            len(str(button.get("callback_data", "")).encode()) > MAX_CALLBACK_DATA_BYTES
            for button in call.buttons
        ):
            body = {"ok": False, "error_code": 400, "description": BUTTON_DATA_INVALID}
            return 400, json.dumps(body).encode()

        result = self._answer(call)
        for listener in self.listeners:
            listener(call, result)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    # -- answers ----------------------------------------------------------------
    def _answer(self, call: BotCall) -> ApiResult:
        if call.method == "getMe":
            return BOT_USER
        if call.method == "getUpdates":
            return []
        if call.method == "getMyCommands":
            return []
        if call.method in _MESSAGE_METHODS:
            return self._message(call)
        return True

    def _message(self, call: BotCall) -> dict[str, Any]:
        params = call.params
        chat_id = int(params["chat_id"])
        if call.method.startswith("edit"):
            message_id = int(params["message_id"])
            message = dict(self.messages.get((chat_id, message_id)) or {})
            message.setdefault("message_id", message_id)
            message.setdefault("chat", {"id": chat_id, "type": "private"})
            message.setdefault("date", int(time.time()))
            message["from"] = BOT_USER
            message["edit_date"] = int(time.time())
        else:
            message_id = next(self._message_ids)
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
            }
        if "text" in params:
            message["text"] = params["text"]
        if "caption" in params:
            message["caption"] = params["caption"]
        if "reply_markup" in params or call.method.startswith("edit"):
            # Like Telegram: an edit without reply_markup drops the inline keyboard.
            message["reply_markup"] = params.get("reply_markup") or {"inline_keyboard": []}
        for name in _FILE_FIELDS:
            if name in params or name in call.files:
                message[name] = self._file_object(name, params.get(name))
                entry = message[name][-1] if name == "photo" else message[name]
                if name in call.contents:
                    self.file_contents[entry["file_id"]] = call.contents[name]
                saved = call.files.get(name)
                if saved is not None:
                    self.file_paths[entry["file_id"]] = saved
        # An edited message moves to the end: `messages` is in order of last change.
        self.messages.pop((chat_id, message_id), None)
        self.messages[(chat_id, message_id)] = message
        return message

    def file_content(self, call: BotCall, name: str = "photo") -> bytes | None:
        """The bytes of the file a send shows: uploaded with it, or behind the id it names."""
        if name in call.contents:
            return call.contents[name]
        file_id = call.params.get(name)
        return self.file_contents.get(file_id) if isinstance(file_id, str) else None

    def _unknown_own_file_id(self, call: BotCall) -> bool:
        return any(
            isinstance(value := call.params.get(name), str)
            and value.startswith(LOCAL_FILE_PREFIX)
            and value not in self.file_contents
            for name in _FILE_FIELDS
        )

    def _file_object(self, kind: str, file_id: object) -> Any:
        # An uploaded file gets a new id; a re-sent one keeps the id it had.
        if not isinstance(file_id, str):
            file_id = f"{LOCAL_FILE_PREFIX}{self.run_id}-{kind}-{next(self._file_ids)}"
        entry = {"file_id": file_id, "file_unique_id": f"u-{file_id}"}
        if kind == "photo":
            return [{**entry, "width": 1024, "height": 1024}]
        return {**entry, "file_name": "file"}

    def _store_files(self, uploads: dict[str, tuple[str, bytes]]) -> dict[str, Path | None]:
        stored: dict[str, Path | None] = {}
        for part, (filename, content) in uploads.items():
            stored[part] = None
            if self.media_dir is not None:
                self.media_dir.mkdir(parents=True, exist_ok=True)
                name = Path(filename or part).name
                # A new name for every file: an earlier run's saved files stay as they were.
                path = self.media_dir / f"{next(self._saved_files):04d}-{name}"
                while path.exists():
                    path = self.media_dir / f"{next(self._saved_files):04d}-{name}"
                path.write_bytes(content)
                stored[part] = path
        return stored
