"""What the black-box benchmarks share: scratch databases, seeding, bot processes.

The bot under test is `acubot run` (python -m bot run) in its own process,
configured only through its environment, as in production; the benchmark
reads the database directly (never through the bot) to see what the bot
recorded, and counts deliveries at the emulator (benchmarks/emulator.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, update  # noqa: E402

from storage import migrate  # noqa: E402
from storage.database import create_engine  # noqa: E402
from storage.models import (  # noqa: E402
    Broadcast,
    BroadcastRecipient,
    Delivery,
    Subscription,
    User,
)

TOKEN = "123456789:" + "B" * 35
ADMIN_ID = 777_000_001
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
# Statuses after which a recipient or delivery needs nothing more; "waiting"
# ones are still to be sent. Anything else (today "interrupted") is the bot's
# record that a send may or may not have arrived: undecided.
DECIDED = {"sent", "blocked", "failed", "cancelled", "missed", "not_needed", "skipped"}
WAITING = {"pending", "sending", "claimed", "queued", "scheduled", "due"}


def classify(status: str) -> str:
    if status in DECIDED:
        return "decided"
    if status in WAITING:
        return "waiting"
    return "undecided"


def daytime_zone(now: datetime, margin: timedelta = timedelta(hours=2)) -> str:
    """A zone where today lasts at least `margin` more and started `margin` ago."""
    for name in ("America/Chicago", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles",
                 "Australia/Sydney", "Asia/Kolkata", "UTC"):  # fmt: skip
        zone = ZoneInfo(name)
        if (now - margin).astimezone(zone).date() == (now + margin).astimezone(zone).date():
            return name
    return "UTC"


# -- databases -------------------------------------------------------------------


def _plain(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def scratch_database(kind: str, postgres: str, folder: Path) -> AsyncIterator[str]:
    """A fresh, migrated database (SQLite file or a new PostgreSQL database), dropped after."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder}/bench-{uuid.uuid4().hex[:8]}.sqlite3"
        await _migrate(url)
        yield url
        return
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    name = f"acubot_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(_plain(postgres))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
    try:
        await _migrate(url)
        yield url
    finally:
        connection = await asyncpg.connect(_plain(postgres))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def postgres_available(postgres: str) -> bool:
    import asyncpg

    try:
        connection = await asyncio.wait_for(asyncpg.connect(_plain(postgres)), 5)
    except (OSError, TimeoutError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def seed(
    url: str,
    users: Iterable[int],
    *,
    due: dict[int, datetime] | None = None,
    zone: str = "America/Chicago",
) -> None:
    """Users (chat id = user id) and, for those in `due`, a daily reminder due then."""
    now = datetime.now(UTC).replace(microsecond=0)
    ids = list(users)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for start in range(0, len(ids), 5000):
                await connection.execute(
                    insert(User),
                    [
                        {"id": i, "chat_id": i, "first_seen_at": now, "last_seen_at": now,
                         "language_code": "en", "blocked": False}
                        for i in ids[start : start + 5000]
                    ],
                )  # fmt: skip
            subscribed = sorted((due or {}).items())
            for start in range(0, len(subscribed), 5000):
                await connection.execute(
                    insert(Subscription),
                    [
                        {"user_id": i, "chat_id": i, "local_time": wall_time(8), "routine": "clinic",
                         "timezone": zone, "active": True, "next_due_at": when,
                         "created_at": now, "updated_at": now}
                        for i, when in subscribed[start : start + 5000]
                    ],
                )  # fmt: skip
    finally:
        await engine.dispose()


async def make_due(url: str, user_ids: list[int], when: datetime) -> None:
    """Moves these patients' reminders to `when` (the 8:00 of the benchmark)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for start in range(0, len(user_ids), 5000):
                await connection.execute(
                    update(Subscription)
                    .where(Subscription.user_id.in_(user_ids[start : start + 5000]))
                    .values(next_due_at=when)
                )
    finally:
        await engine.dispose()


class Reader:
    """Reads what the bot recorded, straight from the database (not through a proxy)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    async def close(self) -> None:
        await self.engine.dispose()

    async def recipient_statuses(self) -> dict[int, str]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(BroadcastRecipient.chat_id, BroadcastRecipient.status)
            )
            return {int(chat): str(status) for chat, status in rows}

    async def broadcast_statuses(self) -> list[str]:
        async with self.engine.connect() as connection:
            return [str(s) for s in (await connection.scalars(select(Broadcast.status))).all()]

    async def delivery_statuses(self) -> dict[int, str]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(select(Delivery.user_id, Delivery.status))
            return {int(user): str(status) for user, status in rows}


def status_summary(statuses: dict[int, str]) -> str:
    counts = Counter(statuses.values())
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "–"


# -- bot processes -----------------------------------------------------------------


# A fixed secret for the benchmark's bots (programme links are not used here).
LINK_SECRET = "benchmark-link-secret-not-for-production-0123456789"


def bot_environment(base_url: str, database_url: str, **extra: str) -> dict[str, str]:
    """`acubot run`'s environment: production defaults except what is given."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_", "SEND_", "DISPATCH_", "LINK_"))
    }
    environment.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=database_url,
        ADMIN_IDS=str(ADMIN_ID),
        LINK_SECRET=LINK_SECRET,  # `acubot run` refuses to start without one
        LOG_LEVEL="WARNING",
        WEEKLY_CHECKIN_DAY="never",
        PYTHONUNBUFFERED="1",
    )
    environment.update(extra)
    return environment


@dataclass
class BotProcess:
    """One bot process; its stderr goes to a log file kept for a post-mortem."""

    process: asyncio.subprocess.Process
    log_path: Path
    started: float

    @classmethod
    async def start(
        cls, environment: dict[str, str], folder: Path, *, args: list[str] | None = None,
        name: str = "bot",
    ) -> BotProcess:  # fmt: skip
        log_path = folder / f"{name}-{uuid.uuid4().hex[:6]}.log"
        command = args or [sys.executable, "-m", "bot", "run"]
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *command, env=environment, cwd=folder, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip
        return cls(process, log_path, time.monotonic())

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def kill(self) -> None:
        """SIGKILL, at once (synchronous, so it can run inside an emulator listener)."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)

    async def stop(self, grace: float = 20.0) -> int | None:
        """SIGTERM (a graceful stop, as systemd does), SIGKILL if it takes too long."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            self.kill()
            await asyncio.wait_for(self.process.wait(), 10)
        return self.process.returncode

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


async def wait_until(
    check: Callable[[], bool | Awaitable[bool]], within: float, interval: float = 0.05
) -> bool:
    """Polls `check` until true or `within` seconds pass (bounded in time and count)."""
    deadline = time.monotonic() + within
    for _ in range(int(within / interval) + 2):
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
    return False


@contextlib.contextmanager
def work_folder(keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="acubot-bench-"))
    try:
        yield folder
    finally:
        if keep:
            print(f"(kept {folder})", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
