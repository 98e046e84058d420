"""Marking rows "sending" together: one statement for the sends that start together.

Each bulk send marks its row "sending" just before its request is written
(see storage: a compare-and-set). Done one transaction per send, the 16
sends of an unpaced chunk would queue for SQLite's write lock one by one;
here the sends that reach that point in the same turn of the event loop
share one UPDATE ... RETURNING, and each learns whether its row was won.
Under pacing (one send every 40 ms at 25/s) each mark is its own statement,
which is what "only what is truly in flight" needs anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence


class MarkSending:
    """Calls `mark(ids) -> ids won` for the rows asked for in one loop turn, one batch at a time."""

    def __init__(self, mark: Callable[[Sequence[int]], Awaitable[set[int]]]) -> None:
        self._mark = mark
        self._waiting: dict[int, asyncio.Future[bool]] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, row_id: int) -> bool:
        """True if this sender won the row and may send it now."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[row_id] = future
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the other sends that start in this turn join
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    won = await self._mark(list(batch))
                except Exception as error:  # the database: every waiting send fails alike
                    for future in batch.values():
                        if not future.done():
                            future.set_exception(error)
                    continue
                for row_id, future in batch.items():
                    if not future.done():  # a cancelled send
                        future.set_result(row_id in won)
        finally:
            self._flusher = None
