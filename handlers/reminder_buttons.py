"""The buttons under a daily reminder: start, done, snooze, skip, stop.

Each button names its delivery (one local day's reminder), so a press on an
old reminder gets an answer about that day rather than an error.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CallbackQueryHandler

from handlers import checkins, render, routine
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import edit_or_reply, reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from scheduler import reminder_message as rm
from scheduler import subscriptions
from scheduler.patient_days import NoSnooze, why_no_snooze
from scheduler.schedule_rule import local_date_of
from storage import reminders
from storage.reminders import DeliveryRecord, SubscriptionRecord


async def _load(
    update: Update, context: AcubotContext, delivery_id: int
) -> tuple[DeliveryRecord, SubscriptionRecord] | None:
    async with context.services.sessions() as session:
        delivery = await reminders.get_delivery(session=session, delivery_id=delivery_id)
        sub = await reminders.get_subscription(session=session, user_id=sender_of(update).id)
    # A delivery of someone else (forged data) is treated like a missing one.
    if delivery is None or sub is None or delivery.user_id != sender_of(update).id:
        return None
    return delivery, sub


async def on_button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    button = cb.decode_as(query.data, cb.ReminderButton)
    if button is not None and button.action == rm.DONE:
        await _done(update, context, button.delivery_id)
        return
    loaded = await _load(update, context, button.delivery_id) if button else None
    if button is None or loaded is None:
        await query.answer(
            "This reminder is no longer available. /settings shows yours.", show_alert=True
        )
        return
    action = button.action
    delivery, sub = loaded
    services = context.services
    now = services.now()
    today = local_date_of(now, ZoneInfo(sub.timezone))
    is_today = delivery.local_date == today
    day = f"{delivery.local_date:%A %-d %B}"

    if action == rm.START:
        await query.answer()
        await routine.start(update, context, sub.routine)
    elif action in rm.SNOOZE_MINUTES:
        refusal = why_no_snooze(delivery, today)
        if refusal is not None:
            await query.answer()
            await _nothing_to_snooze(update, context, delivery, sub, refusal)
            return
        until = now + timedelta(minutes=rm.SNOOZE_MINUTES[action])
        async with services.sessions.begin() as session:
            await reminders.set_delivery_fields(
                session=session, delivery_id=delivery.id, snooze_until=until
            )
        await query.answer("Snoozed ⏰")
        await reply_html(
            update,
            context,
            f"⏰ Snoozed. I'll remind you again at "
            f"{until.astimezone(ZoneInfo(sub.timezone)):%H:%M}. "
            "Your daily time stays the same.",
        )
    elif action == rm.SKIP:
        await query.answer()
        if not is_today:
            await reply_html(update, context, f"That reminder was for {day}, which has passed.")
            return
        async with services.sessions.begin() as session:
            await reminders.set_delivery_fields(
                session=session, delivery_id=delivery.id, skipped_at=now, snooze_until=None
            )
        next_line = _next_line(sub)
        await reply_html(update, context, f"⏭ Skipped for today. {next_line}")
    elif action == rm.STOP:
        await query.answer()
        async with services.sessions.begin() as session:
            await subscriptions.stop(session=session, user_id=sub.user_id, now=now)
        await reply_html(update, context, "🔕 Reminders stopped. Send /remind to start again.")
    else:
        await query.answer("This button is no longer in use.", show_alert=True)


async def _done(update: Update, context: AcubotContext, delivery_id: int) -> None:
    """✅ Done: one statement, then the reminder itself becomes the 0-10 question.

    Two Bot API calls (the button's answer and the edit, at once) and one
    message of Telegram's budget, instead of two new messages.
    """
    query = query_of(update)
    services = context.services
    now = services.now()
    async with services.sessions.begin() as session:
        marked = await reminders.mark_delivery_done(
            session=session, delivery_id=delivery_id, user_id=sender_of(update).id, now=now
        )
    if marked is None:  # done already, or not (or no longer) this patient's reminder
        if await _load(update, context, delivery_id) is None:
            await query.answer(
                "This reminder is no longer available. /settings shows yours.", show_alert=True
            )
        else:
            await query.answer("Already marked as done")
        return
    zone = ZoneInfo(marked.timezone or services.settings.clinic_timezone)
    today = local_date_of(now, zone)
    if marked.local_date == today:
        text = f"✅ Well done! I've marked today's routine as done.\n\n{checkins.pain_question()}"
        keyboard = checkins.pain_keyboard(today)
    else:
        text = f"✅ I've marked your routine for {marked.local_date:%A %-d %B} as done."
        keyboard = None
    await asyncio.gather(
        query.answer("Marked as done ✅"), edit_or_reply(update, context, text, keyboard)
    )


async def _nothing_to_snooze(
    update: Update,
    context: AcubotContext,
    delivery: DeliveryRecord,
    sub: SubscriptionRecord,
    refusal: NoSnooze,
) -> None:
    if refusal == NoSnooze.NOT_TODAY:
        reason = (
            f"That reminder was for {delivery.local_date:%A %-d %B}, so there is nothing to snooze."
        )
    elif refusal == NoSnooze.DONE:
        reason = "You have already done today's routine — nothing to snooze. 🎉"
    else:
        reason = "You skipped today's routine, so there is nothing to snooze."
    await reply_html(update, context, f"{reason} {_next_line(sub)}")


def _next_line(sub: SubscriptionRecord) -> str:
    if sub.active and sub.next_due_at:
        return f"Next reminder: {render.local_when(sub.next_due_at, sub.timezone)}."
    return "Send /remind to turn reminders back on."


def register(app: AcubotApp) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern(cb.ReminderButton)))
