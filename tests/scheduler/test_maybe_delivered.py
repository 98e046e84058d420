"""Maybe-delivered is never retried: the send policy over real loopback HTTP.

A misbehaving Bot API on 127.0.0.1 answers getMe and the start-up calls, and
for sendMessage either reads the request and never answers, reads it and
closes the connection, or is not there at all (connection refused). The bot
is the real Application with its real HTTP client (LanedRequest) and short
timeouts. What counts is what reached the server: every chat at most once,
however the send ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from bot.application import build_application, running
from bot.http_lanes import LanedRequest
from handlers.context import AcubotApp
from storage import broadcasts
from storage.models import BroadcastRecipient, Delivery
from tests.conftest import RecordingSleep, make_settings
from tests.harness import FakeClock
from tests.reminders_support import dispatch, subscribe_many

TOKEN = "123456:" + "A" * 35
PATIENTS = range(2001, 2021)  # 20 patients

Mode = Literal["answer", "silent", "close"]


class HookedSleep(RecordingSleep):
    """Records the policy's waits and returns at once; `after` may act after each."""

    def __init__(self) -> None:
        super().__init__()
        self.after: Callable[[], Awaitable[None] | None] = lambda: None

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        action = self.after()
        if action is not None:
            await action


@pytest.fixture
def sleep() -> HookedSleep:
    return HookedSleep()


class FaultyBotAPI:
    """A raw HTTP/1.1 Bot API: start-up calls answered, sendMessage per `mode`."""

    def __init__(self) -> None:
        self.mode: Mode = "answer"
        self.received: Counter[int] = Counter()  # sendMessage requests read, per chat
        self.server: asyncio.Server | None = None
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._next_message_id = 1
        self._refusing: socket.socket | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self._refusing is not None:  # listen again on the port we kept
            sock, self._refusing = self._refusing, None
            self.server = await asyncio.start_server(self._serve, sock=sock)
            return
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stops listening and drops every connection: new ones are refused.

        The port stays bound by a socket that does not listen, so connecting
        is refused (RST) and no other process can take the port meanwhile.
        """
        assert self.server is not None
        self.server.close()
        for writer in list(self._writers):
            writer.close()
        await self.server.wait_closed()
        self.server = None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self._refusing = sock

    @property
    def refusing(self) -> bool:
        return self._refusing is not None

    def close(self) -> None:
        if self._refusing is not None:
            self._refusing.close()
            self._refusing = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while request_line := await reader.readline():
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                method = request_line.split()[1].decode().rsplit("/", 1)[-1]
                if method != "sendMessage":
                    await self._answer(writer, self._result(method, {}))
                    continue
                params = {key: values[0] for key, values in parse_qs(body.decode()).items()}
                chat_id = int(params["chat_id"])
                self.received[chat_id] += 1  # the whole request has arrived
                if self.mode == "silent":
                    await asyncio.Event().wait()  # never answers
                if self.mode == "close":
                    return
                await self._answer(writer, self._result(method, params))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _result(self, method: str, params: dict[str, str]) -> object:
        if method == "getMe":
            return {"id": 123456, "is_bot": True, "first_name": "Acubot", "username": "acubot"}
        if method == "sendMessage":
            self._next_message_id += 1
            return {
                "message_id": self._next_message_id,
                "date": 0,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
        return True

    @staticmethod
    async def _answer(writer: asyncio.StreamWriter, result: object) -> None:
        body = json.dumps({"ok": True, "result": result}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()


@contextlib.asynccontextmanager
async def bot_over_loopback(
    tmp_path: Path, clock: FakeClock, sleep: HookedSleep
) -> AsyncIterator[tuple[AcubotApp, FaultyBotAPI]]:
    telegram = FaultyBotAPI()
    await telegram.start()
    settings = make_settings(
        tmp_path / "acubot.sqlite3",
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram.base_url,
        admin_ids="",
    )
    # Short timeouts: a silent server costs a fraction of a second per chunk.
    request = LanedRequest(
        16, read_timeout=0.3, write_timeout=0.3, connect_timeout=2.0, pool_timeout=2.0
    )
    app = build_application(
        settings, request=request, clock=clock, dispatch_interval=None, sleep=sleep
    )
    try:
        async with running(app):
            yield app, telegram
    finally:
        if telegram.server is not None:
            await telegram.stop()
        telegram.close()


async def start_broadcast(app: AcubotApp) -> int:
    services = app.bot_data
    async with services.sessions.begin() as session:
        broadcast_id = await broadcasts.create_draft(
            session=session, admin_id=0, now=services.now()
        )
        await broadcasts.update_broadcast(
            session=session, broadcast_id=broadcast_id, text="Evening hours!", audience="all"
        )
        await broadcasts.confirm_broadcast(
            session=session, broadcast_id=broadcast_id, now=services.now(), send_at=None
        )
    return broadcast_id


async def recipient_statuses(app: AcubotApp) -> Counter[str]:
    async with app.bot_data.sessions() as session:
        rows = await session.scalars(select(BroadcastRecipient.status))
        return Counter(rows)


async def delivery_statuses(app: AcubotApp) -> Counter[str]:
    async with app.bot_data.sessions() as session:
        return Counter(await session.scalars(select(Delivery.status)))


@pytest.mark.parametrize("mode", ["silent", "close"])
async def test_a_broadcast_that_may_have_arrived_is_never_sent_twice(
    tmp_path: Path, clock: FakeClock, sleep: HookedSleep, mode: Mode
) -> None:
    async with bot_over_loopback(tmp_path, clock, sleep) as (app, telegram):
        await subscribe_many(app, PATIENTS)
        await start_broadcast(app)
        telegram.mode = mode

        report = await app.bot_data.sender.run()

        assert telegram.received == Counter(dict.fromkeys(PATIENTS, 1))  # 0 duplicates
        assert report.undecided == len(PATIENTS) and report.failed == 0
        assert await recipient_statuses(app) == {"undecided": len(PATIENTS)}


@pytest.mark.parametrize("mode", ["silent", "close"])
async def test_a_reminder_that_may_have_arrived_is_never_sent_twice(
    tmp_path: Path, clock: FakeClock, sleep: HookedSleep, mode: Mode
) -> None:
    async with bot_over_loopback(tmp_path, clock, sleep) as (app, telegram):
        await subscribe_many(app, PATIENTS)
        clock.advance(days=1)  # every 08:00 reminder is due
        telegram.mode = mode

        report = await dispatch(app)
        again = await dispatch(app)

        assert telegram.received == Counter(dict.fromkeys(PATIENTS, 1))
        assert report.undecided == len(PATIENTS)
        assert again.sent == again.undecided == 0
        assert await delivery_statuses(app) == {"undecided": len(PATIENTS)}


async def test_a_refused_connection_is_retried_and_delivered_once(
    tmp_path: Path, clock: FakeClock, sleep: HookedSleep
) -> None:
    async with bot_over_loopback(tmp_path, clock, sleep) as (app, telegram):
        await subscribe_many(app, PATIENTS)
        await start_broadcast(app)
        await telegram.stop()  # nothing listens: every connection is refused

        # Telegram is back on the same port once the first refused send backs off.
        sleep.after = lambda: telegram.start() if telegram.refusing else None
        report = await app.bot_data.sender.run()

        assert telegram.received == Counter(dict.fromkeys(PATIENTS, 1))
        assert report.sent == len(PATIENTS)
        assert await recipient_statuses(app) == {"sent": len(PATIENTS)}
        assert sleep.waits  # refused sends were retried after a backoff


async def test_a_refused_connection_that_never_recovers_fails_unsent(
    tmp_path: Path, clock: FakeClock, sleep: HookedSleep
) -> None:
    async with bot_over_loopback(tmp_path, clock, sleep) as (app, telegram):
        await subscribe_many(app, PATIENTS)
        clock.advance(days=1)
        await telegram.stop()

        report = await dispatch(app)

        assert report.failed == len(PATIENTS)
        assert await delivery_statuses(app) == {"failed": len(PATIENTS)}
        async with app.bot_data.sessions() as session:
            errors = set(await session.scalars(select(Delivery.error)))
        assert all("RequestNotSent" in (error or "") for error in errors)
        assert telegram.received == Counter()
