"""The patient's view of a home programme: one card, in the patient's language.

The staff preview (/prescribe) and the patient's screens (/start <code>,
/programme) show the same card. Everything the practitioner typed (title,
notes, their name) is escaped; point names come from the catalogue of the
patient's language.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from content.catalogue import Catalogue
from content.i18n import Translator
from content.schema import Point
from handlers.render import fit
from storage.programmes import ALL_WEEKDAYS, ProgrammeSpec, Schedule, weekdays_of

# A Monday: weekday names are read from the translator's dates.
_A_MONDAY = date(2024, 1, 1)


def weekday_name(tr: Translator, weekday: int) -> str:
    """A weekday's name (Monday 0 ... Sunday 6) in the patient's language."""
    return tr.weekday(_A_MONDAY + timedelta(days=weekday))


def weekdays_text(tr: Translator, mask: int) -> str:
    """The days of a weekday mask in words: "Monday, Wednesday, and Friday"."""
    return tr.list([weekday_name(tr, day) for day in weekdays_of(mask)])


def schedule_text(tr: Translator, spec: ProgrammeSpec) -> str:
    """How often the programme asks for practice, in one line."""
    if spec.schedule is Schedule.PER_WEEK and spec.days_per_week and spec.days_per_week < 7:
        return tr.n_(
            "{n} day a week, on the day you choose",
            "{n} days a week, on the days you choose",
            spec.days_per_week,
        )
    if spec.schedule is Schedule.WEEKDAYS and spec.weekdays & ALL_WEEKDAYS != ALL_WEEKDAYS:
        return tr._("Every {days}", days=weekdays_text(tr, spec.weekdays))
    return tr._("Every day")


def reminders_text(tr: Translator, times_per_day: int) -> str:
    return tr.n_("{n} reminder a day", "{n} reminders a day", times_per_day)


def course_text(tr: Translator, course_weeks: int | None) -> str:
    if course_weeks is None:
        return tr._("Open-ended: no set end date")
    return tr.n_("A course of {n} week", "A course of {n} weeks", course_weeks)


def point_name(point: Point, tr: Translator) -> str:
    """A point's names for a list line: pinyin and the name in the patient's language."""
    if tr.language == "zh":
        return f"{point.pinyin} {point.hanzi_simplified} · {point.english}"
    return f"{point.pinyin} · {point.english}"


def programme_card(
    tr: Translator, catalogue: Catalogue, spec: ProgrammeSpec, *, pregnant: bool = False
) -> str:
    """A programme as the patient sees it, in Telegram HTML.

    The points come in the practitioner's order with their holds and notes; a
    point the catalogue no longer has is shown as skipped, and while the
    patient is pregnant a point traditionally avoided in pregnancy is shown as
    left out (as the guided routine leaves it out).
    """
    lines = [
        f"📋 <b>{escape(spec.title)}</b>",
        tr._("From {name}", name=escape(spec.practitioner_name)),
    ]
    if spec.note:
        lines += ["", f"💬 <i>{escape(spec.note)}</i>"]
    lines += ["", tr._("<b>Your points</b>")]
    for number, step in enumerate(spec.steps, start=1):
        point = catalogue.point(step.point)
        code = escape(step.point)
        if point is None:
            lines.append(
                f"{tr.number(number)}. <b>{code}</b> "
                + tr._("(no longer in our point list: skipped)")
            )
            continue
        hold = tr.n_("hold {n} second", "hold {n} seconds", step.hold_seconds)
        line = f"{tr.number(number)}. <b>{code}</b> {escape(point_name(point, tr))}, {hold}"
        if pregnant and point.pregnancy_caution:
            line = f"{tr.number(number)}. <s><b>{code}</b> {escape(point_name(point, tr))}</s>"
            line += "\n   🤰 " + tr._(
                "Left out while you are pregnant: it is traditionally avoided in pregnancy."
            )
        elif step.note:
            line += f"\n   <i>{escape(step.note)}</i>"
        lines.append(line)
    lines += [
        "",
        tr._("<b>When</b>"),
        f"📅 {schedule_text(tr, spec)}",
        f"⏰ {reminders_text(tr, spec.times_per_day)}",
        f"🗓 {course_text(tr, spec.course_weeks)}",
    ]
    return fit("\n".join(lines))
