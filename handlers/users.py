"""Keeps known users' last-seen time current, without a write on every update.

It never creates a user: people are stored from /start (or a flow that needs
storage) on, so a button pressed after /delete does not bring their row back.
Only private chats count: a message in a group never changes where the
bot writes to a patient (see handlers.groups). With the same write, the
first name Telegram gives is kept current for a patient who shares their
progress with the clinic, and for nobody else (storage.consent).

The write runs beside the update, not before it: a point card must not wait
for the database (during an outage it would wait for a timeout). It is noted
in memory and written with everyone else's of the same second in one
statement (storage.last_seen). A write that fails is tried again with the
person's next update.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from telegram import Chat, Update
from telegram.ext import TypeHandler

from handlers.context import AcubotApp, AcubotContext, Services
from storage.last_seen import Seen

# Last-seen is for the clinic's statistics; to the hour is precise enough.
SEEN_REFRESH = timedelta(hours=1)
USERS_GROUP = -1  # runs before the feature handlers, never stops them


async def remember_user(update: Update, context: AcubotContext) -> None:
    """Note who is talking to the bot, at most once an hour per person."""
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
    # Marked now so one write is pending per person; forgotten if it fails.
    services.seen_at[user.id] = now
    services.last_seen.note(Seen(user.id, chat.id, user.first_name, now))


def forget_failed(services: Services, user_ids: Collection[int]) -> None:
    """A batch that could not be written: these people are noted again next time."""
    for user_id in user_ids:
        services.seen_at.pop(user_id, None)


def register(app: AcubotApp) -> None:
    app.add_handler(TypeHandler(Update, remember_user), group=USERS_GROUP)
