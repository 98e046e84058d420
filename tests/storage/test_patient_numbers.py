"""Patient numbers: migration 0013 numbers those already sharing by their first yes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage import migrate
from storage.database import create_engine


async def test_the_migration_numbers_patients_already_sharing_by_their_first_yes(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'numbers.sqlite3'}")
    try:
        await migrate.upgrade(engine, "0012_questionnaires")
        async with engine.begin() as connection:
            for user_id in (7, 8, 9):
                await connection.execute(
                    text(
                        "INSERT INTO users (id, chat_id, first_seen_at, last_seen_at, blocked, "
                        "pregnant) VALUES (:id, :id, '2027-01-01 00:00:00.000000', "
                        "'2027-01-01 00:00:00.000000', 0, 0)"
                    ),
                    {"id": user_id},
                )
            # 8 said yes first, then 7; 9 only ever said no; 7 said yes twice.
            for user_id, shares, day in ((8, 1, 2), (7, 1, 3), (9, 0, 4), (7, 0, 5), (7, 1, 6)):
                await connection.execute(
                    text(
                        "INSERT INTO consent_records (user_id, shares, text_version, "
                        "recorded_at) VALUES (:user, :shares, 'v1', :at)"
                    ),
                    {"user": user_id, "shares": shares, "at": f"2027-01-0{day} 00:00:00.000000"},
                )
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT number, user_id FROM patient_numbers ORDER BY number")
            )
            assert [tuple(row) for row in rows] == [(1, 8), (2, 7)]
    finally:
        await engine.dispose()
