"""Schema migrations (Alembic), run by `acubot db upgrade` and on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
LOCK_KEY = 0x_AC0B07  # any constant shared by every instance of the bot


def alembic_config() -> Config:
    """Alembic configuration without an ini file: the scripts ship in the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database up to `revision` (the newest by default)."""
    await _run(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Step the database back to `revision` ("base" removes every table)."""
    await _run(engine, command.downgrade, revision)


async def _run(engine: AsyncEngine, action: object, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        action(config, revision)  # type: ignore[operator]

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Instances starting together would race to create the same
            # tables; the lock makes them migrate one after another.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        await connection.run_sync(run)
