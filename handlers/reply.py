"""Sending a reply to whoever sent the update, message or button press alike."""

from __future__ import annotations

import logging
import warnings

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.warnings import PTBUserWarning

from content.i18n import N_, translator
from content.languages import language_from_tag
from handlers.context import AcubotContext, ChosenLanguages
from handlers.update_parts import chat_of

log = logging.getLogger(__name__)


async def reply_html(
    update: Update,
    context: AcubotContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message:
    """An HTML message to the update's chat; works for old button presses too.

    HTML and no link previews are the application's Defaults (bot/application.py).

    A button press on a message too old for Telegram to include still has a
    chat, so this sends to the chat rather than replying to the message.
    """
    return await context.bot.send_message(
        chat_id=chat_of(update).id,
        text=text,
        reply_markup=keyboard,
    )


async def edit_or_reply(
    update: Update,
    context: AcubotContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Replaces the pressed message's text and buttons; a new message if it cannot be edited.

    An edit takes no slot of the ~30 messages a second (bot/rate_limit.py)
    and keeps the chat short: a reminder becomes its question, then its thanks.
    """
    query = update.callback_query
    message = query.message if query is not None else None
    if isinstance(message, Message):  # not an InaccessibleMessage (too old for Telegram)
        try:
            await _edit_message_text(context, message, text, keyboard)
            return
        except BadRequest as error:
            if "not modified" in error.message.lower():  # the same press twice
                return
            log.info("Could not edit the pressed message (%s); sending a new one", error)
    await reply_html(update, context, text, keyboard)


# The edit below is python-telegram-bot's own request, only without turning
# Telegram's answer into a Message nobody reads; PTB suggests the typed method.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.editMessageText'", category=PTBUserWarning
)


async def _edit_message_text(
    context: AcubotContext, message: Message, text: str, keyboard: InlineKeyboardMarkup | None
) -> None:
    """`bot.edit_message_text`, without parsing the edited message Telegram sends back.

    Parsing it (a Message with its keyboard, every button an object) cost more
    CPU than everything else in a ✅ Done press; the answer is never read.
    Errors are raised as by the typed method (BadRequest "not modified"...).
    """
    defaults = context.bot.defaults
    await context.bot.do_api_request(
        "editMessageText",
        api_kwargs={
            "chat_id": message.chat_id,
            "message_id": message.message_id,
            "text": text,
            # Said explicitly: no keyboard given means the old buttons go.
            "reply_markup": keyboard or InlineKeyboardMarkup([]),
            # The application's Defaults, as the typed method would apply them.
            "parse_mode": defaults.parse_mode if defaults else None,
            "link_preview_options": defaults.link_preview_options if defaults else None,
        },
    )


FLOOD_NOTE = N_(
    "You're sending messages faster than I can answer, so I'm slowing down a little for you. "
    "I'll answer in a moment; if something goes unanswered, please send it again in a few "
    "seconds."
)
FLOOD_BUTTON = N_("One moment, please: I'm still answering your earlier messages.")


async def flood_notice(
    update: Update, first: bool, dropped: bool, *, languages: ChosenLanguages | None = None
) -> None:
    """Tells a person who floods the bot that they are slowed down (once per flood).

    A dropped button press is answered too, so its spinner stops. It runs
    before any handler (no context): the language is the person's /language
    choice as last read (`languages`), else their Telegram app's.
    """
    user = update.effective_user
    chosen = languages.get(user.id) if languages is not None and user is not None else None
    tr = translator(chosen or language_from_tag(user.language_code if user else None))
    query = update.callback_query
    if dropped and query is not None:
        await query.answer(tr._(FLOOD_BUTTON))
    if first and update.effective_chat is not None:
        await update.get_bot().send_message(update.effective_chat.id, tr._(FLOOD_NOTE))
