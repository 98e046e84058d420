"""Free text in the patient's own words, after the red-flag screen and pending flows.

content.own_words decides what the message means; this module only calls
the command that answers it, or shows the points for a symptom, or a hint
with buttons when nothing matched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import time
from html import escape

from telegram import InlineKeyboardMarkup, Update

from content.i18n import N_, Translator
from content.own_words import Intent, Kind, Understood
from content.schema import AvoidedPoint
from handlers import (
    points,
    pregnancy,
    progress,
    reminder_settings,
    render,
    routine,
    safety,
    start,
    subscribe,
    visits,
)
from handlers.context import AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import sender_of
from scheduler.time_input import parse_time_of_day
from storage import reminders

HINT = N_(
    "I'm not sure what you mean, sorry. You can type a point's name such as <i>kidney 3</i>, "
    "<i>weizhong</i> or <code>/point UB40</code>, what bothers you such as <i>sciatica</i> or "
    "<i>stiff lower back</i>, or tap one of these:"
)


def hint_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[render.points_button(tr)], [start.reminder_button(tr)], [render.safety_button(tr)]]
    )


async def send_hint(update: Update, context: AcubotContext, prefix: str = "") -> None:
    """The hint with buttons; `prefix` is already in the patient's language."""
    tr = context.tr
    await reply_html(update, context, prefix + tr._(HINT), hint_keyboard(tr))


async def thanks(update: Update, context: AcubotContext) -> None:
    await reply_html(
        update,
        context,
        context.tr._(
            "You're welcome! 🌿 Look after your back, and send /help whenever you need me."
        ),
    )


async def send_avoided_point(update: Update, context: AcubotContext, avoided: AvoidedPoint) -> None:
    """A point traditionally avoided in pregnancy that the catalogue does not describe."""
    await reply_html(
        update, context, render.avoided_point_text(avoided, context.catalogue, context.tr)
    )


async def remind_at(update: Update, context: AcubotContext, time_text: str) -> None:
    """ "Remind me at 7:30 pm": the /remind flow with that time filled in, at Confirm."""
    parsed = parse_time_of_day(time_text)
    services = context.services
    async with services.sessions() as session:
        existing = await reminders.get_subscription(session=session, user_id=sender_of(update).id)
    data = {
        "time": None,
        "zone": existing.timezone if existing else services.settings.clinic_timezone,
        "routine": existing.routine if existing else services.catalogue.default_routine.id,
    }
    if parsed.value is None:
        await subscribe.ask_time(update, context, data, parsed.problem)
        return
    data["time"] = time.strftime(parsed.value, "%H:%M")
    await subscribe.ask_confirm(update, context, data)


async def symptom_points(update: Update, context: AcubotContext, understood: Understood) -> None:
    assert understood.symptom is not None
    tr, catalogue = context.tr, context.catalogue
    # The symptom's title, note and reasons in the patient's language (content/data/<lang>/).
    shown = context.services.own_words.symptom_text(understood.symptom, context.language)
    lines = [
        tr._(
            "<b>{symptom}</b>: points that are traditionally used for it. "
            "Tap one for where it is and how to press it.",
            symptom=escape(shown.title),
        ),
        "",
    ]
    lines += [f"• <b>{escape(point.code)}</b> — {escape(why)}" for point, why in shown.points]
    if shown.note:
        lines += ["", f"ℹ️ {escape(shown.note)}"]
    lines += ["", "<i>" + tr._("General information, not a diagnosis. Red flags: /safety") + "</i>"]
    keyboard = render.suggestions_keyboard(
        [catalogue.point(point.code) or point for point, _ in shown.points]
    )
    await reply_html(update, context, "\n".join(lines), keyboard)


Answer = Callable[[Update, AcubotContext], Awaitable[None]]
INTENT_ANSWERS: dict[Intent, Answer] = {
    Intent.GREETING: start.start,
    Intent.THANKS: thanks,
    Intent.HELP: start.help_command,
    Intent.STOP: reminder_settings.stop,
    Intent.PAUSE: reminder_settings.pause,
    Intent.RESUME: reminder_settings.resume,
    Intent.BOOK: safety.book,
    Intent.REMIND: subscribe.begin,
    Intent.ROUTINE: routine.routine_command,
    Intent.POINTS: points.send_points_menu,
    Intent.SAFETY: safety.safety,
    Intent.EVIDENCE: safety.evidence,
    Intent.PROGRESS: progress.progress,
    Intent.SETTINGS: reminder_settings.show_settings,
    Intent.PREGNANT: pregnancy.ask_to_confirm,
    Intent.PREGNANCY_QUESTION: pregnancy.pregnancy_question,
}


async def answer_own_words(update: Update, context: AcubotContext, text: str) -> None:
    """Answers free text: a card, a symptom's points, an intent's reply, or the hint."""
    if await visits.visit_in_own_words(update, context, text):
        return  # "my next appointment is friday 3pm": /visit with that time
    understood = context.services.own_words.understand(text)
    if understood.kind is Kind.POINT and understood.point is not None:
        await points.send_point_card(update, context, understood.point)
    elif understood.kind is Kind.AVOIDED and understood.avoided is not None:
        await send_avoided_point(update, context, understood.avoided)
    elif understood.kind is Kind.SYMPTOM:
        await symptom_points(update, context, understood)
    elif understood.kind is Kind.INTENT and understood.intent is not None:
        if understood.intent is Intent.REMIND and understood.time_text:
            await remind_at(update, context, understood.time_text)
        else:
            await INTENT_ANSWERS[understood.intent](update, context)
    else:
        await send_hint(update, context)
