"""The SQLite driver adapter: one trip to aiosqlite's thread per statement, same results."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Integer, String, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.database import DatabaseTimeouts, create_engine, execute_committed, open_database
from storage.sqlite_driver import OneTripConnection


class _Base(DeclarativeBase):
    pass


class Item(_Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Trips:
    """Counts what is queued for aiosqlite's thread (its queue, wrapped, not replaced)."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue
        self.count = 0

    def put_nowait(self, item: Any) -> None:
        self.count += 1
        self.queue.put_nowait(item)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
        await connection.execute(insert(Item), [{"name": f"n{i}", "count": i} for i in range(5)])
    yield engine
    await engine.dispose()


async def _trips(connection: AsyncConnection) -> Trips:
    raw = await connection.get_raw_connection()
    adapted = raw.dbapi_connection
    assert isinstance(adapted, OneTripConnection)
    driver = adapted.driver_connection
    trips = Trips(driver._tx)
    driver._tx = trips
    return trips


async def test_a_statement_is_one_trip_and_a_write_two(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        trips = await _trips(connection)
        rows = (await connection.execute(select(Item.name).order_by(Item.id))).scalars().all()
        assert rows == ["n0", "n1", "n2", "n3", "n4"]
        assert trips.count == 1  # SQLAlchemy's own adapter: cursor, execute, fetch, close
        await connection.rollback()
        trips.count = 0
        changed = await connection.execute(
            update(Item).where(Item.id == 2).values(count=Item.count + 10).returning(Item.count)
        )
        assert changed.scalar_one() == 11
        await connection.commit()
        assert trips.count == 2  # the statement, then COMMIT


async def test_results_are_what_sqlite_gives(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(insert(Item).values(name="new", count=7))
        assert inserted.inserted_primary_key == (6,)  # lastrowid
        many = await connection.execute(
            update(Item).where(Item.count < 3).values(count=Item.count + 100)
        )
        assert many.rowcount == 3
        returned = await connection.execute(
            delete(Item).where(Item.count >= 100).returning(Item.name)
        )
        assert sorted(returned.scalars()) == ["n0", "n1", "n2"]
        assert returned.rowcount == 3
        executemany = await connection.execute(
            insert(Item), [{"name": "a", "count": 1}, {"name": "b", "count": 2}]
        )
        assert executemany.rowcount == 2
        partial = await connection.execute(select(Item.name).order_by(Item.id))
        assert partial.fetchmany(2) == [("n3",), ("n4",)]
        assert partial.fetchone() == ("new",)
        assert partial.fetchall() == [("a",), ("b",)]
        assert partial.fetchone() is None
        nothing = await connection.execute(select(Item).where(Item.id == -1))
        assert nothing.first() is None
        assert await connection.scalar(select(func.count()).select_from(Item)) == 5


async def test_streamed_results_keep_sqlalchemys_cursor(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        stream = await connection.stream(select(Item.id).order_by(Item.id))
        assert [row async for row in stream.scalars()] == [1, 2, 3, 4, 5]


async def test_errors_are_sqlalchemys_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        with pytest.raises(IntegrityError):  # the unique name
            await connection.execute(insert(Item).values(name="n1"))
        await connection.rollback()
        with pytest.raises(OperationalError, match="no such table"):
            await connection.execute(text("SELECT * FROM missing"))
        await connection.rollback()
        assert await connection.scalar(select(func.count()).select_from(Item)) == 5


async def test_the_applications_database_uses_it(tmp_path: Path) -> None:
    database = open_database(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", DatabaseTimeouts())
    try:
        async with database.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.dbapi_connection, OneTripConnection)
            # The pragmas of every connection went through it too.
            assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await database.dispose()


async def test_a_committed_statement_is_one_trip(tmp_path: Path) -> None:
    database = open_database(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", DatabaseTimeouts())
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_Base.metadata.create_all)
            await connection.execute(insert(Item).values(name="a", count=1))
        async with database.engine.connect() as connection:
            trips = await _trips(connection)  # the pool hands this connection out next
        bump = update(Item).where(Item.name == "a").values(count=Item.count + 1)
        rows = await execute_committed(database.engine, bump.returning(Item.count), {})
        assert [tuple(row) for row in rows] == [(2,)]
        assert trips.count == 1  # the statement and its COMMIT; no ROLLBACK on return
        async with database.engine.connect() as connection:
            assert await connection.scalar(select(Item.count)) == 2
    finally:
        await database.dispose()
