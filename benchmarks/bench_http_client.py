"""HTTP client benchmark: why the bot's Bot API client uses lanes (bot/http_lanes.py).

Sends the real reminder (text and keyboard) with python-telegram-bot's `Bot` to
the loopback sink (benchmarks/sink.py, its own process) in three ways, and
reports CPU per message in this process and throughput:

* sequential   one `await bot.send_message` after another, PTB's default client
               (the bare loop of bench_reminders.py)
* shared pool  16 senders at once on one httpx client with a 40-connection pool
               (what `ApplicationBuilder().connection_pool_size(40)` gives)
* lanes        16 senders at once on `bot_api_request()`, the client the bot uses:
               40 single-connection clients, one request each

The variants run in turn in one process, their order rotated every repeat,
so each repeat compares them under the same machine load. Medians are printed
with each variant's CPU per message as a multiple of the sequential loop's.

Run: .venv/bin/python benchmarks/bench_http_client.py [--n 5000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reminders import DUE, ROUTINE, TOKEN, Sink
from telegram import Bot
from telegram.constants import ParseMode
from telegram.request import BaseRequest, HTTPXRequest

from bot.application import bot_api_request
from content.catalogue import load_catalogue
from content.i18n import translator
from scheduler.reminder_message import reminder_keyboard, reminder_text

CONCURRENCY = 16  # the dispatcher's sends in flight
CHAT0 = 20_000_000

Variant = Callable[[str, str, int], Awaitable[tuple[float, float]]]


async def _send_all(bot: Bot, text: str, n: int, senders: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to send n messages with `senders` at once."""
    numbers = iter(range(n))

    async def sender() -> None:
        for i in numbers:
            await bot.send_message(
                CHAT0 + i,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=reminder_keyboard(translator("en"), i),
            )

    wall, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(*(sender() for _ in range(senders)))
    return time.monotonic() - wall, time.process_time() - cpu


async def _with_bot(
    base: str, request: BaseRequest | None, text: str, n: int, senders: int
) -> tuple[float, float]:
    async with Bot(TOKEN, base_url=f"{base}/bot", request=request) as bot:
        await _send_all(bot, text, 50, senders)  # warm: connections open, code paths hot
        return await _send_all(bot, text, n, senders)


async def sequential(base: str, text: str, n: int) -> tuple[float, float]:
    return await _with_bot(base, None, text, n, 1)


async def shared_pool(base: str, text: str, n: int) -> tuple[float, float]:
    return await _with_bot(base, HTTPXRequest(connection_pool_size=40), text, n, CONCURRENCY)


async def lanes(base: str, text: str, n: int) -> tuple[float, float]:
    return await _with_bot(base, bot_api_request(), text, n, CONCURRENCY)


VARIANTS: dict[str, tuple[int, Variant]] = {
    "sequential": (1, sequential),
    "shared pool": (CONCURRENCY, shared_pool),
    "lanes (the bot's client)": (CONCURRENCY, lanes),
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="messages per variant and repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    text = reminder_text(translator("en"), load_catalogue(), ROUTINE, DUE.date())
    sink = Sink()
    sink.start()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    try:
        names = list(VARIANTS)
        for repeat in range(args.repeats):
            shift = repeat % len(names)
            for name in names[shift:] + names[:shift]:
                wall, cpu = await VARIANTS[name][1](sink.url, text, args.n)
                results[name].append((wall, cpu))
                print(
                    f"  repeat {repeat}: {name:26} {args.n / wall:7.0f} msg/s "
                    f"{cpu / args.n * 1000:6.3f} CPU ms/msg",
                    file=sys.stderr,
                )
    finally:
        sink.stop()
    base_cpu = statistics.median(cpu for _wall, cpu in results["sequential"]) / args.n
    print(f"\n## HTTP client: {args.n:,} messages x {args.repeats} repeats (medians)\n")
    print("| client | sends in flight | msg/s | CPU ms/msg | CPU × sequential |")
    print("|---|---|---|---|---|")
    for name, (in_flight, _variant) in VARIANTS.items():
        rate = statistics.median(args.n / wall for wall, _cpu in results[name])
        cpu = statistics.median(cpu for _wall, cpu in results[name]) / args.n
        print(f"| {name} | {in_flight} | {rate:,.0f} | {cpu * 1000:.3f} | {cpu / base_cpu:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
