"""/progress: streaks, days done, pain then and now, and a chart."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.ext import CommandHandler

from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import chat_of, sender_of
from scheduler import patient_days
from scheduler.progress_chart import render_progress_chart
from scheduler.schedule_rule import local_date_of
from storage import reminders
from storage.progress import ProgressSummary, load_progress, summarize

NOTHING_YET = (
    "📈 Nothing to show yet. Do the routine (/routine) or subscribe to a daily reminder "
    "(/remind), answer the quick 0–10 question at the end, and your progress and chart "
    "will appear here."
)
# A subscriber (who may have skipped today) is not told to subscribe.
NOTHING_YET_SUBSCRIBED = (
    "📈 Nothing to show yet. Do the routine (/routine, or ▶ on your next reminder), "
    "answer the quick 0–10 question at the end, and your progress and chart will appear here."
)


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def progress_text(summary: ProgressSummary) -> str:
    lines = [
        "📈 <b>Your progress</b>",
        "",
        f"🔥 Current streak: <b>{_days(summary.current_streak)}</b>",
        f"🏆 Best streak: {_days(summary.best_streak)}",
        f"✅ Routine done: {_days(summary.done_last_7)} of the last 7, "
        f"{_days(summary.done_last_30)} of the last 30",
    ]
    if summary.pain_this_week is not None and summary.pain_first_week is not None:
        change = summary.pain_this_week - summary.pain_first_week
        trend = "lower" if change < 0 else "higher" if change > 0 else "the same"
        lines.append(
            f"🩹 Back pain this week: {summary.pain_this_week:.1f}/10 on average "
            f"(your first week: {summary.pain_first_week:.1f}, {trend})"
        )
    elif summary.pain_this_week is not None:
        lines.append(f"🩹 Back pain this week: {summary.pain_this_week:.1f}/10 on average")
    lines += ["", "<i>Share this with your practitioner at your next visit.</i>"]
    return "\n".join(lines)


async def progress(update: Update, context: AcubotContext) -> None:
    services = context.services
    user_id = sender_of(update).id
    # One session: the subscription gives the patient's zone (so today) as well.
    async with services.sessions() as session:
        sub = await reminders.get_subscription(session=session, user_id=user_id)
        data = await load_progress(session=session, user_id=user_id)
    zone = patient_days.patient_zone(sub, services.settings.clinic_timezone)
    today = local_date_of(services.now(), zone)
    if data.empty:
        await reply_html(update, context, NOTHING_YET_SUBSCRIBED if sub else NOTHING_YET)
        return
    # Drawn (scheduler/progress_chart.py) in the worker process (handlers/offload.py)
    # while the summary goes out: the loop never waits on it.
    drawing = asyncio.ensure_future(services.cpu.run(render_progress_chart, data, today))
    try:
        await reply_html(update, context, progress_text(summarize(data, today)))
        chart = await drawing
    finally:
        drawing.cancel()
    await context.bot.send_photo(
        chat_of(update).id,
        InputFile(chart, filename=f"progress-{today:%Y-%m-%d}.png"),
        caption=(
            "Your last 30 days: the orange line is your back pain, the blue diamonds your "
            "answers to the weekly question, and the green squares the days you did the routine."
        ),
    )


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("progress", progress))
