"""One statement as its own transaction (storage.database.execute_committed), both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from handlers.context import AcubotApp
from storage.database import execute_committed
from storage.models import User
from storage.types import UTCDateTime

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
ADD = insert(User).values(
    id=bindparam("p_id"),
    chat_id=bindparam("p_id"),
    first_seen_at=bindparam("p_now", type_=UTCDateTime()),
    last_seen_at=bindparam("p_now", type_=UTCDateTime()),
    blocked=False,
)
RENAME = (
    update(User)
    .where(User.id == bindparam("p_id"))
    .values(language=bindparam("p_language"))
    .returning(User.id, User.language)
)


async def _languages(app: AcubotApp) -> dict[int, str | None]:
    async with app.bot_data.sessions() as session:
        rows = await session.execute(select(User.id, User.language))
        return {user_id: language for user_id, language in rows}


async def test_the_statement_is_committed_and_its_rows_returned(app: AcubotApp) -> None:
    engine = app.bot_data.engine
    assert await execute_committed(engine, ADD, {"p_id": 1, "p_now": NOW}) == []
    rows = await execute_committed(engine, RENAME, {"p_id": 1, "p_language": "es"})
    assert [tuple(row) for row in rows] == [(1, "es")]
    assert await execute_committed(engine, RENAME, {"p_id": 2, "p_language": "es"}) == []
    # Seen by another connection: committed, not merely written.
    assert await _languages(app) == {1: "es"}


async def test_a_failed_statement_leaves_nothing_and_the_pool_as_it_was(app: AcubotApp) -> None:
    engine = app.bot_data.engine
    await execute_committed(engine, ADD, {"p_id": 1, "p_now": NOW})
    with pytest.raises(IntegrityError):
        await execute_committed(engine, ADD, {"p_id": 1, "p_now": NOW})
    assert await _languages(app) == {1: None}
    # The connections go back to the pool in transactions again (not left in
    # autocommit on PostgreSQL, nor mid-transaction on SQLite): a session's
    # rollback still undoes its writes.
    for _ in range(3):
        async with app.bot_data.sessions() as session:
            await session.execute(insert(User), [_user(2)])
            await session.rollback()
    assert await _languages(app) == {1: None}


def _user(user_id: int) -> dict[str, object]:
    return {
        "id": user_id,
        "chat_id": user_id,
        "first_seen_at": NOW,
        "last_seen_at": NOW,
        "blocked": False,
    }
