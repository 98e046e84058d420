"""A black-box Bot API emulator on 127.0.0.1 for the morning and fault benchmarks.

It plays Telegram for a real `acubot run` in another process: it answers the
Bot API over HTTP/1.1 the way `bot.local_api.InProcessBotAPI` does, and adds
what a benchmark from the outside needs:

* a round trip: every call is answered `rtt` seconds after it arrives; the
  request "reaches Telegram" half-way (that is when a message is delivered and
  counted), as over a real network;
* Telegram's overall limit: at most `max_per_second` messages (send* methods)
  in any 1-s window; beyond it a 429 with `retry_after`, and flood control then
  refuses every send until it has passed (as Telegram does);
* updates for getUpdates (long polling, offsets) that the benchmark offers as
  patients act, each stamped with the moment it was offered;
* faults chosen per call by a hook: answer never (a read timeout for the bot;
  the message was delivered), close the connection after reading the request
  (delivered), or a 429;
* a log of every call and, per chat, the messages it accepted (delivered).

It runs in the benchmark's process, never in the bot's, so the bot's CPU and
event loop are measured alone. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {
    "id": 1_000_000_001,
    "is_bot": True,
    "first_name": "Acubot",
    "username": "acubot_bench_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Messages, as Telegram's overall limit counts them.
SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendAnimation", "copyMessage"}
)
EDIT_METHODS = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia"}
)
MESSAGE_METHODS = SEND_METHODS | EDIT_METHODS
# A connection that is never answered is closed after this, whatever happens.
HANG_CAP_SECONDS = 120.0


class Fault:
    """What to do with one call instead of answering it normally."""

    HANG = "hang"  # deliver, never answer (the bot's read timeout fires)
    CLOSE = "close"  # deliver, then close the connection without an answer


@dataclass(slots=True)
class Call:
    """One Bot API request as the emulator saw it."""

    method: str
    params: dict[str, Any]
    received: float  # time.monotonic() when the request was read
    delivered: float | None = None  # when it "reached Telegram" (half the round trip)
    status: int = 0  # HTTP status answered (0: none, e.g. a fault)
    result: Any = None
    fault: str | None = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return buttons_of(self.params.get("reply_markup"))

    @property
    def accepted(self) -> bool:
        """Delivered to the chat (a message that a patient sees)."""
        return self.delivered is not None and self.method in MESSAGE_METHODS


def buttons_of(markup: Any) -> list[dict[str, Any]]:
    """Inline buttons of a reply_markup (dict or JSON string), flattened."""
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            return []
    if not isinstance(markup, dict):
        return []
    return [b for row in markup.get("inline_keyboard", []) for b in row if isinstance(b, dict)]


@dataclass(slots=True)
class OfferedUpdate:
    """An update a patient "sent", waiting for getUpdates."""

    update_id: int
    payload: dict[str, Any]
    offered: float  # time.monotonic()
    chat_id: int
    kind: str
    fetched: float | None = None


@dataclass
class FloodControl:
    """Telegram's overall limit: `max_per_second` messages in any 1-s window."""

    max_per_second: int = 30
    retry_after: int = 1
    count_edits: bool = False
    _accepted: deque[float] = field(default_factory=deque)
    _banned_until: float = 0.0
    refused: int = 0
    # Every attempt (refused or not) per whole second, for "attempted msg/s".
    attempts_per_second: dict[int, int] = field(default_factory=dict)
    accepted_per_second: dict[int, int] = field(default_factory=dict)

    def counts(self, method: str) -> bool:
        return method in SEND_METHODS or (self.count_edits and method in EDIT_METHODS)

    def admit(self, now: float) -> int | None:
        """None if the message may go; else the retry_after to answer with."""
        second = int(now)
        self.attempts_per_second[second] = self.attempts_per_second.get(second, 0) + 1
        if self.max_per_second <= 0:
            self.accepted_per_second[second] = self.accepted_per_second.get(second, 0) + 1
            return None
        if now < self._banned_until:
            self.refused += 1
            return max(1, math.ceil(self._banned_until - now))
        while self._accepted and self._accepted[0] <= now - 1.0:
            self._accepted.popleft()
        if len(self._accepted) >= self.max_per_second:
            self._banned_until = now + self.retry_after
            self.refused += 1
            return self.retry_after
        self._accepted.append(now)
        self.accepted_per_second[second] = self.accepted_per_second.get(second, 0) + 1
        return None

    def max_in_any_window(self, accepted_times: list[float]) -> int:
        """The most messages accepted in any sliding 1-s window."""
        best, window = 0, deque[float]()
        for t in sorted(accepted_times):
            window.append(t)
            while window[0] <= t - 1.0:
                window.popleft()
            best = max(best, len(window))
        return best


FaultHook = Callable[[Call], "str | tuple[int, int] | None"]


class BotAPIEmulator:
    """Serves a Telegram-like Bot API at http://127.0.0.1:<port>."""

    def __init__(
        self,
        *,
        rtt: float = 0.05,
        max_per_second: int = 30,
        flood_retry_after: int = 1,
        count_edits: bool = False,
    ) -> None:
        self.rtt = rtt
        self.flood = FloodControl(max_per_second, flood_retry_after, count_edits)
        self.calls: list[Call] = []
        self.listeners: list[Callable[[Call], None]] = []
        # A hook that may fault a call: Fault.HANG / Fault.CLOSE, or (429, retry_after).
        self.fault_hook: FaultHook | None = None
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._user_message_ids = itertools.count(10_000_000)
        self.updates: list[OfferedUpdate] = []
        self._confirmed = 0  # index into self.updates: everything before it was fetched
        self._new_update = asyncio.Event()
        self.server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.writers: set[asyncio.StreamWriter] = set()

    # -- lifecycle ----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=4096)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for writer in list(self.writers):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 5)
        for task in list(self._tasks):
            task.cancel()

    def drop_connections(self) -> None:
        """Closes every open connection (for a bot process that was killed)."""
        for writer in list(self.writers):
            writer.close()

    # -- what benchmarks use ----------------------------------------------------
    def offer(self, payload: dict[str, Any], *, chat_id: int, kind: str) -> OfferedUpdate:
        """Queues an update (without update_id) for getUpdates; returns its record."""
        update_id = next(self._update_ids)
        record = OfferedUpdate(
            update_id, {"update_id": update_id, **payload}, time.monotonic(), chat_id, kind
        )
        self.updates.append(record)
        self._new_update.set()
        return record

    def user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Pat", "language_code": "en"}

    def text_update(self, user_id: int, text: str, *, kind: str = "text") -> OfferedUpdate:
        message: dict[str, Any] = {
            "message_id": next(self._user_message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Pat"},
            "from": self.user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.offer({"message": message}, chat_id=user_id, kind=kind)

    def press_update(
        self, user_id: int, message: dict[str, Any], data: str, *, kind: str = "press"
    ) -> OfferedUpdate:
        query = {
            "id": f"q{next(self._query_ids)}",
            "from": self.user(user_id),
            "chat_instance": str(user_id),
            "message": message,
            "data": data,
        }
        return self.offer({"callback_query": query}, chat_id=user_id, kind=kind)

    def pending_updates(self) -> int:
        """Offered and not yet fetched by the bot."""
        return len(self.updates) - self._confirmed

    def accepted(self, predicate: Callable[[Call], bool] | None = None) -> list[Call]:
        return [c for c in self.calls if c.accepted and (predicate is None or predicate(c))]

    # -- HTTP ------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            for _ in range(1_000_000):  # requests on one keep-alive connection
                request_line = await reader.readline()
                if not request_line:
                    return
                _verb, path, _version = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                params = _parse_body(headers.get("content-type", ""), body)
                call = Call(path.rsplit("/", 1)[-1], params, time.monotonic())
                self.calls.append(call)
                answer = await self._handle(call, reader)
                if answer is None:  # a fault: no answer on this connection
                    return
                status, payload = answer
                call.status = status
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        except asyncio.CancelledError:
            return
        finally:
            self.writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _handle(self, call: Call, reader: asyncio.StreamReader) -> tuple[int, bytes] | None:
        if call.method == "getUpdates":
            return await self._get_updates(call)
        if self.rtt:
            await asyncio.sleep(self.rtt / 2)
        fault = self.fault_hook(call) if self.fault_hook is not None else None
        if isinstance(fault, tuple):
            call.fault = "429"
            return _error(fault[0], f"Too Many Requests: retry after {fault[1]}", fault[1])
        if call.method in MESSAGE_METHODS and self.flood.counts(call.method):
            retry_after = self.flood.admit(time.monotonic())
            if retry_after is not None:
                call.fault = "flood"
                if self.rtt:
                    await asyncio.sleep(self.rtt / 2)
                return _error(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        result = self._answer(call)
        call.delivered = time.monotonic()
        call.result = result
        for listener in list(self.listeners):
            listener(call)
        if fault == Fault.CLOSE:
            call.fault = Fault.CLOSE
            return None
        if fault == Fault.HANG:
            call.fault = Fault.HANG
            # Wait until the bot gives up (closes) or the cap passes.
            with contextlib.suppress(TimeoutError, ConnectionError):
                async with asyncio.timeout(HANG_CAP_SECONDS):
                    await reader.read()
            return None
        if self.rtt:
            await asyncio.sleep(self.rtt / 2)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def _get_updates(self, call: Call) -> tuple[int, bytes]:
        if self.rtt:
            await asyncio.sleep(self.rtt / 2)
        params = call.params
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        # Confirm what the bot has seen: everything below `offset`.
        while self._confirmed < len(self.updates) and (
            self.updates[self._confirmed].update_id < offset
        ):
            self._confirmed += 1
        deadline = time.monotonic() + timeout
        while self._confirmed >= len(self.updates) and time.monotonic() < deadline:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
        batch = self.updates[self._confirmed : self._confirmed + limit]
        now = time.monotonic()
        for record in batch:
            if record.fetched is None:
                record.fetched = now
        call.delivered = now
        if self.rtt:
            await asyncio.sleep(self.rtt / 2)
        result = [record.payload for record in batch]
        return 200, json.dumps({"ok": True, "result": result}).encode()

    # -- answers, as Telegram gives them --------------------------------------------
    def _answer(self, call: Call) -> Any:
        method = call.method
        if method == "getMe":
            return BOT_USER
        if method in {"getMyCommands", "getChatAdministrators"}:
            return []
        if method in MESSAGE_METHODS:
            return self._message(call)
        return True

    def _message(self, call: Call) -> dict[str, Any]:
        params = call.params
        chat_id = call.chat_id or 0
        now = int(time.time())
        if call.method in EDIT_METHODS:
            message_id = int(params.get("message_id") or 0)
            message = dict(self.messages.get((chat_id, message_id)) or {})
            message.setdefault("message_id", message_id)
            message.setdefault("chat", {"id": chat_id, "type": "private"})
            message.setdefault("date", now)
            message["edit_date"] = now
        else:
            message_id = next(self._message_ids)
            message = {
                "message_id": message_id,
                "date": now,
                "chat": {"id": chat_id, "type": "private"},
            }
        message["from"] = BOT_USER
        if "text" in params:
            message["text"] = params["text"]
        if "caption" in params:
            message["caption"] = params["caption"]
        if "reply_markup" in params or call.method == "editMessageReplyMarkup":
            markup = params.get("reply_markup") or {"inline_keyboard": []}
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        for kind in ("photo", "document"):
            if kind in params or call.method == f"send{kind.title()}":
                file_id = params.get(kind)
                if not isinstance(file_id, str) or file_id.startswith("attach://"):
                    file_id = f"bench-{kind}-{next(self._file_ids)}"
                entry = {"file_id": file_id, "file_unique_id": f"u-{file_id}"}
                message[kind] = (
                    [{**entry, "width": 1024, "height": 1024}] if kind == "photo" else entry
                )
        self.messages[(chat_id, message_id)] = message
        return message


def _error(status: int, description: str, retry_after: int | None = None) -> tuple[int, bytes]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, json.dumps(body).encode()


def _decode(value: str) -> Any:
    # python-telegram-bot JSON-encodes non-string parameters (ids, markup) in form bodies.
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            if part.get_filename():
                params[name] = f"attach://{name}"  # an upload; its bytes are not kept
            else:
                payload = part.get_payload(decode=True)
                text = payload.decode() if isinstance(payload, bytes) else str(payload or "")
                params[name] = _decode(text)
    elif content_type.startswith("application/json"):
        params = json.loads(body or b"{}")
    else:
        params = {key: _decode(value) for key, value in parse_qsl(body.decode())}
    return params


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile; inf stays inf (an update never answered)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]
