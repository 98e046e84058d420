"""Migrations: the stairway (up, down, up) and models that match them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage import migrate
from storage.database import create_engine
from storage.models import Base
from tests import postgres


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables yet, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    if postgres.server_url() is None:
        pytest.skip(postgres.SKIP_REASON)
    async with postgres.fresh_database("acubot_stairs") as url:
        yield url


async def test_stairway_each_revision_up_down_up(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        previous = "base"
        for revision in _revisions():
            await migrate.upgrade(engine, revision)
            await migrate.downgrade(engine, previous)
            await migrate.upgrade(engine, revision)
            previous = revision
        assert set(Base.metadata.tables) <= await _tables(engine)
        await migrate.downgrade(engine, "base")
        assert await _tables(engine) <= {"alembic_version"}
    finally:
        await engine.dispose()


async def test_models_match_the_migrations(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        assert differences == []
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.sqlite3'}")
    try:
        async with engine.connect() as connection:
            mode = await connection.exec_driver_sql("PRAGMA journal_mode")
            assert mode.scalar() == "wal"
            timeout = await connection.exec_driver_sql("PRAGMA busy_timeout")
            assert timeout.scalar() >= 5000
    finally:
        await engine.dispose()


def test_head_revision_constant_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_current_head() == migrate.HEAD_REVISION
