"""Several `acubot worker` processes on one PostgreSQL database.

Three real worker processes share 10,000 due reminders (or a 10,000-recipient
broadcast) through the loopback Bot API. Nobody may get anything twice; when
one worker is killed with SIGKILL, the others take over its claims after the
lease, and only the messages it had in flight at that instant are left
undecided (recorded as interrupted, never resent).

The restart tests replay the fault benchmark's kill: one worker, 200 sends at
the default SEND_RATE and CLAIM_LEASE, SIGKILLed after ~80; a new worker then
finishes everything, sending the killed one's claimed-but-unstarted rows, in
under 30 s.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.local_api import BotCall
from bot.loopback_server import LoopbackBotAPI, serving
from storage import broadcasts, migrate
from storage.database import create_engine, create_session_factory
from storage.models import BroadcastRecipient, Delivery, Subscription, User
from tests import postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(postgres.server_url() is None, reason=postgres.SKIP_REASON),
]

N = 10_000
WORKERS = 3
LEASE_SECONDS = 3
CHUNK = 16  # the dispatcher's and the sender's concurrency: what one worker has in flight
TOKEN = "123456:" + "A" * 35


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with postgres.fresh_database("acubot_multi") as url:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        await engine.dispose()
        yield url


async def seed_users(url: str, count: int, now: datetime, *, subscribed: bool) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            ids = range(1, count + 1)
            await connection.execute(
                insert(User),
                [
                    {"id": i, "chat_id": i, "first_seen_at": now, "last_seen_at": now,
                     "language_code": "en", "blocked": False}
                    for i in ids
                ],
            )  # fmt: skip
            if subscribed:
                # All due in the same minute, at 08:00 Chicago.
                await connection.execute(
                    insert(Subscription),
                    [
                        {"user_id": i, "chat_id": i, "local_time": time(8, 0),
                         "timezone": "America/Chicago", "routine": "clinic", "active": True,
                         "next_due_at": now, "created_at": now, "updated_at": now}
                        for i in ids
                    ],
                )  # fmt: skip
    finally:
        await engine.dispose()


def start_workers(
    url: str, sink: LoopbackBotAPI, count: int, **settings: str
) -> list[subprocess.Popen[bytes]]:
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": sink.base_url,
        "SEND_RATE": "0",
        "DISPATCH_INTERVAL": "0.5s",
        "CLAIM_LEASE": f"{LEASE_SECONDS}s",
        "LOG_LEVEL": "WARNING",
        "ADMIN_IDS": "",
        **settings,
    }
    return [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]


def deliveries(sink: LoopbackBotAPI, method: str) -> Counter[int]:
    return Counter(
        call.chat_id for call in sink.api.calls if call.method == method and call.chat_id
    )


async def wait_until_settled(
    sink: LoopbackBotAPI, method: str, expected: int, quiet: float
) -> None:
    """Waits (bounded) until `expected` sends arrived, or nothing new came for `quiet` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 180
    last_count, last_change = -1, loop.time()
    while loop.time() < deadline:
        count = sum(deliveries(sink, method).values())
        if count >= expected:
            return
        if count != last_count:
            last_count, last_change = count, loop.time()
        elif count and loop.time() - last_change > quiet:
            return  # started, and then nothing more came
        await asyncio.sleep(0.2)


async def wait_until_decided(url: str, model: type[Delivery] | type[BroadcastRecipient]) -> None:
    """Waits (bounded) until no row of `model` is still "sending".

    The sink may already have every message when the dead worker's last
    chunk is still "sending"; those rows are decided (interrupted) by a
    survivor only once the dead worker's lease has run out.
    """
    engine = create_engine(url)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LEASE_SECONDS * 10
        while loop.time() < deadline:
            async with create_session_factory(engine)() as session:
                sending = await session.scalar(
                    select(func.count()).select_from(model).where(model.status == "sending")
                )
            if not sending:
                return
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


async def kill_after(
    sink: LoopbackBotAPI, method: str, sends: int, victim: subprocess.Popen[bytes]
) -> None:
    """SIGKILLs `victim` once the sink has received `sends` messages."""
    reached = asyncio.Event()
    seen = sum(deliveries(sink, method).values())

    def count(call: BotCall, _result: object) -> None:
        nonlocal seen
        seen += call.method == method
        if seen >= sends:
            reached.set()

    sink.api.listeners.append(count)
    await asyncio.wait_for(reached.wait(), timeout=120)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)


async def send_with_workers(
    database: str,
    *,
    kill_one_then_wait_for: type[Delivery] | type[BroadcastRecipient] | None = None,
) -> Counter[int]:
    """WORKERS `acubot worker` processes send until done; the sends per chat.

    With `kill_one_then_wait_for`, the first worker is SIGKILLed a quarter of
    the way through, and the run lasts until no row of that model is "sending".
    """
    async with serving() as sink:
        workers = start_workers(database, sink, WORKERS)
        try:
            if kill_one_then_wait_for is None:
                await wait_until_settled(sink, "sendMessage", N, quiet=10)
            else:
                await kill_after(sink, "sendMessage", N // 4, workers[0])
                await wait_until_settled(sink, "sendMessage", N, quiet=LEASE_SECONDS * 4)
                await wait_until_decided(database, kill_one_then_wait_for)
        finally:
            stop(workers)
        return deliveries(sink, "sendMessage")


async def test_three_workers_send_every_reminder_exactly_once(database: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    await seed_users(database, N, now, subscribed=True)
    received = await send_with_workers(database)
    assert max(received.values()) == 1, "someone got a reminder twice"
    assert sorted(received) == list(range(1, N + 1))
    engine = create_engine(database)
    async with create_session_factory(engine)() as session:
        statuses = dict(
            (
                await session.execute(
                    select(Delivery.status, func.count()).group_by(Delivery.status)
                )
            ).all()
        )
    await engine.dispose()
    assert statuses == {"sent": N}


async def test_a_killed_worker_loses_only_its_messages_in_flight(database: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    await seed_users(database, N, now, subscribed=True)
    received = await send_with_workers(database, kill_one_then_wait_for=Delivery)
    assert max(received.values()) == 1, "someone got a reminder twice"
    engine = create_engine(database)
    async with create_session_factory(engine)() as session:
        rows = dict((await session.execute(select(Delivery.user_id, Delivery.status))).all())
    await engine.dispose()
    assert len(rows) == N  # every subscription's day was decided, by someone
    undecided = {user for user, status in rows.items() if status != "sent"}
    assert {rows[user] for user in undecided} <= {"interrupted"}
    assert len(undecided) <= CHUNK  # only what the dead worker had in flight
    assert {user for user, status in rows.items() if status == "sent"} <= set(received)
    missing = set(range(1, N + 1)) - set(received)
    assert missing <= undecided
    # Interrupted rows are maybe-delivered: at most those really in flight, so
    # most of them did arrive; none that never started is among them.
    assert len(undecided & set(received)) >= len(undecided) - CHUNK


async def start_broadcast(url: str, now: datetime) -> int:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    async with sessions.begin() as session:
        broadcast_id = await broadcasts.create_draft(session=session, admin_id=0, now=now)
        await broadcasts.update_broadcast(
            session=session, broadcast_id=broadcast_id, text="Evening hours!", audience="all"
        )
        total = await broadcasts.confirm_broadcast(
            session=session, broadcast_id=broadcast_id, now=now, send_at=None
        )
    await engine.dispose()
    assert total == N
    return broadcast_id


async def recipient_statuses(url: str) -> dict[int, str]:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        rows = dict(
            (
                await session.execute(select(BroadcastRecipient.user_id, BroadcastRecipient.status))
            ).all()
        )
    await engine.dispose()
    return rows


async def test_three_workers_share_a_broadcast_exactly_once(database: str) -> None:
    now = datetime.now(UTC) - timedelta(minutes=1)
    await seed_users(database, N, now, subscribed=False)
    await start_broadcast(database, now)
    received = await send_with_workers(database)
    assert max(received.values()) == 1
    assert sorted(received) == list(range(1, N + 1))
    assert set((await recipient_statuses(database)).values()) == {"sent"}


async def test_a_killed_worker_mid_broadcast_sends_nothing_twice(database: str) -> None:
    now = datetime.now(UTC) - timedelta(minutes=1)
    await seed_users(database, N, now, subscribed=False)
    await start_broadcast(database, now)
    received = await send_with_workers(database, kill_one_then_wait_for=BroadcastRecipient)
    assert max(received.values()) == 1
    statuses = await recipient_statuses(database)
    undecided = {user for user, status in statuses.items() if status != "sent"}
    assert {statuses[user] for user in undecided} <= {"interrupted"}
    assert len(undecided) <= CHUNK
    assert set(range(1, N + 1)) - set(received) <= undecided


RESTART_N = 200
RESTART_KILL_AT = 80


async def open_rows(url: str, model: type[Delivery] | type[BroadcastRecipient]) -> int:
    """Rows not yet decided: still to send or in a sender's hands."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            open_statuses = ["pending", "claimed", "queued", "sending"]
            count = await session.scalar(
                select(func.count()).select_from(model).where(model.status.in_(open_statuses))
            )
            if model is Delivery:  # a subscription not yet reached has no row at all
                total = await session.scalar(select(func.count()).select_from(Delivery))
                return int(count or 0) + RESTART_N - int(total or 0)
            return int(count or 0)
    finally:
        await engine.dispose()


async def kill_and_restart(
    database: str, model: type[Delivery] | type[BroadcastRecipient]
) -> tuple[Counter[int], float]:
    """One worker at the default pace and lease, SIGKILLed after ~80 sends; a
    new one finishes. Returns the sends per chat and the seconds from the
    restart until no row of `model` is undecided."""
    production = {"SEND_RATE": "25", "CLAIM_LEASE": "20s", "DISPATCH_INTERVAL": "2s"}
    async with serving() as sink:
        [first] = start_workers(database, sink, 1, **production)
        workers = [first]
        try:
            await kill_after(sink, "sendMessage", RESTART_KILL_AT, first)
            loop = asyncio.get_running_loop()
            restarted = loop.time()
            workers += start_workers(database, sink, 1, **production)
            deadline = restarted + 90  # bounded; the assertion below is the target
            while loop.time() < deadline:
                if not await open_rows(database, model):
                    break
                await asyncio.sleep(0.25)
            finished = loop.time() - restarted
        finally:
            stop(workers)
        return deliveries(sink, "sendMessage"), finished


async def test_a_killed_broadcast_resumes_after_a_restart_and_loses_only_its_sends_in_flight(
    database: str,
) -> None:
    now = datetime.now(UTC) - timedelta(minutes=1)
    await seed_users(database, RESTART_N, now, subscribed=False)
    engine = create_engine(database)
    sessions = create_session_factory(engine)
    async with sessions.begin() as session:
        broadcast_id = await broadcasts.create_draft(session=session, admin_id=0, now=now)
        await broadcasts.update_broadcast(
            session=session, broadcast_id=broadcast_id, text="Evening hours!", audience="all"
        )
        await broadcasts.confirm_broadcast(
            session=session, broadcast_id=broadcast_id, now=now, send_at=None
        )
    await engine.dispose()

    received, finished = await kill_and_restart(database, BroadcastRecipient)

    print(f"broadcast: finished {finished:.1f} s after the restart, ", end="")
    statuses = await recipient_statuses(database)
    undecided = {user for user, status in statuses.items() if status != "sent"}
    print(f"{len(undecided)} undecided, {max(received.values())} most sends to one chat")
    assert max(received.values()) == 1  # 0 duplicates
    assert {statuses[user] for user in undecided} <= {"interrupted"}
    assert len(undecided) <= CHUNK
    # Everyone else exactly once: sent, and recorded so.
    assert set(range(1, RESTART_N + 1)) - undecided <= set(received)
    assert finished < 30


async def test_killed_reminders_resume_after_a_restart_and_lose_only_their_sends_in_flight(
    database: str,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    await seed_users(database, RESTART_N, now, subscribed=True)

    received, finished = await kill_and_restart(database, Delivery)

    print(f"reminders: finished {finished:.1f} s after the restart, ", end="")
    engine = create_engine(database)
    async with create_session_factory(engine)() as session:
        rows = dict((await session.execute(select(Delivery.user_id, Delivery.status))).all())
    await engine.dispose()
    undecided = {user for user, status in rows.items() if status != "sent"}
    print(f"{len(undecided)} undecided, {max(received.values())} most sends to one chat")
    assert max(received.values()) == 1
    assert len(rows) == RESTART_N
    assert {rows[user] for user in undecided} <= {"interrupted"}
    assert len(undecided) <= CHUNK
    assert set(range(1, RESTART_N + 1)) - undecided <= set(received)
    assert finished < 30
