"""Queries about users. The caller owns the transaction."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.models import User

# Telegram's language_code is an IETF language tag: at most 35 characters.
LANGUAGE_TAG_LENGTH = 35
_LANGUAGE_TAG = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")


def language_tag(code: str | None) -> str | None:
    """The tag as stored: None when it is not a tag or longer than the column holds."""
    if not code or len(code) > LANGUAGE_TAG_LENGTH or not _LANGUAGE_TAG.fullmatch(code):
        return None
    return code


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    chat_id: int
    first_seen_at: datetime
    last_seen_at: datetime
    language_code: str | None
    blocked: bool
    language: str | None = None


def _record(row: User) -> UserRecord:
    return UserRecord(
        id=row.id,
        chat_id=row.chat_id,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        language_code=row.language_code,
        blocked=row.blocked,
        language=row.language,
    )


async def record_user_seen(
    *,
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    language_code: str | None,
    now: datetime,
    unblock: bool = False,
) -> None:
    """Create the user or refresh their chat id and last-seen time.

    `unblock` is for /start: a person who blocked the bot and came back
    wants to hear from it again.
    """
    language_code = language_tag(language_code)
    statement = insert_for(session, User).values(
        id=user_id,
        chat_id=chat_id,
        first_seen_at=now,
        last_seen_at=now,
        language_code=language_code,
        blocked=False,
    )
    changes = {"chat_id": chat_id, "last_seen_at": now, "language_code": language_code}
    if unblock:
        changes["blocked"] = False
    await session.execute(statement.on_conflict_do_update(index_elements=[User.id], set_=changes))


async def get_user(*, session: AsyncSession, user_id: int) -> UserRecord | None:
    """The user, or None if they never talked to the bot (or deleted their data)."""
    row = await session.get(User, user_id)
    return _record(row) if row else None


async def mark_user_blocked(*, session: AsyncSession, user_id: int) -> None:
    """Telegram said the user blocked the bot or no longer exists."""
    await session.execute(update(User).where(User.id == user_id).values(blocked=True))


async def update_chat_id(*, session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """Telegram moved a chat (a group became a supergroup)."""
    await session.execute(
        update(User).where(User.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )


async def chosen_language(*, session: AsyncSession, user_id: int) -> str | None:
    """The language the user chose with /language; None if they never did."""
    result = await session.execute(select(User.language).where(User.id == user_id))
    return result.scalar_one_or_none()


async def chosen_languages(*, session: AsyncSession, chunk: int = 2000) -> dict[int, str]:
    """Every stored /language choice, by user id (people who chose none are left out).

    Read in chunks, giving the event loop a turn between them, so a large
    clinic's list never holds the loop for long.
    """
    chosen: dict[int, str] = {}
    result = await session.stream(
        select(User.id, User.language)
        .where(User.language.is_not(None))
        .execution_options(yield_per=chunk)
    )
    async for rows in result.partitions():
        chosen.update((user_id, language) for user_id, language in rows if language is not None)
        await asyncio.sleep(0)
    return chosen


async def language_tag_of(*, session: AsyncSession, user_id: int) -> str | None:
    """What says the user's language: their /language choice, else Telegram's tag."""
    result = await session.execute(
        select(func.coalesce(User.language, User.language_code)).where(User.id == user_id)
    )
    return result.scalar_one_or_none()


async def choose_language(*, session: AsyncSession, user_id: int, language: str) -> bool:
    """Store the chosen language of a known user; False if they are not stored.

    It never creates a user: a person without a row (new, or after /delete)
    keeps the choice in memory only, so a button never brings data back.
    """
    result = await session.execute(update(User).where(User.id == user_id).values(language=language))
    return bool(getattr(result, "rowcount", 0))
