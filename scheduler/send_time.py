"""Reading the time a receptionist types for a scheduled broadcast.

A pure function: text, the clinic's zone and now in; an aware UTC instant or a
sentence for the person out. It reads the ways people type a time at a front
desk: ``friday 9am``, ``tomorrow 9:00``, ``mon 14:30``, ``12/7 9am`` (month/day,
as in the US), ``dec 7 9am``, ``2026-12-07 09:00``, ``in 2 hours``, and a bare
``17:30`` (today, or tomorrow once it has passed). Hand-written rather than a
library: the grammar is small, every answer is confirmed in words before
anything is scheduled, and the libraries that read more (dateparser) take
about a second to import and guess silently where this one explains.

Typed days and months are read in English words (and in digits, which every
language shares: ``2026-12-07 09:00``, ``12/7 9am``); what it says back is in
the staff member's language (`tr`).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from zoneinfo import ZoneInfo

from content.i18n import N_, Translator, translator
from scheduler.schedule_rule import occurrence_on
from scheduler.time_input import parse_time_of_day

__all__ = ["MAX_SCHEDULE_AHEAD", "describe_send_time", "parse_send_time", "send_time_examples"]

MAX_SCHEDULE_AHEAD = datetime.timedelta(days=90)
_MAX_CHARS = 40
HELP = N_(
    "Try for example: tomorrow 9:00, friday 9am, mon 14:30, 12/7 9am (month/day) or in 2 hours."
)
UNREADABLE = N_("I couldn't read that as a date and time.")
NO_SUCH_DATE = N_("That date doesn't exist.")
PASSED = N_("That time has already passed.")
TOO_FAR = N_("Please choose a time within the next 90 days.")
NEED_TIME = N_("Please add a time of day, for example “friday 9am” or “tomorrow 9:00”.")
# Problems followed by the examples.
_WITH_HELP = {UNREADABLE, NO_SUCH_DATE, PASSED}
_NO_DAY = N_("{day} does not exist in {zone}. Please choose another day.")
_SKIPPED = N_(
    "{time} does not exist on {day} in {zone}: the clocks go forward that night. "
    "Please choose another time, for example {instead}."
)
_ENGLISH = translator("en")


class _Problem:
    """What was wrong, as a message id and its values (translated at the end)."""

    def __init__(self, message: str, **values: str) -> None:
        self.message, self.values = message, values

    def say(self, tr: Translator) -> str:
        text = tr._(self.message, **self.values)
        return f"{text} {tr._(HELP)}" if self.message in _WITH_HELP else text


_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_UNITS = {
    "minute": 1, "minutes": 1, "min": 1, "mins": 1, "m": 1,
    "hour": 60, "hours": 60, "hr": 60, "hrs": 60, "h": 60,
    "day": 24 * 60, "days": 24 * 60, "d": 24 * 60,
}  # fmt: skip
_IN = re.compile(r"in\s+(an?|\d{1,4})\s*([a-z]+)(?:\s+(?:and\s+)?(\d{1,3})\s*([a-z]+))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")


def _fold(text: str) -> str:
    words = unicodedata.normalize("NFKC", text).casefold()
    words = re.sub(r"[,]", " ", words)
    return " ".join(words.split())


def parse_send_time(
    text: str, zone: ZoneInfo, now: datetime.datetime, tr: Translator = _ENGLISH
) -> tuple[datetime.datetime | None, str | None]:
    """A future send time typed in `zone`.

    Returns (aware UTC instant, None) or (None, a sentence for the person, in
    `tr`'s language). A local time that does not exist that day (clocks going
    forward) is refused with a reason rather than moved; a repeated one
    (clocks going back) is its first occurrence.
    """
    instant, problem = _parse(text, zone, now, tr)
    if problem is not None:
        return None, (problem if isinstance(problem, _Problem) else _Problem(problem)).say(tr)
    return instant, None


def _parse(
    text: str, zone: ZoneInfo, now: datetime.datetime, tr: Translator
) -> tuple[datetime.datetime | None, str | _Problem | None]:
    if not isinstance(text, str) or len(text) > _MAX_CHARS:
        return None, UNREADABLE
    words = _fold(text)
    if not words:
        return None, UNREADABLE
    if words.startswith("in "):
        return _checked(_relative(words, now), now)
    day, time_words, day_problem, roll = _split_day(words, now.astimezone(zone).date())
    if day_problem:
        return None, day_problem
    if not time_words:
        return None, NEED_TIME if day is not None else UNREADABLE
    parsed = parse_time_of_day(time_words.removeprefix("at ").strip())
    if parsed.value is None:
        return None, UNREADABLE
    if day is None:  # a bare time: today, or tomorrow once it has passed
        day, roll = now.astimezone(zone).date(), 1
    instant, clock_problem = _on(day, parsed.value, zone, tr)
    if roll and instant is not None and instant <= now:
        # Passed already today: the next such day (the preview confirms it in words).
        instant, clock_problem = _on(day + datetime.timedelta(days=roll), parsed.value, zone, tr)
    if clock_problem:
        return None, clock_problem
    return _checked(instant, now)


def _on(
    day: datetime.date, local_time: datetime.time, zone: ZoneInfo, tr: Translator
) -> tuple[datetime.datetime | None, _Problem | None]:
    """The instant of that wall-clock time; a time the clocks skip is refused, not moved."""
    try:
        instant = occurrence_on(day, local_time, zone)
    except ValueError:
        return None, _Problem(_NO_DAY, day=_long_day(tr, day), zone=zone.key)
    local = instant.astimezone(zone)
    if (local.date(), local.time()) != (day, local_time):
        return None, _Problem(
            _SKIPPED,
            time=f"{local_time:%H:%M}",
            day=_long_day(tr, day),
            zone=zone.key,
            instead=f"{local:%H:%M}",
        )
    return instant, None


# How a day is written in these sentences ("Thursday 3 December 2026" in English).
_DAY = {"en": "EEEE d MMMM", "es": "EEEE d 'de' MMMM", "zh": "M月d日EEEE"}
_FULL_DAY = {"en": "EEEE d MMMM y", "es": "EEEE d 'de' MMMM 'de' y", "zh": "y年M月d日EEEE"}


def _long_day(tr: Translator, day: datetime.date, *, year: bool = False) -> str:
    return tr.date(day, (_FULL_DAY if year else _DAY)[tr.language])


def _checked(
    instant: datetime.datetime | None, now: datetime.datetime
) -> tuple[datetime.datetime | None, str | None]:
    if instant is None:
        return None, UNREADABLE
    if instant <= now:
        return None, PASSED
    if instant - now > MAX_SCHEDULE_AHEAD:
        return None, TOO_FAR
    return instant.astimezone(datetime.UTC), None


def _relative(words: str, now: datetime.datetime) -> datetime.datetime | None:
    """``in 2 hours``, ``in 90 min``, ``in an hour``, ``in 1 hour 30 minutes``: from now."""
    match = _IN.fullmatch(words)
    if not match:
        return None
    minutes = 0
    for amount, unit in ((match.group(1), match.group(2)), (match.group(3), match.group(4))):
        if amount is None:
            continue
        if unit not in _UNITS:
            return None
        minutes += (1 if amount in {"a", "an"} else int(amount)) * _UNITS[unit]
    if minutes <= 0:
        return None
    # Whole minutes: "in 2 hours" typed at 10:17:42 goes at 12:17.
    return now.replace(second=0, microsecond=0) + datetime.timedelta(minutes=minutes)


def _split_day(
    words: str, today: datetime.date
) -> tuple[datetime.date | None, str, str | None, int]:
    """(the day named, the rest, a problem, days to add if that day's time has passed).

    The day may come first or last ("friday 9am", "9am friday").
    """
    tokens = words.split()
    for take_from_start in (True, False):
        for size in (3, 2, 1):
            if len(tokens) < size:
                continue
            part = tokens[:size] if take_from_start else tokens[-size:]
            rest = tokens[size:] if take_from_start else tokens[:-size]
            found = _day(" ".join(part), today)
            if found is None:
                continue
            day, problem = found
            # "friday 9am" typed on a Friday after 9: next Friday.
            roll = 7 if _weekday_name(" ".join(part)) else 0
            return day, " ".join(rest), problem, roll
    return None, words, None, 0


def _weekday_name(words: str) -> bool:
    return words.removeprefix("on ").removeprefix("this ").strip() in _WEEKDAYS


def _day(words: str, today: datetime.date) -> tuple[datetime.date | None, str | None] | None:
    """The day these words name: (day, None), (None, problem), or None if not a day."""
    words = words.removeprefix("on ").strip()
    if words in {"today", "tonight"}:
        return today, None
    if words in {"tomorrow", "tmrw", "tmr", "tomorow"}:
        return today + datetime.timedelta(days=1), None
    if words == "yesterday":
        return None, PASSED
    next_week = words.startswith("next ")
    name = words.removeprefix("next ").removeprefix("this ")
    if name in _WEEKDAYS:
        ahead = (_WEEKDAYS[name] - today.weekday()) % 7
        if ahead == 0 and next_week:
            ahead = 7
        return today + datetime.timedelta(days=ahead), None
    if match := _ISO.fullmatch(words):
        return _date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _SLASH.fullmatch(words):
        month, day_of_month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        if year is None:
            return _date_this_or_next_year(today, month, day_of_month)
        return _date(int(year) + (2000 if len(year) == 2 else 0), month, day_of_month)
    parts = words.split()
    if len(parts) == 2:
        first, second = parts
        if first in _MONTHS and (number := _ORDINAL.fullmatch(second)):
            return _date_this_or_next_year(today, _MONTHS[first], int(number.group(1)))
        if second in _MONTHS and (number := _ORDINAL.fullmatch(first)):
            return _date_this_or_next_year(today, _MONTHS[second], int(number.group(1)))
    return None


def _date(year: int, month: int, day: int) -> tuple[datetime.date | None, str | None]:
    try:
        return datetime.date(year, month, day), None
    except ValueError:
        return None, NO_SUCH_DATE


def _date_this_or_next_year(
    today: datetime.date, month: int, day: int
) -> tuple[datetime.date | None, str | None]:
    """A date without a year: this year's, or next year's once this year's has passed."""
    for year in (today.year, today.year + 1):
        found, problem = _date(year, month, day)
        if problem is not None and not (month == 2 and day == 29):
            return None, problem
        if found is not None and found >= today:
            return found, None
    return None, NO_SUCH_DATE


def describe_send_time(
    instant: datetime.datetime,
    zone: ZoneInfo,
    now: datetime.datetime,
    tr: Translator = _ENGLISH,
) -> str:
    """The resolved time in words, e.g. "tomorrow, Thursday 3 December 2026 at 09:00 (...)"."""
    local = instant.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days
    values = {"day": _long_day(tr, local.date(), year=True), "time": f"{local:%H:%M}"}
    if days == 0:
        when = tr._("today, {day} at {time}", **values)
    elif days == 1:
        when = tr._("tomorrow, {day} at {time}", **values)
    else:
        when = tr._("{day} at {time}", **values)
    when += f" ({zone.key})"
    left = instant - now
    if left < datetime.timedelta(days=1):
        minutes = max(1, round(left.total_seconds() / 60))
        hours, minutes = divmod(minutes, 60)
        if hours and minutes:
            span = tr._("{hours} h {minutes} min", hours=hours, minutes=minutes)
        elif hours:
            span = tr._("{hours} h", hours=hours)
        else:
            span = tr._("{minutes} min", minutes=minutes)
        when += tr._(", in {span}", span=span)
    return when


def send_time_examples(zone: ZoneInfo, now: datetime.datetime, tr: Translator = _ENGLISH) -> str:
    """The prompt's examples, with a real one: tomorrow at 09:00 in the clinic's zone.

    The typed examples stay in English words: that is what the parser reads.
    """
    tomorrow = now.astimezone(zone).date() + datetime.timedelta(days=1)
    return tr._(
        "For example <code>tomorrow 9:00</code> ({day} at 09:00), "
        "<code>{iso} 09:00</code>, <code>friday 9am</code>, "
        "<code>mon 14:30</code>, <code>12/7 9am</code> (month/day) or <code>in 2 hours</code>.",
        day=_long_day(tr, tomorrow),
        iso=tomorrow.isoformat(),
    )
