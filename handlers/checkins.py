"""The 0-10 "How is your back right now?" check-in."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CallbackQueryHandler

from handlers import triage
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from scheduler import patient_days
from scheduler.checkin_message import question_text, score_keyboard
from scheduler.checkin_rules import is_severe, may_answer
from scheduler.schedule_rule import local_date_of
from storage import reminders
from storage.checkins import CheckInKind, record_checkin
from storage.users import get_user


async def patient_zone(update: Update, context: AcubotContext) -> ZoneInfo:
    """The patient's zone: their reminder's, else the clinic's."""
    async with context.services.sessions() as session:
        sub = await reminders.get_subscription(session=session, user_id=sender_of(update).id)
    return patient_days.patient_zone(sub, context.services.settings.clinic_timezone)


async def ask_pain(update: Update, context: AcubotContext, local_date: date) -> None:
    await reply_html(
        update,
        context,
        question_text(CheckInKind.PAIN),
        score_keyboard(CheckInKind.PAIN, local_date),
    )


async def on_button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    button = cb.decode_as(query.data, cb.CheckInButton)
    if button is None:
        await query.answer("This question is no longer available.", show_alert=True)
        return
    kind, score, asked_on = button.kind, button.score, button.asked_on
    services = context.services
    async with services.sessions() as session:
        known = await get_user(session=session, user_id=sender_of(update).id)
    if known is None:  # deleted their data, or never started
        await query.answer()
        await reply_html(
            update, context, "I don't keep any data about you now, so I can't store this. /start"
        )
        if is_severe(score):  # stored or not, severe pain is asked about red flags
            await triage.ask_severe_pain_red_flags(update, context)
        return
    now = services.now()
    today = local_date_of(now, await patient_zone(update, context))
    if not may_answer(kind, asked_on, today):
        await query.answer()
        await reply_html(
            update,
            context,
            f"That question was for {asked_on:%A %-d %B}. I'll ask again after your next routine.",
        )
        return
    async with services.sessions.begin() as session:
        await record_checkin(
            session=session,
            user_id=sender_of(update).id,
            kind=kind,
            score=score,
            local_date=asked_on,
            now=now,
        )
    await query.answer(f"Noted: {score}/10")
    # The weekly question is about the week up to the day it was asked; the pain one, today.
    if kind != CheckInKind.ACTIVITY:
        when = "today"
    elif asked_on == today:
        when = "this week"
    else:
        when = f"the week up to {asked_on:%A %-d %B}"
    text = f"Thanks — I've noted {score}/10 for {when}. Tap another number to change it."
    await reply_html(update, context, text)
    if is_severe(score):
        await triage.ask_severe_pain_red_flags(update, context)


def register(app: AcubotApp) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern(cb.CheckInButton)))
