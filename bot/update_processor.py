"""Updates processed concurrently, each person's in order, a flooding person slowed alone.

python-telegram-bot processes one update at a time by default, so every
patient waits for everyone else's Bot API round trips. `PerUserUpdateProcessor`
runs updates of different people at once (at most `concurrency` at a time) and
those of one person strictly one after another, in the order they came, so a
flow's answers never overtake each other.

A person who sends faster than anyone types is slowed on their own (a
per-person GCRA bucket: a burst of `burst`, then `rate` a second): updates
beyond the burst wait their turn up to `max_delay` seconds, later ones are
dropped, and `on_flood` is told (it sends one polite note per flood and
answers dropped button presses). Everyone else is not slowed at all.

Time is the event loop's clock, so a test on a virtual-time loop sees exact
delays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# How many updates may be in the processor at once, waiting or working. PTB's
# own semaphore counts an update from arrival, so it only bounds memory here;
# `concurrency` bounds the work.
ADMITTED_UPDATES = 10_000
CONCURRENCY = 32
FLOOD_BURST = 10
FLOOD_RATE = 1.0  # updates per second after the burst
FLOOD_MAX_DELAY = 5.0

# on_flood(update, first_of_flood, dropped)
FloodNotice = Callable[[Update, bool, bool], Awaitable[None]]


@dataclass(slots=True)
class _Pace:
    tat: float  # GCRA's theoretical arrival time of the person's next update
    noted: bool = False  # told about this flood already


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Different people concurrently, one person's updates in order, floods slowed."""

    def __init__(
        self,
        concurrency: int = CONCURRENCY,
        *,
        burst: int = FLOOD_BURST,
        rate: float = FLOOD_RATE,
        max_delay: float = FLOOD_MAX_DELAY,
        on_flood: FloodNotice | None = None,
    ) -> None:
        super().__init__(ADMITTED_UPDATES)
        self.concurrency = concurrency
        self._interval = 1 / rate
        self._tolerance = (burst - 1) * self._interval
        self._max_delay = max_delay
        self._on_flood = on_flood
        self._working = asyncio.Semaphore(concurrency)
        self._tails: dict[int, asyncio.Future[None]] = {}
        self._paces: dict[int, _Pace] = {}
        self.dropped = 0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close: PTB waits for the update tasks itself."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        sender = _sender(update)
        if sender is None:  # no person behind it: no order to keep
            async with self._working:
                await coroutine
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        start_at, first = self._admit(sender, now)
        if start_at is None:
            self.dropped += 1
            _close(coroutine)
            await self._notify(update, first, dropped=True)
            return

        # Joined before anything is awaited, so the person's order is the arrival order.
        previous = self._tails.get(sender)
        mine: asyncio.Future[None] = loop.create_future()
        self._tails[sender] = mine
        started = False
        try:
            if start_at > now:
                await self._notify(update, first, dropped=False)
            if previous is not None:
                await asyncio.wait((previous,))  # not `await previous`: a cancel stays ours
            if (delay := start_at - loop.time()) > 0:
                await asyncio.sleep(delay)
            async with self._working:
                started = True
                await coroutine
        finally:
            if not started:
                _close(coroutine)
            mine.set_result(None)
            if self._tails.get(sender) is mine:
                del self._tails[sender]

    def _admit(self, sender: int, now: float) -> tuple[float | None, bool]:
        """(when the update may start, or None to drop it; whether a flood just began)."""
        pace = self._paces.get(sender)
        if pace is None or pace.tat <= now:
            if len(self._paces) > 4096:
                self._paces = {k: p for k, p in self._paces.items() if p.tat > now}
            pace = self._paces[sender] = _Pace(tat=now)
        start = max(now, pace.tat - self._tolerance)
        first = start > now and not pace.noted
        if start > now:
            pace.noted = True
        if start - now > self._max_delay:
            return None, first
        pace.tat = max(start, pace.tat) + self._interval
        return start, first

    async def _notify(self, update: object, first: bool, *, dropped: bool) -> None:
        if self._on_flood is None or not isinstance(update, Update):
            return
        if not first and not (dropped and update.callback_query):
            return
        try:
            await self._on_flood(update, first, dropped)
        except Exception:  # a note is best effort; never let it stop the update's turn
            log.warning("Could not tell a flooding user to slow down", exc_info=True)


def _sender(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
