"""What a process keeps of the database for everyone, read again at most once per
`refresh_every` seconds however many callers ask (storage.pending.PendingIndex,
storage.safety.PregnantSet)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RefreshedEvery:
    """The cadence of such a read: due once `refresh_every` seconds (monotonic clock)
    have passed since the last read that succeeded; concurrent callers share one.

    A subclass's read calls `_read_started()` before it reads and `_read_done(started)`
    once it has succeeded: a failed read is tried again by the next caller.
    """

    def __init__(
        self, *, refresh_every: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.refresh_every = refresh_every
        self._monotonic = monotonic
        self._refreshed_at: float | None = None
        self._lock = asyncio.Lock()

    def needs_refresh(self) -> bool:
        last = self._refreshed_at
        return last is None or self._monotonic() - last >= self.refresh_every

    async def refresh_if_due(self, read: Callable[[], Awaitable[None]]) -> None:
        """Runs `read` (the subclass's refresh, in a session of the caller's) if it is due;
        callers arriving meanwhile wait for that read rather than make their own."""
        if not self.needs_refresh():
            return
        async with self._lock:
            if self.needs_refresh():
                await read()

    def _read_started(self) -> float:
        return self._monotonic()

    def _read_done(self, started: float) -> None:
        self._refreshed_at = started
