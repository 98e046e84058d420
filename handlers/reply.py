"""Sending a reply to whoever sent the update, message or button press alike."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from handlers.context import AcubotContext
from handlers.update_parts import chat_of


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
