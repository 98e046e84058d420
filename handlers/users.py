"""Keeps the users table current without a database write on every update."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import TypeHandler

from bot.context import AcubotApp, AcubotContext
from storage.users import record_user_seen

# Last-seen is for the clinic's statistics; to the hour is precise enough.
SEEN_REFRESH = timedelta(hours=1)
USERS_GROUP = -1  # runs before the feature handlers, never stops them


async def remember_user(update: Update, context: AcubotContext) -> None:
    """Record who is talking to the bot, at most once an hour per person."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return
    services = context.services
    now = services.now()
    last = services.seen_at.get(user.id)
    if last is not None and now - last < SEEN_REFRESH:
        return
    async with services.sessions.begin() as session:
        await record_user_seen(
            session=session,
            user_id=user.id,
            chat_id=chat.id,
            language_code=user.language_code,
            now=now,
        )
    services.seen_at[user.id] = now


def register(app: AcubotApp) -> None:
    app.add_handler(TypeHandler(Update, remember_user), group=USERS_GROUP)
