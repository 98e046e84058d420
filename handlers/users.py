"""Keeps known users' last-seen time current, without a write on every update.

It never creates a user: people are stored from /start (or a flow that needs
storage) on, so a button pressed after /delete does not bring their row back.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import TypeHandler

from handlers.context import AcubotApp, AcubotContext
from storage.users import touch_user

# Last-seen is for the clinic's statistics; to the hour is precise enough.
SEEN_REFRESH = timedelta(hours=1)
USERS_GROUP = -1  # runs before the feature handlers, never stops them


async def remember_user(update: Update, context: AcubotContext) -> None:
    """Refresh who is talking to the bot, at most once an hour per person."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return
    services = context.services
    now = services.now()
    last = services.seen_at.get(user.id)
    if last is not None and now - last < SEEN_REFRESH:
        return
    async with services.sessions.begin() as session:
        await touch_user(session=session, user_id=user.id, chat_id=chat.id, now=now)
    services.seen_at[user.id] = now


def register(app: AcubotApp) -> None:
    app.add_handler(TypeHandler(Update, remember_user), group=USERS_GROUP)
