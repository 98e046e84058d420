"""Tests for scheduler.time_input: reading a reminder time and a time zone as typed."""

from __future__ import annotations

import datetime
import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import time_input
from scheduler.time_input import (
    COMMON_ZONES,
    LOCATION_INVALID,
    LOCATION_NO_ZONE,
    TIME_BAD_12_HOUR,
    TIME_EMPTY,
    TIME_ONE_DIGIT_MINUTES,
    TIME_OUT_OF_RANGE,
    TIME_TOO_LONG,
    TIME_UNREADABLE,
    ZONE_COUNTRY,
    ZONE_EMPTY,
    ZONE_NOT_FOUND,
    ZONE_SUGGEST,
    ZONE_TOO_LONG,
    TimeParse,
    ZoneMatch,
    find_zone,
    parse_time_of_day,
    zone_for_location,
    zone_label,
)

T = datetime.time

# ---------------------------------------------------------------------------
# parse_time_of_day
# ---------------------------------------------------------------------------

ACCEPTED_TIMES = [
    ("7:30", T(7, 30)),
    ("07:30", T(7, 30)),
    ("7.30", T(7, 30)),
    ("730", T(7, 30)),
    ("0730", T(7, 30)),
    ("1930", T(19, 30)),
    ("7", T(7, 0)),
    ("0", T(0, 0)),
    ("19", T(19, 0)),
    ("19:30", T(19, 30)),
    ("0:00", T(0, 0)),
    ("23:59", T(23, 59)),
    ("7:30 pm", T(19, 30)),
    ("7:30pm", T(19, 30)),
    ("7:30 PM", T(19, 30)),
    ("7:30 am", T(7, 30)),
    ("7:30AM", T(7, 30)),
    ("7 pm", T(19, 0)),
    ("7pm", T(19, 0)),
    ("7 a.m.", T(7, 0)),
    ("7.30 p.m.", T(19, 30)),
    ("7:30 P.M.", T(19, 30)),
    ("730pm", T(19, 30)),
    ("12 am", T(0, 0)),
    ("12:30 am", T(0, 30)),
    ("12 pm", T(12, 0)),
    ("12:45 pm", T(12, 45)),
    ("noon", T(12, 0)),
    ("Noon", T(12, 0)),
    ("midnight", T(0, 0)),
    ("MIDNIGHT", T(0, 0)),
    ("21h", T(21, 0)),
    ("21h30", T(21, 30)),
    ("7h30", T(7, 30)),
    ("21H30", T(21, 30)),
    ("\uff17\uff1a\uff13\uff10", T(7, 30)),  # full-width digits and colon
    ("\uff11\uff19:\uff13\uff10", T(19, 30)),
    ("\uff17\uff50\uff4d", T(19, 0)),
    ("  7:30  ", T(7, 30)),
    ("\t19:30\n", T(19, 30)),
    ("7 30", T(7, 30)),
    ("7:30:00", T(7, 30)),  # seconds are accepted and dropped
    ("7:30:45", T(7, 30)),
]

REJECTED_TIMES = [
    ("25:61", TIME_OUT_OF_RANGE),
    ("24:00", TIME_OUT_OF_RANGE),
    ("2400", TIME_OUT_OF_RANGE),
    ("7:60", TIME_OUT_OF_RANGE),
    ("99", TIME_OUT_OF_RANGE),
    ("7:30:60", TIME_OUT_OF_RANGE),
    ("-1", TIME_UNREADABLE),
    ("-7:30", TIME_UNREADABLE),
    ("13 pm", TIME_BAD_12_HOUR),
    ("0 am", TIME_BAD_12_HOUR),
    ("0:30 am", TIME_BAD_12_HOUR),
    ("19:30 pm", TIME_BAD_12_HOUR),
    ("7:5", TIME_ONE_DIGIT_MINUTES),
    ("7.5", TIME_ONE_DIGIT_MINUTES),
    ("7h5", TIME_ONE_DIGIT_MINUTES),
    ("", TIME_EMPTY),
    ("   ", TIME_EMPTY),
    ("🙂", TIME_UNREADABLE),
    ("⏰ 7:30", TIME_UNREADABLE),
    ("banana", TIME_UNREADABLE),
    ("am", TIME_UNREADABLE),
    ("pm 7", TIME_UNREADABLE),
    ("12345", TIME_UNREADABLE),
    ("7:30:5", TIME_UNREADABLE),
    ("7::30", TIME_UNREADABLE),
    ("x" * 5_000, TIME_TOO_LONG),
    ("7" * 5_000, TIME_TOO_LONG),
    (" " * 5_000, TIME_TOO_LONG),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED_TIMES)
def test_accepted_times(text: str, expected: datetime.time) -> None:
    assert parse_time_of_day(text) == TimeParse(expected, None)


@pytest.mark.parametrize(("text", "problem"), REJECTED_TIMES)
def test_rejected_times(text: str, problem: str) -> None:
    assert parse_time_of_day(text) == TimeParse(None, problem)


@pytest.mark.parametrize(
    "problem",
    [
        TIME_TOO_LONG,
        TIME_EMPTY,
        TIME_UNREADABLE,
        TIME_OUT_OF_RANGE,
        TIME_BAD_12_HOUR,
        TIME_ONE_DIGIT_MINUTES,
    ],
)
def test_every_time_problem_shows_a_valid_example(problem: str) -> None:
    assert "7:30" in problem
    assert parse_time_of_day("7:30").value is not None


def test_huge_input_is_rejected_quickly() -> None:
    start = time.perf_counter()
    for _ in range(100):
        assert parse_time_of_day("1:" * 500_000).problem == TIME_TOO_LONG
    assert time.perf_counter() - start < 0.5


def _renderings(hour: int, minute: int) -> list[str]:
    """Ways of writing hour:minute, in 24-hour and 12-hour forms."""
    h12 = hour % 12 or 12
    suffix = "am" if hour < 12 else "pm"
    return [
        f"{hour}:{minute:02d}",
        f"{hour:02d}:{minute:02d}",
        f"{hour:02d}{minute:02d}",
        f"{hour}h{minute:02d}",
        f"{h12}:{minute:02d} {suffix}",
        f"{h12}:{minute:02d}{suffix.upper()}",
        f"{h12}.{minute:02d} {suffix[0]}.m.",
    ]


@given(hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_every_time_round_trips_in_24_and_12_hour_forms(hour: int, minute: int) -> None:
    for text in _renderings(hour, minute):
        assert parse_time_of_day(text) == TimeParse(T(hour, minute), None), text


def test_all_1440_minutes_round_trip() -> None:
    # Exhaustive as well as sampled: the whole day is cheap to check.
    for hour in range(24):
        for minute in range(60):
            for text in _renderings(hour, minute):
                assert parse_time_of_day(text) == TimeParse(T(hour, minute), None), text


@given(st.text())
def test_arbitrary_text_gives_a_value_or_a_problem(text: str) -> None:
    result = parse_time_of_day(text)
    assert (result.value is None) != (result.problem is None)
    if result.value is not None:
        assert result.value.tzinfo is None
        assert result.value.second == 0 and result.value.microsecond == 0
    else:
        assert result.problem


# ---------------------------------------------------------------------------
# find_zone
# ---------------------------------------------------------------------------


def _assert_found(result: ZoneMatch, zone: str) -> None:
    assert result == ZoneMatch(zone, zone_label(zone))


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/London", "Europe/London"),
        ("europe/london", "Europe/London"),
        ("EUROPE/LONDON", "Europe/London"),
        ("America/New_York", "America/New_York"),
        ("america/new york", "America/New_York"),
        ("  America / New York  ", "America/New_York"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("America/Port-au-Prince", "America/Port-au-Prince"),
        ("UTC", "UTC"),
        # Deprecated aliases are accepted when typed exactly, as the current zone.
        ("US/Central", "America/Chicago"),
        ("us/eastern", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("Etc/UTC", "UTC"),
    ],
)
def test_iana_names(text: str, zone: str) -> None:
    _assert_found(find_zone(text), zone)


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("chicago", "America/Chicago"),
        ("Chicago", "America/Chicago"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("los angeles", "America/Los_Angeles"),
        ("london", "Europe/London"),
        ("sao paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Zürich", "Europe/Zurich"),
        ("denver", "America/Denver"),
        ("phoenix", "America/Phoenix"),
        ("honolulu", "Pacific/Honolulu"),
        ("tokyo", "Asia/Tokyo"),
        ("buenos aires", "America/Argentina/Buenos_Aires"),
        ("indianapolis", "America/Indiana/Indianapolis"),
        ("port-au-prince", "America/Port-au-Prince"),
        ("St. John's", "America/St_Johns"),
        ("calcutta", "Asia/Kolkata"),  # city of an old alias
        ("Chicago, IL", "America/Chicago"),
        ("London, UK", "Europe/London"),
        ("\uff43\uff48\uff49\uff43\uff41\uff47\uff4f", "America/Chicago"),  # full-width letters
    ],
)
def test_city_names(text: str, zone: str) -> None:
    _assert_found(find_zone(text), zone)


ALIASES = {
    "America/Los_Angeles": ["san francisco", "seattle", "las vegas", "portland"],
    "America/Chicago": [
        "houston",
        "dallas",
        "austin",
        "minneapolis",
        "st louis",
        "St. Louis",
        "milwaukee",
        "oak park",
        "Oak Park, IL",
        "river forest",
        "River Forest",
        "evanston",
        "naperville",
        "new orleans",
    ],
    "America/New_York": [
        "boston",
        "washington",
        "washington dc",
        "Washington, D.C.",
        "miami",
        "atlanta",
        "philadelphia",
        "orlando",
        "newark",
        "baltimore",
        "pittsburgh",
        "cleveland",
        "charlotte",
    ],
    "America/Denver": ["salt lake city", "albuquerque"],
    "Asia/Kolkata": ["mumbai", "delhi", "new delhi", "bangalore", "bengaluru"],
    "Asia/Shanghai": ["beijing"],
    "Asia/Tokyo": ["osaka"],
    "Europe/Berlin": ["munich", "frankfurt"],
    "Europe/London": ["manchester", "edinburgh", "glasgow"],
    "Australia/Melbourne": ["melbourne"],
    "UTC": ["utc", "UTC", "gmt", "GMT"],
}
# The clinic is in the US, so ambiguous abbreviations mean the US zones.
ABBREVIATIONS = [
    ("est", "America/New_York"),
    ("EST", "America/New_York"),
    ("edt", "America/New_York"),
    ("cst", "America/Chicago"),
    ("CST", "America/Chicago"),
    ("cdt", "America/Chicago"),
    ("pst", "America/Los_Angeles"),
    ("pdt", "America/Los_Angeles"),
    ("mst", "America/Denver"),
    ("MST", "America/Denver"),
]


@pytest.mark.parametrize(
    ("text", "zone"),
    [(text, zone) for zone, texts in ALIASES.items() for text in texts] + ABBREVIATIONS,
)
def test_aliases_and_abbreviations(text: str, zone: str) -> None:
    _assert_found(find_zone(text), zone)


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("france", "Europe/Paris"),
        ("Japan", "Asia/Tokyo"),
        ("india", "Asia/Kolkata"),
        ("United Kingdom", "Europe/London"),
    ],
)
def test_single_zone_countries(text: str, zone: str) -> None:
    _assert_found(find_zone(text), zone)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("usa", "America/Chicago"),
        ("United States", "America/Chicago"),
        ("australia", "Australia/Sydney"),
    ],
)
def test_countries_with_several_zones_get_suggestions(text: str, first: str) -> None:
    result = find_zone(text)
    assert result.zone is None and result.label is None
    assert result.problem == ZONE_COUNTRY
    assert result.suggestions[0] == first
    assert 2 <= len(result.suggestions) <= 3


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("chicgo", "America/Chicago"),
        ("Chicaco", "America/Chicago"),
        ("londn", "Europe/London"),
        ("new yrok", "America/New_York"),
        ("los angelos", "America/Los_Angeles"),
        ("philadelpia", "America/New_York"),
        ("seatle", "America/Los_Angeles"),
        ("berln", "Europe/Berlin"),
        ("Sidney", "Australia/Sydney"),
        ("america/chicgo", "America/Chicago"),
        ("europe/londn", "Europe/London"),
        ("chicgo, il", "America/Chicago"),
    ],
)
def test_typos_with_one_clear_match(text: str, zone: str) -> None:
    _assert_found(find_zone(text), zone)


def test_unclear_text_gets_suggestions() -> None:
    result = find_zone("chicago illinois")
    assert result.zone is None and result.label is None
    assert result.problem == ZONE_SUGGEST
    assert "America/Chicago" in result.suggestions


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Mars/Olympus", None),
        ("asdfgh", None),
        ("test", None),  # not a typo of the abbreviation "est"
        ("🦄", ZONE_EMPTY),
        ("🌍🌎🌏", ZONE_EMPTY),
        ("", ZONE_EMPTY),
        ("   ", ZONE_EMPTY),
        ("?!", ZONE_EMPTY),
        ("x" * 5_000, ZONE_TOO_LONG),
        ("chicago " * 1_000, ZONE_TOO_LONG),
    ],
)
def test_unknown_places(text: str, problem: str | None) -> None:
    result = find_zone(text)
    assert result.zone is None and result.label is None
    assert result.problem
    if problem is not None:
        assert result.problem == problem
    else:
        assert result.problem in (ZONE_NOT_FOUND, ZONE_SUGGEST)
        assert (result.problem == ZONE_SUGGEST) == bool(result.suggestions)


AREAS = {
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
}


def _is_offerable(zone: str) -> bool:
    """Canonical-ish: UTC or a current Area/City zone, never an old alias or Etc zone.

    An old alias ("Asia/Calcutta") is accepted when typed, but as its current
    zone, so a zone that finds itself is not an alias.
    """
    if zone == "UTC":
        return True
    return zone.split("/", 1)[0] in AREAS and find_zone(zone).zone == zone


@pytest.mark.parametrize(
    "text",
    [
        "chicago illinois",
        "hello",
        "banana",
        "peking",
        "gmt 5",
        "us central",
        "etc/gmt+5x",
        "posix/chicago",
        "new jersey",
        "usa",
        "australia",
    ],
)
def test_suggestions_are_few_canonical_zones(text: str) -> None:
    result = find_zone(text)
    assert len(result.suggestions) <= 3
    assert len(set(result.suggestions)) == len(result.suggestions)
    for zone in result.suggestions:
        assert _is_offerable(zone), zone
        ZoneInfo(zone)


def test_huge_zone_input_is_rejected_quickly() -> None:
    start = time.perf_counter()
    for _ in range(100):
        assert find_zone("a" * 1_000_000).problem == ZONE_TOO_LONG
    assert time.perf_counter() - start < 0.5


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=100))
def test_arbitrary_text_gives_a_zone_or_a_problem(text: str) -> None:
    result = find_zone(text)
    assert (result.zone is None) != (result.problem is None)
    if result.zone is not None:
        assert result.label == zone_label(result.zone)
        assert result.suggestions == ()
        ZoneInfo(result.zone)
    else:
        assert result.label is None
        assert len(result.suggestions) <= 3
        for zone in result.suggestions:
            ZoneInfo(zone)


# ---------------------------------------------------------------------------
# zone_label and COMMON_ZONES
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("America/Chicago", "Chicago (America/Chicago)"),
        ("America/New_York", "New York (America/New_York)"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires (America/Argentina/Buenos_Aires)"),
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
        ("Etc/GMT+5", "Etc/GMT+5"),
    ],
)
def test_zone_label(zone: str, label: str) -> None:
    assert zone_label(zone) == label


def test_common_zones_are_valid_and_found_by_name() -> None:
    assert 10 <= len(COMMON_ZONES) <= 14
    assert len(set(COMMON_ZONES)) == len(COMMON_ZONES)
    assert COMMON_ZONES[0] == "America/Chicago"
    for zone in COMMON_ZONES:
        ZoneInfo(zone)
        assert _is_offerable(zone)
        _assert_found(find_zone(zone), zone)
        _assert_found(find_zone(zone.lower().replace("_", " ")), zone)


# ---------------------------------------------------------------------------
# zone_for_location
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (41.88, -87.63, "America/Chicago"),
        (41.885, -87.81, "America/Chicago"),  # Oak Park / River Forest
        (51.5, -0.12, "Europe/London"),
        (-33.87, 151.21, "Australia/Sydney"),
        (40.71, -74.01, "America/New_York"),
        (33.45, -112.07, "America/Phoenix"),
    ],
)
def test_location(latitude: float, longitude: float, zone: str) -> None:
    _assert_found(zone_for_location(latitude, longitude), zone)


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(0.0, -160.0), (0.0, 0.0), (-40.0, -120.0)],
)
def test_open_sea_is_a_problem(latitude: float, longitude: float) -> None:
    assert zone_for_location(latitude, longitude) == ZoneMatch(None, None, (), LOCATION_NO_ZONE)


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (90.5, 0.0),
        (-91.0, 10.0),
        (10.0, 180.5),
        (10.0, -181.0),
        (float("nan"), 0.0),
        (0.0, float("nan")),
        (float("inf"), 0.0),
        (0.0, float("-inf")),
        (1e308 * 10, 0.0),
        ("north", 0.0),
        (None, None),
    ],
)
def test_invalid_coordinates_are_a_problem(latitude: object, longitude: object) -> None:
    result = zone_for_location(latitude, longitude)  # type: ignore[arg-type]
    assert result == ZoneMatch(None, None, (), LOCATION_INVALID)


def test_edge_coordinates_never_raise() -> None:
    for latitude, longitude in [(90, 180), (-90, -180), (90.0, -180.0), (-90.0, 180.0)]:
        result = zone_for_location(latitude, longitude)
        assert (result.zone is None) != (result.problem is None)


def test_timezone_finder_is_built_once() -> None:
    assert time_input._finder() is time_input._finder()
