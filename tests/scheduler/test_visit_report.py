"""The visit summary PDF: valid, one page, and its text holds the figures, in every language."""

from __future__ import annotations

import io
import logging
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from content.i18n import translator
from handlers.progress import chart_words
from scheduler.visit_report import (
    NOT_A_DIAGNOSIS,
    build_visit_report,
    render_visit_report,
    report_figures,
)
from storage.patient_summary import (
    AdverseReport,
    PatientSummary,
    PracticeDays,
    ProgrammeFollowed,
    ScorePoint,
)
from storage.programmes import EnrolmentStatus, weekday_mask

TODAY = date(2027, 3, 19)  # a Friday
FIRST = TODAY - timedelta(days=27)
START = date(2027, 3, 1)
CLINIC = "River Forest Health & Wellness"
DAY = timedelta(days=1)


def summary(**changes: object) -> PatientSummary:
    values: dict[str, object] = {
        "user_id": 1,
        "weeks": 4,
        "first_day": FIRST,
        "last_day": TODAY,
        "programme": ProgrammeFollowed(
            "Low back", "Dr Lin", START, 6, EnrolmentStatus.ACTIVE, None
        ),
        "plan": PracticeDays(weekday_mask([0, 2, 4]), START, START + 41 * DAY),
        # Mon 1, Wed 3, Mon 8, Fri 12 of the 8 planned days before today: 4 of 8.
        "done_days": (START, START + 2 * DAY, START + 7 * DAY, START + 11 * DAY),
        "missed_days": (),
        "pain": (ScorePoint(START, 7), ScorePoint(START + 2 * DAY, 6), ScorePoint(TODAY, 3)),
        "activity": (ScorePoint(START + 6 * DAY, 5), ScorePoint(START + 13 * DAY, 4)),
        "adverse_events": (AdverseReport(START + 2 * DAY, "sore", "programme"),),
        "peg": (ScorePoint(START, 6.3), ScorePoint(START + 14 * DAY, 4.7)),
        "rmdq": (ScorePoint(START, 11), ScorePoint(START + 14 * DAY, 6)),
    }
    values.update(changes)
    return PatientSummary(**values)  # type: ignore[arg-type]


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def test_the_figures() -> None:
    figures = report_figures(summary())
    assert figures.adherence is not None
    assert (figures.adherence.done, figures.adherence.planned) == (4, 8)
    assert figures.week == 3 and figures.course_weeks == 6
    assert figures.pain is not None and figures.pain.mean == 5.3
    # A finished course reports its last week, never week 7 of 6.
    finished = ProgrammeFollowed(
        "Low back", "Dr Lin", START - 50 * DAY, 6, EnrolmentStatus.FINISHED, START - 9 * DAY
    )
    assert report_figures(summary(programme=finished)).week == 6


def test_the_english_page_holds_every_figure(caplog: pytest.LogCaptureFixture) -> None:
    tr = translator("en")
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pdf = build_visit_report(summary(), "en", CLINIC, chart_words(tr, TODAY, 28))
    assert pdf.startswith(b"%PDF-")
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    text = pdf_text(pdf)
    for expected in (
        "Home care summary",
        CLINIC,
        "Feb 20, 2027",  # the period's first day
        "Mar 19, 2027",
        "Low back, from Dr Lin",
        "Week 3 of 6",
        "Planned days done: 4 of 8 (50%)",
        "First 7 (Mar 1, 2027), latest 3 (Mar 19, 2027), average 5.3",
        "First 5 (Mar 7, 2027), latest 4 (Mar 14, 2027), average 4.5",
        "6.3 (Mar 1, 2027)",
        "4.7 (Mar 15, 2027)",  # PEG
        "11 (Mar 1, 2027)",
        "6 (Mar 15, 2027)",  # RMDQ
        "Reported on: Mar 3, 2027",
        "General information, not a diagnosis",
    ):
        assert expected in text, expected
    assert " ".join(NOT_A_DIAGNOSIS.split()) in text


def test_the_spanish_page_is_spanish() -> None:
    tr = translator("es")
    pdf = render_visit_report(summary(), tr, CLINIC, None)
    text = pdf_text(pdf)
    for expected in (
        "Resumen de cuidados en casa",
        CLINIC,
        "Semana 3 de 6",
        "Días previstos hechos: 4 de 8 (50 %)",
        "media 5,3",
        "6,3 (1 mar 2027)",
        "Avisado el: 3 mar 2027",
        "Información general, no un diagnóstico",
    ):
        assert expected in text.replace("\xa0", " "), expected


def test_the_chinese_page_has_every_glyph(caplog: pytest.LogCaptureFixture) -> None:
    tr = translator("zh")
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pdf = build_visit_report(
            summary(programme=None, plan=None), "zh", tr._("our clinic"), chart_words(tr, TODAY, 28)
        )
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    text = pdf_text(pdf)
    for expected in ("居家护理小结", "我们诊所", "2027年3月19日", "一般信息，不是诊断", "6.3"):
        assert expected in text, expected
    assert "\x00" not in text


def test_without_questionnaires_or_reports_the_page_says_so() -> None:
    pdf = render_visit_report(
        summary(peg=(), rmdq=(), adverse_events=(), activity=()), translator("en"), CLINIC, None
    )
    text = pdf_text(pdf)
    assert "PEG" not in text and "Roland-Morris" not in text
    assert "None reported." in text
    assert "No answers in this period." in text


def test_a_long_period_still_fits_one_page() -> None:
    """Six weeks of daily pain answers and a chart: still one page (the chart shrinks)."""
    tr = translator("en")
    first = TODAY - timedelta(days=41)
    days = [first + n * DAY for n in range(42)]
    long = summary(
        weeks=6,
        first_day=first,
        done_days=tuple(days),
        pain=tuple(ScorePoint(day, n % 11) for n, day in enumerate(days)),
        adverse_events=tuple(AdverseReport(day, "sore", "programme") for day in days[::3]),
        peg=tuple(ScorePoint(day, 5.0) for day in days[::7]),
        rmdq=tuple(ScorePoint(day, 9) for day in days[::14]),
    )
    pdf = build_visit_report(long, "en", CLINIC, chart_words(tr, TODAY, 42))
    assert "Planned days done" in pdf_text(pdf)


@pytest.mark.parametrize(
    ("language", "title", "practitioner"),
    [("en", "腰背 home care", "Dr Lin"), ("zh", "Espalda baja", "Dra. Pérez Núñez")],
)
def test_a_title_in_another_script_takes_the_other_font(
    language: str, title: str, practitioner: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Chinese in a programme's title on an English page, accents on a Chinese one."""
    programme = ProgrammeFollowed(title, practitioner, START, 6, EnrolmentStatus.ACTIVE, None)
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pdf = render_visit_report(
            summary(programme=programme),
            translator(language),
            CLINIC,
            None,  # type: ignore[arg-type]
        )
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    text = pdf_text(pdf)
    assert title in text and practitioner in text


def test_the_workers_warm_up_draws_a_page() -> None:
    from scheduler.visit_report import warm_up

    warm_up()  # the chart and an empty page, with no error
