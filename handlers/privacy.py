"""/privacy, /export and /delete: patients see and erase what is stored about them."""

from __future__ import annotations

import json
import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.consent import consent_keyboard, consent_question
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import show_step
from handlers.reply import reply_html
from handlers.update_parts import chat_of, jobs_of, query_of, sender_of
from scheduler import callback_data as cb
from storage.consent import current_consent
from storage.privacy import erase_user, export_user

log = logging.getLogger(__name__)


async def privacy(update: Update, context: AcubotContext) -> None:
    """What is stored, why, for how long, and how to get or erase it."""
    clinic = escape(context.tr._(context.services.settings.clinic_name))
    text = context.tr._(
        "🔒 <b>Your data</b>\n\n"
        "This bot is run by {clinic}. It stores only what it needs to help you:\n"
        "• your Telegram user and chat id, your Telegram app's language, the language you "
        "chose with /language, and when you first and last used the bot (to reply to you, "
        "in your language, and count how the bot is used);\n"
        "• whether you told me you are pregnant (/pregnancy), so cards and the routine "
        "can take care;\n"
        "• your reminder settings: time, time zone, routine, pauses;\n"
        "• each day's reminder: whether it was sent, done, snoozed or skipped;\n"
        "• your 0–10 answers about your back and your questionnaire answers (PEG, "
        "Roland-Morris), item by item, with their dates;\n"
        "• which clinic messages were sent to you;\n"
        "• whether you share your progress with the clinic (below): each answer with its "
        "date, and while you share, your first name as Telegram gives it.\n\n"
        "It does not keep the text of your messages or your location "
        "(a shared location is only used to find your time zone), nor your name unless "
        "you share your progress or enter a visit.\n\n"
        "Staff see totals only (how many people, reminders, average change), never your "
        "answers, unless you share your progress with them. When they look at shared "
        "progress, the clinic's access log records who looked and when (your Telegram id, "
        "no health data); that record stays after /delete. Your data is kept while you use "
        "the bot, until you delete it.\n\n"
        "/export sends you a file with everything stored about you.\n"
        "/delete erases all of it for good.",
        clinic=clinic,
    )
    text += "\n\n" + context.tr._(
        "🏠 If you follow a home programme from your practitioner, I also store which one, "
        "the days and times you chose, and when you started or left it. /export includes it "
        "and /delete erases it."
    )
    text += "\n\n" + context.tr._(
        "🗓 If you enter a visit (/visit), I store its day and time, your time zone, its "
        "reminders and your answers to them, and your first name as Telegram gives it, so "
        "the front desk knows who answered. /export includes it and /delete erases it."
    )
    services = context.services
    async with services.sessions() as session:
        current = await current_consent(session=session, user_id=sender_of(update).id)
    text += "\n\n" + consent_question(context.tr, services.settings.clinic_name, current)
    await reply_html(update, context, text, consent_keyboard(context.tr))


async def export(update: Update, context: AcubotContext) -> None:
    """Everything stored about the patient, as a JSON file."""
    services = context.services
    user_id = sender_of(update).id
    async with services.sessions() as session:
        data = await export_user(session=session, user_id=user_id)
    if data is None:
        await reply_html(update, context, context.tr._("I don't have any data stored about you."))
        return
    data["exported_at"] = services.now().isoformat()
    document = json.dumps(data, indent=2, ensure_ascii=False).encode()
    await context.bot.send_document(
        chat_of(update).id,
        InputFile(document, filename=f"acubot-my-data-{services.now():%Y-%m-%d}.json"),
        caption=context.tr._("Everything this bot stores about you. /delete erases it."),
    )


async def delete(update: Update, context: AcubotContext) -> None:
    """Asks for confirmation before erasing."""
    tr = context.tr
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("🗑 Yes, delete everything"),
                    callback_data=cb.encode(cb.PrivacyButton("delete")),
                )
            ],
            [
                InlineKeyboardButton(
                    tr._("Keep my data"), callback_data=cb.encode(cb.PrivacyButton("keep"))
                )
            ],
        ]
    )
    await reply_html(
        update,
        context,
        tr._(
            "This erases everything I store about you: your reminder, your history and your "
            "check-ins. It cannot be undone, and I will not message you again unless you "
            "/start.\n\nDelete everything?"
        ),
        keyboard,
    )


async def delete_button(update: Update, context: AcubotContext) -> None:
    """The answer replaces the question, so its buttons cannot be pressed again."""
    query = query_of(update)
    await query.answer()
    tr = context.tr  # read before erasing: the goodbye is in the language they used
    if cb.decode(query.data) != cb.PrivacyButton("delete"):
        await show_step(
            update, context, tr._("Nothing was deleted. Your data is kept."), replace=True
        )
        return
    services = context.services
    user_id = sender_of(update).id
    async with services.sessions.begin() as session:
        erased = await erase_user(session=session, user_id=user_id)
    # Forget them in memory too: no throttle entry, no routine timer.
    services.seen_at.pop(user_id, None)
    services.languages.forget(user_id)
    services.pending.forget(user_id)
    services.pregnant.note(user_id, False)
    if context.job_queue is not None:
        for job in jobs_of(context).get_jobs_by_name(f"hold:{chat_of(update).id}"):
            job.schedule_removal()
    if not erased:
        await show_step(
            update, context, tr._("There is nothing stored about you any more."), replace=True
        )
        return
    log.info("Erased the data of a user on request")
    await show_step(
        update,
        context,
        tr._(
            "🗑 Done. Everything I stored about you is deleted, and I will not message you "
            "again. If you ever want to come back, send /start."
        ),
        replace=True,
    )


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("privacy", privacy))
    app.add_handler(CommandHandler("export", export))
    app.add_handler(CommandHandler("delete", delete))
    app.add_handler(CallbackQueryHandler(delete_button, pattern=cb.pattern(cb.PrivacyButton)))
