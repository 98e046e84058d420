"""The patient's language: read before anything answers, and /language to choose it.

Group -5 runs first, before the red-flag screen, so even the emergency reply
is in the language the patient chose. The choice is read from the database at
most once per `CHOSEN_LANGUAGE_TTL` per person (and kept in memory in
between); `acubot run` also reads everyone's at once every few minutes, so
a patient's update does not wait on a read of its own. While the database is
away, Telegram's language tag decides.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.ext import CallbackQueryHandler, CommandHandler, TypeHandler

from content.i18n import N_
from content.languages import LANGUAGES, NATIVE_NAMES, is_language
from handlers.context import AcubotApp, AcubotContext, Services
from handlers.reply import edit_or_reply, reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from storage.database import is_unavailable
from storage.users import choose_language, chosen_language, chosen_languages, record_user_seen

log = logging.getLogger(__name__)

LANGUAGE_GROUP = -5  # before the red-flag screen (-4)
LANGUAGE_READ_LIMIT = 0.5  # seconds; then Telegram's language tag answers this update

# For a Traditional Chinese app: there is no Traditional catalogue yet (its
# Chinese translation is written in Traditional characters).
TRADITIONAL_NOTE = N_(
    "(Your Telegram is set to Traditional Chinese; for now I write in Simplified Chinese. "
    "/language chooses another language.)"
)


async def store_person(
    session: AsyncSession,
    services: Services,
    user: User,
    chat_id: int,
    *,
    unblock: bool = False,
) -> None:
    """Store the person (/start, /remind, /pregnancy on) and a /language choice they made
    before they were stored, which until now lived in this process's memory only."""
    now = services.now()
    await record_user_seen(
        session=session,
        user_id=user.id,
        chat_id=chat_id,
        language_code=user.language_code,
        now=now,
        unblock=unblock,
    )
    if (chosen := services.languages.unstored(user.id)) is not None:
        await choose_language(session=session, user_id=user.id, language=chosen)
        services.languages.remember(user.id, chosen, now)


async def load_chosen_language(update: Update, context: AcubotContext) -> None:
    """Make this person's /language choice known to `context.language`."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or user.is_bot or chat is None or chat.type != Chat.PRIVATE:
        return
    services = context.services
    now = services.now()
    if services.languages.is_fresh(user.id, now) or not services.gate.available:
        return
    try:
        # The red-flag screen runs next: it never waits long on the database for a language.
        async with asyncio.timeout(LANGUAGE_READ_LIMIT), services.sessions() as session:
            stored = await chosen_language(session=session, user_id=user.id)
    except TimeoutError:
        log.info("The chosen language was slow to read; Telegram's tag answers this update")
        return
    except Exception as error:
        if not is_unavailable(error):
            log.error("Could not read a chosen language", exc_info=error)
        return  # Telegram's tag answers this update; the next one tries again
    services.languages.remember(user.id, stored if is_language(stored) else None, now)


async def refresh_chosen_languages(services: Services) -> int:
    """Read everyone's /language choice at once (`acubot run`, every few minutes):
    while that read is fresh, no update waits on a read of its own. How many chose one."""
    now = services.now()
    async with services.sessions() as session:
        stored = await chosen_languages(session=session)
    services.languages.load(
        {user: language for user, language in stored.items() if is_language(language)}, now
    )
    return len(stored)


def _keyboard(context: AcubotContext) -> InlineKeyboardMarkup:
    current = context.language
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("✅ " if language == current else "") + NATIVE_NAMES[language],
                    callback_data=cb.encode(cb.LanguageButton(language)),
                )
            ]
            for language in LANGUAGES
        ]
    )


async def language(update: Update, context: AcubotContext) -> None:
    """/language: the languages I speak, as buttons."""
    tr = context.tr
    text = tr._("🌐 Which language should I use with you?")
    if context.reads_traditional_chinese:
        text += "\n\n" + tr._(TRADITIONAL_NOTE)
    await reply_html(update, context, text, _keyboard(context))


async def chose_language(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    button = cb.decode_as(query.data, cb.LanguageButton)
    if button is None:
        await query.answer(context.tr._("That button is no longer available."))
        return
    services = context.services
    user_id, now = sender_of(update).id, services.now()
    async with services.sessions.begin() as session:
        stored = await choose_language(session=session, user_id=user_id, language=button.language)
    services.languages.remember(user_id, button.language, now, stored=stored)
    context.language = button.language
    await query.answer()
    await edit_or_reply(
        update,
        context,
        context.tr._(
            "Done: I will write to you in English from now on. /help shows what I can do."
        ),
    )


def register(app: AcubotApp) -> None:
    app.add_handler(TypeHandler(Update, load_chosen_language), group=LANGUAGE_GROUP)
    app.add_handler(CommandHandler("language", language))
    app.add_handler(CallbackQueryHandler(chose_language, pattern=cb.pattern(cb.LanguageButton)))
