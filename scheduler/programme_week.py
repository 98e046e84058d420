"""Where a patient is in a home programme: week n of m, days done this week against the goal.

Pure. A programme's weeks are counted from the patient's own start date (the
first week is the start date and the six days after it), in the patient's
local days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ProgrammeWeek:
    week: int  # 1-based
    of_weeks: int | None  # None: open-ended
    done_this_week: int  # days with the routine done, in this programme week so far
    goal: int  # days a week the programme asks for
    week_start: date
    finished: bool  # the course's last day has passed

    @property
    def week_end(self) -> date:
        return self.week_start + WEEK - timedelta(days=1)


def programme_week(
    *,
    start_date: date,
    today: date,
    course_weeks: int | None,
    goal: int,
    done_days: Iterable[date],
) -> ProgrammeWeek:
    """The programme week `today` falls in, and how many days of it were done."""
    elapsed = max(0, (today - start_date).days)
    week = elapsed // 7 + 1
    finished = course_weeks is not None and week > course_weeks
    if finished and course_weeks is not None:
        week = course_weeks
    week_start = start_date + (week - 1) * WEEK
    week_end = week_start + WEEK
    done = sum(1 for day in set(done_days) if week_start <= day < week_end and day <= today)
    return ProgrammeWeek(week, course_weeks, done, goal, week_start, finished)
