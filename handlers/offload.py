"""CPU-heavy work off the event loop: one worker process.

Drawing a /progress chart takes ~100 ms of CPU (300 ms the first time). On
the event loop every other patient would wait that long; on a thread the GIL
still leaves the loop ~20 ms gaps. One worker process leaves the loop free
(benchmarks/README.md, "Loop stalls").

Starting that process never happens on the loop either: creating the pool,
launching the process (and the resource tracker multiprocessing starts
beside it) run in a thread. `start()` does it at start-up and warms the worker
up (`acubot run`: post_init); otherwise the first `run` does it, in the same
thread-backed way, and the loop keeps serving while it waits. A worker that
died is replaced the same way.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
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
        # The start in progress, shared by everyone who needs the worker meanwhile.
        self._starting: asyncio.Task[ProcessPoolExecutor] | None = None

    async def start(self) -> None:
        """Starts the worker now, off the loop, and has it warm up (rather than on first use)."""
        await self._started(warm=True)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in the worker; the loop keeps serving meanwhile."""
        loop = asyncio.get_running_loop()
        pool = await self._started(warm=False)
        try:
            return await loop.run_in_executor(pool, function, *args)
        except BrokenProcessPool:  # the worker died (killed, out of memory): once more
            if self._pool is pool:
                self._pool = None
            pool = await self._started(warm=False)
            return await loop.run_in_executor(pool, function, *args)

    async def close(self) -> None:
        starting, self._starting = self._starting, None
        if starting is not None:
            # Let a start under way finish, so that its process is shut down too.
            await asyncio.wait([starting])
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def _started(self, *, warm: bool) -> ProcessPoolExecutor:
        """The running pool, started in a thread if there is none."""
        if self._pool is not None:
            return self._pool
        if self._starting is None or self._starting.done():
            self._starting = asyncio.create_task(self._start(warm), name="cpu-pool-start")
        # Shielded: a caller cancelled while waiting does not cancel the start for the others.
        return await asyncio.shield(self._starting)

    async def _start(self, warm: bool) -> ProcessPoolExecutor:
        first_job = self._warm_up if warm and self._warm_up is not None else os.getpid
        pool = await asyncio.to_thread(_launch, first_job)
        self._pool = pool
        return pool


def _launch(first_job: Callable[[], object]) -> ProcessPoolExecutor:
    """A pool whose process is running: the pool launches it with its first job, here.

    Called in a thread: launching a process (spawn, not fork: the bot has
    threads) takes milliseconds to hundreds of milliseconds on a busy machine.
    """
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(first_job)
    return pool
