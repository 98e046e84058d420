"""The one error handler: log with the traceback, tell the user briefly.

When the database is away (storage.database: an outage, or too busy to
answer in time) the person hears at once that the bot is briefly
unavailable, and what still works, rather than the generic apology.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import NetworkError

from content.i18n import N_
from handlers.context import AcubotApp, AcubotContext
from storage.database import is_unavailable

log = logging.getLogger(__name__)

APOLOGY = N_("Sorry, something went wrong on my side. Please try again in a moment.")
UNAVAILABLE = N_(
    "Sorry, I can't reach my records for a moment, so I couldn't do that just now. "
    "Please try again in a minute or two; nothing you saved is lost.\n\n"
    "Point cards (/points), /safety and /help still work in the meantime. "
    "If your pain is severe or you have any warning signs, don't wait for me: "
    "contact a doctor or emergency services."
)


async def on_error(update: object, context: AcubotContext) -> None:
    """Logs the failure (never message text) and tells the user briefly."""
    error = context.error
    if isinstance(error, NetworkError) and not isinstance(update, Update):
        log.warning("Network trouble talking to Telegram: %s", error)
        return
    where = "an update"
    if isinstance(update, Update):
        kind = "callback" if update.callback_query else "message"
        user = update.effective_user.id if update.effective_user else "?"
        where = f"a {kind} from user {user}"
    unavailable = error is not None and is_unavailable(error)
    if unavailable:
        # Expected during an outage (storage.database logs it once): no traceback each time.
        log.warning("Database unavailable while handling %s (%s)", where, type(error).__name__)
    else:
        log.error("Error while handling %s", where, exc_info=error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            if update.callback_query is not None:
                await _answer_button(update)
            text = context.tr._(UNAVAILABLE if unavailable else APOLOGY)
            await context.bot.send_message(update.effective_chat.id, text)
        except Exception:  # the apology is best effort; the error is already logged
            log.debug("Could not send the apology", exc_info=True)


async def _answer_button(update: Update) -> None:
    """Stops the button's spinner (it may have been answered already)."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer()
    except Exception:
        log.debug("Button already answered", exc_info=True)


def register(app: AcubotApp) -> None:
    app.add_error_handler(on_error)
