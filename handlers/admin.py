"""Clinic staff only: who may, /stats, /broadcasts, cancelling a broadcast.

Every admin command and button checks `ADMIN_IDS` when it runs; a refusal is
logged with the user id and the action, never the message text.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape

from telegram import BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import translators
from content.languages import DEFAULT_LANGUAGE
from handlers.commands import menu_commands
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import query_of
from scheduler import broadcast_message
from scheduler import callback_data as cb
from scheduler.broadcast_sender import show_progress
from scheduler.patient_days import clinic_days
from storage import broadcasts
from storage.progress import ClinicOutcomes, clinic_outcomes
from storage.safety import count_adverse_events
from storage.stats import MIN_GROUP, enough_patients, usage_stats

log = logging.getLogger(__name__)
NOT_ALLOWED = "Sorry, that is only for clinic staff."


async def require_admin(update: Update, context: AcubotContext, action: str) -> bool:
    """True for clinic staff; anyone else is refused, and the attempt logged."""
    user = update.effective_user
    if user is not None and user.id in context.services.settings.admin_ids:
        return True
    log.warning("Refused %s for user %s", action, user.id if user else "unknown")
    if update.callback_query:
        await query_of(update).answer(NOT_ALLOWED, show_alert=True)
    else:
        await reply_html(update, context, NOT_ALLOWED)
    return False


async def stats(update: Update, context: AcubotContext) -> None:
    """Usage in numbers: people, reminders, broadcasts."""
    if not await require_admin(update, context, "/stats"):
        return
    services = context.services
    zone = services.settings.zone
    days = clinic_days(services.now(), zone)
    async with services.sessions() as session:
        numbers = await usage_stats(
            session=session, today_start=days.today_start, week_start=days.week_start
        )
        outcomes = await clinic_outcomes(session=session, today=days.today)
        sore_30 = await count_adverse_events(
            session=session, since=days.today_start - timedelta(days=29)
        )
        sore_all = await count_adverse_events(session=session)
    today = _counts(
        numbers.reminders_sent_today, numbers.reminders_done_today, numbers.reminder_patients_today
    )
    week = _counts(
        numbers.reminders_sent_week,
        numbers.reminders_done_week,
        numbers.reminder_patients_week,
        maybe=numbers.reminders_maybe_week,
    )
    text = (
        "📊 <b>How the bot is used</b>\n\n"
        f"People who started the bot: <b>{numbers.users}</b>\n"
        f"Unreachable (blocked the bot): {numbers.unreachable}\n"
        f"Active reminder subscribers: <b>{numbers.active_subscribers}</b>\n\n"
        f"Reminders today: {today}\n"
        f"Reminders in the last 7 days: {week}\n\n"
        f"Broadcasts sent: {numbers.broadcasts_sent} "
        f"({numbers.broadcast_messages_sent} messages delivered, "
        f"{numbers.broadcast_messages_maybe} may not have arrived)\n\n"
        "<b>Outcomes (all patients together)</b>\n"
        f"Reminders done: {_share(outcomes.adherence_7, outcomes.patients_7)} over 7 days, "
        f"{_share(outcomes.adherence_30, outcomes.patients_30)} over 30 days\n"
        f"Average change in back pain, first week to latest week: {_change(outcomes)}\n"
        f"“Too sore / bruised” after the routine: {sore_30} in the last 30 days "
        f"({sore_all} in all)\n"
        f"<i>Days are counted in {escape(zone.key)}. Figures from fewer than {MIN_GROUP} "
        "patients are not shown, so no one patient can be recognised.</i>"
    )
    await reply_html(update, context, text)


NOT_ENOUGH = "not enough patients yet"


def _counts(sent: int, done: int, patients: int, *, maybe: int | None = None) -> str:
    if not enough_patients(patients):
        return NOT_ENOUGH
    if maybe is None:
        return f"{sent} sent, {done} done"
    return f"{sent} sent, {done} done, {maybe} may not have arrived"


def _share(value: float | None, patients: int) -> str:
    if value is None:
        return "no data yet"
    return f"{value:.0%}" if enough_patients(patients) else NOT_ENOUGH


def _change(outcomes: ClinicOutcomes) -> str:
    if outcomes.pain_change is None:
        return "not enough check-ins yet (needs answers spanning over a week)"
    if not enough_patients(outcomes.patients_with_change):
        return NOT_ENOUGH
    who = f"{outcomes.patients_with_change} patient" + (
        "s" if outcomes.patients_with_change != 1 else ""
    )
    return f"{outcomes.pain_change:+.1f} points on the 0–10 scale ({who})"


async def list_broadcasts(update: Update, context: AcubotContext) -> None:
    """The ten most recent broadcasts with their counts and state."""
    if not await require_admin(update, context, "/broadcasts"):
        return
    async with context.services.sessions() as session:
        records = await broadcasts.recent_broadcasts(session=session)
        lines = [
            broadcast_message.summary_line(
                record, await broadcasts.recipient_counts(session=session, broadcast_id=record.id)
            )
            for record in records
        ]
    if not lines:
        await reply_html(update, context, "No broadcasts yet. Start one with /broadcast.")
        return
    await reply_html(update, context, "📣 <b>Recent broadcasts</b>\n\n" + "\n".join(lines))


async def cancel_button(update: Update, context: AcubotContext) -> None:
    """✖ Cancel broadcast on the progress message: nothing more is sent."""
    query = query_of(update)
    if not await require_admin(update, context, "cancel broadcast"):
        return
    button = cb.decode_as(query.data, cb.BroadcastCancelButton)
    if button is None:
        await query.answer("That broadcast is unknown.", show_alert=True)
        return
    broadcast_id = button.broadcast_id
    services = context.services
    services.sender.cancel(broadcast_id)
    async with services.sessions.begin() as session:
        cancelled = await broadcasts.cancel_broadcast(
            session=session, broadcast_id=broadcast_id, now=services.now()
        )
        record = await broadcasts.get_broadcast(session=session, broadcast_id=broadcast_id)
        counts = await broadcasts.recipient_counts(session=session, broadcast_id=broadcast_id)
    await query.answer("Broadcast cancelled" if cancelled else "It had already finished.")
    if record is not None:
        await show_progress(context.bot, record, counts, services.settings.zone, 0)


async def set_admin_commands(app: AcubotApp) -> None:
    """Staff see their commands in the menu; patients never do (chat-scoped lists)."""
    booking = app.bot_data.settings.has_booking_info
    for admin_id in app.bot_data.settings.admin_ids:
        try:
            for language, tr in translators().items():
                await app.bot.set_my_commands(
                    menu_commands(tr, staff=True, booking=booking),
                    scope=BotCommandScopeChat(admin_id),
                    language_code=None if language == DEFAULT_LANGUAGE else language,
                )
        except TelegramError as error:  # the admin has not started the bot yet
            log.warning("Could not set the staff command menu for %s: %s", admin_id, error)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("stats", stats))
    app.add_handler(CommandHandler("broadcasts", list_broadcasts))
    app.add_handler(
        CallbackQueryHandler(cancel_button, pattern=cb.pattern(cb.BroadcastCancelButton))
    )
