"""/report: the patient's one-page visit summary (PDF) of their last 4 or 6 weeks.

The buttons choose the period; the summary is read (storage/patient_summary.py)
and the page drawn with its chart (scheduler/visit_report.py) in the worker
process, never on the event loop, then sent as a document. A patient with
nothing recorded in the period is told so, rather than sent an empty page.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_
from handlers.context import AcubotApp, AcubotContext
from handlers.progress import chart_words
from handlers.reply import reply_html
from handlers.update_parts import chat_of, query_of, sender_of
from scheduler import callback_data as cb
from scheduler import patient_days
from scheduler.schedule_rule import local_date_of
from scheduler.visit_report import build_visit_report, report_filename
from storage import reminders
from storage.patient_summary import REPORT_WEEKS, load_patient_summary

CHOOSE = N_(
    "📄 A one-page summary (PDF) of your home care, to bring to your next visit or to forward: "
    "your programme, the days you practised, your pain answers and any sore days, with a chart.\n\n"
    "Which period?"
)
WEEKS_BUTTON = N_("Last {n} weeks")
NOTHING_YET = N_(
    "📄 Nothing recorded in the last {weeks} weeks yet, so there is no summary to make. "
    "Do the routine (/routine) and answer its quick 0–10 question, and your summary will "
    "have something to show."
)
CAPTION = N_(
    "📄 Your home care summary, {first} – {last}. General information, not a diagnosis: "
    "bring it to your visit or forward it to your practitioner."
)
STALE = N_("This button no longer applies. Send /report.")


def _keyboard(context: AcubotContext) -> InlineKeyboardMarkup:
    tr = context.tr
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._(WEEKS_BUTTON, n=tr.number(weeks)),
                    callback_data=cb.encode(cb.ReportButton(weeks)),
                )
                for weeks in REPORT_WEEKS
            ]
        ]
    )


async def report_command(update: Update, context: AcubotContext) -> None:
    """Asks which period the summary covers."""
    await reply_html(update, context, context.tr._(CHOOSE), _keyboard(context))


async def report_button(update: Update, context: AcubotContext) -> None:
    """Reads the period's data, has the PDF drawn off the loop, and sends it."""
    query = query_of(update)
    pressed = cb.decode_as(query.data, cb.ReportButton)
    tr = context.tr
    if pressed is None:
        await query.answer(tr._(STALE), show_alert=True)
        return
    await query.answer()
    services = context.services
    user_id = sender_of(update).id
    async with services.sessions() as session:
        sub = await reminders.get_subscription(session=session, user_id=user_id)
        zone = patient_days.patient_zone(sub, services.settings.clinic_timezone)
        today = local_date_of(services.now(), zone)
        summary = await load_patient_summary(
            session=session, user_id=user_id, today=today, weeks=pressed.weeks, zone=zone
        )
    if summary.empty:
        await reply_html(update, context, tr._(NOTHING_YET, weeks=tr.number(pressed.weeks)))
        return
    length = (summary.last_day - summary.first_day).days + 1
    pdf = await services.cpu.run(
        build_visit_report,
        summary,
        tr.language,
        tr._(services.settings.clinic_name),
        chart_words(tr, today, length),
    )
    await context.bot.send_document(
        chat_of(update).id,
        InputFile(pdf, filename=report_filename(today)),
        caption=tr._(CAPTION, first=tr.date(summary.first_day), last=tr.date(summary.last_day)),
    )


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CallbackQueryHandler(report_button, pattern=cb.pattern(cb.ReportButton)))
