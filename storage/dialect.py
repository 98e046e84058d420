"""The one place that knows SQLite and PostgreSQL spell some things differently.

Upserts, and a patient's local day in SQL (`days_since`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, Integer, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# The SQLite function behind `days_since`, registered on every connection (storage/database.py).
SQLITE_DAYS_SINCE = "acubot_days_since"


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


class days_since(FunctionElement[int]):
    """`days_since(instant, zone, day)`: days from `day` to `instant`'s local date in `zone`.

    0 when the instant falls on that day where the patient lives, 1 the next
    day, -1 the day before. PostgreSQL uses its own time zone rules
    (`timezone(zone, instant)`); SQLite calls `sqlite_days_since` below, which
    uses Python's (the same zoneinfo as the rest of the bot). NULL for a zone
    the database does not know on SQLite.
    """

    type = Integer()
    inherit_cache = True
    name = "days_since"


@compiles(days_since, "postgresql")
def _days_since_postgresql(element: days_since, compiler: SQLCompiler, **kw: Any) -> str:
    instant, zone, day = (compiler.process(clause, **kw) for clause in element.clauses)
    return (
        f"(CAST(timezone({zone}, CAST({instant} AS TIMESTAMP WITH TIME ZONE)) AS DATE)"
        f" - CAST({day} AS DATE))"
    )


@compiles(days_since, "sqlite")
def _days_since_sqlite(element: days_since, compiler: SQLCompiler, **kw: Any) -> str:
    arguments = ", ".join(compiler.process(clause, **kw) for clause in element.clauses)
    return f"{SQLITE_DAYS_SINCE}({arguments})"


def sqlite_days_since(instant: str | None, zone: str | None, day: str | None) -> int | None:
    """SQLite's `days_since`: the instant as SQLite holds it (naive UTC text), a day's text."""
    if instant is None or zone is None or day is None:
        return None
    try:
        local = datetime.fromisoformat(instant).replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
        return (local.date() - date.fromisoformat(day)).days
    except (ValueError, KeyError):  # an unknown zone (ZoneInfoNotFoundError is a KeyError)
        return None
