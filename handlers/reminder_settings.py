"""/settings, /pause, /resume, /stop: managing the daily reminder.

Every change recomputes the next due time at once and says when the next
reminder will come.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator
from handlers import subscribe
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from scheduler import subscriptions
from scheduler.numbers import ascii_int
from scheduler.reminder_message import local_when
from scheduler.schedule_rule import local_date_of
from scheduler.subscriptions import DEFAULT_PAUSE_DAYS, MAX_PAUSE_DAYS
from scheduler.time_input import zone_label
from storage import reminders
from storage.reminders import StopReason, SubscriptionRecord

NOT_SUBSCRIBED = N_(
    "You have no daily reminder yet. Send /remind to choose a time — it takes a few seconds."
)
NOTHING_TO_PAUSE = N_(
    "You have no daily reminder running, so there is nothing to pause or resume. "
    "Send /remind to set one up — it takes a few seconds."
)


def _remind_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("⏰ Set up a daily reminder"),
                    callback_data=cb.encode(cb.SubscribeButton("begin")),
                )
            ]
        ]
    )


async def _subscription(update: Update, context: AcubotContext) -> SubscriptionRecord | None:
    async with context.services.sessions() as session:
        return await reminders.get_subscription(session=session, user_id=sender_of(update).id)


def _state_line(tr: Translator, sub: SubscriptionRecord, paused: bool) -> str:
    if not sub.active:
        if sub.stopped_reason == StopReason.BLOCKED:
            return tr._(
                "🔕 Stopped, because my messages stopped reaching you "
                "(perhaps the bot was blocked). Send /remind to start again."
            )
        return tr._("🔕 Stopped. /remind to start again.")
    if paused and sub.paused_until:
        return tr._("⏸ Paused until {when}.", when=local_when(tr, sub.paused_until, sub.timezone))
    return tr._("🔔 On.")


async def _pending_snooze(context: AcubotContext, sub: SubscriptionRecord) -> datetime | None:
    """When today's snoozed reminder comes back, if it is still to come."""
    now = context.services.now()
    async with context.services.sessions() as session:
        today = await reminders.get_delivery_on(
            session=session,
            subscription_id=sub.id,
            local_date=local_date_of(now, ZoneInfo(sub.timezone)),
        )
    if today is None or today.done_at or today.skipped_at or today.snooze_until is None:
        return None
    return today.snooze_until if today.snooze_until > now else None


async def show_settings(update: Update, context: AcubotContext) -> None:
    """The reminder's time, zone, routine and state, with buttons to change them."""
    tr = context.tr
    sub = await _subscription(update, context)
    if sub is None:
        await reply_html(update, context, tr._(NOT_SUBSCRIBED))
        return
    catalogue = context.catalogue
    paused = bool(sub.paused_until and sub.paused_until > context.services.now())
    snoozed_until = await _pending_snooze(context, sub) if sub.active and not paused else None
    lines = [
        tr._("⚙️ <b>Your daily reminder</b>"),
        tr._("Time: <b>{time}</b>", time=tr.time(sub.local_time)),
        tr._("Time zone: {zone}", zone=escape(zone_label(sub.timezone))),
        tr._("Routine: {routine}", routine=escape(catalogue.routine(sub.routine).title)),
        _state_line(tr, sub, paused),
    ]
    if snoozed_until is not None:
        back_at = snoozed_until.astimezone(ZoneInfo(sub.timezone))
        lines.append(
            tr._(
                "⏰ Today's reminder is snoozed: it comes back at <b>{time}</b>.",
                time=tr.time(back_at),
            )
        )
    if sub.active and sub.next_due_at:
        when = local_when(tr, sub.next_due_at, sub.timezone)
        lines.append(
            tr._("Then the next daily one: <b>{when}</b>", when=when)
            if snoozed_until
            else tr._("Next reminder: <b>{when}</b>", when=when)
        )
    routine_buttons = [
        InlineKeyboardButton(
            ("● " if routine.id == sub.routine else "") + routine.title,
            callback_data=cb.encode(cb.SettingsButton("routine", routine.id)),
        )
        for routine in catalogue.routines
    ]
    pause_or_resume = (
        InlineKeyboardButton(
            tr._("⏰ Set up again"), callback_data=cb.encode(cb.SubscribeButton("begin"))
        )
        if not sub.active
        else InlineKeyboardButton(
            tr._("▶ Resume"), callback_data=cb.encode(cb.SettingsButton("resume"))
        )
        if paused
        else InlineKeyboardButton(
            tr.n_("⏸ Pause {n} day", "⏸ Pause {n} days", DEFAULT_PAUSE_DAYS),
            callback_data=cb.encode(cb.SettingsButton("pause")),
        )
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("🕐 Change time or zone"),
                    callback_data=cb.encode(cb.SettingsButton("change")),
                ),
            ],
            routine_buttons,
            # A stopped reminder has nothing to stop: Resume only.
            [
                pause_or_resume,
                InlineKeyboardButton(
                    tr._("🔕 Stop"), callback_data=cb.encode(cb.SettingsButton("stop"))
                ),
            ]
            if sub.active
            else [pause_or_resume],
        ]
    )
    await reply_html(update, context, "\n".join(lines), keyboard)


async def pause(update: Update, context: AcubotContext, days_text: str | None = None) -> None:
    """`/pause [days]`: default 7, at most 90. A stopped reminder stays stopped."""
    tr = context.tr
    sub = await _subscription(update, context)
    if sub is None or not sub.active:
        await reply_html(update, context, tr._(NOTHING_TO_PAUSE), _remind_keyboard(tr))
        return
    days = DEFAULT_PAUSE_DAYS
    if days_text is not None:
        asked = ascii_int(days_text.strip(), max_digits=3)
        if asked is None or not 1 <= asked <= MAX_PAUSE_DAYS:
            await reply_html(
                update,
                context,
                tr._(
                    "Please give a number of days from 1 to {most}, "
                    "for example <code>/pause 14</code>. Nothing was changed.",
                    most=tr.number(MAX_PAUSE_DAYS),
                ),
            )
            return
        days = asked
    services = context.services
    async with services.sessions.begin() as session:
        next_due = await subscriptions.pause(
            session=session, subscription=sub, days=days, now=services.now()
        )
    await reply_html(
        update,
        context,
        tr.n_("⏸ Reminders paused for {n} day.", "⏸ Reminders paused for {n} days.", days)
        + "\n"
        + tr._(
            "Next reminder: <b>{when}</b>. /resume to restart sooner.",
            when=local_when(tr, next_due, sub.timezone),
        ),
    )


async def pause_command(update: Update, context: AcubotContext) -> None:
    await pause(update, context, " ".join(context.args) if context.args else None)


async def resume(update: Update, context: AcubotContext) -> None:
    """Ends a pause. A stopped reminder stays stopped: /remind sets it up again."""
    tr = context.tr
    sub = await _subscription(update, context)
    if sub is None or not sub.active:
        await reply_html(update, context, tr._(NOTHING_TO_PAUSE), _remind_keyboard(tr))
        return
    services = context.services
    async with services.sessions.begin() as session:
        next_due = await subscriptions.resume(session=session, subscription=sub, now=services.now())
    await reply_html(
        update,
        context,
        tr._(
            "🔔 Reminders are on. Next reminder: <b>{when}</b>.",
            when=local_when(tr, next_due, sub.timezone),
        ),
    )


async def stop(update: Update, context: AcubotContext) -> None:
    tr = context.tr
    sub = await _subscription(update, context)
    if sub is None or not sub.active:
        await reply_html(
            update, context, tr._("You have no reminders running, so there is nothing to stop.")
        )
        return
    services = context.services
    async with services.sessions.begin() as session:
        await subscriptions.stop(session=session, user_id=sub.user_id, now=services.now())
    await reply_html(
        update,
        context,
        tr._("🔕 Reminders stopped. Your progress is kept. Send /remind to start again."),
    )


async def button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    await query.answer()
    button = cb.decode_as(query.data, cb.SettingsButton)
    action, value = (button.action, button.routine) if button else ("", "")
    if action == "change":
        await subscribe.begin(update, context)
    elif action == "pause":
        await pause(update, context)
    elif action == "resume":
        await resume(update, context)
    elif action == "stop":
        await stop(update, context)
    elif action == "routine" and value in {r.id for r in context.services.catalogue.routines}:
        await set_routine(update, context, value)
    else:
        await reply_html(
            update,
            context,
            context.tr._(
                "That button is from an older message. Send /settings to see your reminder now."
            ),
        )


async def set_routine(update: Update, context: AcubotContext, routine_id: str) -> None:
    services = context.services
    tr = context.tr
    sub = await _subscription(update, context)
    if sub is None:
        await reply_html(update, context, tr._(NOT_SUBSCRIBED))
        return
    async with services.sessions.begin() as session:
        await reminders.update_subscription(
            session=session, user_id=sub.user_id, now=services.now(), routine=routine_id
        )
    title = context.catalogue.routine(routine_id).title
    await reply_html(
        update, context, tr._("Your daily routine is now <i>{routine}</i>.", routine=escape(title))
    )


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("settings", show_settings))
    app.add_handler(CommandHandler("pause", pause_command))
    app.add_handler(CommandHandler("resume", resume))
    app.add_handler(CommandHandler(["stop", "unsubscribe"], stop))
    app.add_handler(CallbackQueryHandler(button, pattern=cb.pattern(cb.SettingsButton)))
