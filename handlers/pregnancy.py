"""/pregnancy: the patient says they are pregnant (or no longer are).

While it is on, cards of points traditionally avoided in pregnancy start
with that caution, and the guided routine leaves those points out. The flag
is stored with the user (part of /export, erased by /delete).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import Translator
from handlers import render
from handlers.context import AcubotApp, AcubotContext
from handlers.language import store_person
from handlers.reply import reply_html
from handlers.update_parts import chat_of, query_of, sender_of
from scheduler import callback_data as cb
from storage.safety import is_pregnant, set_pregnant

ON_WORDS = {"on", "yes", "y", "1", "pregnant"}
OFF_WORDS = {"off", "no", "n", "0", "not"}


def choice_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("✅ Yes, I'm pregnant"), callback_data=cb.encode(cb.PregnancyButton(True))
                )
            ],
            [
                InlineKeyboardButton(
                    tr._("No, I'm not pregnant"),
                    callback_data=cb.encode(cb.PregnancyButton(False)),
                )
            ],
        ]
    )


async def pregnancy_command(update: Update, context: AcubotContext) -> None:
    """`/pregnancy on|off`, or without a word: the current state and two buttons."""
    word = " ".join(context.args or []).strip().casefold()
    if word in ON_WORDS:
        await set_flag(update, context, True)
        return
    if word in OFF_WORDS:
        await set_flag(update, context, False)
        return
    async with context.services.sessions() as session:
        pregnant = await is_pregnant(session=session, user_id=sender_of(update).id)
    tr = context.tr
    lines = []
    if word:
        lines += [
            tr._(
                "I didn't understand “{word}”: use /pregnancy on or off.",
                word=render.short(word),
            ),
            "",
        ]
    lines += [
        tr._("🤰 <b>Pregnancy</b> is on: you told me you are pregnant.")
        if pregnant
        else tr._("🤰 <b>Pregnancy</b> is off."),
        "",
        render.short_html(context.catalogue.safety.pregnancy),
        "",
        tr._("Are you pregnant?"),
    ]
    await reply_html(update, context, "\n".join(lines), choice_keyboard(tr))


async def ask_to_confirm(update: Update, context: AcubotContext) -> None:
    """Free text such as "I'm pregnant": check before changing anything."""
    await reply_html(
        update,
        context,
        context.tr._(
            "🤰 Did I understand you are pregnant? If so, I'll put the pregnancy caution at the "
            "top of the cards of points traditionally avoided in pregnancy and leave them out "
            "of your routine. You can turn this off again any time with /pregnancy."
        ),
        choice_keyboard(context.tr),
    )


async def pregnancy_question(update: Update, context: AcubotContext) -> None:
    """A question about pregnancy: the pregnancy advice and the toggle."""
    await reply_html(
        update,
        context,
        "🤰 " + render.short_html(context.catalogue.safety.pregnancy),
        choice_keyboard(context.tr),
    )


async def set_flag(update: Update, context: AcubotContext, pregnant: bool) -> None:
    services = context.services
    user = sender_of(update)
    async with services.sessions.begin() as session:
        if pregnant:
            # Telling the bot asks it to remember (cards and the routine need
            # the flag): it stores the person, as /start does. "Off" is what
            # the bot assumes of anyone it does not know, so it stores nobody.
            await store_person(session, services, user, chat_of(update).id)
        await set_pregnant(session=session, user_id=user.id, pregnant=pregnant)
    services.pregnant.note(user.id, pregnant)  # committed: this process's cards know at once
    tr = context.tr
    if pregnant:
        text = tr._(
            "🤰 Noted: pregnancy is <b>on</b>. Cards of points traditionally avoided in "
            "pregnancy now start with that caution, and your routine leaves them out. "
            "Please talk to your practitioner before trying acupressure.\n"
            "Send /pregnancy off when it no longer applies."
        )
    else:
        text = tr._(
            "Noted: pregnancy is <b>off</b>. Cards and the routine are back to normal. "
            "/pregnancy turns it on again."
        )
    await reply_html(update, context, text)


async def button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    button = cb.decode_as(query.data, cb.PregnancyButton)
    if button is None:
        await query.answer(
            context.tr._("This button is no longer in use. Send /pregnancy."), show_alert=True
        )
        return
    await query.answer()
    await set_flag(update, context, button.pregnant)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("pregnancy", pregnancy_command))
    app.add_handler(CallbackQueryHandler(button, pattern=cb.pattern(cb.PregnancyButton)))
