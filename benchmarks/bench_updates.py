"""CPU per update, by kind, against a bare python-telegram-bot echo bot (the floor).

Both bots run on the same in-process Bot API (bot/local_api.py), so no network
and no HTTP client are measured, only each bot's own work. Updates go through
each Application's own update queue (`update_queue.put`, then `join`), as
polling and the webhook deliver them: the bot with its per-person concurrent
processor, the echo bot with PTB's default.

Kinds: `/point BL40` (the card: photo + text), ✅ Done and the 0-10 pain
answer on a reminder, `/start` from a new person, `/progress` (its chart is
drawn in the worker process: that CPU is reported in its own column). Each
person sends at most a few updates, as in real life (and under the flood
limit). The people measured have been seen in the last hour and their language
read in the last 10 minutes (the last-seen write and the language read,
once an hour and once per 10 minutes a person, are not counted; `--cold`
counts them); the database holds their user, subscription and today's
reminder rows.

CPU is `time.process_time()` of the process (all its threads, so
aiosqlite's too) over a phase, divided by the updates in it. Both bots run
in one process, and every batch of the bot comes right after a batch of the
floor, so each pair sees the same load on a shared machine: the "x echo
floor" column is the median of those paired ratios, the CPU columns medians
of the repeats. Statements, commits, connection checkouts and Bot API calls
are counted per update.

Run: .venv/bin/python benchmarks/bench_updates.py [--n 300] [--repeats 5]
     [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, MessageHandler, filters

from bot.application import OFFLINE_TOKEN, build_application, running
from bot.local_api import BOT_USER, InProcessBotAPI
from bot.settings import Settings
from bot.update_factory import UpdateFactory
from content.i18n import translator
from handlers.language import refresh_chosen_languages
from scheduler import callback_data as cb
from scheduler.checkin_message import score_keyboard
from scheduler.reminder_message import DONE, reminder_keyboard
from storage.checkins import CheckInKind
from storage.models import Delivery, Subscription, User

EN = translator("en")
NOW = datetime(2027, 3, 1, 14, 0, 5, tzinfo=UTC)  # 08:00:05 in Chicago
ZONE = "America/Chicago"
TODAY = date(2027, 3, 1)
KINDS = ("/point", "Done", "pain", "/start", "/progress")
# --cold: the people measured have not been seen this hour, nor their own language read in
# the last 10 minutes (a patient's first update of the morning); everyone's languages were
# read at once, as `acubot run` does every 5 minutes.
COLD = False


@dataclass
class Counters:
    statements: int = 0
    commits: int = 0
    checkouts: int = 0

    def snapshot(self) -> tuple[int, int, int]:
        return self.statements, self.commits, self.checkouts


@dataclass
class Phase:
    cpu_ms: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # to the floor batch just before
    worker_ms: list[float] = field(default_factory=list)
    statements: float = 0
    commits: float = 0
    checkouts: float = 0
    api_calls: float = 0


def worker_cpu_seconds(app: Any) -> float:
    """CPU of the chart worker process so far (0 if it is not running)."""
    pool = app.bot_data.cpu._pool
    total = 0.0
    for pid in getattr(pool, "_processes", {}) or {}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def feed(app: Any, updates: list[Update]) -> None:
    for update in updates:
        await app.update_queue.put(update)
    await app.update_queue.join()


async def measure(
    app: Any, api: InProcessBotAPI, counters: Counters | None, updates: list[Update], phase: Phase
) -> None:
    calls = len(api.calls)
    before = counters.snapshot() if counters else (0, 0, 0)
    worker = worker_cpu_seconds(app) if counters else 0.0
    gc.collect()
    cpu = time.process_time()
    await feed(app, updates)
    spent = time.process_time() - cpu
    n = len(updates)
    phase.cpu_ms.append(1000 * spent / n)
    if counters:
        after = counters.snapshot()
        phase.statements = (after[0] - before[0]) / n
        phase.commits = (after[1] - before[1]) / n
        phase.checkouts = (after[2] - before[2]) / n
        phase.worker_ms.append(1000 * (worker_cpu_seconds(app) - worker) / n)
    phase.api_calls = (len(api.calls) - calls) / n


async def seed(app: Any, first: int, count: int) -> dict[int, int]:
    """Users, subscriptions and today's sent reminder; returns {user: delivery id}."""
    services = app.bot_data
    users = range(first, first + count)
    async with services.sessions.begin() as session:
        await session.execute(
            insert(User),
            [
                {"id": u, "chat_id": u, "first_seen_at": NOW, "last_seen_at": NOW,
                 "language_code": "en", "blocked": False}
                for u in users
            ],
        )  # fmt: skip
        await session.execute(
            insert(Subscription),
            [
                {"user_id": u, "chat_id": u, "local_time": wall_time(8), "routine": "clinic",
                 "timezone": ZONE, "active": True, "next_due_at": NOW + timedelta(days=1),
                 "created_at": NOW, "updated_at": NOW}
                for u in users
            ],
        )  # fmt: skip
    async with services.sessions.begin() as session:
        subs = dict(
            (await session.execute(Subscription.__table__.select().with_only_columns(
                Subscription.user_id, Subscription.id).where(Subscription.user_id.in_(users)))).all()
        )  # fmt: skip
        rows = await session.execute(
            insert(Delivery).returning(Delivery.user_id, Delivery.id),
            [
                {"subscription_id": subs[u], "user_id": u, "local_date": TODAY, "due_at": NOW,
                 "status": "sent", "attempts": 1, "message_id": 500_000 + u, "sent_at": NOW}
                for u in users
            ],
        )  # fmt: skip
        deliveries = dict(rows.all())
    if COLD:
        # As `acubot run` does at start and every 5 minutes: everyone's /language
        # choice read at once (handlers.language.refresh_chosen_languages).
        await refresh_chosen_languages(services)
    else:
        for user in users:
            services.seen_at[user] = NOW  # seen in the last hour: no last-seen write
            # Language read in the last 10 minutes (none chosen): no read of it either.
            services.languages.remember(user, None, NOW)
    return deliveries


def reminder_message(user: int, keyboard: InlineKeyboardMarkup) -> dict[str, Any]:
    """The reminder as the patient has it, with its buttons (a message without buttons
    is answered as already answered, by the flow guard)."""
    return {
        "message_id": 500_000 + user,
        "date": int(NOW.timestamp()),
        "chat": {"id": user, "type": "private"},
        "from": BOT_USER,
        "text": "Time for today's back care",
        "reply_markup": keyboard.to_dict(),
    }


def updates_for(
    kind: str, app: Any, people: list[UpdateFactory], deliveries: dict[int, int], first: int
) -> list[Update]:
    """One batch of `kind`, one update per person."""
    if kind == "/point":
        return [p.text("/point BL40") for p in people]
    if kind == "Done":
        return [
            p.press(
                reminder_message(p.user_id, reminder_keyboard(EN, deliveries[p.user_id])),
                cb.encode(cb.ReminderButton(DONE, deliveries[p.user_id])),
            )
            for p in people
        ]
    if kind == "pain":  # on the reminder as Done left it: the 0-10 question
        pain = score_keyboard(CheckInKind.PAIN, TODAY)
        data = cb.encode(cb.CheckInButton(CheckInKind.PAIN, TODAY, 4))
        return [p.press(reminder_message(p.user_id, pain), data) for p in people]
    if kind == "/start":  # new people
        return [
            UpdateFactory(app.bot, user_id=first + 50_000 + i).text("/start")
            for i in range(len(people))
        ]
    return [p.text("/progress") for p in people[: max(5, len(people) // 10)]]


def echo_app() -> tuple[Any, InProcessBotAPI]:
    """The floor: a bare PTB Application, one handler echoing the text."""
    api = InProcessBotAPI()
    app = ApplicationBuilder().token(OFFLINE_TOKEN).request(api).get_updates_request(api).build()

    async def echo(update: Update, _context: object) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app, api


async def run(database_url: str, n: int, repeats: int) -> tuple[dict[str, Phase], Phase]:
    """Both bots in one process; before every batch of the bot, a batch of the floor.

    The machine is shared: measured right beside each other, the two see the
    same load, so each batch's ratio to the floor batch before it is steady even
    when the absolute times are not. The table reports medians of those ratios.
    """
    api = InProcessBotAPI()
    settings = Settings(
        _env_file=None, database_url=database_url, send_rate=0, clinic_timezone=ZONE
    )
    app = build_application(settings, request=api, clock=lambda: NOW, dispatch_interval=None)
    phases = {kind: Phase() for kind in KINDS}
    floor = Phase()
    bare, bare_api = echo_app()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(app))
        await bare.initialize()
        stack.push_async_callback(bare.shutdown)
        await bare.start()
        stack.push_async_callback(bare.stop)
        counters = Counters()
        engine = app.bot_data.engine.sync_engine

        def on_statement(*_: object) -> None:
            counters.statements += 1

        def on_commit(*_: object) -> None:
            counters.commits += 1

        def on_checkout(*_: object) -> None:
            counters.checkouts += 1

        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(engine, "commit", on_commit)
        event.listen(engine, "checkout", on_checkout)

        # Warm-up: every kind once for a few people (compiled statements, the photo upload,
        # the chart worker's start), then the measured rounds with new people each time.
        await feed(bare, [UpdateFactory(bare.bot, user_id=u).text("hello") for u in range(20)])
        rounds = [(10_000, 20, False)] + [(100_000 * (r + 1), n, True) for r in range(repeats)]
        for first, count, record in rounds:
            deliveries = await seed(app, first, count)
            people = [UpdateFactory(app.bot, user_id=u) for u in deliveries]
            for index, kind in enumerate(KINDS):
                updates = updates_for(kind, app, people, deliveries, first)
                if not record:
                    await feed(app, updates)
                    continue
                echoes = [
                    UpdateFactory(bare.bot, user_id=first + 1_000 * index + u).text("hello")
                    for u in range(len(updates))
                ]
                await measure(bare, bare_api, None, echoes, floor)
                await measure(app, api, counters, updates, phases[kind])
                phases[kind].ratios.append(phases[kind].cpu_ms[-1] / floor.cpu_ms[-1])
    return phases, floor


def print_table(title: str, phases: dict[str, Phase], floor: Phase) -> None:
    base = statistics.median(floor.cpu_ms)
    targets = {"/point": 5, "Done": 10, "pain": 10}
    print(f"\n## {title}\n")
    print(
        "| update | CPU ms (median) | × echo floor (median of paired ratios) | target "
        "| statements | commits | checkouts | Bot API calls | chart worker CPU ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| echo floor (bare PTB) | {base:.2f} | 1.0 | – | 0 | 0 | 0 | {floor.api_calls:.0f} | – |"
    )
    for kind, phase in phases.items():
        cpu = statistics.median(phase.cpu_ms)
        ratio = statistics.median(phase.ratios)
        target = targets.get(kind)
        verdict = f"≤ {target}× {'PASS' if ratio <= target else 'FAIL'}" if target else "–"
        worker = f"{statistics.median(phase.worker_ms):.1f}" if kind == "/progress" else "–"
        print(
            f"| {kind} | {cpu:.2f} | {ratio:.1f} | {verdict} | {phase.statements:.1f} "
            f"| {phase.commits:.1f} | {phase.checkouts:.1f} | {phase.api_calls:.1f} | {worker} |"
        )
    print(
        "\nPaired ratios per row: "
        + ", ".join(f"{kind} " + "/".join(f"{v:.1f}" for v in p.ratios) for kind, p in phases.items())
        + "; floor ms " + "/".join(f"{v:.2f}" for v in floor.cpu_ms)
    )  # fmt: skip


class OnLoop:
    """Draws on the event loop itself (what /progress did before)."""

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        return function(*args)

    async def close(self) -> None:
        pass


class OnThread(OnLoop):
    """Draws on a thread (`asyncio.to_thread`): off the loop, but under the same GIL."""

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(function, *args)


async def watch(gaps: list[float], cpu_gaps: list[float]) -> None:
    while True:
        wall, cpu = time.perf_counter(), time.thread_time()
        await asyncio.sleep(0.002)
        gaps.append(time.perf_counter() - wall - 0.002)
        cpu_gaps.append(time.thread_time() - cpu)


async def stall_rounds(database_url: str, charts: int) -> dict[str, tuple[float, float, float]]:
    """/progress `charts` times per way of drawing, with a 2-ms watchdog on the loop."""
    api = InProcessBotAPI()
    settings = Settings(
        _env_file=None, database_url=database_url, send_rate=0, clinic_timezone=ZONE
    )
    app = build_application(settings, request=api, clock=lambda: NOW, dispatch_interval=None)
    results: dict[str, tuple[float, float, float]] = {}
    async with running(app):
        services = app.bot_data
        deliveries = await seed(app, 10_000, 1)
        person = UpdateFactory(app.bot, user_id=next(iter(deliveries)))
        delivery = deliveries[person.user_id]
        done = person.press(
            reminder_message(person.user_id, reminder_keyboard(EN, delivery)),
            cb.encode(cb.ReminderButton(DONE, delivery)),
        )
        await app.process_update(done)
        process_pool = services.cpu
        await process_pool.start()
        await app.process_update(person.text("/progress"))  # the worker is up and warm
        for name, pool in (
            ("on the loop", OnLoop()),
            ("thread", OnThread()),
            ("process", process_pool),
        ):
            services.cpu = pool  # type: ignore[assignment]
            await app.process_update(person.text("/progress"))  # warm (imports, fonts)
            gaps: list[float] = []
            cpu_gaps: list[float] = []
            watchdog = asyncio.create_task(watch(gaps, cpu_gaps))
            for _ in range(charts):
                await app.process_update(person.text("/progress"))
            watchdog.cancel()
            results[name] = (
                1000 * statistics.median(sorted(gaps)[-charts:]),
                1000 * max(gaps),
                1000 * max(cpu_gaps),
            )
        services.cpu = process_pool
        # A full garbage collection with everything start-up built, then after gc.freeze().
        gc.collect()
        full = time.perf_counter()
        gc.collect()
        results["gc.collect(), nothing frozen"] = (0.0, 1000 * (time.perf_counter() - full), 0.0)
        gc.freeze()
        frozen = time.perf_counter()
        gc.collect()
        results["gc.collect() after gc.freeze()"] = (
            0.0,
            1000 * (time.perf_counter() - frozen),
            0.0,
        )
        gc.unfreeze()
    return results


def print_stalls(results: dict[str, tuple[float, float, float]], charts: int) -> None:
    print(f"\n## Event-loop stalls while /progress draws its chart ({charts} charts each)\n")
    print(
        "| chart drawn | longest gaps, median of the worst, ms | longest gap ms | longest loop-thread CPU between ticks ms |"
    )
    print("|---|---|---|---|")
    for name, (typical, worst, cpu) in results.items():
        if name.startswith("gc"):
            continue
        print(f"| {name} | {typical:.1f} | {worst:.1f} | {cpu:.1f} |")
    print("\n| full collection | ms |\n|---|---|")
    for name, (_, worst, _) in results.items():
        if name.startswith("gc"):
            print(f"| {name} | {worst:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="updates of each kind per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres", help="also on this PostgreSQL server (a fresh database)")
    parser.add_argument("--charts", type=int, default=20, help="charts per way of drawing")
    parser.add_argument("--stalls-only", action="store_true")
    parser.add_argument(
        "--cold", action="store_true", help="people not seen this hour (last-seen, language read)"
    )
    parser.add_argument("--no-stalls", action="store_true")
    args = parser.parse_args()
    global COLD
    COLD = args.cold
    if not args.no_stalls:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/stalls.sqlite3"
            print_stalls(asyncio.run(stall_rounds(url, args.charts)), args.charts)
    if args.stalls_only:
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        phases, floor = asyncio.run(run(url, args.n, args.repeats))
    print_table(f"CPU per update, SQLite, {args.n} updates × {args.repeats}", phases, floor)
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests import postgres

        os.environ.setdefault(postgres.ENV, args.postgres)

        async def on_postgres() -> tuple[dict[str, Phase], Phase]:
            async with postgres.fresh_database("acubot_bench") as pg_url:
                return await run(pg_url, args.n, args.repeats)

        phases, floor = asyncio.run(on_postgres())
        print_table(f"CPU per update, PostgreSQL, {args.n} updates × {args.repeats}", phases, floor)


if __name__ == "__main__":
    main()
