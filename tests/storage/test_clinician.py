"""The clinician view's reads: consenting patients only, in a fixed number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.context import AcubotApp
from storage import clinician, consent
from storage.checkins import CheckInKind, record_checkin
from storage.safety import record_adverse_event
from storage.users import record_user_seen

NOW = datetime(2027, 6, 7, 17, 0, tzinfo=UTC)
VERSION = "2026-12-share-v1"


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def _patients(app: AcubotApp, ids: range, *, shares: bool = True) -> None:
    async with app.bot_data.sessions.begin() as session:
        for user_id in ids:
            await record_user_seen(
                session=session, user_id=user_id, chat_id=user_id, language_code="en", now=NOW
            )
            await consent.record_consent(
                session=session, user_id=user_id, shares=shares, text_version=VERSION,
                now=NOW, first_name=f"P{user_id}",
            )  # fmt: skip
            await record_checkin(
                session=session, user_id=user_id, kind=CheckInKind.PAIN, score=user_id % 11,
                local_date=NOW.date(), now=NOW,
            )  # fmt: skip


async def test_the_list_reads_in_two_statements_whatever_the_number_of_patients(
    app: AcubotApp,
) -> None:
    sessions, engine = app.bot_data.sessions, app.bot_data.engine
    await _patients(app, range(1, 3))
    with counted(engine) as few:
        async with sessions() as session:
            assert len(await clinician.consented_patients(session=session, since=NOW)) == 2
    await _patients(app, range(3, 23))
    await _patients(app, range(23, 26), shares=False)
    with counted(engine) as many:
        async with sessions() as session:
            rows = await clinician.consented_patients(session=session, since=NOW)
    assert len(few) == len(many) == 2
    assert [row.number for row in rows] == list(range(1, 23))
    assert rows[7].first_name == "P8" and rows[7].top_pain_recent == 8
    assert rows[7].last_activity == NOW


async def test_sharing_patient_is_none_for_an_unknown_number_and_after_a_withdrawal(
    app: AcubotApp,
) -> None:
    await _patients(app, range(1, 3))
    sessions = app.bot_data.sessions
    async with sessions.begin() as session:
        await record_adverse_event(session=session, user_id=1, routine="clinic", now=NOW)
        found = await clinician.sharing_patient(session=session, number=1)
        assert found is not None and (found.user_id, found.first_name) == (1, "P1")
        assert await clinician.sharing_patient(session=session, number=3) is None
        await consent.record_consent(
            session=session, user_id=1, shares=False, text_version=VERSION,
            now=NOW + timedelta(minutes=1),
        )  # fmt: skip
        assert await clinician.sharing_patient(session=session, number=1) is None
        listed = await clinician.consented_patients(session=session, since=NOW)
        assert [row.user_id for row in listed] == [2]
