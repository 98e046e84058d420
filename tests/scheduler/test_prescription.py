"""The /prescribe rules below Telegram: typed point codes, holds, courses, defaults, the draft."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.catalogue import load_catalogues
from content.lookup import PointIndex
from scheduler.prescription import (
    DEFAULT_HOLD,
    MAX_STEPS,
    Draft,
    Unknown,
    default_hold,
    read_course_weeks,
    read_hold,
    read_point_codes,
)
from storage.programmes import ProgrammeSpec, ProgrammeStep, Schedule

CATALOGUES = load_catalogues()
CATALOGUE = CATALOGUES["en"]
INDEX = PointIndex(CATALOGUE, [CATALOGUES["es"], CATALOGUES["zh"]])
CODES = [point.code for point in CATALOGUE.points]


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("BL23 KI3 GB30", ("BL23", "KI3", "GB30")),
        ("bl23,ki3;gb30", ("BL23", "KI3", "GB30")),
        ("bl-23, kidney 3, B 40", ("BL23", "KI3", "BL40")),
        ("UB40 KI 3", ("BL40", "KI3")),
        ("weizhong 委中 Middle of the Crook", ("BL40",)),
        ("Wěi Zhōng, gb 30", ("BL40", "GB30")),
        ("EX-B2 ex-ue7 SI3 du 4", ("EX-B2", "EX-UE7", "SI3", "GV4")),
        ("BL23 BL23 bl 23", ("BL23",)),
    ],
)
def test_typed_codes_in_the_spellings_the_lookup_knows(typed: str, codes: tuple[str, ...]) -> None:
    found = read_point_codes(typed, INDEX)
    assert found.codes == codes and found.unknown == ()


def test_names_not_in_the_catalogue_are_listed_back_and_the_rest_kept() -> None:
    found = read_point_codes("BL23 XX1 bladder 99 KI3 hello XX1", INDEX)
    assert found.codes == ("BL23", "KI3")
    assert [unknown.text for unknown in found.unknown] == ["XX1", "bladder 99", "hello"]


def test_a_near_miss_comes_with_suggestions() -> None:
    (unknown,) = read_point_codes("weizong", INDEX).unknown
    assert unknown == Unknown("weizong", ("BL40",))


@given(st.text(max_size=300))
def test_any_text_gives_catalogue_codes_once_each(text: str) -> None:
    found = read_point_codes(text, INDEX)
    assert set(found.codes) <= set(CODES)
    assert len(set(found.codes)) == len(found.codes)


@given(st.lists(st.sampled_from(CODES), max_size=8), st.sampled_from([" ", ", ", ";", "\n"]))
def test_codes_joined_any_way_read_back(codes: list[str], separator: str) -> None:
    assert read_point_codes(separator.join(codes), INDEX).codes == tuple(dict.fromkeys(codes))


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("45", 45), ("45 s", 45), ("45s", 45), ("45 seconds", 45), ("2 min", 120), ("45秒", 45)],
)
def test_holds_read(typed: str, seconds: int) -> None:
    assert read_hold(typed) == (seconds, None)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("9", "out_of_range"),
        ("181", "out_of_range"),
        ("4 min", "out_of_range"),
        ("0", "out_of_range"),
        ("a minute", "unreadable"),
        ("-30", "unreadable"),
        ("٣٠", "unreadable"),
        ("30.5", "unreadable"),
        ("", "unreadable"),
    ],
)
def test_bad_holds_refused_with_why(typed: str, problem: str) -> None:
    assert read_hold(typed) == (None, problem)


@given(st.integers(-1000, 1000))
def test_a_hold_is_taken_only_from_10_to_180(seconds: int) -> None:
    read, problem = read_hold(str(seconds))
    assert (read == seconds) is (10 <= seconds <= 180)
    assert (problem is None) is (10 <= seconds <= 180)


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("6", (6, None)),
        ("6 weeks", (6, None)),
        ("26 semanas", (26, None)),
        ("6周", (6, None)),
        ("27", (None, "out_of_range")),
        ("0", (None, "out_of_range")),
        ("six", (None, "unreadable")),
    ],
)
def test_course_weeks(typed: str, answer: tuple[int | None, str | None]) -> None:
    assert read_course_weeks(typed) == answer


def test_default_holds_come_from_the_techniques() -> None:
    assert default_hold(CATALOGUE, "BL40") == 30  # its technique holds up to 30 s
    assert default_hold(CATALOGUE, "BL23") == 60
    assert CATALOGUE.point("GV4").technique is None  # type: ignore[union-attr]
    assert default_hold(CATALOGUE, "GV4") == DEFAULT_HOLD


def test_a_draft_holds_at_most_twelve_points() -> None:
    draft, left_out = Draft().add_points(tuple(CODES), CATALOGUE)
    assert draft.codes == tuple(CODES[:MAX_STEPS]) and left_out == CODES[MAX_STEPS:]
    same, room = draft.toggle_point(CODES[-1], CATALOGUE)
    assert same == draft and not room
    fewer, room = draft.toggle_point(CODES[0], CATALOGUE)
    assert room and CODES[0] not in fewer.codes


specs = st.builds(
    ProgrammeSpec,
    title=st.text(min_size=1, max_size=64).filter(str.strip),
    practitioner_name=st.text(min_size=1, max_size=64).filter(str.strip),
    steps=st.lists(
        st.builds(
            ProgrammeStep,
            st.sampled_from(CODES),
            st.integers(10, 180),
            st.none() | st.text(min_size=1, max_size=500),
        ),
        min_size=1,
        max_size=MAX_STEPS,
        unique_by=lambda step: step.point,
    ).map(tuple),
    schedule=st.sampled_from(list(Schedule)),
    weekdays=st.integers(1, 127),
    days_per_week=st.integers(1, 7),
    times_per_day=st.integers(1, 2),
    course_weeks=st.none() | st.integers(1, 26),
    note=st.none() | st.text(min_size=1, max_size=500),
)


@given(specs, st.integers(1, 2**31))
def test_an_edited_version_starts_from_the_stored_one(spec: ProgrammeSpec, number: int) -> None:
    draft = Draft.from_data(Draft.from_spec(spec, number).to_data())  # through the JSON
    again = draft.spec("someone else")
    assert draft.programme_id == number and again.problems() == []
    assert (again.title, again.steps, again.schedule, again.times_per_day) == (
        spec.title,
        spec.steps,
        spec.schedule,
        spec.times_per_day,
    )
    assert (again.course_weeks, again.note, again.practitioner_name) == (
        spec.course_weeks,
        spec.note,
        spec.practitioner_name,
    )
    assert again.weekly_goal == spec.weekly_goal


def test_unanswered_questions_take_their_defaults() -> None:
    draft, _ = Draft(title="Back").add_points(("BL23",), CATALOGUE)
    spec = draft.spec("Dr Lin")
    assert spec.problems() == []
    assert (spec.schedule, spec.times_per_day, spec.course_weeks, spec.practitioner_name) == (
        Schedule.DAILY,
        1,
        None,
        "Dr Lin",
    )
