"""The red-flag screen runs first on every text message.

It is its own handler group, the first of all: before the group-chat filter,
the command check that stops a waiting question, the users group and every
feature handler. So a red flag typed as a command's argument, as the answer to
a pending /remind or /broadcast question, or as free text is answered as a red
flag and goes no further. The rules are in content/triage.py.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, filters

from content.i18n import N_
from content.triage import Level, Triage
from handlers import render
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import query_of
from scheduler import callback_data as cb

SCREEN_GROUP = -4  # first: before handlers.groups (-3), handlers.flows (-2), handlers.users (-1)


async def send_triage_reply(update: Update, context: AcubotContext, triage: Triage) -> None:
    """The emergency or see-a-doctor reply for a screened message, in the patient's language."""
    services = context.services
    safety, number, tr = context.catalogue.safety, services.settings.emergency_number, context.tr
    says = triage.says or ""
    if triage.sign is not None:
        # The one place the sign's words are chosen: in the patient's language,
        # whatever language the message was typed in.
        says = services.screen.says(triage.sign, context.language)
    if triage.level is Level.EMERGENCY:
        text = render.emergency_reply(safety, number, says, tr)
    else:
        text = render.see_doctor_reply(safety, number, says, tr)
    await reply_html(update, context, text)


async def screen_message(update: Update, context: AcubotContext) -> None:
    """A red flag is answered here and stops the update; anything else passes on."""
    message = update.effective_message
    if message is None or not message.text:
        return
    triage = context.services.screen.screen(message.text)
    if triage.is_red_flag:
        await send_triage_reply(update, context, triage)
        raise ApplicationHandlerStop
    if triage.negated:
        # "No numbness": a sentence of reminder, then the message is read as usual.
        number = context.services.settings.emergency_number
        safety = context.catalogue.safety
        await reply_html(update, context, render.negated_reminder(safety, number))


async def ask_severe_pain_red_flags(update: Update, context: AcubotContext) -> None:
    """After a pain score of 8-10: is any emergency sign present? (buttons)."""
    safety, tr = context.catalogue.safety, context.tr
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("🚨 Yes, one of these"), callback_data=cb.encode(cb.RedFlagButton(True))
                )
            ],
            [
                InlineKeyboardButton(
                    tr._("No, none of these"), callback_data=cb.encode(cb.RedFlagButton(False))
                )
            ],
        ]
    )
    await reply_html(update, context, render.short_html(safety.severe_pain_question), keyboard)


async def red_flag_answer(update: Update, context: AcubotContext) -> None:
    """Yes: the emergency reply. No: keep an eye on it, and who to tell."""
    query = query_of(update)
    button = cb.decode_as(query.data, cb.RedFlagButton)
    tr = context.tr
    if button is None:
        await query.answer(tr._("This question is no longer available."), show_alert=True)
        return
    await query.answer()
    services = context.services
    safety, number = context.catalogue.safety, services.settings.emergency_number
    if button.present:
        text = render.emergency_reply(safety, number, tr._(SEVERE_PAIN_SIGN), tr)
        await reply_html(update, context, text)
        return
    await reply_html(
        update,
        context,
        tr._(
            "Thank you. Severe pain is still worth telling your practitioner about, so please "
            "contact the clinic (/book). Go easy on acupressure today, and if any of those "
            "signs start, call {number} straight away. /safety has the full list.",
            number=escape(number),
        ),
    )


# Fills {sign} in the emergency reply ("You mentioned {sign}.").
SEVERE_PAIN_SIGN = N_("severe back pain together with one of the emergency signs")


def register(app: AcubotApp) -> None:
    app.add_handler(MessageHandler(filters.TEXT, screen_message), group=SCREEN_GROUP)
    app.add_handler(CallbackQueryHandler(red_flag_answer, pattern=cb.pattern(cb.RedFlagButton)))
