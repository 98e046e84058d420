"""scheduler.visit_rules: when a visit's reminders are due (properties over zones and DST),
and reading the visit time a patient types, with every bad input of the issue."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.visit_rules import (
    VISIT_EMPTY,
    VISIT_IN_GAP,
    VISIT_NO_SUCH_DATE,
    VISIT_NO_TIME,
    VISIT_PAST,
    VISIT_TOO_FAR,
    VISIT_UNREADABLE,
    ReminderKind,
    is_quiet,
    parse_visit_time,
    reminder_plan,
    visit_mention,
)

UTC = datetime.UTC
CHICAGO = ZoneInfo("America/Chicago")
# Zones with DST in both hemispheres, a 30-minute shift, odd offsets, and none.
ZONES = [
    "America/Chicago",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Madrid",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/St_Johns",
]
SIX_PM = datetime.time(18, 0)
TWO_HOURS = datetime.timedelta(hours=2)


def _plan(starts_at: datetime.datetime, zone: ZoneInfo, now: datetime.datetime, **kw: object):
    options: dict[str, object] = {"day_before_at": SIX_PM, "lead": TWO_HOURS} | kw
    return {r.kind: r.due_at for r in reminder_plan(starts_at, zone, now=now, **options)}  # type: ignore[arg-type]


instants = st.datetimes(
    min_value=datetime.datetime(2026, 1, 1), max_value=datetime.datetime(2030, 12, 31)
).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC))


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    starts_at=instants,
    ahead=st.timedeltas(
        min_value=datetime.timedelta(days=3), max_value=datetime.timedelta(days=60)
    ),
    day_before_at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    lead_minutes=st.integers(30, 6 * 60),
)
def test_every_reminder_comes_before_the_visit_outside_quiet_hours(
    zone: str,
    starts_at: datetime.datetime,
    ahead: datetime.timedelta,
    day_before_at: datetime.time,
    lead_minutes: int,
) -> None:
    tz = ZoneInfo(zone)
    now = starts_at - ahead
    plan = _plan(
        starts_at,
        tz,
        now,
        day_before_at=day_before_at,
        lead=datetime.timedelta(minutes=lead_minutes),
    )
    for kind, due in plan.items():
        assert now < due <= starts_at
        if kind != ReminderKind.NO_ANSWER:
            assert due < starts_at
            if not is_quiet(starts_at, tz):
                assert not is_quiet(due, tz), (kind, due.astimezone(tz))
    # Days ahead, the lead reminder is always there; the day-before one too (on
    # the patient's local day before) unless the lead one took its place the evening before.
    assert ReminderKind.LEAD in plan
    visit_day = starts_at.astimezone(tz).date()
    if is_quiet(starts_at, tz) or plan[ReminderKind.LEAD].astimezone(tz).date() != visit_day:
        return
    assert ReminderKind.DAY_BEFORE in plan
    assert plan[ReminderKind.DAY_BEFORE].astimezone(tz).date() == visit_day - datetime.timedelta(
        days=1
    )
    assert plan[ReminderKind.DAY_BEFORE] < plan[ReminderKind.NO_ANSWER]


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(ZONES), starts_at=instants)
def test_the_day_before_reminder_is_at_six_pm_local_whatever_the_offset(
    zone: str, starts_at: datetime.datetime
) -> None:
    tz = ZoneInfo(zone)
    plan = _plan(starts_at, tz, starts_at - datetime.timedelta(days=10))
    local = plan[ReminderKind.DAY_BEFORE].astimezone(tz)
    assert (local.hour, local.minute) == (18, 0)


def test_day_before_at_six_pm_across_the_spring_change() -> None:
    # Visit Monday 15 March 2027, 09:00 Chicago; the clocks went forward on the 14th.
    starts_at = datetime.datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    plan = _plan(starts_at, CHICAGO, datetime.datetime(2027, 3, 1, tzinfo=UTC))
    assert plan[ReminderKind.DAY_BEFORE] == datetime.datetime(2027, 3, 14, 23, 0, tzinfo=UTC)
    assert plan[ReminderKind.LEAD] == datetime.datetime(2027, 3, 15, 13, 0, tzinfo=UTC)  # 08:00
    assert plan[ReminderKind.NO_ANSWER] == datetime.datetime(2027, 3, 15, 13, 0, tzinfo=UTC)


def test_a_lead_reminder_in_quiet_hours_moves_to_eight_am() -> None:
    # A 09:30 visit, 2 h lead: 07:30 is quiet, so 08:00.
    starts_at = datetime.datetime(2027, 6, 2, 14, 30, tzinfo=UTC)  # 09:30 CDT
    plan = _plan(starts_at, CHICAGO, datetime.datetime(2027, 5, 1, tzinfo=UTC))
    assert plan[ReminderKind.LEAD].astimezone(CHICAGO).time() == datetime.time(8, 0)


def test_a_lead_reminder_that_cannot_fit_after_eight_goes_the_evening_before() -> None:
    starts_at = datetime.datetime(2027, 6, 2, 13, 0, tzinfo=UTC)  # 08:00 CDT
    plan = _plan(starts_at, CHICAGO, datetime.datetime(2027, 5, 1, tzinfo=UTC))
    lead = plan[ReminderKind.LEAD].astimezone(CHICAGO)
    assert (lead.date(), lead.time()) == (datetime.date(2027, 6, 1), datetime.time(20, 0))


def test_a_day_before_time_in_quiet_hours_moves_to_the_evening() -> None:
    starts_at = datetime.datetime(2027, 6, 2, 20, 0, tzinfo=UTC)
    plan = _plan(
        starts_at, CHICAGO, datetime.datetime(2027, 5, 1, tzinfo=UTC),
        day_before_at=datetime.time(22, 0),
    )  # fmt: skip
    local = plan[ReminderKind.DAY_BEFORE].astimezone(CHICAGO)
    assert (local.date(), local.time()) == (datetime.date(2027, 6, 1), datetime.time(20, 0))


def test_an_early_visit_may_be_reminded_in_quiet_hours() -> None:
    starts_at = datetime.datetime(2027, 6, 2, 12, 30, tzinfo=UTC)  # 07:30 CDT
    plan = _plan(starts_at, CHICAGO, datetime.datetime(2027, 5, 1, tzinfo=UTC))
    assert plan[ReminderKind.LEAD].astimezone(CHICAGO).time() == datetime.time(5, 30)


def test_reminders_already_past_when_the_visit_is_entered_are_not_planned() -> None:
    starts_at = datetime.datetime(2027, 6, 2, 20, 0, tzinfo=UTC)  # 15:00 CDT
    entered = datetime.datetime(2027, 6, 2, 0, 0, tzinfo=UTC)  # 19:00 the evening before
    plan = _plan(starts_at, CHICAGO, entered)
    assert set(plan) == {ReminderKind.LEAD}


def test_the_patients_zone_decides_not_the_clinics() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    starts_at = datetime.datetime(2027, 6, 2, 15, 0, tzinfo=UTC)
    plan = _plan(starts_at, madrid, datetime.datetime(2027, 5, 1, tzinfo=UTC))
    assert plan[ReminderKind.DAY_BEFORE] == datetime.datetime(2027, 6, 1, 16, 0, tzinfo=UTC)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        reminder_plan(
            datetime.datetime(2027, 6, 2, 15, 0),
            CHICAGO,
            day_before_at=SIX_PM,
            lead=TWO_HOURS,
            now=datetime.datetime(2027, 5, 1, tzinfo=UTC),
        )


# Monday 1 March 2027, 09:00 in Chicago.
NOW = datetime.datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("friday 3pm", datetime.datetime(2027, 3, 5, 15, 0)),
        ("Friday 3 PM", datetime.datetime(2027, 3, 5, 15, 0)),
        ("my next appointment is friday 3pm", datetime.datetime(2027, 3, 5, 15, 0)),
        ("next friday at 3:30 pm", datetime.datetime(2027, 3, 5, 15, 30)),
        ("tomorrow 15:00", datetime.datetime(2027, 3, 2, 15, 0)),
        ("2027-03-15 15:00", datetime.datetime(2027, 3, 15, 15, 0)),
        ("2027-03-15T15:00", datetime.datetime(2027, 3, 15, 15, 0)),
        ("march 15 3pm", datetime.datetime(2027, 3, 15, 15, 0)),
        ("15 marzo 15:00", datetime.datetime(2027, 3, 15, 15, 0)),
        ("mañana 15:00", datetime.datetime(2027, 3, 2, 15, 0)),
        ("viernes 15:00", datetime.datetime(2027, 3, 5, 15, 0)),
        ("明天 15:00", datetime.datetime(2027, 3, 2, 15, 0)),
        ("周五15:00", datetime.datetime(2027, 3, 5, 15, 0)),
        ("today 17:00", datetime.datetime(2027, 3, 1, 17, 0)),
        # Monday at 8 has passed this Monday: next Monday.
        ("monday 8am", datetime.datetime(2027, 3, 8, 8, 0)),
        # 1 February has passed this year: next year's.
        ("february 1 10:00", datetime.datetime(2028, 2, 1, 10, 0)),
        # The repeated hour of the autumn change: the first 1:30.
        ("2027-11-07 1:30", datetime.datetime(2027, 11, 7, 1, 30)),
    ],
)
def test_reads_the_visit_time_in_the_patients_zone(typed: str, local: datetime.datetime) -> None:
    parsed = parse_visit_time(typed, CHICAGO, NOW)
    assert parsed.problem is None, parsed.problem
    assert parsed.starts_at == local.replace(tzinfo=CHICAGO).astimezone(UTC)


def test_the_first_of_a_repeated_hour_is_meant() -> None:
    parsed = parse_visit_time("2027-11-07 1:30", CHICAGO, NOW)
    assert parsed.starts_at == datetime.datetime(2027, 11, 7, 6, 30, tzinfo=UTC)  # CDT


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", VISIT_EMPTY),
        ("   ", VISIT_EMPTY),
        ("hello there", VISIT_UNREADABLE),
        ("friday", VISIT_NO_TIME),
        ("tomorrow", VISIT_NO_TIME),
        ("2027-02-30 10:00", VISIT_NO_SUCH_DATE),
        ("2027-13-01 10:00", VISIT_NO_SUCH_DATE),
        ("february 30 10:00", VISIT_NO_SUCH_DATE),
        ("2027-03-01 08:00", VISIT_PAST),
        ("2026-12-25 10:00", VISIT_PAST),
        ("today 8am", VISIT_PAST),
        ("2028-03-02 10:00", VISIT_TOO_FAR),
        ("x" * 500, VISIT_UNREADABLE),
        ("tomorrow 25:00", VISIT_UNREADABLE),
    ],
)
def test_bad_visit_times_are_refused_with_a_reason(typed: str, problem: str) -> None:
    parsed = parse_visit_time(typed, CHICAGO, NOW)
    assert parsed.starts_at is None
    assert parsed.problem == problem


def test_a_time_in_the_spring_gap_is_asked_again_with_the_nearest_valid_time() -> None:
    parsed = parse_visit_time("2027-03-14 2:30", CHICAGO, NOW)
    assert parsed.starts_at is None
    assert parsed.problem == VISIT_IN_GAP
    assert parsed.suggestion is not None
    assert parsed.suggestion.astimezone(CHICAGO).replace(tzinfo=None) == datetime.datetime(
        2027, 3, 14, 3, 0
    )


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=100), zone=st.sampled_from(ZONES))
def test_never_raises_and_never_returns_a_past_or_far_time(text: str, zone: str) -> None:
    parsed = parse_visit_time(text, ZoneInfo(zone), NOW)
    assert (parsed.starts_at is None) != (parsed.problem is None)
    if parsed.starts_at is not None:
        assert NOW < parsed.starts_at <= NOW + datetime.timedelta(days=365)


@pytest.mark.parametrize(
    ("said", "rest"),
    [
        ("my next appointment is friday 3pm", "friday 3pm"),
        ("My appointment is on Friday at 3 pm.", "friday at 3 pm"),
        ("mi próxima cita es el viernes a las 15:00", "viernes a las 15:00"),
        ("我的下次预约是周五15:00", "周五15:00"),
        ("appointment", None),
        ("kidney 3", None),
        ("remind me at 8", None),
    ],
)
def test_a_visit_said_in_own_words(said: str, rest: str | None) -> None:
    assert visit_mention(said) == rest
