"""The one error handler: log with the traceback, tell the user briefly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import NetworkError

from handlers.context import AcubotApp, AcubotContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: AcubotContext) -> None:
    """Logs the failure (never message text) and apologises to the user."""
    error = context.error
    if isinstance(error, NetworkError) and not isinstance(update, Update):
        log.warning("Network trouble talking to Telegram: %s", error)
        return
    where = "an update"
    if isinstance(update, Update):
        kind = "callback" if update.callback_query else "message"
        user = update.effective_user.id if update.effective_user else "?"
        where = f"a {kind} from user {user}"
    log.error("Error while handling %s", where, exc_info=error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(
                update.effective_chat.id,
                "Sorry, something went wrong on my side. Please try again in a moment.",
            )
        except Exception:  # the apology is best effort; the error is already logged
            log.debug("Could not send the apology", exc_info=True)


def register(app: AcubotApp) -> None:
    app.add_error_handler(on_error)
