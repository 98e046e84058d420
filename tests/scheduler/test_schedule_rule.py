"""Tests for scheduler.schedule_rule: properties over many zones plus named DST cases.

The oracles here deliberately avoid PEP 495 `fold` handling (which the module
relies on): a wall time's occurrences are found by trying every UTC offset the
zone uses near that time and keeping those that actually map back to it.

"One firing per day" is counted per scheduled date, not per wall date of the
firing: where a gap ends exactly at midnight (America/Nuuk 23:00 -> 00:00) the
Saturday firing reads 00:00 Sunday, and Sunday also has its own.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import zoneinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.schedule_rule import (
    ALL_WEEKDAYS,
    Firing,
    NoOccurrenceError,
    local_date_of,
    next_fire_at,
    next_planned_fire,
    occurrence_on,
)

UTC = datetime.UTC
SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

CHICAGO = ZoneInfo("America/Chicago")
TOKYO = ZoneInfo("Asia/Tokyo")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")
APIA = ZoneInfo("Pacific/Apia")

# Zones that must be in the sample, plus ones with odd histories: 30-minute DST
# (Lord_Howe), 45-minute offsets (Kathmandu, Chatham), transitions at 24:00
# (Santiago, Gaza, Tehran), gaps ending exactly at midnight (Nuuk, Dhaka 2009,
# Pyongyang 2018), whole skipped days (Apia, Kiritimati, Kwajalein), folds that
# cross midnight (St_Johns, Casey), 2-hour DST (Troll), negative DST (Dublin,
# Casablanca).
KEY_ZONES = (
    "UTC",
    "America/Chicago",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/Santiago",
    "Asia/Tehran",
    "Asia/Gaza",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Pacific/Kwajalein",
    "America/St_Johns",
    "Antarctica/Casey",
    "Antarctica/Troll",
    "Europe/Dublin",
    "Africa/Casablanca",
    "America/Sao_Paulo",
    "America/Nuuk",
    "Asia/Dhaka",
    "Asia/Pyongyang",
)

ALL_ZONES = sorted(
    name
    for name in zoneinfo.available_timezones()
    if not name.startswith(("posix/", "right/")) and name not in {"Factory", "localtime"}
)

MIN_INSTANT = datetime.datetime(1990, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime.datetime(2037, 12, 31, tzinfo=UTC)


# --- oracles -----------------------------------------------------------------


def wall(instant: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """Naive wall-clock reading of an instant in zone."""
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def occurrences(zone: ZoneInfo, wall_time: datetime.datetime) -> list[datetime.datetime]:
    """All UTC instants whose wall reading in zone is wall_time, earliest first."""
    as_utc = wall_time.replace(tzinfo=UTC)
    # Every offset in force within a day and a bit either side (|offset| < 26 h);
    # no offset in 1990-2037 lasted less than an hour, so hourly sampling finds all.
    offsets = {(as_utc + k * HOUR).astimezone(zone).utcoffset() for k in range(-27, 28)}
    found = set()
    for offset in offsets:
        assert offset is not None
        candidate = as_utc - offset
        if wall(candidate, zone) == wall_time:
            found.add(candidate)
    return sorted(found)


def scheduled_date(
    result: datetime.datetime, local_time: datetime.time, zone: ZoneInfo
) -> datetime.date:
    """The local date a firing belongs to, checking it obeys the gap/fold rules.

    Normally the firing's own local date. For a gap firing it is the date whose
    `local_time` fell in the gap, which can be the day before (Nuuk 23:00 -> 00:00).
    """
    here = wall(result, zone)
    if here.time() == local_time:
        # Wall time exists: must be its first occurrence (fold rule).
        assert occurrences(zone, here)[0] == result
        return here.date()
    # Gap: the result is the transition, the first instant past the missing time.
    gap_start = wall(result - SECOND, zone) + SECOND
    assert gap_start < here
    owners = [
        day
        for day in (here.date() - DAY, here.date())
        if gap_start <= datetime.datetime.combine(day, local_time) < here
    ]
    assert len(owners) == 1
    (day,) = owners
    assert not occurrences(zone, datetime.datetime.combine(day, local_time))
    # ...and that day was not skipped as a whole (those have no firing).
    day_start = datetime.datetime.combine(day, datetime.time())
    assert not (gap_start <= day_start and day_start + DAY <= here)
    return day


def local_dates_between(
    zone: ZoneInfo, start: datetime.datetime, end: datetime.datetime
) -> set[datetime.date]:
    """Local dates seen between two instants (sampled every 30 minutes)."""
    seen = set()
    t = start
    while t <= end:
        seen.add(local_date_of(t, zone))
        t += datetime.timedelta(minutes=30)
    seen.add(local_date_of(end, zone))
    return seen


@functools.cache
def transitions(
    name: str,
    start: datetime.datetime = MIN_INSTANT,
    end: datetime.datetime = MAX_INSTANT,
) -> tuple[tuple[datetime.datetime, datetime.timedelta, datetime.timedelta], ...]:
    """(instant, offset before, offset after) for each offset change, found by scanning."""
    zone = ZoneInfo(name)
    found = []
    t = start
    before = t.astimezone(zone).utcoffset()
    while t < end:
        nxt = t + DAY
        after = nxt.astimezone(zone).utcoffset()
        if after != before:
            lo, hi = t, nxt
            while hi - lo > SECOND:
                # Transitions are whole seconds in tzdata, so bisect on whole seconds.
                mid = lo + (hi - lo) // SECOND // 2 * SECOND
                if mid.astimezone(zone).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            assert before is not None and after is not None
            found.append((hi, before, after))
        before, t = after, nxt
    return tuple(found)


# --- strategies --------------------------------------------------------------

whole_minute_times = st.builds(datetime.time, hour=st.integers(0, 23), minute=st.integers(0, 59))
zone_names = st.one_of(st.sampled_from(KEY_ZONES), st.sampled_from(ALL_ZONES))
# `after` may carry any tzinfo: a ZoneInfo, a fixed offset or UTC.
after_tzinfos = st.one_of(
    st.just(UTC),
    st.sampled_from(KEY_ZONES).map(ZoneInfo),
    st.integers(-14 * 60, 14 * 60).map(lambda m: datetime.timezone(datetime.timedelta(minutes=m))),
)


@st.composite
def random_scenarios(draw: st.DrawFn) -> tuple[datetime.time, ZoneInfo, datetime.datetime]:
    zone = ZoneInfo(draw(zone_names))
    instant = draw(
        st.datetimes(
            min_value=MIN_INSTANT.replace(tzinfo=None),
            max_value=MAX_INSTANT.replace(tzinfo=None),
            timezones=st.just(UTC),
        )
    )
    return draw(whole_minute_times), zone, instant.astimezone(draw(after_tzinfos))


TRANSITIONS = [(name, *transition) for name in KEY_ZONES for transition in transitions(name)]


@st.composite
def transition_scenarios(draw: st.DrawFn) -> tuple[datetime.time, ZoneInfo, datetime.datetime]:
    """A wall time in or near a gap/fold, with `after` shortly before or after it."""
    name, instant, before, after = draw(st.sampled_from(TRANSITIONS))
    zone = ZoneInfo(name)
    wall_before = (instant + before).replace(tzinfo=None)
    jump_minutes = abs(int((after - before) / MINUTE))
    # Start of the affected wall range: the gap starts at wall_before, a fold at
    # the post-transition reading.
    range_start = min(wall_before, (instant + after).replace(tzinfo=None))
    minutes = draw(st.integers(-90, jump_minutes + 90))
    chosen = (range_start + minutes * MINUTE).replace(second=0, microsecond=0).time()
    shift = draw(st.integers(-3 * 24 * 3600, 24 * 3600)) * SECOND
    micro = draw(st.integers(0, 999_999)) * datetime.timedelta(microseconds=1)
    return chosen, zone, (instant + shift + micro).astimezone(draw(after_tzinfos))


scenarios = st.one_of(random_scenarios(), transition_scenarios())

PROPERTY_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --- properties --------------------------------------------------------------


@PROPERTY_SETTINGS
@given(scenarios)
def test_result_is_next_valid_firing(
    scenario: tuple[datetime.time, ZoneInfo, datetime.datetime],
) -> None:
    local_time, zone, after = scenario
    result = next_fire_at(local_time, zone, after)

    assert result.tzinfo is not None
    assert result.utcoffset() == datetime.timedelta(0)
    assert result.tzinfo == UTC
    assert result > after

    day = scheduled_date(result, local_time, zone)
    target = datetime.datetime.combine(day, local_time)
    if wall(result, zone) != target:
        # Gap firing: the time did not exist, the clock jumped from before it to after it.
        assert wall(result - SECOND, zone) < target < wall(result, zone)
        assert (result - SECOND).astimezone(zone).utcoffset() != result.astimezone(zone).utcoffset()
    assert occurrence_on(day, local_time, zone) == result


@PROPERTY_SETTINGS
@given(scenarios)
def test_nothing_fires_between_after_and_result(
    scenario: tuple[datetime.time, ZoneInfo, datetime.datetime],
) -> None:
    local_time, zone, after = scenario
    result = next_fire_at(local_time, zone, after)
    assert next_fire_at(local_time, zone, result - datetime.timedelta(microseconds=1)) == result


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
def test_exactly_one_firing_per_local_day(
    scenario: tuple[datetime.time, ZoneInfo, datetime.datetime],
) -> None:
    local_time, zone, after = scenario
    results = []
    x = after
    for _ in range(14):
        x = next_fire_at(local_time, zone, x)
        results.append(x)
    days = [scheduled_date(r, local_time, zone) for r in results]
    wall_dates = [local_date_of(r, zone) for r in results]

    assert results == sorted(set(results))
    assert wall_dates == sorted(wall_dates)
    assert len(set(days)) == len(days)
    for (r1, d1), (r2, d2) in itertools.pairwise(zip(results, days, strict=True)):
        assert d2 > d1
        if d2 - d1 != DAY:
            # Only allowed when the days in between never existed on the wall clock.
            skipped = {d1 + k * DAY for k in range(1, (d2 - d1).days)}
            assert not skipped & local_dates_between(zone, r1, r2)


# --- named cases -------------------------------------------------------------


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def spring_forward(name: str, year: int) -> datetime.datetime:
    """The instant of the zone's (first) spring-forward transition in a year."""
    return next(
        instant
        for instant, before, after in transitions(name, utc(year, 1, 1), utc(year + 1, 1, 1))
        if after > before
    )


def firings_between(
    local_time: datetime.time, zone: ZoneInfo, start: datetime.datetime, end: datetime.datetime
) -> list[datetime.datetime]:
    out = []
    x = next_fire_at(local_time, zone, start)
    while x < end:
        out.append(x)
        x = next_fire_at(local_time, zone, x)
    return out


def test_chicago_spring_forward_gap_fires_at_transition_once() -> None:
    t = datetime.time(2, 30)
    assert occurrence_on(datetime.date(2027, 3, 14), t, CHICAGO) == utc(2027, 3, 14, 8, 0)
    # Whole local day 2027-03-14 in Chicago is 06:00 UTC .. 05:00 UTC next day (23 h).
    day = firings_between(t, CHICAGO, utc(2027, 3, 14, 5, 59, 59), utc(2027, 3, 15, 5, 0))
    assert day == [utc(2027, 3, 14, 8, 0)]
    assert day[0].astimezone(CHICAGO).time() == datetime.time(3, 0)
    assert next_fire_at(t, CHICAGO, day[0]) == utc(2027, 3, 15, 7, 30)


def test_chicago_fall_back_fold_fires_first_occurrence_only() -> None:
    t = datetime.time(1, 30)
    first = utc(2027, 11, 7, 6, 30)  # 01:30 CDT
    assert occurrence_on(datetime.date(2027, 11, 7), t, CHICAGO) == first
    assert next_fire_at(t, CHICAGO, utc(2027, 11, 7, 5, 0)) == first
    # Not again at 01:30 CST (07:30 UTC), even from inside the repeated hour.
    assert next_fire_at(t, CHICAGO, first) == utc(2027, 11, 8, 7, 30)
    assert next_fire_at(t, CHICAGO, utc(2027, 11, 7, 7, 15)) == utc(2027, 11, 8, 7, 30)
    day = firings_between(t, CHICAGO, utc(2027, 11, 7, 4, 59, 59), utc(2027, 11, 8, 6, 0))
    assert day == [first]


def _lord_howe_2027() -> tuple[
    tuple[datetime.datetime, datetime.timedelta, datetime.timedelta],
    tuple[datetime.datetime, datetime.timedelta, datetime.timedelta],
]:
    found = transitions("Australia/Lord_Howe", utc(2027, 1, 1), utc(2028, 1, 1))
    assert len(found) == 2
    (fall, fall_before, fall_after), (spring, spring_before, spring_after) = found
    assert fall_after - fall_before == -datetime.timedelta(minutes=30)
    assert spring_after - spring_before == datetime.timedelta(minutes=30)
    return (spring, spring_before, spring_after), (fall, fall_before, fall_after)


def test_lord_howe_thirty_minute_gap() -> None:
    (spring, before, after), _ = _lord_howe_2027()
    gap_start = (spring + before).replace(tzinfo=None)
    inside = gap_start + datetime.timedelta(minutes=15)
    assert not occurrences(LORD_HOWE, inside)
    fired = occurrence_on(inside.date(), inside.time(), LORD_HOWE)
    assert fired == spring
    assert wall(fired, LORD_HOWE) == (spring + after).replace(tzinfo=None)
    assert next_fire_at(inside.time(), LORD_HOWE, spring - HOUR) == spring
    assert next_fire_at(inside.time(), LORD_HOWE, spring) == occurrences(LORD_HOWE, inside + DAY)[0]


def test_lord_howe_thirty_minute_fold() -> None:
    _, (fall, _before, after) = _lord_howe_2027()
    repeated = (fall + after).replace(tzinfo=None) + datetime.timedelta(minutes=15)
    first, second = occurrences(LORD_HOWE, repeated)
    assert second - first == datetime.timedelta(minutes=30)
    t = repeated.time()
    assert occurrence_on(repeated.date(), t, LORD_HOWE) == first
    assert next_fire_at(t, LORD_HOWE, first - HOUR) == first
    # From between the two occurrences, the next firing is tomorrow's, not `second`.
    nxt = next_fire_at(t, LORD_HOWE, first)
    assert nxt > second
    assert local_date_of(nxt, LORD_HOWE) == repeated.date() + DAY


def test_zone_without_dst_fires_at_same_utc_time_every_day() -> None:
    t = datetime.time(8, 0)
    fired = firings_between(t, KOLKATA, utc(2027, 1, 1), utc(2028, 2, 1))
    assert len(fired) == 365 + 31
    assert {f.time() for f in fired} == {datetime.time(2, 30)}  # 08:00 IST = 02:30 UTC
    assert all(b - a == DAY for a, b in itertools.pairwise(fired))


def test_user_moves_to_zone_where_todays_time_has_passed() -> None:
    t = datetime.time(8, 0)
    now = utc(2027, 6, 1, 15, 0)  # 10:00 in Chicago: today's 08:00 went at 13:00 UTC
    assert next_fire_at(t, CHICAGO, utc(2027, 6, 1, 12, 0)) == utc(2027, 6, 1, 13, 0)
    # Moving to Tokyo (00:00 June 2 there): next is 08:00 June 2 Tokyo.
    assert next_fire_at(t, TOKYO, now) == utc(2027, 6, 1, 23, 0)


def test_user_moves_to_zone_where_todays_time_is_still_ahead() -> None:
    t = datetime.time(8, 0)
    now = utc(2027, 6, 1, 10, 0)  # 19:00 in Tokyo (fired at 23:00 UTC May 31), 05:00 in Chicago
    assert next_fire_at(t, TOKYO, now) == utc(2027, 6, 1, 23, 0)
    assert next_fire_at(t, CHICAGO, now) == utc(2027, 6, 1, 13, 0)


def test_local_date_of_around_midnight() -> None:
    assert local_date_of(utc(2027, 6, 2, 4, 59, 59), CHICAGO) == datetime.date(2027, 6, 1)
    assert local_date_of(utc(2027, 6, 2, 5, 0, 0), CHICAGO) == datetime.date(2027, 6, 2)
    # Same instant expressed in another zone gives the same answer.
    assert local_date_of(utc(2027, 6, 2, 5, 0, 0).astimezone(TOKYO), CHICAGO) == datetime.date(
        2027, 6, 2
    )
    # Apia went straight from 29 to 31 December 2011.
    assert local_date_of(utc(2011, 12, 30, 9, 59, 59), APIA) == datetime.date(2011, 12, 29)
    assert local_date_of(utc(2011, 12, 30, 10, 0, 0), APIA) == datetime.date(2011, 12, 31)


def test_skipped_calendar_day_has_no_firing() -> None:
    t = datetime.time(8, 0)
    with pytest.raises(NoOccurrenceError):
        occurrence_on(datetime.date(2011, 12, 30), t, APIA)
    fired = firings_between(t, APIA, utc(2011, 12, 27), utc(2012, 1, 2, 12, 0))
    assert [local_date_of(f, APIA) for f in fired] == [
        datetime.date(2011, 12, 27),
        datetime.date(2011, 12, 28),
        datetime.date(2011, 12, 29),
        datetime.date(2011, 12, 31),
        datetime.date(2012, 1, 1),
        datetime.date(2012, 1, 2),
    ]


def test_gap_at_midnight_fires_at_one_am_same_day() -> None:
    santiago = ZoneInfo("America/Santiago")
    spring = spring_forward("America/Santiago", 2027)
    assert wall(spring, santiago).time() == datetime.time(1, 0)
    day = wall(spring, santiago).date()
    assert occurrence_on(day, datetime.time(0, 30), santiago) == spring
    assert occurrence_on(day, datetime.time(0, 0), santiago) == spring


def test_gap_ending_at_midnight_still_fires_for_that_day() -> None:
    # Nuuk springs forward Saturday 23:00 -02 -> Sunday 00:00 -01: 23:30 never
    # happens on Saturday. Saturday still gets its reminder, at the transition.
    nuuk = ZoneInfo("America/Nuuk")
    spring = spring_forward("America/Nuuk", 2027)
    assert spring == utc(2027, 3, 28, 1, 0)
    assert wall(spring - SECOND, nuuk) == datetime.datetime(2027, 3, 27, 22, 59, 59)
    assert wall(spring, nuuk) == datetime.datetime(2027, 3, 28, 0, 0)
    t = datetime.time(23, 30)
    assert occurrence_on(datetime.date(2027, 3, 27), t, nuuk) == spring
    fired = firings_between(t, nuuk, utc(2027, 3, 26, 12, 0), utc(2027, 3, 30))
    assert fired == [
        utc(2027, 3, 27, 1, 30),  # Friday 23:30 -02
        spring,  # Saturday's, read as Sunday 00:00 -01
        utc(2027, 3, 29, 0, 30),  # Sunday 23:30 -01
    ]


def test_fold_crossing_midnight_fires_once() -> None:
    # 2010-11-07 00:01 NDT in St John's fell back to 2010-11-06 23:01 NST.
    st_johns = ZoneInfo("America/St_Johns")
    t = datetime.time(0, 0)
    first = occurrence_on(datetime.date(2010, 11, 7), t, st_johns)
    assert first == utc(2010, 11, 7, 2, 30)
    # From inside the repeated hour (local date is the 6th again) the next is the 8th.
    assert local_date_of(utc(2010, 11, 7, 3, 0), st_johns) == datetime.date(2010, 11, 6)
    assert next_fire_at(t, st_johns, utc(2010, 11, 7, 3, 0)) == utc(2010, 11, 8, 3, 30)


def test_seconds_and_microseconds_are_honoured() -> None:
    t = datetime.time(8, 0, 30, 250_000)
    expected = utc(2027, 6, 1, 13, 0, 30, 250_000)
    assert occurrence_on(datetime.date(2027, 6, 1), t, CHICAGO) == expected


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime.datetime(2027, 6, 1, 12, 0)
    with pytest.raises(ValueError, match="aware"):
        next_fire_at(datetime.time(8, 0), CHICAGO, naive)
    with pytest.raises(ValueError, match="aware"):
        local_date_of(naive, CHICAGO)
    with pytest.raises(ValueError):
        occurrence_on(datetime.date(2027, 6, 1), datetime.time(8, 0, tzinfo=UTC), CHICAGO)


# --- planned schedules: chosen weekdays, one or two times a day ------------------

PLANNED_ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Nuuk",
    "Pacific/Apia",
    "Asia/Kolkata",
    "America/Chicago",
    "America/St_Johns",
    "America/Santiago",
)
PLANNED_TRANSITIONS = [
    (name, *transition)
    for name in PLANNED_ZONES
    for transition in transitions(name, utc(2005, 1, 1), MAX_INSTANT)
]
masks = st.integers(1, ALL_WEEKDAYS)


def _near(instant: datetime.datetime, before: datetime.timedelta, minutes: int) -> datetime.time:
    return ((instant + before).replace(tzinfo=None) + minutes * MINUTE).replace(second=0).time()


@st.composite
def planned_scenarios(
    draw: st.DrawFn,
) -> tuple[tuple[datetime.time, ...], int, ZoneInfo, datetime.datetime]:
    """Times in or near a zone's DST change (or anywhere), a mask, `after` around it."""
    name, instant, before, after = draw(st.sampled_from(PLANNED_TRANSITIONS))
    jump = abs(int((after - before) / MINUTE))
    near = st.integers(-90, jump + 90).map(lambda m: _near(instant, min(before, after), m))
    first = draw(st.one_of(near, whole_minute_times))
    times: tuple[datetime.time, ...] = (first,)
    if draw(st.booleans()):
        second = draw(st.one_of(near, whole_minute_times).filter(lambda t: t != first))
        times = draw(st.permutations((first, second)))
    shift = draw(st.integers(-9 * 24 * 3600, 2 * 24 * 3600)) * SECOND
    micro = draw(st.integers(0, 999_999)) * datetime.timedelta(microseconds=1)
    return (
        times,
        draw(masks),
        ZoneInfo(name),
        (instant + shift + micro).astimezone(draw(after_tzinfos)),
    )


def _raw(firing: Firing, times: tuple[datetime.time, ...], zone: ZoneInfo) -> datetime.datetime:
    return occurrence_on(firing.local_date, sorted(times)[firing.slot], zone)


@PROPERTY_SETTINGS
@given(planned_scenarios())
def test_planned_firing_is_after_on_a_chosen_day_by_the_gap_and_fold_rules(
    scenario: tuple[tuple[datetime.time, ...], int, ZoneInfo, datetime.datetime],
) -> None:
    times, mask, zone, after = scenario
    firing = next_planned_fire(times, mask, zone, after)
    assert firing.at > after
    assert firing.at.tzinfo == UTC
    assert mask & (1 << firing.local_date.weekday())
    assert firing.slot in range(len(times))
    # The time's own firing on its date, or (where two would coincide) a second or two later.
    raw = _raw(firing, times, zone)
    assert raw <= firing.at <= raw + 2 * SECOND
    # Nothing planned fires in between.
    assert next_planned_fire(times, mask, zone, firing.at - datetime.timedelta(microseconds=1)) == (
        firing
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planned_scenarios())
def test_walking_sixty_days_meets_each_chosen_date_and_time_once(
    scenario: tuple[tuple[datetime.time, ...], int, ZoneInfo, datetime.datetime],
) -> None:
    times, mask, zone, after = scenario
    end = after + 60 * DAY
    fired: list[Firing] = []
    x = after
    while True:
        firing = next_planned_fire(times, mask, zone, x)
        if firing.at > end:
            break
        fired.append(firing)
        x = firing.at
    keys = [(f.local_date, f.slot) for f in fired]
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)
    assert all(mask & (1 << day.weekday()) for day, _ in keys)
    # Every chosen date strictly inside the walk, that the zone did not skip, has every time.
    first, last = keys[0][0], keys[-1][0]
    expected = set()
    day = first + DAY
    while day < last:
        if mask & (1 << day.weekday()):
            try:
                occurrence_on(day, times[0], zone)
            except NoOccurrenceError:
                pass
            else:
                expected |= {(day, slot) for slot in range(len(times))}
        day += DAY
    assert expected <= set(keys)
    assert {k for k in keys if first < k[0] < last} == expected


@PROPERTY_SETTINGS
@given(st.one_of(scenarios, planned_scenarios().map(lambda s: (s[0][0], s[2], s[3]))))
def test_every_day_at_one_time_is_next_fire_at(
    scenario: tuple[datetime.time, ZoneInfo, datetime.datetime],
) -> None:
    local_time, zone, after = scenario
    firing = next_planned_fire([local_time], ALL_WEEKDAYS, zone, after)
    assert firing.at == next_fire_at(local_time, zone, after)
    assert firing.slot == 0
    assert firing.local_date == scheduled_date(firing.at, local_time, zone)


NEW_YORK = ZoneInfo("America/New_York")
MON_WED_FRI = 0b10101


def test_mon_wed_fri_across_new_york_spring_forward() -> None:
    # 2027-03-14 is a Sunday: clocks go 02:00 EST -> 03:00 EDT.
    x = utc(2027, 3, 8, 12, 0)  # Monday 08:00 EDT would be 12:00 UTC; this is 07:00 EST
    fired = []
    for _ in range(6):
        firing = next_planned_fire([datetime.time(8, 0)], MON_WED_FRI, NEW_YORK, x)
        fired.append(firing)
        x = firing.at
    assert [f.local_date for f in fired] == [
        datetime.date(2027, 3, d) for d in (8, 10, 12, 15, 17, 19)
    ]
    assert [f.at.hour for f in fired] == [13, 13, 13, 12, 12, 12]  # EST, then EDT


def test_two_times_a_day_take_slots_in_time_order() -> None:
    times = [datetime.time(19, 30), datetime.time(8, 0)]
    after = utc(2027, 6, 1, 0, 0)  # Monday 31 May, 20:00 in New York
    first = next_planned_fire(times, ALL_WEEKDAYS, NEW_YORK, after)
    assert first == Firing(utc(2027, 6, 1, 12, 0), datetime.date(2027, 6, 1), 0)
    second = next_planned_fire(times, ALL_WEEKDAYS, NEW_YORK, first.at)
    assert second == Firing(utc(2027, 6, 1, 23, 30), datetime.date(2027, 6, 1), 1)


def test_two_times_in_one_gap_fire_a_second_apart() -> None:
    times = [datetime.time(2, 10), datetime.time(2, 40)]
    day = datetime.date(2027, 3, 14)
    first = next_planned_fire(times, ALL_WEEKDAYS, CHICAGO, utc(2027, 3, 14, 6, 0))
    assert first == Firing(utc(2027, 3, 14, 8, 0), day, 0)
    second = next_planned_fire(times, ALL_WEEKDAYS, CHICAGO, first.at)
    assert second == Firing(utc(2027, 3, 14, 8, 0, 1), day, 1)
    third = next_planned_fire(times, ALL_WEEKDAYS, CHICAGO, second.at)
    assert third.local_date == day + DAY and third.slot == 0


def test_gap_pushing_a_late_time_onto_next_midnight_keeps_both() -> None:
    nuuk = ZoneInfo("America/Nuuk")
    spring = spring_forward("America/Nuuk", 2027)  # Saturday 23:00 -> Sunday 00:00
    times = [datetime.time(0, 0), datetime.time(23, 30)]
    saturday = next_planned_fire(times, ALL_WEEKDAYS, nuuk, spring - 10 * MINUTE)
    assert saturday == Firing(spring, datetime.date(2027, 3, 27), 1)
    sunday = next_planned_fire(times, ALL_WEEKDAYS, nuuk, saturday.at)
    assert sunday == Firing(spring + SECOND, datetime.date(2027, 3, 28), 0)


def test_a_chosen_weekday_the_zone_skipped_waits_a_week() -> None:
    friday = 1 << 4  # Apia skipped Friday 2011-12-30
    firing = next_planned_fire([datetime.time(8, 0)], friday, APIA, utc(2011, 12, 24))
    assert firing.local_date == datetime.date(2012, 1, 6)


@pytest.mark.parametrize(
    ("times", "mask"),
    [
        ([], ALL_WEEKDAYS),
        ([datetime.time(8), datetime.time(9), datetime.time(10)], ALL_WEEKDAYS),
        ([datetime.time(8), datetime.time(8)], ALL_WEEKDAYS),
        ([datetime.time(8, tzinfo=UTC)], ALL_WEEKDAYS),
        ([datetime.time(8)], 0),
        ([datetime.time(8)], 128),
    ],
)
def test_bad_plans_are_refused(times: list[datetime.time], mask: int) -> None:
    with pytest.raises(ValueError):
        next_planned_fire(times, mask, CHICAGO, utc(2027, 6, 1))
    with pytest.raises(ValueError, match="aware"):
        next_planned_fire([datetime.time(8)], ALL_WEEKDAYS, CHICAGO, datetime.datetime(2027, 6, 1))
