"""A loopback Bot API sink for the reminder benchmark, in its own process.

Serves `bot.loopback_server.LoopbackBotAPI` on 127.0.0.1 (port chosen by the
OS), prints its base URL on stdout, then serves until killed (or until
`--max-seconds` pass, so it can never outlive a crashed benchmark for long).

The stock `InProcessBotAPI` keeps every call and every message in memory,
which is what tests want but not what a 100,000-message sink wants; the
subclass below answers `sendMessage` exactly as the stock one does (same
JSON) but only counts it. `benchStats` returns the counters, so the
benchmark can check the bot-side send counts against what arrived here.

Run: .venv/bin/python benchmarks/sink.py
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.local_api import BOT_USER, InProcessBotAPI
from bot.loopback_server import LoopbackBotAPI


class CountingBotAPI(InProcessBotAPI):
    """Answers like `InProcessBotAPI`, but counts sendMessage calls instead of storing them."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self._ids = itertools.count(1)

    def handle(
        self, api_method: str, params: dict[str, Any], uploads: dict[str, tuple[str, bytes]]
    ) -> tuple[int, bytes]:
        self.counts[api_method] += 1
        if api_method == "benchStats":
            return 200, json.dumps({"ok": True, "result": dict(self.counts)}).encode()
        if api_method == "sendMessage":
            message: dict[str, Any] = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return 200, json.dumps({"ok": True, "result": message}).encode()
        # Everything else (getMe, setMyCommands, ...) as the stock fake answers it;
        # there are only a handful of these per run, so storing them is harmless.
        return super().handle(api_method, params, uploads)


class WideBacklogLoopback(LoopbackBotAPI):
    """`LoopbackBotAPI` with a listen backlog of 4096 instead of asyncio's default 100.

    With 100, a client opening hundreds of connections at once (the JobQueue
    variant: every job sends at the same second over a 256-connection pool)
    overflows the accept queue; the kernel then drops SYNs and the client
    retries after 1, 3, 7, 15... s, which would measure the sink, not the bot.
    Telegram's servers do not have that problem, so neither should the sink.
    """

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=4096)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-seconds", type=float, default=3 * 3600)
    args = parser.parse_args()
    server = WideBacklogLoopback(CountingBotAPI())
    await server.start()
    print(server.base_url, flush=True)
    try:
        await asyncio.sleep(args.max_seconds)
    finally:
        await server.stop()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
