"""Tick benchmark: does a dispatcher tick grow with the deliveries' history?

For each database and each history size (0, 100,000 and 1,000,000 delivery
rows by default) it builds a fresh database: 3,000 patients with a daily
reminder, the history as sent deliveries spread over their past days (one
bulk INSERT ... SELECT, no ORM), and a finished broadcast to everyone. Then,
through the real application (`build_application` + `running`, the
in-process Bot API, SEND_RATE 0):

* idle tick   one dispatcher tick and one broadcast sender run with nothing
              due: what every instance pays every few seconds, all day long.
* due tick    a tick that sends 1,000 due reminders.

Medians of several runs; the ratio is to the empty database's median in the
same run. It also explains every statement those ticks sent to deliveries or
broadcast_recipients (as tests/storage/test_tick_plans.py does) and counts
the full scans: the target is none.

Usage (from the project root):
    .venv/bin/python benchmarks/bench_tick.py --sizes 0,100000            # quick
    .venv/bin/python benchmarks/bench_tick.py                              # 0, 100k, 1M
    .venv/bin/python benchmarks/bench_tick.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.application import build_application, running  # noqa: E402
from bot.local_api import InProcessBotAPI  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.context import AcubotApp  # noqa: E402

PATIENTS = 3_000
DUE = 1_000
# Noon UTC: 06:00 or 07:00 in Chicago, before the patients' 08:00 reminders.
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
WATCHED = ("deliveries", "broadcast_recipients")
SCAN = re.compile(
    r"\bSCAN (deliveries|broadcast_recipients)\b|Seq Scan on (deliveries|broadcast_recipients)\b"
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def no_sleep(_seconds: float) -> None:
    return None


@asynccontextmanager
async def fresh_database(kind: str, postgres_url: str | None) -> AsyncIterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    assert postgres_url is not None
    server = make_url(postgres_url)
    name = f"acubot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


async def seed(app: AcubotApp, history: int) -> float:
    """Patients, subscriptions, history and a finished broadcast; returns seconds taken."""
    started = time.perf_counter()
    engine = app.bot_data.engine
    postgres = engine.dialect.name == "postgresql"
    now = NOW.replace(tzinfo=None).isoformat(sep=" ") if not postgres else NOW
    numbers = (
        "SELECT generate_series(0, :n - 1) AS i"
        if postgres
        else "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < :n) "
        "SELECT i FROM s"
    )
    tomorrow_8am = NOW + timedelta(days=1, hours=2)  # 08:00 Chicago in March (CST)
    due = tomorrow_8am if postgres else tomorrow_8am.replace(tzinfo=None).isoformat(sep=" ")
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (id, chat_id, first_seen_at, last_seen_at, language_code,"
                " blocked) SELECT i + 1, i + 1, :now, :now, 'en', false FROM ("
                + numbers
                + ") AS numbers"
            ),
            {"n": PATIENTS, "now": now},
        )
        await connection.execute(
            text(
                "INSERT INTO subscriptions (user_id, chat_id, local_time, timezone, routine,"
                " active, next_due_at, created_at, updated_at)"
                " SELECT id, id, '08:00:00', 'America/Chicago', 'clinic', true, :due, :now, :now"
                " FROM users"
            ),
            {"due": due, "now": now},
        )
        if history:
            # Row i: patient i mod 3,000 on day i div 3,000 before today.
            day = (
                "(DATE '2027-02-28' - (i / 3000)::int)"
                if postgres
                else "date('2027-02-28', '-' || (i / 3000) || ' days')"
            )
            at = (
                f"({day} + TIME '14:00')::timestamp AT TIME ZONE 'UTC'"
                if postgres
                else f"{day} || ' 14:00:00.000000'"
            )
            await connection.execute(
                text(
                    "INSERT INTO deliveries (subscription_id, user_id, local_date, due_at,"
                    " status, attempts, sent_at)"
                    f" SELECT i % 3000 + 1, i % 3000 + 1, {day}, {at}, 'sent', 1, {at} FROM ("
                    + numbers
                    + ") AS numbers"
                ),
                {"n": history},
            )
        await connection.execute(
            text(
                "INSERT INTO broadcasts (admin_id, status, text, entities, audience, total,"
                " created_at, confirmed_at, finished_at)"
                " VALUES (0, 'done', 'Closed on Monday', '[]', 'all', :total, :now, :now, :now)"
            ),
            {"total": PATIENTS, "now": now},
        )
        await connection.execute(
            text(
                "INSERT INTO broadcast_recipients (broadcast_id, user_id, chat_id, status,"
                " attempts) SELECT 1, id, id, 'sent', 1 FROM users"
            )
        )
    # ANALYZE outside a transaction, so the planners know the tables' sizes.
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("ANALYZE"))
    return time.perf_counter() - started


class StatementLog:
    """Every distinct statement sent to the watched tables, with its first parameters."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def __call__(
        self, _c: Any, _cur: Any, statement: str, parameters: Any, _x: Any, many: bool
    ) -> None:
        if any(table in statement for table in WATCHED) and statement not in self.seen:
            nested = many and parameters and isinstance(parameters[0], tuple | list | dict)
            self.seen[statement] = parameters[0] if nested else parameters


async def full_scans(app: AcubotApp, log: StatementLog) -> int:
    engine = app.bot_data.engine
    postgres = engine.dialect.name == "postgresql"
    scans = 0
    async with engine.connect() as connection:
        if postgres:
            # As in tests/storage/test_tick_plans.py: with sequential scans off
            # the planner still picks one when no index can answer the query.
            await connection.execute(text("SET enable_seqscan = off"))
        for statement, parameters in log.seen.items():
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = await connection.exec_driver_sql(prefix + statement, tuple(parameters))
            plan = "\n".join(str(row[-1]) for row in rows)
            if SCAN.search(plan):
                scans += 1
                print(f"  full scan:\n  {statement}\n  {plan}", file=sys.stderr)
        await connection.rollback()
    return scans


async def open_app(url: str, clock: Clock) -> tuple[AcubotApp, Any]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        send_rate=0,
        admin_ids="",
        log_level="WARNING",
    )
    app = build_application(
        settings, request=InProcessBotAPI(), clock=clock, dispatch_interval=None, sleep=no_sleep
    )
    return app, running(app)


async def measure(
    kind: str, sizes: list[int], postgres: str | None, runs: int
) -> list[dict[str, Any]]:
    """All sizes' databases side by side, their ticks interleaved: a busy machine
    slows each of them alike, so the ratios hold."""
    async with AsyncExitStack() as stack:
        apps = []
        for size in sizes:
            clock = Clock()
            url = await stack.enter_async_context(fresh_database(kind, postgres))
            app, started = await open_app(url, clock)
            await stack.enter_async_context(started)
            seeded = await seed(app, size)
            log = StatementLog()
            event.listen(app.bot_data.engine.sync_engine, "before_cursor_execute", log)
            apps.append({"app": app, "clock": clock, "size": size, "seed": seeded, "log": log,
                         "idle": [], "due": []})  # fmt: skip
            print(f"  built: {kind} {size:,} rows in {seeded:.1f} s", file=sys.stderr)

        async def idle_tick(entry: dict[str, Any]) -> float:
            services = entry["app"].bot_data
            started = time.perf_counter()
            report = await services.dispatcher.run(now=entry["clock"]())
            await services.sender.run()
            assert report.sent == 0
            return time.perf_counter() - started

        for _ in range(3):  # warm up: caches, compiled statements, connections
            for entry in apps:
                await idle_tick(entry)
        for _ in range(runs * 4):
            for entry in apps:
                entry["idle"].append(await idle_tick(entry))

        for day in range(runs):
            for entry in apps:
                app, clock = entry["app"], entry["clock"]
                services = app.bot_data
                clock.now = NOW + timedelta(days=day + 1, hours=2, seconds=5)  # after 08:00
                async with services.engine.begin() as connection:
                    # Exactly DUE patients are due now; the rest later today.
                    await connection.execute(
                        text("UPDATE subscriptions SET next_due_at = :later WHERE id > :due"),
                        {"later": _bind(app, clock.now + timedelta(hours=3)), "due": DUE},
                    )
                started = time.perf_counter()
                report = await services.dispatcher.run(now=clock())
                entry["due"].append(time.perf_counter() - started)
                assert report.sent == DUE, report

        results = []
        for entry in apps:
            app = entry["app"]
            event.remove(app.bot_data.engine.sync_engine, "before_cursor_execute", entry["log"])
            results.append(
                {
                    "db": kind,
                    "history": entry["size"],
                    "seed_s": entry["seed"],
                    "idle_ms": statistics.median(entry["idle"]) * 1000,
                    "due_ms": statistics.median(entry["due"]) * 1000,
                    "statements": len(entry["log"].seen),
                    "scans": await full_scans(app, entry["log"]),
                }
            )
        return results


def _bind(app: AcubotApp, value: datetime) -> Any:
    if app.bot_data.engine.dialect.name == "postgresql":
        return value
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="0,100000,1000000", help="history sizes, comma-separated"
    )
    parser.add_argument("--postgres", help="a PostgreSQL server URL: also measure there")
    parser.add_argument("--runs", type=int, default=5, help="due ticks per size (idle: 4x)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])

    results = []
    for kind in kinds:
        results += await measure(kind, sizes, args.postgres, args.runs)

    print()
    print(
        f"Tick vs history: {PATIENTS:,} patients; medians of {args.runs * 4} idle ticks and "
        f"{args.runs} ticks sending {DUE:,} due reminders"
    )
    header = (
        f"{'database':<11}{'history':>11}{'seed s':>9}{'idle ms':>10}{'x empty':>9}"
        f"{'1,000-due ms':>14}{'x empty':>9}{'statements':>12}{'full scans':>12}"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        empty = next(r for r in results if r["db"] == row["db"] and r["history"] == sizes[0])
        print(
            f"{row['db']:<11}{row['history']:>11,}{row['seed_s']:>9.1f}{row['idle_ms']:>10.1f}"
            f"{row['idle_ms'] / empty['idle_ms']:>9.2f}{row['due_ms']:>14.0f}"
            f"{row['due_ms'] / empty['due_ms']:>9.2f}{row['statements']:>12}{row['scans']:>12}"
        )


if __name__ == "__main__":
    asyncio.run(main())
