"""Schema migrations (Alembic), run by `acubot db upgrade` and on start."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest migration. When the database is already there, start-up skips
# importing Alembic at all; a test keeps this equal to Alembic's own head.
HEAD_REVISION = "0015_questionnaire_wording"
LOCK_KEY = 0x_AC0B07  # any constant shared by every instance of the bot


def alembic_config() -> Config:
    """Alembic configuration without an ini file: the scripts ship in the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's migration revision; None for a new, empty database."""
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:  # no alembic_version table yet
        return None


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database up to `revision` (the newest by default)."""
    if revision == "head" and await current_revision(engine) == HEAD_REVISION:
        return  # the usual start: nothing to do, and no need to load Alembic
    await _run(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Step the database back to `revision` ("base" removes every table)."""
    await _run(engine, "downgrade", revision)


async def _run(engine: AsyncEngine, action: str, revision: str) -> None:
    from alembic import command

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Instances starting together would race to create the same
            # tables; the lock makes them migrate one after another.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        await connection.run_sync(run)
