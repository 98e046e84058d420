"""`acubot run`, or a bare python-telegram-bot echo bot, with a loop watchdog and CPU samples.

The morning benchmark runs this as the bot process. Without --echo it is
exactly `acubot run` (bot.cli.main(["run"]): build_application with the real
HTTP request classes, run_polling), configured by the environment; the only
addition is a task started in post_init that measures the event loop:

* a watchdog sleeps `--tick` seconds again and again; the time it wakes up
  late is a stall of the loop (garbage collection included). For each stall
  it also records, from the kernel's scheduler statistics of the loop's own
  thread (/proc/thread-self/schedstat), how long the thread ran on a CPU and
  how long it waited for one during that interval: a stall the thread spent
  running is the bot's own work; one it spent waiting to run is the machine
  (another process had the CPU);
* every 0.1 s it samples time.monotonic() and time.process_time() (all threads,
  so aiosqlite's thread counts), so the benchmark can compute CPU for any
  interval it chose (CLOCK_MONOTONIC is the same in every process);
* gc.callbacks time every collection.

With --echo it is the floor: ApplicationBuilder().token().base_url().build()
with PTB's default request and one MessageHandler that echoes the text.

On SIGUSR1, and when run_polling returns after SIGTERM, the measurements are
written to --stats as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class ThreadSchedule:
    """This thread's time on a CPU and waiting for one, in seconds, from Linux's schedstat."""

    def __init__(self) -> None:
        try:
            self._fd: int | None = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:  # not Linux, or no schedstats: stalls are not attributed
            self._fd = None

    def read(self) -> tuple[float, float]:
        if self._fd is None:
            return math.nan, math.nan
        running, waiting, _slices = os.pread(self._fd, 128, 0).split()
        return int(running) / 1e9, int(waiting) / 1e9


class LoopStats:
    def __init__(self, tick: float) -> None:
        self.tick = tick
        self.samples: list[tuple[float, float]] = []  # (monotonic, process CPU s)
        # (monotonic at wake-up, seconds late, s the loop's thread ran, s it waited to run)
        # for wake-ups more than 10 ms late; the last two cover the whole interval.
        self.stalls: list[tuple[float, float, float, float]] = []
        self.max_stall = 0.0
        self.wakeups = 0
        self.gc: list[tuple[float, int, float]] = []  # (monotonic, generation, seconds) > 2 ms
        self._gc_started = 0.0

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_started = now
        elif self._gc_started:
            took = now - self._gc_started
            if took > 0.002:
                self.gc.append((time.monotonic(), int(info.get("generation", -1)), took))

    async def watch(self) -> None:
        next_sample = 0.0
        schedule = ThreadSchedule()  # the loop's thread: this task runs on it
        last = time.perf_counter()
        ran, waited = schedule.read()
        for _ in range(10**9):  # bounded by the process's life
            await asyncio.sleep(self.tick)
            now = time.perf_counter()
            ran_before, waited_before = ran, waited
            ran, waited = schedule.read()
            late = now - last - self.tick
            last = now
            self.wakeups += 1
            if late > self.max_stall:
                self.max_stall = late
            if late > 0.010:
                self.stalls.append(
                    (time.monotonic(), late, ran - ran_before, waited - waited_before)
                )
            if now >= next_sample:
                self.samples.append((time.monotonic(), time.process_time()))
                next_sample = now + 0.1

    def dump(self, path: Path) -> None:
        self.samples.append((time.monotonic(), time.process_time()))
        data = {
            "samples": self.samples,
            "stalls": self.stalls,
            "max_stall": self.max_stall,
            "wakeups": self.wakeups,
            "gc": self.gc,
            "tick": self.tick,
        }
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(data))
        partial.replace(path)  # atomic: a reader never sees half a file


def start_watchdog(stats: LoopStats, path: Path) -> None:
    gc.callbacks.append(stats.on_gc)
    loop = asyncio.get_running_loop()
    # SIGUSR1: write the measurements now (a stop may take long with a backlog).
    loop.add_signal_handler(signal.SIGUSR1, stats.dump, path)
    task = loop.create_task(stats.watch())
    # Keep a reference: the loop only keeps weak ones.
    stats.task = task  # type: ignore[attr-defined]


def run_acubot(stats: LoopStats, path: Path) -> int:
    import bot.application as application

    original = application.build_application

    def build(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        previous = app.post_init

        async def post_init(app_: Any) -> None:
            if previous is not None:
                await previous(app_)
            start_watchdog(stats, path)

        app.post_init = post_init
        return app

    application.build_application = build  # bot.cli imports it when `run` starts
    from bot.cli import main

    return main(["run"])


def run_echo(stats: LoopStats, path: Path) -> int:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def post_init(_app: Any) -> None:
        start_watchdog(stats, path)

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    root = os.environ["TELEGRAM_API_BASE_URL"]
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{root}/bot")
        .post_init(post_init)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=["message", "callback_query"])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats", type=Path, required=True)
    parser.add_argument("--echo", action="store_true", help="the bare echo Application")
    parser.add_argument("--tick", type=float, default=0.01)
    args = parser.parse_args()
    stats = LoopStats(args.tick)
    try:
        code = run_echo(stats, args.stats) if args.echo else run_acubot(stats, args.stats)
    finally:
        stats.dump(args.stats)
    raise SystemExit(code)


if __name__ == "__main__":
    main()
