"""The programme card: what the patient (and the staff preview) sees of a programme."""

from __future__ import annotations

import re

import pytest

from content.catalogue import load_catalogues
from content.i18n import translator
from content.languages import Language
from handlers.programme_view import programme_card, schedule_text, weekdays_text
from storage.programmes import ProgrammeSpec, ProgrammeStep, Schedule, weekday_mask

CATALOGUES = load_catalogues()


def spec(**changes: object) -> ProgrammeSpec:
    values: dict[str, object] = {
        "title": "Back care",
        "practitioner_name": "Dr Lee",
        "steps": (
            ProgrammeStep("BL40", 60, "Gently, sitting down"),
            ProgrammeStep("GB30", 90),
        ),
        "note": "Twice a week is enough to start.",
    }
    values.update(changes)
    return ProgrammeSpec(**values)  # type: ignore[arg-type]


def card(language: Language = "en", **changes: object) -> str:
    pregnant = bool(changes.pop("pregnant", False))
    return programme_card(
        translator(language), CATALOGUES[language], spec(**changes), pregnant=pregnant
    )


def test_card_has_title_note_points_in_order_and_holds() -> None:
    text = card()
    assert "<b>Back care</b>" in text
    assert "Dr Lee" in text
    assert "Twice a week is enough to start." in text
    assert text.index("BL40") < text.index("GB30")
    assert "Wěizhōng · Middle of the Crook, hold 60 seconds" in text
    assert "hold 90 seconds" in text
    assert "<i>Gently, sitting down</i>" in text
    assert "Every day" in text
    assert "1 reminder a day" in text
    assert "Open-ended" in text


def test_staff_text_is_escaped() -> None:
    text = card(
        title="<b>x</b>",
        practitioner_name="A & B",
        note="<script>",
        steps=(ProgrammeStep("BL40", 30, "<i>hi</i>"),),
    )
    assert "&lt;b&gt;x&lt;/b&gt;" in text
    assert "A &amp; B" in text
    assert "&lt;script&gt;" in text
    assert "&lt;i&gt;hi&lt;/i&gt;" in text
    # Only our own tags remain.
    assert set(re.findall(r"</?([a-z]+)", text)) <= {"b", "i", "s"}


def test_schedules_in_words() -> None:
    tr = translator("en")
    assert schedule_text(tr, spec()) == "Every day"
    mwf = spec(schedule=Schedule.WEEKDAYS, weekdays=weekday_mask([0, 2, 4]))
    assert schedule_text(tr, mwf) == "Every Monday, Wednesday, and Friday"
    assert "3 days a week, on the days you choose" in schedule_text(
        tr, spec(schedule=Schedule.PER_WEEK, days_per_week=3)
    )
    assert schedule_text(tr, spec(schedule=Schedule.PER_WEEK, days_per_week=7)) == "Every day"
    assert weekdays_text(translator("es"), weekday_mask([0, 4])) == "lunes y viernes"


def test_reminders_and_course() -> None:
    text = card(times_per_day=2, course_weeks=6)
    assert "2 reminders a day" in text
    assert "A course of 6 weeks" in text
    assert "A course of 1 week" in card(course_weeks=1)


def test_point_no_longer_in_the_catalogue_is_shown_as_skipped() -> None:
    text = card(steps=(ProgrammeStep("ZZ99", 60, "old note"), ProgrammeStep("BL40", 60)))
    assert "ZZ99</b> (no longer in our point list: skipped)" in text
    assert "old note" not in text
    assert "Middle of the Crook" in text


def test_pregnancy_marks_flagged_points_as_left_out() -> None:
    steps = (ProgrammeStep("BL23", 60), ProgrammeStep("BL40", 60))
    plain = card(steps=steps)
    assert "Left out while you are pregnant" not in plain
    text = card(steps=steps, pregnant=True)
    flagged, safe = text.split("\n2. ")
    assert "Left out while you are pregnant" in flagged
    assert "BL23" in flagged
    assert "hold 60 seconds" in safe


@pytest.mark.parametrize("language", ["es", "zh"])
def test_card_is_in_the_patients_language(language: Language) -> None:
    text = card(language, course_weeks=6, schedule=Schedule.PER_WEEK, days_per_week=3)
    english = card("en", course_weeks=6, schedule=Schedule.PER_WEEK, days_per_week=3)
    for sentence in ("Your points", "reminder a day", "days a week", "A course of", "hold 60"):
        assert sentence not in text
        assert sentence in english
    # The point's name comes from that language's catalogue.
    assert CATALOGUES[language].point("BL40").english in text  # type: ignore[union-attr]
