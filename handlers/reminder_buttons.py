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

from content.i18n import N_, Translator
from handlers import checkins, routine
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

GONE = N_("This reminder is no longer available. /settings shows yours.")


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
    tr = context.tr
    loaded = await _load(update, context, button.delivery_id) if button else None
    if button is None or loaded is None:
        await query.answer(tr._(GONE), show_alert=True)
        return
    action = button.action
    delivery, sub = loaded
    services = context.services
    now = services.now()
    today = local_date_of(now, ZoneInfo(sub.timezone))
    is_today = delivery.local_date == today
    day = tr.day(delivery.local_date)

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
        await query.answer(tr._("Snoozed ⏰"))
        await reply_html(
            update,
            context,
            tr._(
                "⏰ Snoozed. I'll remind you again at {time}. Your daily time stays the same.",
                time=tr.time(until.astimezone(ZoneInfo(sub.timezone))),
            ),
        )
    elif action == rm.SKIP:
        await query.answer()
        if not is_today:
            await reply_html(
                update, context, tr._("That reminder was for {day}, which has passed.", day=day)
            )
            return
        async with services.sessions.begin() as session:
            await reminders.skip_day(
                session=session, delivery=delivery, slots=len(sub.times), now=now
            )
        await reply_html(
            update, context, tr._("⏭ Skipped for today. {next}", next=_next_line(tr, sub))
        )
    elif action == rm.STOP:
        await query.answer()
        async with services.sessions.begin() as session:
            await subscriptions.stop(session=session, user_id=sub.user_id, now=now)
        await reply_html(
            update, context, tr._("🔕 Reminders stopped. Send /remind to start again.")
        )
    else:
        await query.answer(tr._("This button is no longer in use."), show_alert=True)


async def _done(update: Update, context: AcubotContext, delivery_id: int) -> None:
    """✅ Done: one statement (its own transaction), then the reminder becomes the 0-10 question.

    Two Bot API calls (the button's answer and the edit, at once) and no
    slot of Telegram's ~30 messages a second, instead of two new messages.
    """
    query = query_of(update)
    services = context.services
    tr = context.tr
    now = services.now()
    marked = await reminders.mark_delivery_done(
        engine=services.engine, delivery_id=delivery_id, user_id=sender_of(update).id, now=now
    )
    if marked is None:  # done already, or not (or no longer) this patient's reminder
        if await _load(update, context, delivery_id) is None:
            await query.answer(tr._(GONE), show_alert=True)
        else:
            await query.answer(tr._("Already marked as done"))
        return
    zone = ZoneInfo(marked.timezone or services.settings.clinic_timezone)
    today = local_date_of(now, zone)
    if marked.local_date == today:
        text = (
            tr._("✅ Well done! I've marked today's routine as done.")
            + "\n\n"
            + checkins.pain_question(tr)
        )
        keyboard = checkins.pain_keyboard(today)
    else:
        text = tr._("✅ I've marked your routine for {day} as done.", day=tr.day(marked.local_date))
        keyboard = None
    await asyncio.gather(
        query.answer(tr._("Marked as done ✅")), edit_or_reply(update, context, text, keyboard)
    )


async def _nothing_to_snooze(
    update: Update,
    context: AcubotContext,
    delivery: DeliveryRecord,
    sub: SubscriptionRecord,
    refusal: NoSnooze,
) -> None:
    tr = context.tr
    if refusal == NoSnooze.NOT_TODAY:
        reason = tr._(
            "That reminder was for {day}, so there is nothing to snooze.",
            day=tr.day(delivery.local_date),
        )
    elif refusal == NoSnooze.DONE:
        reason = tr._("You have already done today's routine — nothing to snooze. 🎉")
    else:
        reason = tr._("You skipped today's routine, so there is nothing to snooze.")
    await reply_html(update, context, f"{reason} {_next_line(tr, sub)}")


def _next_line(tr: Translator, sub: SubscriptionRecord) -> str:
    if sub.active and sub.next_due_at:
        return tr._("Next reminder: {when}.", when=rm.local_when(tr, sub.next_due_at, sub.timezone))
    return tr._("Send /remind to turn reminders back on.")


def register(app: AcubotApp) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern(cb.ReminderButton)))
