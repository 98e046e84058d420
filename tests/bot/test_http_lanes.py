"""LanedRequest: Bot API calls over single-connection lanes, real HTTP on loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.application import build_application, running
from bot.http_lanes import LanedRequest
from bot.loopback_server import serving
from tests.conftest import make_settings
from tests.harness import Patient

TOKEN = "123456:" + "A" * 35


class HeldServer:
    """An HTTP server that answers each request only when told to.

    Counts requests and connections, so a test can see how many requests
    reached it and over how many connections.
    """

    def __init__(self) -> None:
        self.requests = 0
        self.connections = 0
        self.release = asyncio.Event()
        self._arrived = asyncio.Condition()
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/bot{TOKEN}/getMe"

    async def wait_for_requests(self, count: int) -> None:
        async with self._arrived:
            await self._arrived.wait_for(lambda: self.requests >= count)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.readline():
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                async with self._arrived:
                    self.requests += 1
                    self._arrived.notify_all()
                await self.release.wait()
                body = b'{"ok": true, "result": true}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def held_server() -> AsyncIterator[HeldServer]:
    held = HeldServer()
    held.server = await asyncio.start_server(held._serve, "127.0.0.1", 0)
    try:
        yield held
    finally:
        held.release.set()
        held.server.close()


async def test_concurrent_calls_each_get_their_own_connection_up_to_the_lane_count() -> None:
    request = LanedRequest(3)
    async with held_server() as server, request:
        calls = [asyncio.create_task(request.post(server.url)) for _ in range(5)]
        await server.wait_for_requests(3)
        assert (server.requests, server.connections, request.lanes_open) == (3, 3, 3)
        server.release.set()
        assert await asyncio.gather(*calls) == [True] * 5
        # The two that waited went out on lanes already open: keep-alive, no new connection.
        assert (server.requests, server.connections, request.lanes_open) == (5, 3, 3)


async def test_a_call_that_finds_every_lane_busy_times_out_without_sending() -> None:
    request = LanedRequest(2)
    async with held_server() as server, request:
        busy = [asyncio.create_task(request.post(server.url)) for _ in range(2)]
        await server.wait_for_requests(2)
        with pytest.raises(TimedOut, match="every connection to the Bot API is busy"):
            await request.post(server.url, pool_timeout=0)
        assert server.requests == 2  # the refused call never reached the server
        server.release.set()
        assert await asyncio.gather(*busy) == [True, True]


async def test_a_cancelled_wait_for_a_lane_gives_nothing_away() -> None:
    request = LanedRequest(1)
    async with held_server() as server, request:
        first = asyncio.create_task(request.post(server.url))
        await server.wait_for_requests(1)
        waiting = asyncio.create_task(request.post(server.url, pool_timeout=None))
        await asyncio.sleep(0)  # let it queue for the lane (no time passes)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        server.release.set()
        assert await first is True
        # The lane is free again: two more calls, one after the other, on it.
        assert await request.post(server.url) is True
        assert await request.post(server.url) is True
        assert (server.requests, server.connections) == (3, 1)


async def test_after_shutdown_calls_are_refused_until_initialised_again() -> None:
    request = LanedRequest(2)
    async with held_server() as server:
        server.release.set()
        await request.initialize()
        assert await request.post(server.url) is True
        await request.shutdown()
        assert request.lanes_open == 0
        with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
            await request.post(server.url)
        await request.initialize()
        assert await request.post(server.url) is True


def test_a_lane_count_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="lanes must be >= 1"):
        LanedRequest(0)


async def test_a_bot_sends_many_messages_at_once_over_a_few_connections() -> None:
    async with serving() as loopback:
        request = LanedRequest(4)
        async with Bot(TOKEN, base_url=f"{loopback.base_url}/bot", request=request) as bot:
            await asyncio.gather(*(bot.send_message(1000 + i, f"hello {i}") for i in range(40)))
            assert request.lanes_open <= 4
    assert sorted(call.params["chat_id"] for call in loopback.api.sent()) == [
        1000 + i for i in range(40)
    ]


async def test_the_application_talks_to_telegram_through_lanes(tmp_path: Path) -> None:
    async with serving() as loopback:
        settings = make_settings(
            tmp_path / "t.sqlite3",
            telegram_bot_token=TOKEN,
            telegram_api_base_url=loopback.base_url,
        )
        app = build_application(settings)
        assert isinstance(app.bot.request, LanedRequest)
        async with running(app):
            await Patient(app, loopback.api).send("/point UB40")
    assert "BL40" in loopback.api.sent()[0].text  # the card's caption names the point
