"""Last-seen writes, many people in one statement.

A patient's first update of the hour records when they were last seen (and,
for a patient who shares their progress, the first name Telegram gives). That
write is for the clinic's statistics, precise to the hour: it need not happen
in that update's own transaction. `LastSeenWriter.note` keeps it in memory and
one transaction a second writes every noted person with one executemany of
the same statement (`storage.consent.record_seen_many`). At 8:00 that is
one write a second instead of one per patient, and the patient's update does
no database work for it.

A write that fails is given back (`on_failure`), so the person's next update
notes them again. What is noted when the process stops is written by
`flush()` at shutdown; a process killed outright loses at most the last
second of last-seen times, never anything else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.consent import record_seen_many
from storage.database import is_unavailable

log = logging.getLogger(__name__)

# How long a noted person waits for the write that takes them with the others.
BATCH_DELAY = 1.0  # seconds
# A batch this large is written at once.
MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class Seen:
    user_id: int
    chat_id: int
    first_name: str | None
    at: datetime


class LastSeenWriter:
    """Collects last-seen times and writes them together, at most `delay` later."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_failure: Callable[[Collection[int]], None] = lambda _ids: None,
        delay: float = BATCH_DELAY,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.sessions = sessions
        self.on_failure = on_failure
        self.delay = delay
        self.max_batch = max_batch
        self._pending: dict[int, Seen] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._writing: asyncio.Task[int] | None = None
        # For tests and diagnostics: statements (batches) written and people in them.
        self.batches = 0
        self.written = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def note(self, seen: Seen) -> None:
        """Remember `seen` for the next batch (a later note of the same person wins)."""
        self._pending[seen.user_id] = seen
        if len(self._pending) >= self.max_batch:
            self._start()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._start)

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self.flush(), name="seen-batch")

    async def flush(self) -> int:
        """Write everything noted so far, now; how many people were written."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        written = 0
        while self._pending:
            batch, self._pending = list(self._pending.values()), {}
            try:
                async with self.sessions.begin() as session:
                    await record_seen_many(
                        session=session,
                        seen=[(s.user_id, s.chat_id, s.first_name, s.at) for s in batch],
                    )
            except Exception as error:
                self.on_failure([s.user_id for s in batch])
                if not is_unavailable(error):
                    log.error(
                        "Could not record that %d users were seen", len(batch), exc_info=error
                    )
                return written
            self.batches += 1
            self.written += len(batch)
            written += len(batch)
        return written
