"""HTTP to the Bot API over "lanes": single-connection clients, one request each.

The dispatcher and the broadcast sender keep up to 16 sends in flight. On one
shared httpx client those requests contend inside httpcore's connection pool:
every request start and finish walks the pool's queue and connections again,
and in our benchmark (benchmarks/bench_http_client.py) 16 sends at once cost
1.5 times the CPU per message of a sequential loop. Giving each
request in flight its own one-connection client (a lane) keeps every request
on httpcore's cheapest path: the connection is always idle when the request
arrives, and HTTP keep-alive still reuses it for the next one. Measured: 0.92
times the sequential loop's CPU per message.

`LanedRequest` is a drop-in `BaseRequest` for python-telegram-bot: the same
timeouts and errors as `HTTPXRequest` (which each lane is), at most `lanes`
requests in flight, and a request that finds every lane busy for longer than
the pool timeout fails with `TimedOut`, as PTB's own pool does. Lanes are
created when first needed, so a bot that only answers chats keeps one or two.

It also tells the send policy whether a failed request could have reached
Telegram. A request that certainly never left (pool timeout, connection
refused, DNS failure, connect timeout, reset while writing) fails with
`RequestNotSent` (a `NetworkError`; `PoolTimedOut` is also a `TimedOut`), and
the policy may send it again. A read or write timeout, or the connection
closed after the request was written, stays PTB's plain `TimedOut` /
`NetworkError`: Telegram may have delivered it, so it is never retried.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from typing import TYPE_CHECKING

import httpx

# PTB's own marker type for "not passed", checked as HTTPXRequest checks it.
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from scheduler.send_policy import PoolTimedOut, RequestNotSent

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

__all__ = ["LanedRequest"]

# httpx's errors raised before any byte of the request reached the server.
# A WriteError means the request was not completely written: a server does not
# act on half a request. A WriteTimeout is not here: the brief is to treat a
# write that stalled as maybe-delivered (the bytes may all be in the kernel).
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every lane: loading the CA bundle takes ~30 ms each time."""
    return httpx.create_ssl_context()


class LanedRequest(BaseRequest):
    """Up to `lanes` concurrent Bot API requests, each on its own connection."""

    def __init__(
        self,
        lanes: int,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        if lanes < 1:
            raise ValueError(f"lanes must be >= 1, got {lanes}")
        self.lanes = lanes
        self._timeouts = {
            "read_timeout": read_timeout,
            "write_timeout": write_timeout,
            "connect_timeout": connect_timeout,
            "pool_timeout": pool_timeout,
        }
        self._slots = asyncio.Semaphore(lanes)
        self._idle: list[HTTPXRequest] = []  # a stack: the warmest connection first
        self._all: list[HTTPXRequest] = []
        self._closed = False

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout, as `HTTPXRequest.read_timeout`."""
        return self._timeouts["read_timeout"]

    @property
    def lanes_open(self) -> int:
        """How many lanes exist now (for tests and diagnostics)."""
        return len(self._all)

    async def initialize(self) -> None:
        """Ready for requests again, also after `shutdown`; lanes open on demand."""
        self._closed = False

    async def shutdown(self) -> None:
        """Closes every lane's connection."""
        self._closed = True
        lanes, self._all, self._idle = self._all, [], []
        for lane in lanes:
            await lane.shutdown()
        # Nothing is in flight any more; a fresh semaphore also lets an
        # application that is started again run on a new event loop.
        self._slots = asyncio.Semaphore(self.lanes)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Sends one request on a free lane; waits at most the pool timeout for one."""
        if self._closed:
            raise RuntimeError("This LanedRequest is not initialized!")
        wait = pool_timeout
        if isinstance(wait, DefaultValue):
            wait = self._timeouts["pool_timeout"]
        await self._take_slot(wait)
        try:
            lane = self._idle.pop() if self._idle else self._open_lane()
            try:
                return await lane.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except NetworkError as error:
                # HTTPXRequest raises TimedOut / NetworkError from httpx's error.
                if isinstance(error.__cause__, _NOT_SENT):
                    raise RequestNotSent(
                        f"{error.message} (not sent: {type(error.__cause__).__name__})"
                    ) from error.__cause__
                raise
            finally:
                if not self._closed:
                    self._idle.append(lane)
        finally:
            self._slots.release()

    async def _take_slot(self, wait: float | None) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # a free lane: returns at once
            return
        try:
            async with asyncio.timeout(wait):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolTimedOut(
                "Pool timeout: every connection to the Bot API is busy. "
                "The request was not sent to Telegram."
            ) from None

    def _open_lane(self) -> HTTPXRequest:
        lane = HTTPXRequest(
            connection_pool_size=1,
            read_timeout=self._timeouts["read_timeout"],
            write_timeout=self._timeouts["write_timeout"],
            connect_timeout=self._timeouts["connect_timeout"],
            pool_timeout=self._timeouts["pool_timeout"],
            httpx_kwargs={"verify": _ssl_context()},
        )
        self._all.append(lane)
        return lane
