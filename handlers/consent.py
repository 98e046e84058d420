"""Does the patient share their own progress with the clinic? Asked with buttons.

The question appears in /privacy and right after a home programme starts
(unless the patient shares already); the answer is stored with its time and
the version of the text the patient read (storage.consent). Default no.
After /delete a button records nothing. The clinician view reads the latest
answer with the patient's data each time it runs (storage.clinician), so
stopping takes effect at once.

CONSENT_TEXT_VERSION names the wording of CONSENT_TEXT and its buttons.
Bump rule: give it a new value (the month and a new "-vN") whenever what the
patient agrees to changes, in English or in a translation: a new kind of
data shared, other staff who may see it, a changed way to stop. A fix that
keeps the meaning (a typo, punctuation) keeps the version. A button carrying
an older version asks again with the current text rather than recording it.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from content.i18n import N_, Translator
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import remove_buttons
from handlers.reply import reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from storage.consent import ConsentRecord, current_consent, record_consent
from storage.users import get_user

log = logging.getLogger(__name__)

CONSENT_TEXT_VERSION = "2026-12-share-v1"

CONSENT_TEXT = N_(
    "🤝 <b>Share your progress with the clinic?</b>\n\n"
    "If you say yes, the practitioners and owners of {clinic} may see your own progress "
    "in this bot: how often you did your routine and reminders, your 0–10 pain answers, "
    "your questionnaire scores and your reports of soreness after the routine, with your "
    "first name as Telegram gives it. Nothing else: not your messages, not your location. "
    "Each time staff look, the clinic's access log records who looked and when.\n\n"
    "It is your choice, and saying no changes nothing else in the bot. You can stop "
    "sharing at any time in /privacy; it takes effect immediately."
)
SHARING_NOW = N_("Right now: <b>you share your progress</b> with the clinic (since {date}).")
NOT_SHARING_NOW = N_("Right now: <b>you do not share</b> your progress with the clinic.")
SHARE = N_("✅ Share with the clinic")
DONT_SHARE = N_("🚫 Don't share")


def consent_question(
    tr: Translator, clinic_name: str, current: ConsentRecord | None, *, status: bool = True
) -> str:
    """The explanation, and (for /privacy) what the patient chose last."""
    text = tr._(CONSENT_TEXT, clinic=escape(tr._(clinic_name)))
    if not status:
        return text
    if current is not None and current.shares:
        line = tr._(SHARING_NOW, date=tr.date(current.recorded_at.date()))
    else:
        line = tr._(NOT_SHARING_NOW)
    return f"{text}\n\n{line}"


def consent_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._(SHARE),
                    callback_data=cb.encode(cb.ConsentButton(True, CONSENT_TEXT_VERSION)),
                ),
                InlineKeyboardButton(
                    tr._(DONT_SHARE),
                    callback_data=cb.encode(cb.ConsentButton(False, CONSENT_TEXT_VERSION)),
                ),
            ]
        ]
    )


async def consent_button(update: Update, context: AcubotContext) -> None:
    """Share / Don't share: stored at once, with the time and the text version shown."""
    query = query_of(update)
    tr = context.tr
    button = cb.decode_as(query.data, cb.ConsentButton)
    services = context.services
    if button is None:
        await query.answer(tr._("That button no longer works. Send /privacy."), show_alert=True)
        await remove_buttons(update)
        return
    if button.text_version != CONSENT_TEXT_VERSION:
        # The patient read other words: nothing is recorded until they read these.
        await query.answer()
        await remove_buttons(update)
        async with services.sessions() as session:
            current = await current_consent(session=session, user_id=sender_of(update).id)
        text = tr._("The wording of this question has changed. Please read it again:")
        question = consent_question(tr, services.settings.clinic_name, current)
        await reply_html(update, context, f"{text}\n\n{question}", consent_keyboard(tr))
        return
    user = sender_of(update)
    async with services.sessions.begin() as session:
        stored = await get_user(session=session, user_id=user.id) is not None
        if stored:
            await record_consent(
                session=session,
                user_id=user.id,
                shares=button.shares,
                text_version=button.text_version,
                now=services.now(),
                first_name=user.first_name,
            )
    if not stored:  # after /delete: a button never brings their data back
        await query.answer(
            tr._("I don't keep any data about you, so there is nothing to share."),
            show_alert=True,
        )
        await remove_buttons(update)
        return
    log.info("Recorded a consent answer (version %s)", button.text_version)
    await query.answer()
    await remove_buttons(update)
    if button.shares:
        text = tr._(
            "✅ Thank you. The clinic's practitioners and owners may now see your progress. "
            "You can stop at any time in /privacy."
        )
    else:
        text = tr._(
            "🚫 Done: the clinic does not see your progress, only totals of all patients. "
            "You can change this at any time in /privacy."
        )
    await reply_html(update, context, text)


def register(app: AcubotApp) -> None:
    app.add_handler(CallbackQueryHandler(consent_button, pattern=cb.pattern(cb.ConsentButton)))
