"""PostgreSQL for the tests: a fresh database per test run, emptied per test.

Set ACUBOT_TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)
to run every database test on PostgreSQL as well as SQLite. The URL names a
server and a database to connect to; the tests create their own databases
next to it and drop them afterwards.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from storage import migrate
from storage.database import create_engine
from storage.models import Base

ENV = "ACUBOT_TEST_POSTGRES_URL"
T = TypeVar("T")
SKIP_REASON = f"PostgreSQL tests need {ENV}, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def server_url() -> str | None:
    return os.environ.get(ENV) or None


def _plain(url: str) -> str:
    """asyncpg's own DSN for a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_database(base_url: str, prefix: str = "acubot_test") -> str:
    """A new, empty database on the server of `base_url`; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(_plain(base_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    connection = await asyncpg.connect(_plain(base_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_database(prefix: str = "acubot_test") -> AsyncIterator[str]:
    """A new empty database for one test (migrations not applied)."""
    base = server_url()
    assert base is not None
    url = await create_database(base, prefix)
    try:
        yield url
    finally:
        await drop_database(base, url)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def _run_elsewhere(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine to completion on its own thread and loop.

    Session fixtures are first requested from inside a test's running loop,
    where asyncio.run is not allowed.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@contextmanager
def migrated_database_for_session() -> Iterator[str]:
    """One migrated database for the whole test run."""
    base = server_url()
    assert base is not None
    url = _run_elsewhere(create_database(base))
    try:
        _run_elsewhere(_migrate(url))
        yield url
    finally:
        _run_elsewhere(drop_database(base, url))


async def empty_tables(url: str) -> None:
    """Every table emptied and its ids restarted: a clean slate per test."""
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    connection = await asyncpg.connect(_plain(url))
    try:
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()
