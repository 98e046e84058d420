"""The 0-10 "How is your back right now?" check-in."""

from __future__ import annotations

import asyncio
import functools
from datetime import date
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from content.i18n import Translator
from handlers import triage
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import edit_or_reply, reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from scheduler import patient_days
from scheduler.checkin_message import question_text, score_keyboard
from scheduler.checkin_rules import answer_window, is_severe
from scheduler.schedule_rule import local_date_of
from storage import reminders
from storage.checkins import CheckInKind, NotKnown, OutsideWindow, record_checkin_of_known_user


async def patient_zone(update: Update, context: AcubotContext) -> ZoneInfo:
    """The patient's zone: their reminder's, else the clinic's."""
    async with context.services.sessions() as session:
        sub = await reminders.get_subscription(session=session, user_id=sender_of(update).id)
    return patient_days.patient_zone(sub, context.services.settings.clinic_timezone)


def pain_question(tr: Translator) -> str:
    return question_text(tr, CheckInKind.PAIN)


@functools.lru_cache(maxsize=8)
def pain_keyboard(local_date: date) -> InlineKeyboardMarkup:
    """The 0-10 buttons of a day (immutable, so built once for everyone that day)."""
    return score_keyboard(CheckInKind.PAIN, local_date)


async def ask_pain(update: Update, context: AcubotContext, local_date: date) -> None:
    await reply_html(update, context, pain_question(context.tr), pain_keyboard(local_date))


async def on_button(update: Update, context: AcubotContext) -> None:
    """A 0-10 answer: one statement, and the question's message becomes the thanks."""
    query = query_of(update)
    tr = context.tr
    button = cb.decode_as(query.data, cb.CheckInButton)
    if button is None:
        await query.answer(tr._("This question is no longer available."), show_alert=True)
        return
    kind, score, asked_on = button.kind, button.score, button.asked_on
    services = context.services
    now = services.now()
    clinic_zone = services.settings.clinic_timezone
    try:
        # Stored only within the question's window on the patient's calendar (may_answer).
        zone = await record_checkin_of_known_user(
            engine=services.engine,
            user_id=sender_of(update).id,
            kind=kind,
            score=score,
            local_date=asked_on,
            now=now,
            window_days=answer_window(kind).days,
            clinic_zone=clinic_zone,
        )
    except NotKnown:  # deleted their data, or never started
        await query.answer()
        await reply_html(
            update,
            context,
            tr._("I don't keep any data about you now, so I can't store this. /start"),
        )
        if is_severe(score):  # stored or not, severe pain is asked about red flags
            await triage.ask_severe_pain_red_flags(update, context)
        return
    except OutsideWindow:
        await query.answer()
        await edit_or_reply(
            update,
            context,
            tr._(
                "That question was for {day}. I'll ask again after your next routine.",
                day=tr.day(asked_on),
            ),
        )
        return
    # The weekly question is about the week up to the day it was asked; the pain one, today.
    shown = tr.number(score)
    if kind != CheckInKind.ACTIVITY:
        text = tr._("Thanks — I've noted {score}/10 for today.", score=shown)
    elif asked_on == local_date_of(now, ZoneInfo(zone or clinic_zone)):
        text = tr._("Thanks — I've noted {score}/10 for this week.", score=shown)
    else:
        text = tr._(
            "Thanks — I've noted {score}/10 for the week up to {day}.",
            score=shown,
            day=tr.day(asked_on),
        )
    await asyncio.gather(
        query.answer(tr._("Noted: {score}/10", score=shown)), edit_or_reply(update, context, text)
    )
    if is_severe(score):
        await triage.ask_severe_pain_red_flags(update, context)


def register(app: AcubotApp) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern(cb.CheckInButton)))
