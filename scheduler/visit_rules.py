"""The rules of visits, pure: when each reminder is due, and reading a typed visit time.

No I/O and no Telegram. Times are UTC instants; every local reading is in
the PATIENT's zone (their reminders come at their own local times; staff see
clinic time, which is only a matter of display).

When reminders are due, for a visit at `starts_at`:
* the day before, at VISIT_REMINDER_DAY_BEFORE_AT local (18:00 by default);
* `lead` before the visit (VISIT_REMINDER_LEAD, 2 h by default);
* the no-answer check at 08:00 local the morning after the day-before
  reminder (never after the visit starts): if the patient has not answered
  by then, the front desk is told.
Quiet hours are 21:00-08:00 local: a reminder due then is moved out of
them (the day-before one within its own local day, the lead one to 08:00 if
that is still before the visit, else to the evening before), unless the
visit itself is in quiet hours (a 07:30 visit may be reminded at 05:30).
A reminder whose time has passed when the visit is entered, or that would
not come before the visit, is not planned. Local times that do not exist
(spring forward) move to the first valid instant, repeated ones (fall back)
are the first occurrence (scheduler.schedule_rule.occurrence_on).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from content.i18n import N_
from scheduler.schedule_rule import NoOccurrenceError, occurrence_on
from scheduler.time_input import parse_time_of_day

UTC = datetime.UTC
QUIET_START = datetime.time(21, 0)
QUIET_END = datetime.time(8, 0)
# Where a reminder in quiet hours goes when it moves to the evening before them.
EVENING = datetime.time(20, 0)
NO_ANSWER_AT = QUIET_END  # the morning after the day-before reminder
MAX_AHEAD = datetime.timedelta(days=365)
_ONE_DAY = datetime.timedelta(days=1)


class ReminderKind(StrEnum):
    DAY_BEFORE = "day_before"
    LEAD = "lead"
    NO_ANSWER = "no_answer"  # not sent to the patient: the front desk is told


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    kind: ReminderKind
    due_at: datetime.datetime


def _local(instant: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    return instant.astimezone(zone)


def is_quiet(instant: datetime.datetime, zone: ZoneInfo) -> bool:
    """Whether the local time of `instant` is in quiet hours (21:00 to 08:00)."""
    local = _local(instant, zone).time()
    return local >= QUIET_START or local < QUIET_END


def _at(day: datetime.date, at: datetime.time, zone: ZoneInfo) -> datetime.datetime | None:
    try:
        return occurrence_on(day, at, zone)
    except NoOccurrenceError:  # the zone skipped that whole date
        return None


def _out_of_quiet(
    due: datetime.datetime, zone: ZoneInfo, *, prefer_later: bool, before: datetime.datetime
) -> datetime.datetime | None:
    """`due`, moved out of quiet hours: 08:00 after it, or 20:00 before it."""
    local = _local(due, zone)
    # The quiet window `due` is in began the evening of `evening_day` and ends on `morning_day`.
    evening_day = local.date() if local.time() >= QUIET_START else local.date() - _ONE_DAY
    morning_day = evening_day + _ONE_DAY
    later = _at(morning_day, QUIET_END, zone)
    earlier = _at(evening_day, EVENING, zone)
    if prefer_later and later is not None and later < before:
        return later
    if not prefer_later and local.time() < QUIET_END and later is not None and later < before:
        return later  # an early-morning day-before time stays on its own day: 08:00
    return earlier


def reminder_plan(
    starts_at: datetime.datetime,
    zone: ZoneInfo,
    *,
    day_before_at: datetime.time,
    lead: datetime.timedelta,
    now: datetime.datetime,
) -> list[PlannedReminder]:
    """The reminders (and no-answer check) to plan for a visit entered at `now`, by due time."""
    if starts_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("starts_at and now must be timezone-aware")
    quiet_visit = is_quiet(starts_at, zone)
    visit_day = _local(starts_at, zone).date()
    plan: list[PlannedReminder] = []

    day_before = _at(visit_day - _ONE_DAY, day_before_at, zone)
    if day_before is not None and not quiet_visit and is_quiet(day_before, zone):
        day_before = _out_of_quiet(day_before, zone, prefer_later=False, before=starts_at)
    lead_at: datetime.datetime | None = starts_at - lead
    if lead_at is not None and not quiet_visit and is_quiet(lead_at, zone):
        lead_at = _out_of_quiet(lead_at, zone, prefer_later=True, before=starts_at)
    if lead_at is not None and not now < lead_at < starts_at:
        lead_at = None
    if day_before is not None and not now < day_before < starts_at:
        day_before = None
    if day_before is not None and lead_at is not None and day_before >= lead_at:
        day_before = None  # a lead of a day or more: the lead reminder is the day-before one
    if day_before is not None:
        plan.append(PlannedReminder(ReminderKind.DAY_BEFORE, day_before))
        morning = _at(_local(day_before, zone).date() + _ONE_DAY, NO_ANSWER_AT, zone)
        check = min(morning, starts_at) if morning is not None else starts_at
        plan.append(PlannedReminder(ReminderKind.NO_ANSWER, check))
    if lead_at is not None:
        plan.append(PlannedReminder(ReminderKind.LEAD, lead_at))
    return sorted(plan, key=lambda reminder: reminder.due_at)


# ---------------------------------------------------------------------------
# Reading a typed visit time
# ---------------------------------------------------------------------------

VISIT_EMPTY = N_(
    "Please type the day and time of your visit, like <i>friday 3pm</i>, "
    "<i>tomorrow 15:00</i> or <i>2027-03-15 15:00</i>."
)
VISIT_UNREADABLE = N_(
    "I couldn't read that as a day and time. Please type it like <i>friday 3pm</i>, "
    "<i>tomorrow 15:00</i> or <i>2027-03-15 15:00</i>."
)
VISIT_NO_TIME = N_(
    "Please add the time of the visit, like <i>friday 3pm</i> or <i>tomorrow 15:00</i>."
)
VISIT_NO_SUCH_DATE = N_(
    "That date does not exist (check the day and the month). Please type it again, "
    "like <i>2027-03-15 15:00</i>."
)
VISIT_PAST = N_("That time has already passed. Please type a day and time still to come.")
VISIT_TOO_FAR = N_("That is more than a year ahead. Please enter visits up to a year from now.")
VISIT_IN_GAP = N_(
    "The clocks change that night, so that time does not exist there. Did you mean "
    "{suggestion}? Please type the time again."
)

_MAX_CHARS = 80
# "my next appointment is", "mi próxima cita es", "我的下次预约是": said before the time.
_VISIT_WORDS = (
    r"(?:(?:my |the )?(?:next )?(?:appointment|visit|appt)(?: is)?|mi (?:proxima )?"
    r"(?:cita|visita)(?: es)?|(?:我的)?(?:下次)?(?:预约|复诊|就诊)(?:是|在)?)"
)
_FILLER = re.compile(r"^(?:" + _VISIT_WORDS + r"|it'?s)\s*")
_MENTION = re.compile(r"^" + _VISIT_WORDS + r"\s*(?:on |at |el |a las )?(\S.*)$")
_JOINERS = {"at", "on", "a", "las", "la", "el", "this", "next", "este", "proximo", "de", "in"}
_RELATIVE = {
    "today": 0,
    "hoy": 0,
    "今天": 0,
    "tomorrow": 1,
    "manana": 1,
    "明天": 1,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
    "pasado manana": 2,
    "后天": 2,
}
_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("monday", "mon", "lunes", "周一", "星期一", "礼拜一"),
        ("tuesday", "tue", "tues", "martes", "周二", "星期二", "礼拜二"),
        ("wednesday", "wed", "miercoles", "周三", "星期三", "礼拜三"),
        ("thursday", "thu", "thur", "thurs", "jueves", "周四", "星期四", "礼拜四"),
        ("friday", "fri", "viernes", "周五", "星期五", "礼拜五"),
        ("saturday", "sat", "sabado", "周六", "星期六", "礼拜六"),
        ("sunday", "sun", "domingo", "周日", "周天", "星期日", "星期天", "礼拜天"),
    )
):
    for _name in _names:
        _WEEKDAYS[_name] = _number
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("january", "jan", "enero"),
        ("february", "feb", "febrero"),
        ("march", "mar", "marzo"),
        ("april", "apr", "abril"),
        ("may", "mayo"),
        ("june", "jun", "junio"),
        ("july", "jul", "julio"),
        ("august", "aug", "agosto"),
        ("september", "sep", "sept", "septiembre", "setiembre"),
        ("october", "oct", "octubre"),
        ("november", "nov", "noviembre"),
        ("december", "dec", "diciembre"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_ZH_DATE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]")
_ISO_JOINED = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})t(\d{1,2}:\d{2})")


@dataclass(frozen=True, slots=True)
class VisitParse:
    """A visit's start (UTC) or a problem to show (an English message id).

    With VISIT_IN_GAP, `suggestion` is the nearest valid time (the first
    instant after the clocks moved).
    """

    starts_at: datetime.datetime | None
    problem: str | None = None
    suggestion: datetime.datetime | None = None


def visit_mention(text: str) -> str | None:
    """The day and time in "my next appointment is friday 3pm" (and the es, zh forms); else None.

    Only a message that starts by naming the visit: the own-words matcher
    hands it to /visit, which reads (and checks) the rest.
    """
    if not isinstance(text, str) or len(text) > _MAX_CHARS:
        return None
    match = _MENTION.match(_clean(text))
    return match.group(1) if match else None


class _NoSuchDate(Exception):
    pass


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # Accents off (mañana -> manana, miércoles -> miercoles); Chinese stays.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _ISO_JOINED.sub(r"\1 \2", text)
    text = re.sub(r"[,!?¿¡;]", " ", text)
    text = re.sub(r"\.(?=\s|$)", " ", text)  # a full stop, not "7.30" nor "p.m."
    return " ".join(text.split())


def _splits(words: list[str]) -> list[tuple[list[str], datetime.time]]:
    """Ways to read the words as a day and a time, the time being the last (or first) words."""
    found = []
    for size in (1, 2, 3):
        if len(words) >= size:
            parsed = parse_time_of_day(" ".join(words[-size:]))
            if parsed.value is not None:
                found.append((words[:-size], parsed.value))
            parsed = parse_time_of_day(" ".join(words[:size]))
            if parsed.value is not None and size < len(words):
                found.append((words[size:], parsed.value))
    return found


def _date_of(words: list[str], today: datetime.date) -> tuple[datetime.date, bool] | None:
    """The local date the words name, and whether it may roll on to the next one.

    A weekday rolls on a week, a day of a month without a year to next year,
    when their time has passed. Raises _NoSuchDate for an impossible date.
    """
    words = [w for w in words if w not in _JOINERS]
    text = " ".join(words)
    if not text:
        return None
    if text in _RELATIVE:
        return today + datetime.timedelta(days=_RELATIVE[text]), False
    if text in _WEEKDAYS:
        ahead = (_WEEKDAYS[text] - today.weekday()) % 7
        return today + datetime.timedelta(days=ahead), True
    if (match := _ISO_DATE.fullmatch(text)) or (match := _ZH_DATE.fullmatch(text)):
        year = int(match.group(1)) if match.group(1) else today.year
        return _make_date(year, int(match.group(2)), int(match.group(3))), not match.group(1)
    # "march 15", "15 march", "march 15 2027", "15 marzo 2027".
    numbers = [w for w in words if w.isascii() and w.isdigit()]
    months = [_MONTHS[w] for w in words if w in _MONTHS]
    if len(months) == 1 and 1 <= len(numbers) <= 2 and len(numbers) + 1 == len(words):
        day = int(numbers[0])
        year = int(numbers[1]) if len(numbers) == 2 else today.year
        return _make_date(year, months[0], day), len(numbers) == 1
    return None


def _rolled(day: datetime.date, weekday: bool) -> datetime.date:
    if weekday:
        return day + datetime.timedelta(days=7)
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        raise _NoSuchDate from None


def _make_date(year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise _NoSuchDate from None


def parse_visit_time(text: str, zone: ZoneInfo, now: datetime.datetime) -> VisitParse:
    """A typed visit time ("friday 3pm", "tomorrow 15:00", "2027-03-15 15:00"); never raises.

    Read in the patient's `zone`. A date without a year is this year's (next
    year's once it has passed); a weekday is the next one, today included
    while the time is still ahead.
    """
    cleaned = _clean(text)[: _MAX_CHARS + 1] if isinstance(text, str) else ""
    if not cleaned:
        return VisitParse(None, VISIT_EMPTY)
    if len(cleaned) > _MAX_CHARS:
        return VisitParse(None, VISIT_UNREADABLE)
    cleaned = _FILLER.sub("", cleaned)
    # Chinese writes the day and the time together: "明天15:00" reads as "明天 15:00".
    cleaned = re.sub(r"([\u4e00-\u9fff])(\d)", r"\1 \2", cleaned)
    words = cleaned.split()
    today = now.astimezone(zone).date()
    try:
        readings = [(w, at, _date_of(w, today)) for w, at in _splits(words)]
        read = next(((w, at, named) for w, at, named in readings if named is not None), None)
        if read is None:
            if _date_of(words, today) is not None:
                return VisitParse(None, VISIT_NO_TIME)
            return VisitParse(None, VISIT_UNREADABLE)
        day_words, at, (day, rolls) = read
        wall = datetime.datetime.combine(day, at)
        starts_at = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if starts_at <= now and rolls:
            # "friday 9am" said on a Friday at noon: next Friday.
            day = _rolled(day, weekday=_is_weekday(day_words))
            wall = datetime.datetime.combine(day, at)
            starts_at = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    except _NoSuchDate:
        return VisitParse(None, VISIT_NO_SUCH_DATE)
    if starts_at.astimezone(zone).replace(tzinfo=None) != wall:
        suggestion = occurrence_on(day, at, zone)
        if suggestion <= now or suggestion - now > MAX_AHEAD:
            return VisitParse(None, VISIT_PAST if suggestion <= now else VISIT_TOO_FAR)
        return VisitParse(None, VISIT_IN_GAP, suggestion)
    if starts_at <= now:
        return VisitParse(None, VISIT_PAST)
    if starts_at - now > MAX_AHEAD:
        return VisitParse(None, VISIT_TOO_FAR)
    return VisitParse(starts_at)


def _is_weekday(words: list[str]) -> bool:
    named = [w for w in words if w not in _JOINERS]
    return len(named) == 1 and named[0] in _WEEKDAYS
