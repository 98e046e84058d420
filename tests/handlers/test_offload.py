"""The chart worker: one process, started in a thread, warmed up first, replaced if it dies."""

from __future__ import annotations

import asyncio
import os
import signal
from functools import partial
from pathlib import Path

from handlers.offload import CpuPool


async def test_the_first_callers_share_one_worker_process() -> None:
    pool = CpuPool()
    try:
        # Three /progress at once before the worker exists: one process is started for all.
        pids = await asyncio.gather(*(pool.run(os.getpid) for _ in range(3)))
        assert len(set(pids)) == 1 and pids[0] != os.getpid()
        assert await pool.run(os.getpid) == pids[0]
    finally:
        await pool.close()


async def test_start_warms_the_worker_up_before_any_work(tmp_path: Path) -> None:
    warmed = tmp_path / "warm"
    pool = CpuPool(warm_up=partial(Path.write_text, warmed, "drawn once"))
    try:
        await pool.start()
        await pool.start()  # started once
        worker = await pool.run(os.getpid)  # one worker, in order: the warm-up ran first
        assert warmed.read_text() == "drawn once"
        assert await pool.run(os.getpid) == worker
    finally:
        await pool.close()


async def test_a_worker_that_died_is_replaced() -> None:
    pool = CpuPool()
    try:
        first = await pool.run(os.getpid)
        os.kill(first, signal.SIGKILL)  # out of memory, or killed by hand
        second = await pool.run(os.getpid)
        assert second not in (first, os.getpid())
        assert await pool.run(os.getpid) == second
    finally:
        await pool.close()


async def test_closing_a_pool_never_started_does_nothing() -> None:
    await CpuPool().close()
