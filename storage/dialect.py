"""The one place that knows SQLite and PostgreSQL spell upserts differently."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An INSERT that supports `on_conflict_do_*` on the session's backend."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed.

    `AsyncSession.execute` is typed to return `Result`, but for DML it is a
    `CursorResult` (SQLAlchemy's documented way to reach `rowcount` is this cast).
    """
    return cast(CursorResult[Any], result).rowcount or 0
