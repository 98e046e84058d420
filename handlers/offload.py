"""CPU-heavy work off the event loop: one worker process.

Drawing a /progress chart takes ~100 ms of CPU (300 ms the first time). On
the event loop every other patient would wait that long; on a thread the GIL
still leaves the loop ~20 ms gaps. One worker process leaves the loop free
(benchmarks/README.md, "Loop stalls"). The worker is started on first use, or
in advance by `start()` (`acubot run` does), and re-created if it dies.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")


class CpuPool:
    """Runs picklable functions in one separate process."""

    def __init__(self, warm_up: Callable[[], object] | None = None) -> None:
        self._warm_up = warm_up
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Starts the worker now (and warms it up) rather than on first use."""
        pool = self._ensure()
        if self._warm_up is not None:
            pool.submit(self._warm_up)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in the worker; the loop keeps serving meanwhile."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._ensure(), function, *args)
        except BrokenProcessPool:  # the worker died (killed, out of memory): once more
            self._pool = None
            return await loop.run_in_executor(self._ensure(), function, *args)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    def _ensure(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the bot has threads (aiosqlite, the executor's own).
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool
