"""Scale benchmarks: PostgreSQL workers, and replies during a broadcast.

1. `workers`: N reminders due in the same minute on PostgreSQL, sent by 1, 2 and 3
   `acubot worker` processes to a loopback Bot API; throughput, and duplicates
   (which must be 0) counted per chat at the sink.
2. `replies`: how fast a patient's `/point` is answered while a 10,000-recipient
   broadcast is being sent at the production pace (SEND_RATE, 25/s), beside the
   same replies with no broadcast. The sink is a separate process
   (benchmarks/sink.py), the bot talks real HTTP to it.

Run: .venv/bin/python benchmarks/bench_scale.py [--part workers replies] [--n 10000]
This machine is shared and noisy: the table shows medians and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from datetime import time as wall_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bot.application import build_application, running
from bot.loopback_server import serving
from bot.settings import Settings
from bot.update_factory import UpdateFactory
from storage import broadcasts, migrate
from storage.database import create_engine, create_session_factory
from storage.models import Subscription, User

TOKEN = "123456:" + "B" * 35
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def seed(url: str, n: int, *, subscribed: bool) -> None:
    """N users (and due subscriptions) in one transaction."""
    now = datetime.now(UTC).replace(microsecond=0)
    engine = create_engine(url)
    await migrate.upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(
            insert(User),
            [
                {"id": i, "chat_id": i, "first_seen_at": now, "last_seen_at": now,
                 "language_code": "en", "blocked": False}
                for i in range(1, n + 1)
            ],
        )  # fmt: skip
        if subscribed:
            await connection.execute(
                insert(Subscription),
                [
                    {"user_id": i, "chat_id": i, "local_time": wall_time(8), "routine": "clinic",
                     "timezone": "America/Chicago", "active": True, "next_due_at": now,
                     "created_at": now, "updated_at": now}
                    for i in range(1, n + 1)
                ],
            )  # fmt: skip
    await engine.dispose()


# -- part 1: PostgreSQL with several workers ---------------------------------------


async def run_workers(base_url: str, n: int, workers: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from tests import postgres  # the same fresh-database helper the tests use

    os.environ.setdefault(postgres.ENV, base_url)
    async with postgres.fresh_database("acubot_bench") as url:
        await seed(url, n, subscribed=True)
        async with serving() as sink:
            environment = {
                **os.environ,
                "DATABASE_URL": url,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": sink.base_url,
                "SEND_RATE": "0",
                "DISPATCH_INTERVAL": "0.5s",
                "LOG_LEVEL": "WARNING",
            }
            started = time.monotonic()
            processes = [
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "worker", env=environment, cwd=ROOT,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                for _ in range(workers)
            ]  # fmt: skip
            first = last = None
            try:
                while time.monotonic() - started < 600:
                    sent = sum(1 for c in sink.api.calls if c.method == "sendMessage")
                    if sent and first is None:
                        first = time.monotonic()
                    if sent >= n:
                        last = time.monotonic()
                        break
                    await asyncio.sleep(0.05)
                await asyncio.sleep(3)  # long enough for a duplicate to show up
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    await asyncio.wait_for(process.wait(), timeout=30)
            per_chat = Counter(c.chat_id for c in sink.api.calls if c.method == "sendMessage")
    assert first is not None and last is not None, "the workers did not finish"
    return {
        "workers": workers,
        "sent": sum(per_chat.values()),
        "duplicates": sum(count - 1 for count in per_chat.values() if count > 1),
        "missing": n - len(per_chat),
        "seconds": last - first,
        "throughput": n / (last - first),
        "startup": first - started,
    }


# -- part 2: replies during a broadcast ------------------------------------------------


async def measure_replies(
    with_broadcast: bool, n: int, window: float, reply_rate: float
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        await seed(url, n, subscribed=False)
        sink = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "benchmarks" / "sink.py"), stdout=subprocess.PIPE
        )
        try:
            assert sink.stdout is not None
            base_url = (await sink.stdout.readline()).decode().strip()
            settings = Settings(
                _env_file=None,
                database_url=url,
                telegram_bot_token=TOKEN,
                telegram_api_base_url=base_url,
                send_rate=25,  # production pacing
            )
            app = build_application(settings, dispatch_interval=None)
            async with running(app):
                if with_broadcast:
                    engine = create_engine(url)
                    async with create_session_factory(engine).begin() as session:
                        draft = await broadcasts.create_draft(
                            session=session, admin_id=0, now=datetime.now(UTC)
                        )
                        await broadcasts.update_broadcast(
                            session=session,
                            broadcast_id=draft,
                            text="Evening hours!",
                            audience="all",
                        )
                        await broadcasts.confirm_broadcast(
                            session=session, broadcast_id=draft, now=datetime.now(UTC), send_at=None
                        )
                    await engine.dispose()
                sending = asyncio.create_task(app.bot_data.sender.run())
                await asyncio.sleep(1)  # the broadcast is under way
                patient = UpdateFactory(app.bot, user_id=n + 1)
                latencies: list[float] = []
                start = time.monotonic()
                while time.monotonic() - start < window:
                    began = time.monotonic()
                    await app.process_update(patient.text("/point BL40"))
                    latencies.append(time.monotonic() - began)
                    await asyncio.sleep(max(0.0, 1 / reply_rate - (time.monotonic() - began)))
                elapsed = time.monotonic() - start
                app.bot_data.sender.request_stop()
                await sending
                broadcast_sent = sending.result().sent
        finally:
            sink.terminate()
            await asyncio.wait_for(sink.wait(), timeout=10)
    return {
        "broadcast": with_broadcast,
        "replies": len(latencies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "broadcast_per_s": broadcast_sent / (elapsed + 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", nargs="+", choices=["workers", "replies"], default=["workers", "replies"]
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument(
        "--postgres", default=os.environ.get("ACUBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--window", type=float, default=30.0, help="seconds of replies measured")
    parser.add_argument("--reply-rate", type=float, default=4.0, help="replies per second")
    args = parser.parse_args()

    if "workers" in args.part:
        print(f"\n## Reminders on PostgreSQL, N = {args.n:,}, pacing off, loopback sink\n")
        print(
            "| workers | sent | duplicates | missing | first→last send s | msg/s | × 1 worker | start→first send s |"
        )
        print("|---|---|---|---|---|---|---|---|")
        baseline = None
        for workers in (1, 2, 3):
            result = asyncio.run(run_workers(args.postgres, args.n, workers))
            baseline = baseline or result["throughput"]
            print(
                f"| {workers} | {result['sent']:,} | {result['duplicates']} | {result['missing']} "
                f"| {result['seconds']:.1f} | {result['throughput']:.0f} "
                f"| {result['throughput'] / baseline:.2f} | {result['startup']:.1f} |",
                flush=True,
            )
    if "replies" in args.part:
        print(
            f"\n## /point reply latency, {args.reply_rate:g} replies/s for {args.window:g} s, "
            f"SEND_RATE 25/s, {args.n:,}-recipient broadcast\n"
        )
        print("| broadcast in flight | replies | p50 ms | p99 ms | broadcast msg/s |")
        print("|---|---|---|---|---|")
        rows = [
            asyncio.run(measure_replies(flag, args.n, args.window, args.reply_rate))
            for flag in (False, True)
        ]
        for row in rows:
            print(
                f"| {'yes' if row['broadcast'] else 'no'} | {row['replies']} | {row['p50_ms']:.0f} "
                f"| {row['p99_ms']:.0f} | {row['broadcast_per_s']:.1f} |"
            )
        print(f"\np50 ratio (during / without): {rows[1]['p50_ms'] / rows[0]['p50_ms']:.2f}")


if __name__ == "__main__":
    main()
