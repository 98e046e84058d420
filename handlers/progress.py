"""/progress: streaks, days done, pain then and now, and a chart."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from telegram import InputFile, Update
from telegram.ext import CommandHandler

from content.i18n import N_, Translator
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import chat_of, sender_of
from scheduler import patient_days
from scheduler import progress_chart as chart
from scheduler.progress_chart import DAYS, ChartWords, cjk_font, render_progress_chart
from scheduler.schedule_rule import local_date_of
from storage import reminders
from storage.progress import ProgressSummary, load_progress, summarize

NOTHING_YET = N_(
    "📈 Nothing to show yet. Do the routine (/routine) or subscribe to a daily reminder "
    "(/remind), answer the quick 0–10 question at the end, and your progress and chart "
    "will appear here."
)
# A subscriber (who may have skipped today) is not told to subscribe.
NOTHING_YET_SUBSCRIBED = N_(
    "📈 Nothing to show yet. Do the routine (/routine, or ▶ on your next reminder), "
    "answer the quick 0–10 question at the end, and your progress and chart will appear here."
)


def _days(tr: Translator, count: int) -> str:
    return tr.n_("{n} day", "{n} days", count)


def _score(tr: Translator, value: float) -> str:
    """An average on the 0-10 scale, one decimal as the locale writes it (6.0, 6,0)."""
    return format_decimal(value, format="0.0", locale=tr.locale)


def progress_text(tr: Translator, summary: ProgressSummary) -> str:
    lines = [
        tr._("📈 <b>Your progress</b>"),
        "",
        tr._("🔥 Current streak: <b>{days}</b>", days=_days(tr, summary.current_streak)),
        tr._("🏆 Best streak: {days}", days=_days(tr, summary.best_streak)),
        tr._(
            "✅ Routine done: {last_7} of the last 7, {last_30} of the last 30",
            last_7=_days(tr, summary.done_last_7),
            last_30=_days(tr, summary.done_last_30),
        ),
    ]
    if summary.pain_this_week is not None and summary.pain_first_week is not None:
        change = summary.pain_this_week - summary.pain_first_week
        now, first = _score(tr, summary.pain_this_week), _score(tr, summary.pain_first_week)
        if change < 0:
            line = tr._(
                "🩹 Back pain this week: {now}/10 on average (your first week: {first}, lower)",
                now=now,
                first=first,
            )
        elif change > 0:
            line = tr._(
                "🩹 Back pain this week: {now}/10 on average (your first week: {first}, higher)",
                now=now,
                first=first,
            )
        else:
            line = tr._(
                "🩹 Back pain this week: {now}/10 on average (your first week: {first}, the same)",
                now=now,
                first=first,
            )
        lines.append(line)
    elif summary.pain_this_week is not None:
        lines.append(
            tr._(
                "🩹 Back pain this week: {now}/10 on average",
                now=_score(tr, summary.pain_this_week),
            )
        )
    lines += ["", tr._("<i>Share this with your practitioner at your next visit.</i>")]
    return "\n".join(lines)


def chart_words(tr: Translator, today: date, length: int = DAYS) -> ChartWords:
    """The chart's words in the patient's language (it is drawn in another process)."""
    first = today - timedelta(days=length - 1)
    days = [first + timedelta(days=offset) for offset in range(length)]
    return ChartWords(
        title=tr._(
            chart.TITLE,
            first=format_skeleton("MMMd", first, locale=tr.locale),
            last=format_skeleton("yMMMd", today, locale=tr.locale),
        ),
        pain=tr._(chart.PAIN_LABEL),
        activity=tr._(chart.ACTIVITY_LABEL),
        done=tr._(chart.DONE_LABEL),
        not_done=tr._(chart.NOT_DONE_LABEL),
        scale=tr._(chart.SCALE_LABEL),
        routine=tr._(chart.ROUTINE_LABEL),
        days=tuple(format_skeleton("MMMd", day, locale=tr.locale) for day in days),
        font=cjk_font() if tr.language == "zh" else None,
    )


async def progress(update: Update, context: AcubotContext) -> None:
    services = context.services
    tr = context.tr
    user_id = sender_of(update).id
    # One session: the subscription gives the patient's zone (so today) as well.
    async with services.sessions() as session:
        sub = await reminders.get_subscription(session=session, user_id=user_id)
        data = await load_progress(session=session, user_id=user_id)
    zone = patient_days.patient_zone(sub, services.settings.clinic_timezone)
    today = local_date_of(services.now(), zone)
    if data.empty:
        await reply_html(update, context, tr._(NOTHING_YET_SUBSCRIBED if sub else NOTHING_YET))
        return
    # Drawn (scheduler/progress_chart.py) in the worker process (handlers/offload.py)
    # while the summary goes out: the loop never waits on it.
    drawing = asyncio.ensure_future(
        services.cpu.run(render_progress_chart, data, today, chart_words(tr, today))
    )
    try:
        await reply_html(update, context, progress_text(tr, summarize(data, today)))
        chart = await drawing
    finally:
        drawing.cancel()
    await context.bot.send_photo(
        chat_of(update).id,
        InputFile(chart, filename=f"progress-{today:%Y-%m-%d}.png"),
        caption=tr._(
            "Your last 30 days: the orange line is your back pain, the blue diamonds your "
            "answers to the weekly question, and the green squares the days you did the routine."
        ),
    )


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("progress", progress))
