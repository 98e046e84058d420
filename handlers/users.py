"""Keeps known users' last-seen time current, without a write on every update.

It never creates a user: people are stored from /start (or a flow that needs
storage) on, so a button pressed after /delete does not bring their row back.
Only private chats count: a message in a group never changes where the
bot writes to a patient (see handlers.groups). With the same write, the
first name Telegram gives is kept current for a patient who shares their
progress with the clinic, and for nobody else (storage.consent).

The write runs beside the update, not before it: a point card must not wait
for the database (during an outage it would wait for a timeout). A write
that fails is tried again with the person's next update.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram import Chat, Update
from telegram.ext import TypeHandler

from handlers.context import AcubotApp, AcubotContext, Services
from storage.consent import record_seen
from storage.database import is_unavailable

log = logging.getLogger(__name__)

# Last-seen is for the clinic's statistics; to the hour is precise enough.
SEEN_REFRESH = timedelta(hours=1)
USERS_GROUP = -1  # runs before the feature handlers, never stops them


async def remember_user(update: Update, context: AcubotContext) -> None:
    """Refresh who is talking to the bot, at most once an hour per person."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot or chat.type != Chat.PRIVATE:
        return
    services = context.services
    now = services.now()
    last = services.seen_at.get(user.id)
    if last is not None and now - last < SEEN_REFRESH:
        return
    if not services.gate.available:
        return  # the database is away: the next update after it is back writes
    # Marked now so one write is in flight per person; undone if it fails.
    services.seen_at[user.id] = now
    context.application.create_task(
        _touch(services, user.id, chat.id, user.first_name, now, last), name=f"seen-{user.id}"
    )


async def _touch(
    services: Services,
    user_id: int,
    chat_id: int,
    first_name: str | None,
    now: datetime,
    last: datetime | None,
) -> None:
    try:
        async with services.sessions.begin() as session:
            await record_seen(
                session=session, user_id=user_id, chat_id=chat_id, now=now, first_name=first_name
            )
    except Exception as error:
        if services.seen_at.get(user_id) == now:
            if last is None:
                services.seen_at.pop(user_id, None)
            else:
                services.seen_at[user_id] = last
        if not is_unavailable(error):
            log.error("Could not record that a user was seen", exc_info=error)


def register(app: AcubotApp) -> None:
    app.add_handler(TypeHandler(Update, remember_user), group=USERS_GROUP)
