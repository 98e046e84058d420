"""The parts of an update that a handler was registered for, typed as present.

python-telegram-bot types `effective_user`, `callback_query`, `job_queue` and
the rest as optional, because an update in general may lack them. Each of our
handlers is registered for updates that carry them: a CommandHandler or a
MessageHandler on private messages always has a sender and a chat, a
CallbackQueryHandler always has its query, and the application is built
with a JobQueue. A missing part is therefore a wiring mistake, and these say
so by name (the error handler logs it) instead of failing later on `None.id`.
"""

from __future__ import annotations

from typing import Any, cast

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.ext import Job, JobQueue

from handlers.context import AcubotContext


class MissingUpdatePart(RuntimeError):
    """A handler ran for an update without the part it was registered for."""


def sender_of(update: Update) -> User:
    """Who sent the message or pressed the button."""
    if update.effective_user is None:
        raise MissingUpdatePart("this update has no sender")
    return update.effective_user


def chat_of(update: Update) -> Chat:
    """The chat the update came from, where the reply goes."""
    if update.effective_chat is None:
        raise MissingUpdatePart("this update has no chat")
    return update.effective_chat


def message_of(update: Update) -> Message:
    """The message of a message update (or the one under a pressed button)."""
    if update.effective_message is None:
        raise MissingUpdatePart("this update has no message")
    return update.effective_message


def query_of(update: Update) -> CallbackQuery:
    """The button press of a callback-query update."""
    if update.callback_query is None:
        raise MissingUpdatePart("this update is not a button press")
    return update.callback_query


def jobs_of(context: AcubotContext) -> JobQueue[AcubotContext]:
    """The application's JobQueue (build_application always installs one)."""
    queue = context.job_queue
    if queue is None:
        raise MissingUpdatePart("the application has no JobQueue")
    # PTB types it with CallbackContext's own unsolved type variable; the
    # application was built with ContextTypes(context=AcubotContext).
    return cast("JobQueue[AcubotContext]", queue)


def job_of(context: AcubotContext) -> Job[Any]:
    """The job a job callback runs for."""
    if context.job is None:
        raise MissingUpdatePart("this callback is not running as a job")
    return context.job
