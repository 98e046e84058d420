"""Last in line: unknown commands, free text and stale buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from content.i18n import N_
from handlers import render
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import continue_flow
from handlers.own_words import answer_own_words
from handlers.points import send_point_card
from handlers.reply import reply_html
from handlers.update_parts import message_of, query_of
from storage.database import is_unavailable

HINT = N_(
    "I can look up acupressure points for low back pain. Try <code>/point UB40</code>, "
    "type a point's name such as <i>weizhong</i>, or send /points to browse. "
    "Send /help for everything I can do."
)


async def unknown_command(update: Update, context: AcubotContext) -> None:
    command = (message_of(update).text or "").split(maxsplit=1)[0]
    tr = context.tr
    unknown = tr._("I don't know the command {command}.", command=render.short(command))
    await reply_html(update, context, f"{unknown}\n\n{tr._(HINT)}")


async def free_text(update: Update, context: AcubotContext) -> None:
    """An answer to a pending question, else the patient's own words (handlers.own_words).

    The red-flag screen (handlers.triage) has already seen the message.
    """
    text = message_of(update).text or ""
    try:
        if await continue_flow(update, context):
            return
    except Exception as error:
        # The database is away: a point's name still gets its card; anything
        # else may be an answer to a question, so the error handler says so.
        point = context.services.index.find_in_text(text) if is_unavailable(error) else None
        if point is None:
            raise
        await send_point_card(update, context, point)
        return
    await answer_own_words(update, context, text)


async def other_message(update: Update, context: AcubotContext) -> None:
    """A photo or location for a pending question; otherwise explain what works."""
    if await continue_flow(update, context):
        return
    tr = context.tr
    await reply_html(update, context, tr._("I can only read text messages.") + "\n\n" + tr._(HINT))


async def stale_button(update: Update, context: AcubotContext) -> None:
    await query_of(update).answer(
        context.tr._("This button is no longer in use. Send /help to see what I can do."),
        show_alert=True,
    )


def register(app: AcubotApp) -> None:
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, free_text))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT, other_message))
    app.add_handler(CallbackQueryHandler(stale_button))
