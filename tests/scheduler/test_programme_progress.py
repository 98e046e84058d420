"""The programme's calendar: course end, week n of m, planned days, weekly goal, adherence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.programme_progress import (
    Adherence,
    WeekProgress,
    adherence,
    course_end_date,
    planned_days,
    week_of_course,
    week_progress,
)

MON_WED_FRI = 0b10101
MONDAY = date(2027, 3, 8)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1))
masks = st.integers(1, 127)


def test_a_six_week_course_ends_the_day_before_the_seventh_week() -> None:
    assert course_end_date(MONDAY, 6) == date(2027, 4, 18)  # a Sunday
    assert course_end_date(MONDAY, 1) == MONDAY + timedelta(days=6)
    with pytest.raises(ValueError):
        course_end_date(MONDAY, 0)


def test_weeks_of_the_course_count_from_the_start_date() -> None:
    assert week_of_course(MONDAY, MONDAY) == 1
    assert week_of_course(MONDAY, MONDAY + timedelta(days=6)) == 1
    assert week_of_course(MONDAY, MONDAY + timedelta(days=7)) == 2
    assert week_of_course(MONDAY, date(2027, 4, 18)) == 6
    assert week_of_course(MONDAY, MONDAY - timedelta(days=3)) == 1  # not started yet


def test_planned_days_follow_the_mask() -> None:
    assert planned_days(MON_WED_FRI, MONDAY, MONDAY + timedelta(days=6)) == [
        date(2027, 3, 8),
        date(2027, 3, 10),
        date(2027, 3, 12),
    ]
    assert planned_days(127, MONDAY, MONDAY - timedelta(days=1)) == []


def test_week_progress_counts_this_calendar_week_up_to_today() -> None:
    wednesday = MONDAY + timedelta(days=2)
    done = [MONDAY - timedelta(days=1), MONDAY, MONDAY, wednesday, wednesday + timedelta(days=1)]
    assert week_progress(done, 3, wednesday) == WeekProgress(2, 3)
    assert not week_progress(done, 3, wednesday).reached
    assert week_progress(done, 2, wednesday).reached


def test_adherence_counts_planned_days_done() -> None:
    planned = planned_days(MON_WED_FRI, MONDAY, MONDAY + timedelta(days=13))
    done = [MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=4)]
    assert adherence(done, planned) == Adherence(2, 6)
    assert adherence(done, planned).share == pytest.approx(1 / 3)
    assert adherence(done, []).share is None


@given(dates, st.integers(1, 26))
def test_a_course_is_whole_weeks(start: date, weeks: int) -> None:
    end = course_end_date(start, weeks)
    assert (end - start).days + 1 == 7 * weeks
    assert week_of_course(start, end) == weeks
    assert week_of_course(start, end + timedelta(days=1)) == weeks + 1
    assert len(planned_days(127, start, end)) == 7 * weeks


@given(masks, dates, st.integers(1, 26))
def test_planned_days_are_the_masks_days_each_week(mask: int, start: date, weeks: int) -> None:
    days = planned_days(mask, start, course_end_date(start, weeks))
    assert len(days) == bin(mask).count("1") * weeks
    assert all(mask & (1 << day.weekday()) for day in days)
    assert days == sorted(set(days))


@given(st.lists(dates), masks, dates, dates)
def test_adherence_is_never_more_than_planned(
    done: list[date], mask: int, start: date, end: date
) -> None:
    planned = planned_days(
        mask, min(start, end), min(max(start, end), min(start, end) + timedelta(days=400))
    )
    result = adherence(done, planned)
    assert 0 <= result.done <= result.planned == len(planned)


@given(st.lists(dates), dates, st.integers(1, 7))
def test_week_progress_is_at_most_the_days_so_far(done: list[date], today: date, goal: int) -> None:
    result = week_progress(done, goal, today)
    assert 0 <= result.done <= today.weekday() + 1
    assert result.goal == goal
