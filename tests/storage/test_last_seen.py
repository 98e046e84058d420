"""Last-seen times written many at a time: one statement for everyone noted, nothing lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bot.application import running
from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from storage import consent
from storage.last_seen import LastSeenWriter, Seen
from storage.models import Base, User
from storage.users import record_user_seen
from tests.conftest import RecordingSleep, make_app, make_settings
from tests.harness import FakeClock, Patient

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)


async def _users(app: AcubotApp, *ids: int) -> None:
    async with app.bot_data.sessions.begin() as session:
        for user_id in ids:
            await record_user_seen(
                session=session, user_id=user_id, chat_id=user_id, language_code=None, now=NOW
            )


async def _rows(app: AcubotApp) -> dict[int, tuple[int, datetime, str | None]]:
    async with app.bot_data.sessions() as session:
        rows = await session.execute(
            select(User.id, User.chat_id, User.last_seen_at, User.first_name)
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


async def test_everyone_noted_is_written_by_one_statement(app: AcubotApp) -> None:
    await _users(app, 1, 2, 3)
    async with app.bot_data.sessions.begin() as session:
        await consent.record_consent(
            session=session, user_id=2, shares=True, text_version="v1", now=NOW, first_name="Ana"
        )
    writer = LastSeenWriter(app.bot_data.sessions)
    writer.note(Seen(1, 501, "Bo", LATER))
    writer.note(Seen(2, 502, "Anita", LATER - timedelta(minutes=1)))
    writer.note(Seen(2, 502, "Ana María", LATER))  # the later note of the same person wins
    writer.note(Seen(4, 504, "Kim", LATER))  # not stored: never created
    assert writer.pending == 3
    assert await writer.flush() == 3
    assert (writer.batches, writer.written, writer.pending) == (1, 3, 0)
    assert await _rows(app) == {
        1: (501, LATER, None),  # does not share: no name kept
        2: (502, LATER, "Ana María"),
        3: (3, NOW, None),
    }


async def test_a_full_batch_is_written_at_once(app: AcubotApp) -> None:
    await _users(app, *range(1, 6))
    writer = LastSeenWriter(app.bot_data.sessions, max_batch=5, delay=3600)
    for user_id in range(1, 6):
        writer.note(Seen(user_id, user_id, None, LATER))
    pending = [t for t in asyncio.all_tasks() if t.get_name() == "seen-batch"]
    assert len(pending) == 1  # not an hour later
    await pending[0]
    assert writer.batches == 1
    assert {seen for _, seen, _ in (await _rows(app)).values()} == {LATER}


@pytest.mark.looptime
async def test_a_note_is_written_within_the_delay_without_a_flush(tmp_path: Path) -> None:
    # Its own SQLite file: on looptime's virtual clock a network driver's waits would
    # time out at once (the clock jumps while the loop waits on a socket).
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/seen.sqlite3")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine)
    async with sessions.begin() as session:
        await record_user_seen(session=session, user_id=1, chat_id=1, language_code=None, now=NOW)
    writer = LastSeenWriter(sessions, delay=1.0)
    writer.note(Seen(1, 1, None, LATER))
    await asyncio.sleep(0.5)
    assert (writer.pending, writer.batches) == (1, 0)
    await asyncio.sleep(0.6)
    for task in [t for t in asyncio.all_tasks() if t.get_name() == "seen-batch"]:
        await task
    assert writer.batches == 1
    async with sessions() as session:
        assert await session.scalar(select(User.last_seen_at)) == LATER
    await engine.dispose()


async def test_a_batch_that_cannot_be_written_is_given_back(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/folder/x.sqlite3")
    given_back: list[int] = []
    writer = LastSeenWriter(async_sessionmaker(engine), on_failure=given_back.extend)
    writer.note(Seen(1, 1, None, LATER))
    writer.note(Seen(2, 2, None, LATER))
    assert await writer.flush() == 0  # no exception: the patients' updates never see it
    assert sorted(given_back) == [1, 2] and writer.pending == 0
    await engine.dispose()


async def test_through_the_bot_a_first_update_of_the_hour_is_written_in_a_batch_and_at_stop(
    database_url: str, api: InProcessBotAPI, clock: FakeClock, sleep: RecordingSleep
) -> None:
    clock.set(NOW)
    settings = make_settings(database_url)
    async with running(make_app(settings, api, clock, sleep)) as app:
        app.bot_data.last_seen.delay = 3600  # however slow this machine, no batch meanwhile
        patient = Patient(app, api, user_id=7)
        await patient.send("/start")
        clock.set(LATER)
        await patient.send("/point BL40")
        await patient.send("/point KI3")  # the same hour: noted once
        assert app.bot_data.last_seen.pending == 1
        assert (await _rows(app))[7][1] == NOW  # the card did not wait for the write
    # Stopping the bot wrote what was noted.
    async with running(make_app(settings, InProcessBotAPI(), clock, sleep)) as again:
        assert (await _rows(again))[7][1] == LATER
