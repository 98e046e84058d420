"""The visit summary a patient brings to the clinic (/report): one PDF page.

`report_figures` works out what the page says from a `PatientSummary`
(storage/patient_summary.py): week n of m, planned days done, first / last /
average of the 0-10 answers. `render_visit_report` lays it out with fpdf2:
title, the clinic, the period, the programme, adherence, pain and the weekly
question, PEG and RMDQ scores when there are any, "too sore" reports, the
progress chart (scheduler/progress_chart.py) and a line saying this is
general information, not a diagnosis. Both are pure: data in, bytes out, no
Telegram, no database; the staff copy (/patient <n>) can call them as they are.

The page takes ~100 ms of CPU with its chart, so the bot runs
`build_visit_report` (chart and page in one trip) in its worker process
(handlers/offload.py). That process gets the language, not a translator (a
gettext catalog does not pickle), and looks the translator up itself.

Fonts: DejaVu Sans (shipped with matplotlib) for English and Spanish; for
Chinese, a TrueType subset of Noto Sans CJK SC cut for this page's words
(content/report_font.py; a CFF font's text does not extract cleanly).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from statistics import fmean

from babel.numbers import format_decimal, format_percent

from content.i18n import N_, Translator, translator
from content.languages import Language
from content.questionnaires import Instrument, questionnaires
from content.report_font import REPORT_FONT_FILES, font_characters
from scheduler.programme_progress import Adherence, adherence, planned_days, week_of_course
from scheduler.progress_chart import ACTIVITY_LABEL as ACTIVITY_HEADING
from scheduler.progress_chart import ChartWords, render_progress_chart
from storage.patient_summary import PatientSummary, ScorePoint
from storage.programmes import EnrolmentStatus
from storage.progress import PracticePlan, ProgressData, Score

__all__ = [
    "NOT_A_DIAGNOSIS",
    "ReportFigures",
    "ScoreRun",
    "build_visit_report",
    "render_visit_report",
    "report_figures",
]

TITLE = N_("Home care summary")
PERIOD = N_("Your last {weeks} weeks: {first} – {last}")
FOR_CLINIC = N_("To bring to {clinic}")
PROGRAMME_HEADING = N_("Home programme")
PROGRAMME_LINE = N_("{title}, from {practitioner}")
WEEK_OF = N_("Week {week} of {weeks}, started {start}")
WEEK_OPEN = N_("Week {week} (no set end), started {start}")
FINISHED = N_("Finished on {day}")
LEFT = N_("Stopped on {day}")
NO_PROGRAMME = N_("No home programme from your practitioner in this period.")
PRACTICE_HEADING = N_("Practice")
PLANNED_DONE = N_("Planned days done: {done} of {planned} ({percent})")
DAYS_DONE = N_("Days with the routine done: {n}")
NO_PLAN = N_("No practice days were set (no programme or daily reminder).")
LEFT_OUT = N_(
    "Left out: {n} planned days whose reminder the bot could not send (not counted as missed)."
)
PAIN_HEADING = N_("Back pain, your answers (0 = no pain, 10 = worst)")
SCORE_LINE = N_(
    "{count} answers. First {first} ({first_day}), latest {last} ({last_day}), average {mean}."
)
ONE_SCORE = N_("1 answer: {score} ({day}).")
NO_ANSWERS = N_("No answers in this period.")
PEG_HEADING = N_("PEG (pain, enjoyment of life, general activity; 0–10, mean of 3)")
RMDQ_HEADING = N_("Roland-Morris disability questionnaire (0–24, higher means more limited)")
NOT_VALIDATED = N_(
    "* Not from a validated version of the questionnaire: answered in the clinic's own "
    "Spanish or Chinese words, or before the bot kept the language."
)
SORE_HEADING = N_("Too sore or bruised after a routine")
NO_SORE = N_("None reported.")
SORE_DAYS = N_("Reported on: {days}")
CHART_HEADING = N_("Your days at a glance")
NOT_A_DIAGNOSIS = N_(
    "General information, not a diagnosis: this page repeats what you told the bot. "
    "Your practitioner will talk through what it means for you."
)
MADE_ON = N_("Made by the clinic's Acubot on {day}.")

PAGE_MARGIN_MM = 15
MIN_CHART_MM = 45  # below this height the chart is left out rather than squeezed
_DEJAVU_DIR = "fonts/ttf"


@dataclass(frozen=True, slots=True)
class ScoreRun:
    """A series of scores in the period: how many, the first, the latest, the average."""

    count: int
    first: ScorePoint
    last: ScorePoint
    mean: float


@dataclass(frozen=True, slots=True)
class ReportFigures:
    week: int | None  # of the programme's course, if there is a programme
    course_weeks: int | None
    adherence: Adherence | None  # None: no days were planned
    days_done: int  # every day done in the period, planned or not
    left_out: int  # planned days lost to the bot's downtime (and not done)
    pain: ScoreRun | None
    activity: ScoreRun | None


def score_run(scores: tuple[ScorePoint, ...]) -> ScoreRun | None:
    """First, latest and average (one decimal) of a series; None when it is empty."""
    if not scores:
        return None
    return ScoreRun(len(scores), scores[0], scores[-1], round(fmean(s.score for s in scores), 1))


def report_figures(summary: PatientSummary) -> ReportFigures:
    """The numbers the page shows.

    Planned days run from the plan's start (or the period's) to its end (or
    today); today counts only once it is done, since its routine can still
    come; a day whose reminder the bot could not send is left out unless done.
    """
    done = set(summary.done_days)
    planned: list[date] = []
    left_out = 0
    plan = summary.plan
    if plan is not None:
        start = max(plan.start_date, summary.first_day)
        end = min(plan.end_date or summary.last_day, summary.last_day)
        missed = set(summary.missed_days)
        for day in planned_days(plan.weekdays, start, end):
            if day in done:
                planned.append(day)
            elif day in missed:
                left_out += 1
            elif day != summary.last_day:
                planned.append(day)
    week = course_weeks = None
    if summary.programme is not None:
        programme = summary.programme
        course_weeks = programme.course_weeks
        until = min(programme.ended_on or summary.last_day, summary.last_day)
        week = week_of_course(programme.start_date, until)
        if course_weeks is not None:
            week = min(week, course_weeks)
    return ReportFigures(
        week=week,
        course_weeks=course_weeks,
        adherence=adherence(done, planned) if planned else None,
        days_done=len(done),
        left_out=left_out,
        pain=score_run(summary.pain),
        activity=score_run(summary.activity),
    )


def _decimal(tr: Translator, value: float) -> str:
    """A score with one decimal as the locale writes it (6.5, 6,5); whole ones without."""
    return (
        tr.number(int(value))
        if value == int(value)
        else format_decimal(value, format="0.0", locale=tr.locale)
    )


def _fonts(language: Language) -> tuple[tuple[Path, Path], tuple[Path, Path]]:
    """(regular, bold) of the language's font, then of the one for what it lacks.

    Chinese in a programme's title on an English page, or accented letters on
    a Chinese one, come from the other font.
    """
    import matplotlib

    base = Path(matplotlib.get_data_path()) / _DEJAVU_DIR
    dejavu = base / "DejaVuSans.ttf", base / "DejaVuSans-Bold.ttf"
    chinese = REPORT_FONT_FILES["regular"], REPORT_FONT_FILES["bold"]
    return (chinese, dejavu) if language == "zh" else (dejavu, chinese)


def report_lines(
    summary: PatientSummary, tr: Translator, clinic_name: str
) -> list[tuple[str, str]]:
    """The page's text as (style, text): "title", "sub", "heading", "text", "small"."""
    figures = report_figures(summary)
    lines: list[tuple[str, str]] = [
        ("title", tr._(TITLE)),
        ("sub", tr._(FOR_CLINIC, clinic=clinic_name)),
        (
            "sub",
            tr._(
                PERIOD,
                weeks=tr.number(summary.weeks),
                first=tr.date(summary.first_day),
                last=tr.date(summary.last_day),
            ),
        ),
        ("heading", tr._(PROGRAMME_HEADING)),
    ]
    programme = summary.programme
    if programme is None:
        lines.append(("text", tr._(NO_PROGRAMME)))
    else:
        lines.append(
            (
                "text",
                tr._(
                    PROGRAMME_LINE,
                    title=programme.title,
                    practitioner=programme.practitioner_name,
                ),
            )
        )
        start = tr.date(programme.start_date)
        week = tr.number(figures.week or 1)
        if figures.course_weeks is not None:
            course = tr._(WEEK_OF, week=week, weeks=tr.number(figures.course_weeks), start=start)
        else:
            course = tr._(WEEK_OPEN, week=week, start=start)
        lines.append(("text", course))
        if programme.ended_on is not None and programme.status is EnrolmentStatus.FINISHED:
            lines.append(("text", tr._(FINISHED, day=tr.date(programme.ended_on))))
        elif programme.ended_on is not None and programme.status is EnrolmentStatus.LEFT:
            lines.append(("text", tr._(LEFT, day=tr.date(programme.ended_on))))

    lines.append(("heading", tr._(PRACTICE_HEADING)))
    if figures.adherence is not None and figures.adherence.share is not None:
        lines.append(
            (
                "text",
                tr._(
                    PLANNED_DONE,
                    done=tr.number(figures.adherence.done),
                    planned=tr.number(figures.adherence.planned),
                    percent=format_percent(figures.adherence.share, locale=tr.locale),
                ),
            )
        )
    elif summary.plan is None:
        lines.append(("text", tr._(NO_PLAN)))
    lines.append(("text", tr._(DAYS_DONE, n=tr.number(figures.days_done))))
    if figures.left_out:
        lines.append(("small", tr._(LEFT_OUT, n=tr.number(figures.left_out))))

    for heading, run in ((PAIN_HEADING, figures.pain), (ACTIVITY_HEADING, figures.activity)):
        lines.append(("heading", tr._(heading)))
        lines.append(("text", _run_line(tr, run)))

    # As the chat shows them: the PEG with one decimal (6.0), the RMDQ whole (12).
    for heading, scores, pattern, instrument in (
        (PEG_HEADING, summary.peg, "0.0", Instrument.PEG),
        (RMDQ_HEADING, summary.rmdq, "0", Instrument.RMDQ),
    ):
        if scores:
            questionnaire = questionnaires().get(instrument)
            lines.append(("heading", tr._(heading)))
            shown = [
                f"{format_decimal(s.score, format=pattern, locale=tr.locale)}"
                f"{questionnaire.mark(s.wording)} ({tr.date(s.local_date)})"
                for s in scores
            ]
            lines.append(("text", tr.list(shown)))
            if any(questionnaire.mark(s.wording) for s in scores):
                lines.append(("small", tr._(NOT_VALIDATED)))

    lines.append(("heading", tr._(SORE_HEADING)))
    if summary.adverse_events:
        days = [tr.date(event.local_date) for event in summary.adverse_events]
        lines.append(("text", tr._(SORE_DAYS, days=tr.list(days))))
    else:
        lines.append(("text", tr._(NO_SORE)))
    return lines


def _run_line(tr: Translator, run: ScoreRun | None) -> str:
    if run is None:
        return tr._(NO_ANSWERS)
    if run.count == 1:
        first = run.first
        return tr._(ONE_SCORE, score=_decimal(tr, first.score), day=tr.date(first.local_date))
    return tr._(
        SCORE_LINE,
        count=tr.number(run.count),
        first=_decimal(tr, run.first.score),
        first_day=tr.date(run.first.local_date),
        last=_decimal(tr, run.last.score),
        last_day=tr.date(run.last.local_date),
        mean=_decimal(tr, run.mean),
    )


_STYLES = {  # (bold, size in points, space before in mm)
    "title": (True, 20, 0.0),
    "sub": (False, 11, 1.0),
    "heading": (True, 12, 4.0),
    "text": (False, 10.5, 0.5),
    "small": (False, 9, 0.5),
}


def render_visit_report(
    summary: PatientSummary, tr: Translator, clinic_name: str, chart_png: bytes | None
) -> bytes:
    """The one-page PDF, in the translator's language; the chart fills the room left."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
    pdf.set_auto_page_break(False)
    # Dated by the summary, not the clock: the same data gives the same bytes.
    pdf.set_creation_date(datetime.combine(summary.last_day, time(), UTC))
    pdf.set_title(tr._(TITLE))
    pdf.set_lang({"en": "en", "es": "es", "zh": "zh-Hans"}[tr.language])
    lines = report_lines(summary, tr, clinic_name)
    footer = [tr._(NOT_A_DIAGNOSIS), tr._(MADE_ON, day=tr.date(summary.last_day))]
    wanted = set("".join([text for _, text in lines] + footer + [tr._(CHART_HEADING)]))
    # Each font added is read and subset again (most of the page's CPU): the other
    # font only when the page has a character the language's font lacks.
    (regular, bold), other = _fonts(tr.language)
    families = [("report", regular, bold)]
    if wanted - _characters(regular) - set("\n"):
        families.append(("other", *other))
    for family, regular_file, bold_file in families:
        pdf.add_font(family, "", str(regular_file))
        pdf.add_font(family, "B", str(bold_file))
    if len(families) > 1:
        pdf.set_fallback_fonts(["other"])
    pdf.add_page()
    width = pdf.w - 2 * PAGE_MARGIN_MM

    def write(style: str, text: str) -> None:
        is_bold, size, before = _STYLES[style]
        pdf.set_font("report", "B" if is_bold else "", size)
        pdf.set_y(pdf.get_y() + before)
        pdf.multi_cell(width, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")

    for style, text in lines:
        write(style, text)

    footer_top = pdf.h - PAGE_MARGIN_MM - 16
    if chart_png is not None:
        write("heading", tr._(CHART_HEADING))
        top = pdf.get_y() + 2
        room = footer_top - 3 - top
        height = min(room, width * 0.75)  # the chart's own proportions (4:3)
        if height >= MIN_CHART_MM:
            pdf.image(io.BytesIO(chart_png), x=(pdf.w - height / 0.75) / 2, y=top, h=height)
    pdf.set_y(max(pdf.get_y(), footer_top))
    for text in footer:
        write("small", text)
    return bytes(pdf.output())


@cache
def _characters(path: Path) -> frozenset[str]:
    return font_characters(path)


def chart_data(summary: PatientSummary) -> ProgressData:
    """The summary as the progress chart reads it."""
    plan = summary.plan
    return ProgressData(
        done_days=summary.done_days,
        pain=tuple(Score(s.local_date, round(s.score)) for s in summary.pain),
        activity=tuple(Score(s.local_date, round(s.score)) for s in summary.activity),
        missed_days=summary.missed_days,
        plan=PracticePlan(plan.weekdays, plan.start_date) if plan is not None else None,
    )


def build_visit_report(
    summary: PatientSummary, language: Language, clinic_name: str, words: ChartWords
) -> bytes:
    """Chart and page in one call, for the worker process: the PDF's bytes."""
    length = (summary.last_day - summary.first_day).days + 1
    chart = render_progress_chart(chart_data(summary), summary.last_day, words, length)
    return render_visit_report(summary, translator(language), clinic_name, chart)


def report_filename(today: date) -> str:
    return f"acubot-report-{today:%Y-%m-%d}.pdf"


def warm_up() -> None:
    """The chart's warm-up, then one page: the worker's first /report is then quick too."""
    from scheduler.progress_chart import warm_up as warm_up_chart
    from storage.patient_summary import REPORT_WEEKS

    warm_up_chart()
    day = date(2000, 1, 1)
    empty = PatientSummary(
        user_id=0,
        weeks=REPORT_WEEKS[0],
        first_day=day,
        last_day=day,
        programme=None,
        plan=None,
        done_days=(),
        missed_days=(),
        pain=(),
        activity=(),
        adverse_events=(),
    )
    render_visit_report(empty, translator("en"), "", None)
