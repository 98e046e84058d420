"""The send time a receptionist types for a scheduled broadcast: a table, then bad input."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.send_time import (
    MAX_SCHEDULE_AHEAD,
    describe_send_time,
    parse_send_time,
    send_time_examples,
)

CHICAGO = ZoneInfo("America/Chicago")
# Wednesday 2 December 2026, 09:00 in Chicago (CST, UTC-6).
NOW = datetime.datetime(2026, 12, 2, 15, 0, tzinfo=datetime.UTC)


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=CHICAGO).astimezone(datetime.UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # The ways the issue names.
        ("friday 9am", local(2026, 12, 4, 9, 0)),
        ("tomorrow 9:00", local(2026, 12, 3, 9, 0)),
        ("mon 14:30", local(2026, 12, 7, 14, 30)),
        ("12/7 9am", local(2026, 12, 7, 9, 0)),  # month/day, as in the US
        ("in 2 hours", NOW + datetime.timedelta(hours=2)),
        # What was accepted before.
        ("2026-12-24 09:00", local(2026, 12, 24, 9, 0)),
        ("2026-12-4 9:00", local(2026, 12, 4, 9, 0)),
        ("tomorrow 17:30", local(2026, 12, 3, 17, 30)),
        ("17:30", local(2026, 12, 2, 17, 30)),  # today
        # Variations people type.
        ("Friday at 9 am", local(2026, 12, 4, 9, 0)),
        ("FRI 9AM", local(2026, 12, 4, 9, 0)),
        ("9am friday", local(2026, 12, 4, 9, 0)),
        ("wednesday 10:00", local(2026, 12, 2, 10, 0)),  # today is Wednesday, still ahead
        ("wednesday 8:00", local(2026, 12, 9, 8, 0)),  # passed today: next week
        ("next wed 10:00", local(2026, 12, 9, 10, 0)),
        ("thurs 7:30 pm", local(2026, 12, 3, 19, 30)),
        ("today 6pm", local(2026, 12, 2, 18, 0)),
        ("tomorrow noon", local(2026, 12, 3, 12, 0)),
        ("8:30", local(2026, 12, 3, 8, 30)),  # passed today: tomorrow (confirmed in words)
        ("12/7/2026 9am", local(2026, 12, 7, 9, 0)),
        ("1/5 9am", local(2027, 1, 5, 9, 0)),  # January is next year
        ("dec 7 9am", local(2026, 12, 7, 9, 0)),
        ("7th december 9:00", local(2026, 12, 7, 9, 0)),
        ("in 90 minutes", NOW + datetime.timedelta(minutes=90)),
        ("in an hour", NOW + datetime.timedelta(hours=1)),
        ("in 1 hour 30 minutes", NOW + datetime.timedelta(minutes=90)),
        ("in 3 days", NOW + datetime.timedelta(days=3)),
        ("  Tomorrow,  9:00 ", local(2026, 12, 3, 9, 0)),
    ],
)
def test_table(typed: str, expected: datetime.datetime) -> None:
    instant, problem = parse_send_time(typed, CHICAGO, NOW)
    assert problem is None and instant == expected
    assert instant.tzinfo == datetime.UTC


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("yesterday 9", "already passed"),
        ("2020-01-01 09:00", "already passed"),
        ("today 8:00", "already passed"),
        ("2027-02-30 09:00", "doesn't exist"),
        ("2/30 9am", "doesn't exist"),
        ("13/40 9am", "doesn't exist"),
        ("2027-06-01 09:00", "within the next 90 days"),
        ("in 100 days", "within the next 90 days"),
        ("banana", "couldn't read"),
        ("25:99", "couldn't read"),
        ("friday", "add a time of day"),
        ("tomorrow", "add a time of day"),
        ("in 0 hours", "couldn't read"),
        ("in 2 fortnights", "couldn't read"),
        ("", "couldn't read"),
        ("9" * 41, "couldn't read"),
        ("friday 9am and more words", "couldn't read"),
    ],
)
def test_bad_input_says_why(typed: str, words: str) -> None:
    instant, problem = parse_send_time(typed, CHICAGO, NOW)
    assert instant is None and problem is not None and words in problem


def test_a_time_the_clocks_skip_is_refused_with_the_reason() -> None:
    before_spring = datetime.datetime(2027, 3, 10, 15, 0, tzinfo=datetime.UTC)
    for typed in ("sun 2:30", "3/14 2:30am", "2027-03-14 02:30"):
        instant, problem = parse_send_time(typed, CHICAGO, before_spring)
        assert instant is None and problem is not None
        assert "does not exist on Sunday 14 March" in problem and "03:00" in problem
    # Just after the gap is fine.
    assert parse_send_time("sun 3:00", CHICAGO, before_spring)[0] == local(2027, 3, 14, 3, 0)


def test_a_repeated_time_is_its_first_occurrence() -> None:
    before_fall = datetime.datetime(2027, 11, 5, 15, 0, tzinfo=datetime.UTC)
    instant, problem = parse_send_time("sun 1:30", CHICAGO, before_fall)
    assert problem is None
    assert instant == datetime.datetime(2027, 11, 7, 6, 30, tzinfo=datetime.UTC)  # CDT, UTC-5


def test_the_resolved_time_in_words() -> None:
    instant, _ = parse_send_time("tomorrow 9:00", CHICAGO, NOW)
    assert describe_send_time(instant, CHICAGO, NOW) == (
        "tomorrow, Thursday 3 December 2026 at 09:00 (America/Chicago)"
    )
    soon, _ = parse_send_time("in 2 hours", CHICAGO, NOW)
    assert describe_send_time(soon, CHICAGO, NOW).endswith("at 11:00 (America/Chicago), in 2 h")
    later, _ = parse_send_time("12/7 9am", CHICAGO, NOW)
    assert describe_send_time(later, CHICAGO, NOW) == (
        "Monday 7 December 2026 at 09:00 (America/Chicago)"
    )


def test_the_prompts_example_is_tomorrow_at_nine_in_the_clinic_zone() -> None:
    examples = send_time_examples(CHICAGO, NOW)
    assert "<code>tomorrow 9:00</code> (Thursday 3 December at 09:00)" in examples
    assert "<code>2026-12-03 09:00</code>" in examples
    # Every example in the prompt is accepted as it is written.
    for typed in ("tomorrow 9:00", "2026-12-03 09:00", "friday 9am", "mon 14:30", "12/7 9am"):
        assert parse_send_time(typed, CHICAGO, NOW)[1] is None, typed


@given(st.text(max_size=60))
def test_never_raises_and_never_returns_the_past(text: str) -> None:
    instant, problem = parse_send_time(text, CHICAGO, NOW)
    assert (instant is None) != (problem is None)
    if instant is not None:
        assert NOW < instant <= NOW + MAX_SCHEDULE_AHEAD


def test_what_it_says_back_is_in_the_staff_members_language() -> None:
    """Typed days stay English words; the answers, days and examples are translated."""
    from content.i18n import translator
    from tests.i18n_support import assert_in_language

    es, zh = translator("es"), translator("zh")
    _, problem = parse_send_time("someday", CHICAGO, NOW, es)
    assert problem is not None and problem.startswith("No pude leer eso como una fecha y hora.")
    _, problem = parse_send_time("yesterday 9am", CHICAGO, NOW, zh)
    assert problem is not None and problem.startswith("这个时间已经过去了。")
    _, problem = parse_send_time("2027-03-14 02:30", CHICAGO, NOW, es)
    assert problem == (
        "Las 02:30 no existen el domingo 14 de marzo en America/Chicago: esa noche se "
        "adelantan los relojes. Elige otra hora, por ejemplo las 03:00."
    )
    instant, _ = parse_send_time("friday 9am", CHICAGO, NOW)
    assert instant is not None
    assert describe_send_time(instant, CHICAGO, NOW, es) == (
        "viernes 4 de diciembre de 2026 a las 09:00 (America/Chicago)"
    )
    assert (
        describe_send_time(instant, CHICAGO, NOW, zh)
        == "2026年12月4日星期五 09:00 (America/Chicago)"
    )
    soon = NOW + datetime.timedelta(hours=2, minutes=5)
    assert describe_send_time(soon, CHICAGO, NOW, es).endswith(", dentro de 2 h 5 min")
    assert_in_language(send_time_examples(CHICAGO, NOW, es), "es")
    assert_in_language(send_time_examples(CHICAGO, NOW, zh), "zh")
