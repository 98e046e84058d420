"""Short leases, renewed while the work goes on.

A sender holds its claims (subscriptions, broadcast recipients) under a short
lease, CLAIM_LEASE (20 s by default), and renews every lease it holds a third
of that often while it works. A live sender never loses its claims, even
during a minute-long flood-control pause; a dead one's claims are free again
within one lease, so its unstarted work resumes within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def renewing(lease: timedelta, renew: Callable[[], Awaitable[object]]) -> AsyncIterator[None]:
    """Runs `renew()` every third of `lease` (real time) until the block ends.

    Renewal is wall-clock work: a lease runs out in real seconds whatever
    the tests' clock says, so this waits with asyncio.sleep, not the injected
    sleep. A failed renewal is logged and tried again at the next turn.
    """
    every = max(lease.total_seconds() / 3, 0.05)

    async def keep_renewing() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await renew()
            except Exception:  # the database is away: the next turn tries again
                log.warning("Could not renew the claims' leases", exc_info=True)

    task = asyncio.create_task(keep_renewing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
