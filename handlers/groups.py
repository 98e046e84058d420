"""In groups the bot shares only general content; everything personal stays private.

A patient's reminders, progress, data and every bulk message go to their
private chat only. In a group (or a channel) the bot answers the general
commands (point cards, meridians, safety, booking, help) and the buttons
under them, asks to be used in private for anything personal, and reads
nothing else: no pending flow, no stored chat id, no database at all.
"""

from __future__ import annotations

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from content.i18n import N_, Translator
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html
from scheduler import callback_data as cb

GROUPS_GROUP = -3  # after the red-flag screen (-4), before handlers.flows (-2) and users (-1)
# Commands whose answer is the same for everyone and needs no database.
GENERAL_COMMANDS = frozenset(
    {"point", "points", "meridian", "meridians", "safety", "book", "booking", "help", "start"}
)
GENERAL_BUTTONS = (cb.PointButton, cb.MenuButton, cb.MeridianButton)
PRIVATE_ONLY = N_(
    "That's personal, so let's keep it between the two of us: please message me "
    "privately for reminders, your progress and your data."
)
PRIVATE_ONLY_ALERT = N_("Please open a private chat with me for that: it's personal.")


def is_private(update: Update) -> bool:
    """Whether the update comes from a private chat with one person."""
    chat = update.effective_chat
    return chat is not None and chat.type == Chat.PRIVATE


def private_chat_button(username: str | None, tr: Translator) -> InlineKeyboardMarkup | None:
    """A button that opens a private chat with the bot."""
    if not username:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(tr._("💬 Message me privately"), url=f"https://t.me/{username}")]]
    )


def _command(message: Message | None, username: str | None) -> str | None:
    """The command a message starts with, if it is addressed to this bot."""
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    word = message.text.split(maxsplit=1)[0][1:]
    name, _, addressee = word.partition("@")
    if addressee and (username is None or addressee.casefold() != username.casefold()):
        return None  # /start@some_other_bot
    return name.casefold()


async def keep_private(update: Update, context: AcubotContext) -> None:
    """Lets general content through in groups; refuses the rest; silent for chatter."""
    if update.effective_chat is None or is_private(update):
        return
    username = context.bot.username
    query = update.callback_query
    if query is not None:
        if isinstance(cb.decode(query.data), GENERAL_BUTTONS):
            return
        await query.answer(context.tr._(PRIVATE_ONLY_ALERT), show_alert=True)
        raise ApplicationHandlerStop
    command = _command(update.message, username)
    if command in GENERAL_COMMANDS:
        return
    if command is not None:
        tr = context.tr
        await reply_html(update, context, tr._(PRIVATE_ONLY), private_chat_button(username, tr))
    # Not a command for us (group chatter, an edit, a channel post): nothing to say.
    raise ApplicationHandlerStop


def register(app: AcubotApp) -> None:
    app.add_handler(TypeHandler(Update, keep_private), group=GROUPS_GROUP)
