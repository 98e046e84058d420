"""SQLAlchemy's aiosqlite driver, with one trip to the driver's thread per statement.

aiosqlite runs each sqlite3 call on a thread of its own and hands the result
back to the event loop. SQLAlchemy's adapter makes four such trips for one
statement: create a cursor, execute, fetch the rows, close the cursor. A trip
is a queue put, a thread wake-up and a wake-up of the event loop: about
0.1 ms of CPU here, more than a small statement itself costs in SQLite
(benchmarks/README.md). This adapter does the four steps in one function on
that thread, so a statement is one trip and a write transaction two (the
statement, then COMMIT). A transaction of one statement can be one trip: a
statement with the execution option `storage.database.COMMIT_IN_TRIP` is
committed on the thread right after it ran (`execute_committed` there).

Everything else is SQLAlchemy's and aiosqlite's own: the connection, its
transactions, errors (the same sqlite3 exceptions, translated by
SQLAlchemy as before) and server-side cursors for streamed results, which
keep SQLAlchemy's cursor. The engine gets it as its DBAPI module
(`create_async_engine(..., module=one_trip_dbapi())`), so URLs stay
`sqlite+aiosqlite://`.
"""

from __future__ import annotations

import collections
import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import await_only

# What one trip brings back: description, rows, rowcount, lastrowid.
_Outcome = tuple[Any, list[Any], int, int | None]


def _outcome(cursor: sqlite3.Cursor) -> _Outcome:
    """What SQLAlchemy reads of a cursor that has run, its rows all fetched."""
    description = cursor.description
    rows = cursor.fetchall() if description else []
    return description, rows, cursor.rowcount, cursor.lastrowid


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """On aiosqlite's thread: the whole statement, its rows read, its cursor closed."""
    with contextlib.closing(connection.cursor()) as cursor:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        return _outcome(cursor)


def _execute_and_commit(
    connection: sqlite3.Connection, operation: str, parameters: Any
) -> _Outcome:
    """The statement, its rows read, then COMMIT: a transaction in one trip."""
    outcome = _execute(connection, operation, parameters)
    connection.commit()  # on failure the transaction stays open, for SQLAlchemy to roll back
    return outcome


def _executemany(
    connection: sqlite3.Connection, operation: str, parameters: Sequence[Any]
) -> _Outcome:
    with contextlib.closing(connection.cursor()) as cursor:
        cursor.executemany(operation, parameters)
        return _outcome(cursor)


class OneTripCursor:
    """A DBAPI cursor whose execute is one trip; the rows are then read in memory."""

    server_side = False
    __slots__ = ("_adapt_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, adapt_connection: OneTripConnection) -> None:
        self._adapt_connection = adapt_connection
        self._rows: collections.deque[Any] = collections.deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def _run(self, function: Any, operation: str, parameters: Any) -> None:
        adapted = self._adapt_connection
        try:
            description, rows, rowcount, lastrowid = await_only(
                adapted.run_on_thread(function, operation, parameters)
            )
        except Exception as error:
            adapted._handle_exception(error)
        self.description = description
        self._rows = collections.deque(rows)
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._run(_execute, operation, parameters)

    def execute_and_commit(self, operation: str, parameters: Any = None) -> None:
        """The statement, then COMMIT of the connection's transaction, in the same trip."""
        self._run(_execute_and_commit, operation, parameters)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> None:
        self._run(_executemany, operation, seq_of_parameters)

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's asyncio layer closes the driver's cursor here; ours is closed."""

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *_sizes: Any) -> None:
        pass

    def __enter__(self) -> OneTripCursor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection, handing out one-trip cursors."""

    __slots__ = ()

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:  # streamed results: SQLAlchemy's own cursor
            return super().cursor(server_side=True)
        return OneTripCursor(self)

    async def run_on_thread(self, function: Any, operation: str, parameters: Any) -> _Outcome:
        """`function(sqlite3 connection, operation, parameters)` on aiosqlite's thread."""
        driver = cast(aiosqlite.Connection, self._connection)
        # aiosqlite's own queue (Connection._execute), which its cursor methods use: the
        # thread runs one function at a time, so a statement is never interleaved.
        outcome: _Outcome = await driver._execute(function, driver._conn, operation, parameters)
        return outcome


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI module, whose connections are `OneTripConnection`s."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> OneTripDBAPI:
    """The DBAPI module for `create_async_engine(module=...)` with a SQLite URL."""
    return OneTripDBAPI(aiosqlite, sqlite3)
