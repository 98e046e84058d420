"""Database outages cost seconds: refused at once, cards still work, back by itself.

PostgreSQL is reached through a small TCP proxy in this file, so the test can
make the port refuse connections (`stop`), or swallow every packet
(`blackhole`, like a network that drops them), and bring it back; it also
terminates the bot's backends with `pg_terminate_backend`. SQLite's outage is
a lock held by another connection. Waiting is for work (the gate to open, a
reply), always bounded, never for time; what was measured is printed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.application import running
from bot.local_api import BotCall, InProcessBotAPI
from handlers.context import AcubotApp
from handlers.errors import APOLOGY, UNAVAILABLE
from storage.models import BroadcastRecipient, Delivery, TelegramFile, User
from tests import postgres
from tests.conftest import ADMIN_ID, RecordingSleep, make_app, make_settings
from tests.handlers.test_broadcasts import add_patients, compose
from tests.harness import FakeClock, Patient, texts
from tests.reminders_support import subscribe_many

MORNING = datetime(2027, 6, 7, 13, 5, tzinfo=UTC)  # 08:05 in Chicago: 08:00 reminders due
TIMEOUTS = {"database_connect_timeout": "2s", "database_statement_timeout": "2s"}


class TcpProxy:
    """127.0.0.1:<port> -> the database; stopped, swallowing, or passing traffic."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.target_port = host, port
        self.port = 0
        self.server: asyncio.Server | None = None
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Refuse new connections and cut the open ones (a database gone away)."""
        if self.server is not None:
            self.server.close()
            self.server = None
        self.cut()

    def cut(self) -> None:
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    def blackhole(self) -> None:
        """Accept and read, forward nothing: packets dropped on the way."""
        self.flowing.clear()

    def restore(self) -> None:
        """Traffic flows again; connections from the blackhole are gone (state lost)."""
        self.cut()
        self.flowing.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            await self.flowing.wait()
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.writers.add(up_writer)
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.flowing.wait()
                if writer.transport.is_closing():
                    return
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()


async def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> float:
    """Lets the bot work until `condition` holds; how long that took (fails after `seconds`)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "gave up waiting"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
async def proxied_postgres() -> AsyncIterator[tuple[str, TcpProxy]]:
    """A fresh PostgreSQL database reached through the proxy: (url through the proxy, proxy)."""
    if postgres.server_url() is None:
        pytest.skip(postgres.SKIP_REASON)
    async with postgres.fresh_database("acubot_outage") as url:
        real = make_url(url)
        proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
        await proxy.start()
        try:
            yield real.set(host="127.0.0.1", port=proxy.port).render_as_string(False), proxy
        finally:
            proxy.stop()


@pytest.fixture
async def outage_app(
    proxied_postgres: tuple[str, TcpProxy],
    api: InProcessBotAPI,
    clock: FakeClock,
    sleep: RecordingSleep,
) -> AsyncIterator[AcubotApp]:
    url, _proxy = proxied_postgres
    clock.set(MORNING)
    async with running(make_app(make_settings(url, **TIMEOUTS), api, clock, sleep)) as app:
        yield app


def last_text(calls: list[BotCall]) -> str:
    sent = texts(calls)
    assert sent, "no reply"
    return sent[-1]


async def content_still_works(patient: Patient) -> None:
    """Cards, /safety, /help, /points and /meridian need no database."""
    for command, expected in [
        ("/point UB40", "BL40"),
        ("/point BL23", "BL23"),
        ("/safety", "emergency department now"),
        ("/help", "What I can do"),
        ("/points", "Acupressure points"),
        ("/meridian BL", "Bladder"),
    ]:
        replies = texts(await patient.send(command))
        assert any(expected in reply for reply in replies), (command, replies)
        assert UNAVAILABLE not in replies and APOLOGY not in replies, command
    # A point's name typed as text too (whether a flow waits cannot be known).
    replies = texts(await patient.send("weizhong"))
    assert any("BL40" in reply for reply in replies), replies


async def refused_at_once(patient: Patient) -> float:
    """/progress needs the database: the patient hears it is briefly unavailable."""
    started = time.monotonic()
    reply = last_text(await patient.send("/progress"))
    assert reply == UNAVAILABLE
    return time.monotonic() - started


@pytest.mark.postgres
async def test_postgres_port_refused_then_back(
    outage_app: AcubotApp, proxied_postgres: tuple[str, TcpProxy], api: InProcessBotAPI
) -> None:
    _url, proxy = proxied_postgres
    app, services = outage_app, outage_app.bot_data
    patient = Patient(app, api, user_id=1)
    await patient.send("/start")
    await subscribe_many(app, [1, 2, 3])
    app.bot_data.clock.advance(days=1)  # type: ignore[attr-defined]

    proxy.stop()
    first = await refused_at_once(patient)
    assert not services.gate.available
    second = await refused_at_once(patient)
    await content_still_works(patient)
    with pytest.raises(Exception):  # noqa: B017 - the tick fails at once, sending nothing
        await services.dispatcher.run(now=services.now())
    assert api.calls_to("sendMessage", chat_id=2) == []

    await proxy.start()
    back = await wait_for(lambda: services.gate.available)
    started = time.monotonic()
    reply = last_text(await patient.send("/progress"))
    first_reply = time.monotonic() - started
    assert reply != UNAVAILABLE
    before = len(api.calls)
    report = await services.dispatcher.run(now=services.now())
    assert report.sent == 3
    reminders = [c.chat_id for c in api.calls[before:] if c.method == "sendMessage"]
    assert sorted(reminders) == [1, 2, 3]  # each once, none during the outage
    print(
        f"\nrefused port: first refusal {first:.3f} s, next {second:.3f} s; gate open "
        f"{back:.2f} s after the port came back; first reply then took {first_reply:.3f} s"
    )


@pytest.mark.postgres
async def test_postgres_packets_dropped_then_back(
    outage_app: AcubotApp, proxied_postgres: tuple[str, TcpProxy], api: InProcessBotAPI
) -> None:
    _url, proxy = proxied_postgres
    app, services = outage_app, outage_app.bot_data
    patient = Patient(app, api, user_id=1)
    await patient.send("/start")

    proxy.blackhole()
    # The first request waits for the pre-ping's bounded timeout (the connect
    # timeout, 2 s here), no more...
    first = await refused_at_once(patient)
    # ...and the next ones are refused at once, while cards work as ever.
    second = await refused_at_once(patient)
    await content_still_works(patient)
    assert services.file_ids and services.unsaved_file_ids  # uploaded, not saved yet

    proxy.restore()
    back = await wait_for(lambda: services.gate.available)
    started = time.monotonic()
    reply = last_text(await patient.send("/progress"))
    first_reply = time.monotonic() - started
    assert reply != UNAVAILABLE
    # The file ids the database missed are saved with the next card.
    unsaved = len(services.unsaved_file_ids)
    await content_still_works(patient)
    await wait_for(lambda: not services.unsaved_file_ids)
    async with services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(TelegramFile)) == unsaved
    print(
        f"\ndropped packets: first refusal {first:.2f} s, next {second:.3f} s; gate open "
        f"{back:.2f} s after traffic flowed again; first reply then took {first_reply:.3f} s"
    )


@pytest.mark.postgres
async def test_terminated_backends_are_replaced_without_the_patient_noticing(
    outage_app: AcubotApp, proxied_postgres: tuple[str, TcpProxy], api: InProcessBotAPI
) -> None:
    url, _proxy = proxied_postgres
    app, services = outage_app, outage_app.bot_data
    patient = Patient(app, api, user_id=1)
    await patient.send("/start")
    await subscribe_many(app, [2, 3])
    app.bot_data.clock.advance(days=1)  # type: ignore[attr-defined]
    database = make_url(url).database
    admin = await asyncpg.connect(postgres._plain(postgres.server_url() or ""))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    assert killed >= 1
    started = time.monotonic()
    reply = last_text(await patient.send("/progress"))
    first_reply = time.monotonic() - started
    assert reply not in (UNAVAILABLE, APOLOGY)
    report = await services.dispatcher.run(now=services.now())
    assert report.sent == 2
    print(f"\n{killed} backends terminated: next reply took {first_reply:.3f} s")


@pytest.mark.postgres
async def test_a_broadcast_across_an_outage_reaches_everyone_once(
    outage_app: AcubotApp, proxied_postgres: tuple[str, TcpProxy], api: InProcessBotAPI
) -> None:
    _url, proxy = proxied_postgres
    app, services = outage_app, outage_app.bot_data
    admin = Patient(app, api, user_id=ADMIN_ID)
    ids = list(range(1, 41))  # the patients; the staff member is not sent their own broadcast
    await add_patients(app, ids)
    await compose(admin)
    await admin.press("Send now")
    text = "New evening hours from Monday!"

    def cut_after_a_few(call: BotCall, _result: object) -> None:
        if call.text == text and sum(c.text == text for c in api.calls[before:]) == 5:
            proxy.stop()  # mid-chunk: its outcomes cannot be stored

    before = len(api.calls)
    api.listeners.append(cut_after_a_few)
    sending = asyncio.create_task(services.sender.run())
    await wait_for(lambda: not services.gate.available)
    await proxy.start()
    await asyncio.wait_for(sending, 30)
    await services.sender.run()  # whatever the first run left
    sent = [c.chat_id for c in api.calls[before:] if c.text == text]
    counts = [sent.count(user_id) for user_id in ids]
    assert counts == [1] * len(ids) and ADMIN_ID not in sent
    async with services.sessions() as session:
        statuses = await session.execute(
            select(BroadcastRecipient.status, func.count()).group_by(BroadcastRecipient.status)
        )
        assert dict(statuses.all()) == {"sent": len(ids)}


async def hold_write_lock(path: Path, app: AcubotApp) -> sqlite3.Connection:
    """A connection of the test's own holding SQLite's write lock, taken without racing the bot.

    The bot writes beside its replies (when a patient was last seen, a
    picture's file id): those writes are waited for first, so none of them
    is caught by the lock and none holds it. Whatever else of the bot's may
    still be writing is waited out too: the lock is asked for with a busy
    timeout, in a thread, so the event loop can finish that transaction
    meanwhile (asked for on the loop, it would wait for itself).
    """
    await app.bot_data.last_seen.flush()
    pending = [
        task for task in asyncio.all_tasks() if task.get_name().startswith(("seen-", "file-id-"))
    ]
    await asyncio.gather(*pending)
    holder = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        await asyncio.to_thread(holder.execute, "BEGIN EXCLUSIVE")
    except Exception:
        holder.close()
        raise
    assert holder.in_transaction
    return holder


async def test_sqlite_locked_database(
    tmp_path: Path, api: InProcessBotAPI, clock: FakeClock, sleep: RecordingSleep
) -> None:
    path = tmp_path / "locked.sqlite3"
    clock.set(MORNING)
    settings = make_settings(path, **TIMEOUTS)
    async with running(make_app(settings, api, clock, sleep)) as app:
        services = app.bot_data
        patient = Patient(app, api, user_id=1)
        await patient.send("/start")
        await subscribe_many(app, [2])
        clock.advance(days=1)
        holder = await hold_write_lock(
            path, app
        )  # another process writing, for as long as it likes
        try:
            assert services.gate.available  # the bot finds the lock by itself
            first = time.monotonic()
            assert last_text(await patient.send("/remind")) == UNAVAILABLE
            first = time.monotonic() - first
            assert not services.gate.available
            second = time.monotonic()
            assert last_text(await patient.send("/stop")) == UNAVAILABLE
            second = time.monotonic() - second
            await content_still_works(patient)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        back = await wait_for(lambda: services.gate.available)
        assert last_text(await patient.send("/remind")) not in (UNAVAILABLE, APOLOGY)
        report = await services.dispatcher.run(now=services.now())
        assert report.sent == 1
        async with services.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(User)) == 2
            assert await session.scalar(select(func.count()).select_from(Delivery)) == 1
    print(
        f"\nlocked SQLite: first refusal {first:.2f} s, next {second:.3f} s; "
        f"gate open {back:.2f} s after the lock was released"
    )


async def test_the_pool_waits_as_long_as_database_pool_timeout_says(
    database_url: str, api: InProcessBotAPI, clock: FakeClock, sleep: RecordingSleep
) -> None:
    """DATABASE_POOL_TIMEOUT (30 s by default) reaches the engine's pool, on both databases."""
    assert make_settings(database_url).database_pool_timeout.total_seconds() == 30
    settings = make_settings(database_url, database_pool_timeout="90s")
    async with running(make_app(settings, api, clock, sleep)) as app:
        assert app.bot_data.engine.sync_engine.pool.timeout() == 90.0  # type: ignore[attr-defined]
