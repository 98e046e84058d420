"""Telegram file ids of pictures we uploaded, so each is uploaded once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.models import TelegramFile


async def get_file_id(*, session: AsyncSession, key: str) -> str | None:
    return await session.scalar(select(TelegramFile.file_id).where(TelegramFile.key == key))


async def save_file_id(*, session: AsyncSession, key: str, file_id: str, now: datetime) -> None:
    values = {"file_id": file_id, "uploaded_at": now}
    statement = insert_for(session, TelegramFile).values(key=key, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[TelegramFile.key], set_=values)
    )


async def all_file_ids(*, session: AsyncSession) -> dict[str, str]:
    """Every stored file id by key (a few dozen pictures), loaded once at start."""
    rows = await session.execute(select(TelegramFile.key, TelegramFile.file_id))
    return {key: file_id for key, file_id in rows}
