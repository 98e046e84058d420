"""Where a patient is in a home programme: course weeks, planned days, this week, adherence.

Pure date arithmetic on the patient's local dates, no I/O. A course of n
weeks starts on the enrolment's local start date and lasts 7 n days, so
"week 2 of 6" counts from that date; "this week" for the weekly goal is the
calendar week, Monday to Sunday, as the patient's week is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "Adherence",
    "WeekProgress",
    "adherence",
    "course_end_date",
    "planned_days",
    "week_of_course",
    "week_progress",
]

_DAY = timedelta(days=1)


def course_end_date(start_date: date, course_weeks: int) -> date:
    """The course's last local day: 7 days a week, counting the start date."""
    if course_weeks < 1:
        raise ValueError("a course is at least one week")
    return start_date + timedelta(days=7 * course_weeks - 1)


def week_of_course(start_date: date, today: date) -> int:
    """Which week of the course `today` is in, from 1 (the start date's week)."""
    return max(0, (today - start_date).days) // 7 + 1


def planned_days(weekdays: int, start: date, end: date) -> list[date]:
    """The dates from `start` to `end` (both included) whose weekday is in the mask."""
    days = []
    day = start
    while day <= end:
        if weekdays & (1 << day.weekday()):
            days.append(day)
        day += _DAY
    return days


@dataclass(frozen=True, slots=True)
class WeekProgress:
    """Days practised this calendar week against the weekly goal."""

    done: int
    goal: int

    @property
    def reached(self) -> bool:
        return self.done >= self.goal


def week_progress(done_dates: Iterable[date], goal: int, today: date) -> WeekProgress:
    """Distinct days done from this week's Monday up to `today`, and the weekly goal."""
    monday = today - timedelta(days=today.weekday())
    done = {day for day in done_dates if monday <= day <= today}
    return WeekProgress(len(done), goal)


@dataclass(frozen=True, slots=True)
class Adherence:
    """Planned days that were done, of the days planned."""

    done: int
    planned: int

    @property
    def share(self) -> float | None:
        return self.done / self.planned if self.planned else None


def adherence(done_dates: Iterable[date], planned: Collection[date]) -> Adherence:
    """How many of the planned days were done (a day done off plan does not count)."""
    wanted = set(planned)
    return Adherence(len(wanted & set(done_dates)), len(wanted))
