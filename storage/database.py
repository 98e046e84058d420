"""Engine and session factory, made once per application in `post_init`.

Database outages cost seconds, not minutes. Three things make it so:

- Every wait is bounded. PostgreSQL: a connect timeout, the server's
  `statement_timeout`, and asyncpg's `command_timeout` a little longer (it
  also bounds the pool's pre-ping, so a connection whose packets are being
  dropped fails in seconds). SQLite: the busy timeout (how long a write waits
  for a lock held by someone else).
- Connections are checked before use (`pool_pre_ping`): a connection the
  server dropped (a restart, `pg_terminate_backend`) is replaced silently.
- A `DatabaseGate` remembers that the database just failed. Until a probe in
  the background reaches it again (every `retry` seconds), every caller is
  refused at once with `DatabaseUnavailable` instead of each waiting for its
  own timeout; handlers turn that into "briefly unavailable" for the patient,
  and the dispatcher and broadcast sender simply try again at their next
  tick. Connections made before the outage are replaced, not pinged, when it
  is over (a silently dropped TCP connection would hang its first query).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool, Pool
from sqlalchemy.sql import Executable
from sqlalchemy.util import await_only

from storage.dialect import SQLITE_DAYS_SINCE, sqlite_days_since
from storage.sqlite_driver import OneTripCursor, one_trip_dbapi

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A statement's execution option, on SQLite: COMMIT right after it, in the same trip to
# the driver's thread (execute_committed).
COMMIT_IN_TRIP = "acubot_commit_in_trip"
# asyncpg's own timeout is this much longer than the server's statement
# timeout, so a slow query is cancelled by the server (a clean error) and the
# client timeout only fires when the server cannot answer at all.
CLIENT_TIMEOUT_MARGIN = 1.0
# PostgreSQL SQLSTATE classes that mean "cannot talk to the database":
# 08 connection exceptions, 57P operator intervention (admin shutdown,
# pg_terminate_backend, crash, starting up), 53300 too many connections.
_OUTAGE_SQLSTATES = ("08", "57P", "53300")
# Statement timeout, lock timeout, deadlock, serialization: the database is
# there but busy. Refused politely, without closing the gate.
_BUSY_SQLSTATES = ("57014", "55P03", "40P01", "40001")
_SQLITE_OUTAGE_WORDS = ("locked", "busy", "unable to open", "disk i/o", "readonly")


@dataclass(frozen=True, slots=True)
class DatabaseTimeouts:
    """How long anything may wait for the database, in seconds."""

    connect: float = 3.0
    statement: float = 10.0
    # While the database is away, how often the gate tries to reach it.
    retry: float = 1.0
    # How long a task waits for a free connection of the pool (SQLAlchemy's default).
    pool: float = 30.0


class DatabaseUnavailable(Exception):
    """The database failed a moment ago: refused at once until it answers again."""


def _chain(error: BaseException) -> list[BaseException]:
    """The error, what it wraps (`orig`) and its causes, each once."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo and len(seen) < 12:
        current = todo.pop()
        if current is None or any(current is known for known in seen):
            continue
        seen.append(current)
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def _sqlstate(error: BaseException) -> str:
    return str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")


def is_outage(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached (not that a query was wrong)."""
    for item in _chain(error):
        if isinstance(item, DatabaseUnavailable | OSError | TimeoutError):
            return True
        if isinstance(item, sa_exc.DBAPIError) and item.connection_invalidated:
            return True
        if _sqlstate(item).startswith(_OUTAGE_SQLSTATES):
            return True
        if type(item).__name__ in {"ConnectionDoesNotExistError", "InterfaceError"} and (
            "connection" in str(item).lower() and "closed" in str(item).lower()
        ):
            return True
        if isinstance(item, sqlite3.OperationalError) and any(
            word in str(item).lower() for word in _SQLITE_OUTAGE_WORDS
        ):
            return True
    return False


def is_unavailable(error: BaseException) -> bool:
    """Whether a patient should hear "briefly unavailable": an outage, or a database too busy."""
    if is_outage(error):
        return True
    return any(
        isinstance(item, sa_exc.TimeoutError) or _sqlstate(item).startswith(_BUSY_SQLSTATES)
        for item in _chain(error)
    )


Probe = Callable[[], Awaitable[None]]


class DatabaseGate:
    """Refuses callers at once while the database is known to be away.

    `trip` closes it (from any failure that `is_outage` recognises); a task
    then runs `probe` at once and every `retry` seconds until it succeeds,
    and the gate opens again.
    """

    def __init__(self, probe: Probe, retry: float = 1.0) -> None:
        self._probe = probe
        self.retry = retry
        self._down_since: float | None = None
        # time.time() of the last trip: connections older than this are replaced.
        self.tripped_at = 0.0
        self._prober: asyncio.Task[None] | None = None
        self._open = asyncio.Event()
        self._open.set()

    @property
    def available(self) -> bool:
        """False from a failure until the database answers a probe again."""
        return self._down_since is None

    def check(self) -> None:
        """Raises DatabaseUnavailable while the gate is closed."""
        if self._down_since is not None:
            raise DatabaseUnavailable("the database is unreachable; retrying in the background")

    async def wait_open(self) -> None:
        """Returns once the database is reachable (at once when it is)."""
        await self._open.wait()

    def trip(self, error: BaseException) -> None:
        """Close the gate after `error`; safe to call from SQLAlchemy's sync code."""
        if isinstance(error, DatabaseUnavailable):
            return
        self.tripped_at = time.time()
        if self._down_since is None:
            self._down_since = time.monotonic()
            self._open.clear()
            # The type only: driver messages can quote the database URL.
            log.warning(
                "Database unreachable (%s): refusing database work at once until it answers",
                type(error).__name__,
            )
        if self._prober is None or self._prober.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop (a sync tool): the next caller finds it closed
                return
            self._prober = loop.create_task(self._probe_until_back(), name="database-probe")

    async def _probe_until_back(self) -> None:
        attempt = 0
        while True:
            try:
                await self._probe()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                attempt += 1
                log.debug("Database probe %d failed (%s)", attempt, type(error).__name__)
                await asyncio.sleep(self.retry)
                continue
            down = time.monotonic() - (self._down_since or time.monotonic())
            self._down_since = None
            self._open.set()
            log.warning("Database reachable again after %.1f s", down)
            return

    async def close(self) -> None:
        """Stops the background probe (at shutdown)."""
        if self._prober is not None and not self._prober.done():
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober


@dataclass(frozen=True, slots=True)
class Database:
    """The engine, its session factory and its gate, disposed together."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    gate: DatabaseGate
    probe_engine: AsyncEngine

    async def dispose(self) -> None:
        await self.gate.close()
        await self.engine.dispose()
        await self.probe_engine.dispose()


def _sqlite_path(database_url: str) -> None:
    url = make_url(database_url)
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _engine_options(database_url: str, timeouts: DatabaseTimeouts | None) -> dict[str, Any]:
    """create_async_engine's options: pre-ping, timeouts, no SQL parameters in errors."""
    # Parameters are patients' data (typed text, zones): never in an error message or log.
    options: dict[str, Any] = {"hide_parameters": True}
    if make_url(database_url).get_backend_name() == "sqlite":
        # One trip to aiosqlite's thread per statement instead of four (sqlite_driver.py).
        options["module"] = one_trip_dbapi()
        return options
    options["pool_pre_ping"] = True
    if timeouts is not None:
        options["connect_args"] = {
            "timeout": timeouts.connect,
            "command_timeout": timeouts.statement + CLIENT_TIMEOUT_MARGIN,
            "server_settings": {"statement_timeout": str(round(timeouts.statement * 1000))},
        }
    return options


def _add_sqlite_pragmas(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers work while the dispatcher writes; the busy timeout
        # makes a second writer wait instead of failing with "locked".
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # A patient's local day in SQL (storage.dialect.days_since).
        dbapi_connection.create_function(
            SQLITE_DAYS_SINCE, 3, sqlite_days_since, deterministic=True
        )


def _skip_empty_sqlite_endings(engine: AsyncEngine) -> None:
    """COMMIT and ROLLBACK on SQLite only when a transaction is open.

    With aiosqlite each is a round trip to the driver's thread, and SQLAlchemy
    sends them even when there is nothing to end: a read-only session rolls
    back twice (its own end, then the pool's reset on return), a write rolls
    back after its commit. SQLite knows exactly whether a transaction is open
    (`sqlite3_get_autocommit`, read in this thread without a round trip);
    when none is, COMMIT and ROLLBACK would do nothing, so they are skipped.
    """
    dialect = engine.sync_engine.dialect
    rollback, commit = dialect.do_rollback, dialect.do_commit

    def in_transaction(dbapi_connection: Any) -> bool:
        adapted = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        try:
            return bool(adapted._connection.in_transaction)
        except Exception:  # closed or unknown: let the driver decide
            return True

    def do_rollback(dbapi_connection: Any) -> None:
        if in_transaction(dbapi_connection):
            rollback(dbapi_connection)

    def do_commit(dbapi_connection: Any) -> None:
        if in_transaction(dbapi_connection):
            commit(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    dialect.do_commit = do_commit  # type: ignore[method-assign]


def _commit_in_trip(engine: AsyncEngine) -> None:
    """Statements marked COMMIT_IN_TRIP are committed on aiosqlite's thread as they run."""
    dialect = engine.sync_engine.dialect
    execute = dialect.do_execute

    def do_execute(cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        if (
            context is not None
            and context.execution_options.get(COMMIT_IN_TRIP)
            and isinstance(cursor, OneTripCursor)
        ):
            cursor.execute_and_commit(statement, parameters)
        else:
            execute(cursor, statement, parameters, context)

    dialect.do_execute = do_execute  # type: ignore[method-assign]


def _busy_timeout_ms(timeouts: DatabaseTimeouts | None) -> int:
    return SQLITE_BUSY_TIMEOUT_MS if timeouts is None else round(timeouts.statement * 1000)


def create_engine(database_url: str, timeouts: DatabaseTimeouts | None = None) -> AsyncEngine:
    """An async engine; SQLite files get WAL mode, a busy timeout and foreign keys.

    Without `timeouts` (migrations, tools) nothing is cut short on PostgreSQL.
    """
    url = make_url(database_url)
    options = _engine_options(database_url, timeouts)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, **options)
    _sqlite_path(database_url)
    engine = create_async_engine(url, **options)
    _add_sqlite_pragmas(engine, _busy_timeout_ms(timeouts))
    _commit_in_trip(engine)
    return engine


def _gated_pool_class(base: type[Pool], gate: DatabaseGate) -> type[Pool]:
    class GatedPool(base):  # type: ignore[valid-type, misc]
        """The pool refuses at once while the gate is closed, and trips it on failure."""

        def connect(self) -> Any:
            gate.check()
            invalidated: float = self._invalidate_time  # type: ignore[has-type]
            if gate.tripped_at > invalidated:
                # SQLAlchemy's own pool-wide invalidation: older connections are
                # terminated (no network wait) and replaced on checkout.
                self._invalidate_time = gate.tripped_at
            try:
                return super().connect()
            except Exception as error:
                if is_outage(error):
                    gate.trip(error)
                raise

    return GatedPool


def open_database(database_url: str, timeouts: DatabaseTimeouts) -> Database:
    """The application's database: bounded waits, pre-ping and a gate (module docstring)."""
    url = make_url(database_url)
    sqlite = url.get_backend_name() == "sqlite"
    options = _engine_options(database_url, timeouts)
    if sqlite:
        _sqlite_path(database_url)
    probe_engine = create_async_engine(url, poolclass=NullPool, **options)

    async def probe() -> None:
        async with asyncio.timeout(timeouts.connect + timeouts.statement + CLIENT_TIMEOUT_MARGIN):
            async with probe_engine.connect() as connection:
                if sqlite:
                    # A lock held by someone else is SQLite's outage: ask for the write lock.
                    await connection.exec_driver_sql("BEGIN IMMEDIATE")
                    await connection.rollback()
                else:
                    await connection.execute(text("SELECT 1"))

    gate = DatabaseGate(probe, retry=timeouts.retry)
    engine = create_async_engine(
        url,
        poolclass=_gated_pool_class(AsyncAdaptedQueuePool, gate),
        pool_timeout=timeouts.pool,
        **options,
    )
    if sqlite:
        _add_sqlite_pragmas(engine, _busy_timeout_ms(timeouts))
        _add_sqlite_pragmas(probe_engine, _busy_timeout_ms(timeouts))
        _skip_empty_sqlite_endings(engine)
        _commit_in_trip(engine)
    else:
        _short_pre_ping(engine, timeouts.connect)

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        error = context.original_exception
        if context.is_pre_ping or not is_outage(error):
            # A pre-ping failure is SQLAlchemy replacing a dropped connection;
            # only if that fails too (GatedPool.connect) is it an outage.
            return
        if isinstance(error, OSError | TimeoutError):
            # A query that timed out on the client: this connection cannot be trusted.
            context.is_disconnect = True
        gate.trip(error)

    return Database(engine, create_session_factory(engine), gate, probe_engine)


def _short_pre_ping(engine: AsyncEngine, seconds: float) -> None:
    """The pool's pre-ping on PostgreSQL, bounded by `seconds` rather than the statement timeout.

    SQLAlchemy's asyncpg ping runs BEGIN, a query and ROLLBACK, each allowed
    the whole command timeout: when packets are being dropped the first
    request would wait for that twice. This ping is one round trip with a
    timeout as short as connecting; errors are translated as SQLAlchemy's own
    ping translates them, so a dropped connection is still replaced silently.
    """
    dialect = engine.sync_engine.dialect

    def do_ping(dbapi_connection: Any) -> bool:
        try:
            await_only(dbapi_connection.driver_connection.fetchval("SELECT 1", timeout=seconds))
        except Exception as error:
            dbapi_connection._handle_exception(error)
        return True

    dialect.do_ping = do_ping  # type: ignore[method-assign]


async def execute_committed(
    engine: AsyncEngine, statement: Executable, parameters: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """One statement as a transaction of its own, committed before this returns; its rows
    (none for a statement without RETURNING).

    For the busiest single-statement writes (✅ Done, a 0-10 answer), in as
    few trips to the database as it can be:

    - SQLite: the statement and its COMMIT in one trip to aiosqlite's thread
      (COMMIT_IN_TRIP) instead of two.
    - PostgreSQL: in autocommit, so the statement is its own transaction, with
      no BEGIN and no COMMIT round trips (one instead of three).

    The statement must be complete on its own: nothing else shares its transaction.
    """
    async with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            result = await connection.execute(
                statement, parameters, execution_options={COMMIT_IN_TRIP: True}
            )
        else:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await autocommit.execute(statement, parameters)
        return result.all() if result.returns_rows else []


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One factory per application; sessions keep loaded values after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def when_available(
    gate: DatabaseGate, work: Callable[[], Awaitable[Any]], *, keep_going: Callable[[], bool]
) -> bool:
    """Runs `work` (a whole transaction), waiting out database outages between tries.

    For what must not be lost, such as the outcome of messages already sent:
    True once `work` succeeded; False if `keep_going()` turned False first
    (the bot is stopping: the rows stay as they were, and their leases decide).
    Errors other than outages (or a database too busy to answer) are raised.
    """
    while True:
        try:
            await work()
            return True
        except Exception as error:
            # An outage, or a database too busy to answer in time: try again.
            if not is_unavailable(error):
                raise
        if not keep_going():
            return False
        # Woken when the probe gets through; at most `retry` later in any case,
        # to look at keep_going() again (and for an outage the gate did not see).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gate.wait_open(), gate.retry)
        if gate.available:
            await asyncio.sleep(0)
