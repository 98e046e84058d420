"""Clinic staff only: who may (roles), /stats, /broadcasts, cancelling a broadcast.

Every staff command and button calls `require_role` when it runs: the role
is read from ADMIN_IDS (owners) and the staff table each time, so a removal
or a role change holds from the next press. The rule of which role may do
what is storage.staff's permission map. A refusal is logged with the user id
and the action, never the message text.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import timedelta
from html import escape

from babel.numbers import format_decimal, format_percent
from telegram import Bot, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator, translators
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
from storage.database import is_unavailable
from storage.progress import ClinicOutcomes, clinic_outcomes
from storage.safety import count_adverse_events
from storage.staff import Permission, Role, allows, list_staff, role_of
from storage.stats import MIN_GROUP, enough_patients, usage_stats

log = logging.getLogger(__name__)
NOT_ALLOWED = N_("Sorry, that is only for clinic staff.")
NOT_YOUR_ROLE = N_("Sorry, your staff role does not include that. An owner can change it.")


async def staff_role(context: AcubotContext, user_id: int) -> Role | None:
    """The user's role now: ADMIN_IDS without a read, else the staff table."""
    settings = context.services.settings
    if user_id in settings.admin_ids:
        return Role.OWNER
    async with context.services.sessions() as session:
        return await role_of(session=session, user_id=user_id, owner_ids=settings.admin_ids)


async def require_role(
    update: Update, context: AcubotContext, permission: Permission, action: str
) -> bool:
    """True if the user's role allows `permission`; anyone else is refused, and logged."""
    user = update.effective_user
    role = await staff_role(context, user.id) if user is not None else None
    if allows(role, permission):
        return True
    log.warning("Refused %s for user %s", action, user.id if user else "unknown")
    message = context.tr._(NOT_ALLOWED if role is None else NOT_YOUR_ROLE)
    if update.callback_query:
        await query_of(update).answer(message, show_alert=True)
    else:
        await reply_html(update, context, message)
    return False


async def stats(update: Update, context: AcubotContext) -> None:
    """Usage in numbers: people, reminders, broadcasts."""
    if not await require_role(update, context, Permission.STATS, "/stats"):
        return
    services = context.services
    tr = context.tr
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
        tr,
        numbers.reminders_sent_today,
        numbers.reminders_done_today,
        numbers.reminder_patients_today,
    )
    week = _counts(
        tr,
        numbers.reminders_sent_week,
        numbers.reminders_done_week,
        numbers.reminder_patients_week,
        maybe=numbers.reminders_maybe_week,
    )
    n = tr.number
    lines = [
        tr._("📊 <b>How the bot is used</b>"),
        "",
        tr._("People who started the bot: <b>{count}</b>", count=n(numbers.users)),
        tr._("Unreachable (blocked the bot): {count}", count=n(numbers.unreachable)),
        tr._("Active reminder subscribers: <b>{count}</b>", count=n(numbers.active_subscribers)),
        "",
        tr._("Reminders today: {counts}", counts=today),
        tr._("Reminders in the last 7 days: {counts}", counts=week),
        "",
        tr._(
            "Broadcasts sent: {broadcasts} ({delivered} messages delivered, "
            "{maybe} may not have arrived)",
            broadcasts=n(numbers.broadcasts_sent),
            delivered=n(numbers.broadcast_messages_sent),
            maybe=n(numbers.broadcast_messages_maybe),
        ),
        "",
        tr._("<b>Outcomes (all patients together)</b>"),
        tr._(
            "Reminders done: {share_7} over 7 days, {share_30} over 30 days",
            share_7=_share(tr, outcomes.adherence_7, outcomes.patients_7),
            share_30=_share(tr, outcomes.adherence_30, outcomes.patients_30),
        ),
        tr._(
            "Average change in back pain, first week to latest week: {change}",
            change=_change(tr, outcomes),
        ),
        tr._(
            "“Too sore / bruised” after the routine: {last_30} in the last 30 days ({all} in all)",
            last_30=n(sore_30),
            all=n(sore_all),
        ),
        "<i>"
        + tr._(
            "Days are counted in {zone}. Figures from fewer than {minimum} "
            "patients are not shown, so no one patient can be recognised.",
            zone=escape(zone.key),
            minimum=n(MIN_GROUP),
        )
        + "</i>",
    ]
    await reply_html(update, context, "\n".join(lines))


NOT_ENOUGH = N_("not enough patients yet")


def _counts(
    tr: Translator, sent: int, done: int, patients: int, *, maybe: int | None = None
) -> str:
    if not enough_patients(patients):
        return tr._(NOT_ENOUGH)
    if maybe is None:
        return tr._("{sent} sent, {done} done", sent=tr.number(sent), done=tr.number(done))
    return tr._(
        "{sent} sent, {done} done, {maybe} may not have arrived",
        sent=tr.number(sent),
        done=tr.number(done),
        maybe=tr.number(maybe),
    )


def _share(tr: Translator, value: float | None, patients: int) -> str:
    if value is None:
        return tr._("no data yet")
    if not enough_patients(patients):
        return tr._(NOT_ENOUGH)
    return format_percent(value, locale=tr.locale)


def _change(tr: Translator, outcomes: ClinicOutcomes) -> str:
    if outcomes.pain_change is None:
        return tr._("not enough check-ins yet (needs answers spanning over a week)")
    if not enough_patients(outcomes.patients_with_change):
        return tr._(NOT_ENOUGH)
    return tr._(
        "{change} points on the 0–10 scale ({patients})",
        change=format_decimal(outcomes.pain_change, format="+0.0;-0.0", locale=tr.locale),
        patients=tr.n_("{n} patient", "{n} patients", outcomes.patients_with_change),
    )


async def list_broadcasts(update: Update, context: AcubotContext) -> None:
    """The ten most recent broadcasts with their counts and state."""
    if not await require_role(update, context, Permission.BROADCASTS, "/broadcasts"):
        return
    tr = context.tr
    async with context.services.sessions() as session:
        records = await broadcasts.recent_broadcasts(session=session)
        lines = [
            broadcast_message.summary_line(
                tr,
                record,
                await broadcasts.recipient_counts(session=session, broadcast_id=record.id),
            )
            for record in records
        ]
    if not lines:
        await reply_html(update, context, tr._("No broadcasts yet. Start one with /broadcast."))
        return
    await reply_html(
        update, context, tr._("📣 <b>Recent broadcasts</b>") + "\n\n" + "\n".join(lines)
    )


async def cancel_button(update: Update, context: AcubotContext) -> None:
    """✖ Cancel broadcast on the progress message: nothing more is sent."""
    query = query_of(update)
    if not await require_role(update, context, Permission.BROADCASTS, "cancel broadcast"):
        return
    button = cb.decode_as(query.data, cb.BroadcastCancelButton)
    tr = context.tr
    if button is None:
        await query.answer(tr._("That broadcast is unknown."), show_alert=True)
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
    await query.answer(
        tr._("Broadcast cancelled") if cancelled else tr._("It had already finished.")
    )
    if record is not None:
        await show_progress(context.bot, record, counts, services.settings.zone, 0, tr)


async def set_admin_commands(app: AcubotApp) -> None:
    """Staff see their role's commands in the menu; patients never do (chat-scoped lists)."""
    services = app.bot_data
    owners = services.settings.admin_ids
    members: list[tuple[int, Role]] = [(owner, Role.OWNER) for owner in sorted(owners)]
    try:
        async with services.sessions() as session:
            listed = await list_staff(session=session, owner_ids=owners)
        members = [(member.user_id, member.role) for member in listed]
    except Exception as error:  # the database is away: the owners' menus still go out
        if not is_unavailable(error):
            raise
        log.warning("Could not read the staff for their command menus; owners only")
    for user_id, role in members:
        await set_staff_menu(app.bot, user_id, role, owners,
                             booking=services.settings.has_booking_info)  # fmt: skip


async def set_staff_menu(
    bot: Bot, user_id: int, role: Role | None, owner_ids: Collection[int], *, booking: bool
) -> None:
    """One person's command menu for their role; without a role, back to the patients' menu."""
    try:
        for language, tr in translators().items():
            code = None if language == DEFAULT_LANGUAGE else language
            scope = BotCommandScopeChat(user_id)
            if role is None and user_id not in owner_ids:
                await bot.delete_my_commands(scope=scope, language_code=code)
            else:
                await bot.set_my_commands(
                    menu_commands(tr, role=role, booking=booking), scope=scope, language_code=code
                )
    except TelegramError as error:  # they have not started the bot yet
        log.warning("Could not set the staff command menu for %s: %s", user_id, error)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("stats", stats))
    app.add_handler(CommandHandler("broadcasts", list_broadcasts))
    app.add_handler(
        CallbackQueryHandler(cancel_button, pattern=cb.pattern(cb.BroadcastCancelButton))
    )
