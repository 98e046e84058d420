"""The in-process Bot API served over HTTP on 127.0.0.1.

For what must go through real HTTP: the benchmark (a sink for the real
Bot's httpx traffic) and the test that the token never reaches a log even
though httpx logs request URLs. Speaks just enough HTTP/1.1 (keep-alive,
Content-Length bodies, form and multipart encodings) for httpx.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from bot.local_api import InProcessBotAPI


def _decode(value: str) -> Any:
    # PTB JSON-encodes non-string parameters (ids, markup) in form bodies.
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_body(
    content_type: str, body: bytes
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    params: dict[str, Any] = {}
    uploads: dict[str, tuple[str, bytes]] = {}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)  # bytes for a non-multipart part
            if not isinstance(payload, bytes):
                payload = b""
            filename = part.get_filename()
            if filename:
                uploads[str(name)] = (filename, payload)
            else:
                params[str(name)] = _decode(payload.decode())
    elif content_type.startswith("application/json"):
        params = json.loads(body or b"{}")
    else:
        params = {key: _decode(value) for key, value in parse_qsl(body.decode())}
    return params, uploads


class LoopbackBotAPI:
    """Serves an `InProcessBotAPI` at http://127.0.0.1:<port>."""

    def __init__(self, api: InProcessBotAPI | None = None) -> None:
        self.api = api or InProcessBotAPI()
        self.server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL should be set to."""
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            with suppress(Exception):
                await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                _verb, path, _version = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                params, uploads = _parse_body(headers.get("content-type", ""), body)
                status, payload = self.api.handle(path.rsplit("/", 1)[-1], params, uploads)
                writer.write(
                    f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


@asynccontextmanager
async def serving(api: InProcessBotAPI | None = None) -> AsyncIterator[LoopbackBotAPI]:
    """A loopback Bot API for the duration of the block."""
    server = LoopbackBotAPI(api)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
