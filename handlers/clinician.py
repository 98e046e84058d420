"""Staff: /patients and /patient <n>, the clinician view of patients who share their progress.

Every command and button checks the staff role (Permission.CLINICIAN_VIEW)
and the patient's consent when it runs: the consent is read in the same
transaction as the patient's data and the audit row (storage/clinician.py,
storage/audit.py), so a patient who stopped sharing is refused from the next
view or press on. A number nobody has, and a patient who stopped sharing,
get the same answer: it reveals nothing. The chart and the PDF are drawn in
the worker process (handlers/offload.py), never on the event loop.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator
from content.questionnaires import Instrument, Questionnaire, Verdict, change, questionnaires
from handlers.admin import require_role
from handlers.context import AcubotApp, AcubotContext
from handlers.progress import chart_words
from handlers.reply import reply_html
from handlers.update_parts import chat_of, query_of, sender_of
from scheduler import callback_data as cb
from scheduler.clinician_flags import Flag, flags_since, patient_flags
from scheduler.numbers import ascii_int
from scheduler.progress_chart import render_progress_chart
from scheduler.schedule_rule import local_date_of
from scheduler.visit_report import (
    DAYS_DONE,
    NO_PLAN,
    PEG_HEADING,
    PLANNED_DONE,
    RMDQ_HEADING,
    SORE_HEADING,
    build_visit_report,
    report_figures,
)
from storage.audit import AuditAction, record_audit
from storage.clinician import (
    VIEW_WEEKS,
    PatientListRow,
    PatientView,
    SharingPatient,
    consented_patients,
    patient_view,
    sharing_patient,
)
from storage.patient_summary import (
    REPORT_WEEKS,
    PatientSummary,
    ScorePoint,
    load_patient_summary,
)
from storage.staff import Permission

LIST_TITLE = N_("🩺 <b>Patients who share their progress with the clinic</b> ({count})")
NOBODY = N_(
    "🩺 No patient shares their progress with the clinic at the moment. Patients choose "
    "this themselves, in /privacy or when a home programme starts."
)
LIST_HINT = N_("<code>/patient 1</code> shows one patient: their days, scores and a chart.")
NO_NAME = N_("(no name)")
NO_PROGRAMME = N_("no programme")
LAST_ACTIVE = N_("last active {day}")
NO_ACTIVITY = N_("no activity yet")
FLAG_WORDS = {
    Flag.HIGH_PAIN: N_("⚠️ pain 8 or more in the last 7 days"),
    Flag.SORE: N_("⚠️ too sore or bruised in the last 7 days"),
    Flag.RMDQ_WORSE: N_("⚠️ Roland-Morris up 5 points or more since the first"),
}
USAGE = N_(
    "Send /patient with a patient's number from /patients, for example <code>/patient 1</code>."
)
UNKNOWN = N_(
    "No patient with the number {number} shares their progress with the clinic. "
    "/patients lists those who do."
)
VIEW_TITLE = N_("🩺 <b>Patient {number}</b> · {name}")
PROGRAMME = N_("Home programme: <b>{title}</b> ({practitioner}), {course}")
WEEK_OF = N_("week {week} of {weeks}")
WEEK_OPEN = N_("week {week}, no set end")
NO_PROGRAMME_VIEW = N_("No home programme in the last {weeks} weeks.")
PRACTICE = N_("<b>Last {weeks} weeks</b>")
PAIN = N_("Back pain (0–10): {scores}")
NO_SCORES = N_("none yet")
CHANGE = N_("Change since the first: {difference} ({verdict})")
CHANGE_PLAIN = N_("Change since the first: {difference}")
VERDICTS = {
    Verdict.BETTER: N_("better by at least the published threshold, Ostelo 2008"),
    Verdict.WORSE: N_("worse by 5 points or more"),
    Verdict.WITHIN: N_("within the published threshold, Ostelo 2008"),
}
NONE_REPORTED = N_("none reported")
NOT_VALIDATED = N_(
    "* Not from a validated version: answered in the clinic's own Spanish or Chinese "
    "words, or before the bot kept the language. Compare with care."
)
PDF_BUTTON = N_("📄 PDF, last {n} weeks")
CHART_CAPTION = N_(
    "Patient {number}, last 30 days: the orange line is back pain, the blue diamonds the "
    "weekly question, the green squares the days the routine was done."
)
PDF_CAPTION = N_("📄 Patient {number}: home care summary, {first} – {last} (staff copy).")
NOTHING_IN_PERIOD = N_("Nothing recorded for patient {number} in the last {weeks} weeks.")
STALE = N_("This button no longer applies. Send /patient again.")
MAX_SCORES_SHOWN = 8  # the newest scores of one kind in the message (the PDF has its period's)
MESSAGE_ROOM = 3500  # below Telegram's 4096 characters, with room for the markup


def _name(tr: Translator, first_name: str | None) -> str:
    return escape(first_name) if first_name else tr._(NO_NAME)


def _score(tr: Translator, value: float | Decimal, decimals: int = 0) -> str:
    """A score as its instrument publishes it: PEG to one decimal (5.0), counts as whole."""
    pattern = "0." + "0" * decimals if decimals else "0"
    return format_decimal(value, format=pattern, locale=tr.locale)


def _list_line(tr: Translator, row: PatientListRow, zone: ZoneInfo) -> str:
    parts = [
        f"<b>{tr.number(row.number)}</b>",
        _name(tr, row.first_name),
        escape(row.programme) if row.programme else tr._(NO_PROGRAMME),
        tr._(LAST_ACTIVE, day=tr.date(row.last_activity.astimezone(zone).date()))
        if row.last_activity is not None
        else tr._(NO_ACTIVITY),
    ]
    line = " · ".join(parts)
    flags = patient_flags(row)
    if flags:
        line += "\n    " + " · ".join(tr._(FLAG_WORDS[flag]) for flag in flags)
    return line


def _chunks(lines: list[str]) -> list[str]:
    """Lines joined into messages that each fit Telegram's limit."""
    messages: list[str] = []
    current: list[str] = []
    for line in lines:
        if current and sum(len(part) + 1 for part in current) + len(line) > MESSAGE_ROOM:
            messages.append("\n".join(current))
            current = []
        current.append(line)
    if current:
        messages.append("\n".join(current))
    return messages


async def patients_command(update: Update, context: AcubotContext) -> None:
    """/patients: every patient who shares now; one audit row per patient listed."""
    if not await require_role(update, context, Permission.CLINICIAN_VIEW, "/patients"):
        return
    services = context.services
    tr = context.tr
    now = services.now()
    staff_id = sender_of(update).id
    async with services.sessions.begin() as session:
        rows = await consented_patients(session=session, since=flags_since(now))
        for row in rows:
            await record_audit(
                session=session,
                actor_id=staff_id,
                action=AuditAction.VIEWED_PATIENT_LIST,
                patient_id=row.user_id,
                now=now,
            )
    if not rows:
        await reply_html(update, context, tr._(NOBODY))
        return
    zone = services.settings.zone
    lines = [tr._(LIST_TITLE, count=tr.number(len(rows))), ""]
    lines += [_list_line(tr, row, zone) for row in rows]
    lines += ["", tr._(LIST_HINT)]
    for message in _chunks(lines):
        await reply_html(update, context, message)


def _patient_zone(context: AcubotContext, patient: SharingPatient) -> ZoneInfo:
    return ZoneInfo(patient.timezone or context.services.settings.clinic_timezone)


def _scores_line(
    tr: Translator,
    scores: tuple[ScorePoint, ...],
    decimals: int = 0,
    questionnaire: Questionnaire | None = None,
) -> str:
    """The latest scores with their days; a questionnaire's scores not from a validated
    version of it carry its mark (Questionnaire.mark)."""
    if not scores:
        return tr._(NO_SCORES)
    shown = scores[-MAX_SCORES_SHOWN:]
    return tr.list(
        [
            f"{_score(tr, s.score, decimals)}{_mark(questionnaire, s)} ({tr.date(s.local_date)})"
            for s in shown
        ]
    )


def _mark(questionnaire: Questionnaire | None, point: ScorePoint) -> str:
    return questionnaire.mark(point.wording) if questionnaire is not None else ""


def _change_line(tr: Translator, instrument: Instrument, scores: tuple[ScorePoint, ...]) -> str:
    """The latest score against the first, judged as the patient's result message judges it."""
    questionnaire = questionnaires().get(instrument)
    first, latest = Decimal(str(scores[0].score)), Decimal(str(scores[-1].score))
    result = change(questionnaire, first, latest)
    places = "." + "0" * questionnaire.decimals if questionnaire.decimals else ""
    difference = format_decimal(
        result.difference, format=f"+0{places};-0{places}", locale=tr.locale
    )
    if result.verdict == Verdict.NO_THRESHOLD:
        return tr._(CHANGE_PLAIN, difference=difference)
    return tr._(CHANGE, difference=difference, verdict=tr._(VERDICTS[result.verdict]))


def view_text(tr: Translator, view: PatientView) -> str:
    """The staff message for one patient."""
    summary = view.summary
    figures = report_figures(summary)
    patient = view.patient
    lines = [
        tr._(VIEW_TITLE, number=tr.number(patient.number), name=_name(tr, patient.first_name)),
        "",
    ]
    programme = summary.programme
    if programme is None:
        lines.append(tr._(NO_PROGRAMME_VIEW, weeks=tr.number(VIEW_WEEKS)))
    else:
        week = tr.number(figures.week or 1)
        course = (
            tr._(WEEK_OF, week=week, weeks=tr.number(figures.course_weeks))
            if figures.course_weeks is not None
            else tr._(WEEK_OPEN, week=week)
        )
        lines.append(
            tr._(
                PROGRAMME,
                title=escape(programme.title),
                practitioner=escape(programme.practitioner_name),
                course=course,
            )
        )
    lines += ["", tr._(PRACTICE, weeks=tr.number(summary.weeks))]
    if figures.adherence is not None and figures.adherence.share is not None:
        lines.append(
            tr._(
                PLANNED_DONE,
                done=tr.number(figures.adherence.done),
                planned=tr.number(figures.adherence.planned),
                percent=format_percent(figures.adherence.share, locale=tr.locale),
            )
        )
    elif summary.plan is None:
        lines.append(tr._(NO_PLAN))
    lines.append(tr._(DAYS_DONE, n=tr.number(figures.days_done)))
    lines.append(tr._(PAIN, scores=_scores_line(tr, summary.pain)))
    for heading, instrument, scores in (
        (PEG_HEADING, Instrument.PEG, view.peg),
        (RMDQ_HEADING, Instrument.RMDQ, view.rmdq),
    ):
        questionnaire = questionnaires().get(instrument)
        lines += [
            "",
            f"<b>{tr._(heading)}</b>",
            _scores_line(tr, scores, questionnaire.decimals, questionnaire),
        ]
        if len(scores) > 1:
            # Measured from the first score, which may be older than those shown.
            ends = questionnaire.mark(scores[0].wording) or questionnaire.mark(scores[-1].wording)
            lines.append(_change_line(tr, instrument, scores) + ends)
        if any(questionnaire.mark(s.wording) for s in (*scores[:1], *scores[-MAX_SCORES_SHOWN:])):
            lines.append(tr._(NOT_VALIDATED))
    lines += ["", f"<b>{tr._(SORE_HEADING)}</b>"]
    if view.adverse_events:
        lines.append(tr.list([tr.date(event.local_date) for event in view.adverse_events]))
    else:
        lines.append(tr._(NONE_REPORTED))
    return "\n".join(lines)


def _pdf_keyboard(tr: Translator, number: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._(PDF_BUTTON, n=tr.number(weeks)),
                    callback_data=cb.encode(cb.PatientReportButton(number, weeks)),
                )
                for weeks in REPORT_WEEKS
            ]
        ]
    )


def _number_argument(context: AcubotContext) -> int | None:
    args = context.args or []
    if len(args) != 1:
        return None
    number = ascii_int(args[0], max_digits=9, leading_zeros=False)
    return number if number is not None and number > 0 else None


async def _read_view(
    context: AcubotContext, staff_id: int, number: int
) -> tuple[PatientView, date] | None:
    """The view and the patient's today, with its audit row, in one transaction; None: refused."""
    services = context.services
    now = services.now()
    async with services.sessions.begin() as session:
        patient = await sharing_patient(session=session, number=number)
        if patient is None:
            return None
        zone = _patient_zone(context, patient)
        today = local_date_of(now, zone)
        view = await patient_view(session=session, patient=patient, today=today, zone=zone)
        await record_audit(
            session=session,
            actor_id=staff_id,
            action=AuditAction.VIEWED_PATIENT,
            patient_id=patient.user_id,
            now=now,
        )
    return view, today


async def patient_command(update: Update, context: AcubotContext) -> None:
    """/patient <n>: one sharing patient's days, scores, sore reports and chart; audited."""
    if not await require_role(update, context, Permission.CLINICIAN_VIEW, "/patient"):
        return
    tr = context.tr
    number = _number_argument(context)
    if number is None:
        await reply_html(update, context, tr._(USAGE))
        return
    services = context.services
    read = await _read_view(context, sender_of(update).id, number)
    if read is None:
        await reply_html(update, context, tr._(UNKNOWN, number=tr.number(number)))
        return
    view, today = read
    # The chart the patient sees in /progress, drawn in the worker process while the
    # text goes out (an empty month is drawn too: staff see that nothing was recorded).
    drawing = asyncio.ensure_future(
        services.cpu.run(render_progress_chart, view.progress, today, chart_words(tr, today))
    )
    try:
        await reply_html(update, context, view_text(tr, view), _pdf_keyboard(tr, number))
        chart = await drawing
    finally:
        drawing.cancel()
    await context.bot.send_photo(
        chat_of(update).id,
        InputFile(chart, filename=f"patient-{number}-{today:%Y-%m-%d}.png"),
        caption=tr._(CHART_CAPTION, number=tr.number(number)),
    )


def _pdf_filename(number: int, today: date) -> str:
    return f"acubot-patient-{number}-{today:%Y-%m-%d}.pdf"


async def _read_report(
    context: AcubotContext, staff_id: int, pressed: cb.PatientReportButton
) -> tuple[PatientSummary, date] | None:
    """The staff copy's summary and the patient's today, audited; None: refused."""
    services = context.services
    now = services.now()
    async with services.sessions.begin() as session:
        patient = await sharing_patient(session=session, number=pressed.number)
        if patient is None:
            return None
        zone = _patient_zone(context, patient)
        today = local_date_of(now, zone)
        summary = await load_patient_summary(
            session=session, user_id=patient.user_id, today=today, weeks=pressed.weeks, zone=zone
        )
        await record_audit(
            session=session,
            actor_id=staff_id,
            action=AuditAction.PATIENT_REPORT,
            patient_id=patient.user_id,
            now=now,
            detail=f"weeks:{pressed.weeks}",
        )
    return summary, today


async def report_button(update: Update, context: AcubotContext) -> None:
    """📄 PDF under /patient <n>: role and consent checked again, audited, drawn off the loop."""
    query = query_of(update)
    if not await require_role(update, context, Permission.CLINICIAN_VIEW, "patient report"):
        return
    tr = context.tr
    pressed = cb.decode_as(query.data, cb.PatientReportButton)
    if pressed is None:
        await query.answer(tr._(STALE), show_alert=True)
        return
    services = context.services
    read = await _read_report(context, sender_of(update).id, pressed)
    if read is None:
        await query.answer(tr._(UNKNOWN, number=tr.number(pressed.number)), show_alert=True)
        return
    summary, today = read
    await query.answer()
    number = tr.number(pressed.number)
    if summary.empty:
        await reply_html(
            update, context, tr._(NOTHING_IN_PERIOD, number=number, weeks=tr.number(pressed.weeks))
        )
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
        InputFile(pdf, filename=_pdf_filename(pressed.number, today)),
        caption=tr._(
            PDF_CAPTION,
            number=number,
            first=tr.date(summary.first_day),
            last=tr.date(summary.last_day),
        ),
    )


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("patients", patients_command))
    app.add_handler(CommandHandler("patient", patient_command))
    app.add_handler(CallbackQueryHandler(report_button, pattern=cb.pattern(cb.PatientReportButton)))
