"""The rules of a staff member writing a home programme (/prescribe), below Telegram.

The draft a staff member builds step by step lives in the pending step
(storage.pending) as JSON; `Draft` is its typed form. This module reads what
they type (point codes, a hold, a course length), fills the defaults (a
point's hold from its technique) and turns a finished draft into the
`ProgrammeSpec` that storage keeps. handlers/prescribe.py asks and renders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from content.catalogue import Catalogue
from content.lookup import PointIndex
from storage.programmes import (
    ALL_WEEKDAYS,
    COURSE_WEEKS,
    HOLD_SECONDS,
    MAX_NAME,
    MAX_NOTE,
    MAX_STEPS,
    ProgrammeSpec,
    ProgrammeStep,
    Schedule,
)

__all__ = [
    "COURSE_CHOICES",
    "DEFAULT_HOLD",
    "HOLD_CHOICES",
    "MAX_NAME",
    "MAX_NOTE",
    "MAX_STEPS",
    "MAX_TYPED_POINTS",
    "Draft",
    "Problem",
    "Step",
    "TypedPoints",
    "Unknown",
    "default_hold",
    "read_course_weeks",
    "read_hold",
    "read_point_codes",
]


class Step(StrEnum):
    """The questions of /prescribe, in order (◀ Back names the one it was shown on)."""

    TITLE = "title"
    POINTS = "points"
    HOLD = "hold"  # one per point
    NOTE = "note"  # one per point
    SCHEDULE = "schedule"
    WEEKDAYS = "weekdays"
    PER_WEEK = "per_week"
    TIMES = "times"
    COURSE = "course"
    MESSAGE = "message"  # the practitioner's note to the patient
    NAME = "name"
    LINK = "link"
    PREVIEW = "preview"


HOLD_CHOICES = (30, 60, 90, 120)
COURSE_CHOICES = (2, 4, 6, 8, 12)
DEFAULT_HOLD = 60  # a point without a technique
# More than this is not a list of codes (12 points in any spelling fit easily).
MAX_TYPED_POINTS = 600
# The longest name the lookup knows has this many words ("Middle of the Crook").
_MAX_WORDS_IN_A_NAME = 4
_SEPARATORS = re.compile(r"[\s,;/+、，；]+")
_NUMBER = re.compile(r"[0-9]{1,3}")

Problem = Literal["unreadable", "out_of_range"]


@dataclass(frozen=True, slots=True)
class Unknown:
    """A typed name that is not a catalogue point, with the closest codes, if any."""

    text: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TypedPoints:
    """What a typed list of points names: the codes found, in order, and what was not."""

    codes: tuple[str, ...]
    unknown: tuple[Unknown, ...]


def read_point_codes(text: str, index: PointIndex) -> TypedPoints:
    """The points in `BL23 KI3 GB30`, `bl-23, kidney 3`, `B 40`, `weizhong 委中`...

    Words are split at spaces and commas; at each word the longest run of up
    to four words that names a point wins (so "kidney 3" and "Middle of the
    Crook" are one point each). A word that names nothing is listed back,
    with a number after it kept together ("bladder 99"), and with close
    matches as suggestions. A point named twice is kept once.
    """
    words = [word for word in _SEPARATORS.split(text[:MAX_TYPED_POINTS]) if word]
    codes: dict[str, None] = {}
    unknown: list[Unknown] = []
    position = 0
    while position < len(words):
        for size in range(min(_MAX_WORDS_IN_A_NAME, len(words) - position), 0, -1):
            point = index.find(" ".join(words[position : position + size])).point
            if point is not None:
                codes.setdefault(point.code, None)
                position += size
                break
        else:
            size = 1
            if (
                position + 1 < len(words)
                and not _NUMBER.fullmatch(words[position])
                and _NUMBER.fullmatch(words[position + 1])
            ):
                size = 2  # "bladder 99", "B 99": one unknown name, not two
            typed = " ".join(words[position : position + size])
            suggestions = tuple(p.code for p in index.find(typed).suggestions)
            if all(item.text != typed for item in unknown):
                unknown.append(Unknown(typed, suggestions))
            position += size
    return TypedPoints(tuple(codes), tuple(unknown))


def default_hold(catalogue: Catalogue, code: str) -> int:
    """A point's hold unless staff choose another: its technique's longest, else 60 s."""
    point = catalogue.point(code)
    technique = catalogue.technique(point.technique) if point and point.technique else None
    if technique is None:
        return DEFAULT_HOLD
    return min(max(technique.hold_seconds_max, HOLD_SECONDS.start), HOLD_SECONDS.stop - 1)


_HOLD = re.compile(
    r"(?P<n>[0-9]{1,4})\s*(?:(?P<s>s|secs?|seconds?|seg|segs?|segundos?|秒|秒钟)"
    r"|(?P<m>m|mins?|minutes?|minutos?|分|分钟))?\.?",
    re.IGNORECASE,
)


def read_hold(text: str) -> tuple[int | None, Problem | None]:
    """A hold time typed as `45`, `45 s`, `45 seconds`, `2 min`, `45秒`: seconds, 10-180.

    Returns (seconds, None), or (None, why not): unreadable, or out of range.
    """
    match = _HOLD.fullmatch(text.strip())
    if match is None:
        return None, "unreadable"
    seconds = int(match["n"]) * (60 if match["m"] else 1)
    if seconds not in HOLD_SECONDS:
        return None, "out_of_range"
    return seconds, None


_COURSE = re.compile(
    r"(?P<n>[0-9]{1,3})\s*(?:w|wk|wks|weeks?|semanas?|周|週|星期|个星期)?\.?", re.IGNORECASE
)


def read_course_weeks(text: str) -> tuple[int | None, Problem | None]:
    """A course typed as `6`, `6 weeks`, `6 semanas`, `6周`: weeks, 1-26."""
    match = _COURSE.fullmatch(text.strip())
    if match is None:
        return None, "unreadable"
    weeks = int(match["n"])
    if weeks not in COURSE_WEEKS:
        return None, "out_of_range"
    return weeks, None


@dataclass(frozen=True, slots=True)
class Draft:
    """A programme being written, as far as it has got (kept in the pending step)."""

    title: str | None = None
    steps: tuple[ProgrammeStep, ...] = ()
    schedule: Schedule | None = None
    weekdays: int = 0
    days_per_week: int | None = None
    times_per_day: int | None = None
    course_chosen: bool = False  # course_weeks None is open-ended only once chosen
    course_weeks: int | None = None
    note: str | None = None
    practitioner_name: str | None = None
    single_use: bool | None = None
    # Editing: the programme whose next version this becomes.
    programme_id: int | None = None
    # Where the staff member is: the meridian whose points are shown, the
    # point whose hold or note is asked.
    meridian: str | None = None
    item: int = 0

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(step.point for step in self.steps)

    def toggle_point(self, code: str, catalogue: Catalogue) -> tuple[Draft, bool]:
        """The draft with the point added (default hold) or removed; False if it is full."""
        if code in self.codes:
            return replace(self, steps=tuple(s for s in self.steps if s.point != code)), True
        if len(self.steps) >= MAX_STEPS:
            return self, False
        step = ProgrammeStep(code, default_hold(catalogue, code))
        return replace(self, steps=(*self.steps, step)), True

    def add_points(self, codes: tuple[str, ...], catalogue: Catalogue) -> tuple[Draft, list[str]]:
        """The draft with these points added (those already in it stay where they are),
        and the codes left out because a programme has at most MAX_STEPS points."""
        draft, left_out = self, []
        for code in codes:
            if code in draft.codes:
                continue
            draft, added = draft.toggle_point(code, catalogue)
            if not added:
                left_out.append(code)
        return draft, left_out

    def with_step(self, item: int, **changes: Any) -> Draft:
        """The draft with one point's hold or note changed."""
        steps = list(self.steps)
        steps[item] = replace(steps[item], **changes)
        return replace(self, steps=tuple(steps))

    def spec(self, fallback_name: str) -> ProgrammeSpec:
        """The programme to store (or preview); unanswered questions take their defaults."""
        schedule = self.schedule or Schedule.DAILY
        return ProgrammeSpec(
            title=self.title or "",
            practitioner_name=(self.practitioner_name or fallback_name)[:MAX_NAME],
            steps=self.steps,
            schedule=schedule,
            weekdays=self.weekdays if schedule is Schedule.WEEKDAYS else ALL_WEEKDAYS,
            days_per_week=self.days_per_week if schedule is Schedule.PER_WEEK else None,
            times_per_day=self.times_per_day or 1,
            course_weeks=self.course_weeks,
            note=self.note,
        )

    @classmethod
    def from_spec(cls, spec: ProgrammeSpec, programme_id: int) -> Draft:
        """A draft prefilled with a stored version, to edit into the next one."""
        return cls(
            title=spec.title,
            steps=spec.steps,
            schedule=spec.schedule,
            weekdays=spec.weekdays if spec.schedule is Schedule.WEEKDAYS else 0,
            days_per_week=spec.days_per_week,
            times_per_day=spec.times_per_day,
            course_chosen=True,
            course_weeks=spec.course_weeks,
            note=spec.note,
            practitioner_name=spec.practitioner_name,
            programme_id=programme_id,
        )

    def to_data(self) -> dict[str, Any]:
        """The draft as the pending step's JSON."""
        return {
            "title": self.title,
            "steps": [step.as_json() for step in self.steps],
            "schedule": self.schedule.value if self.schedule else None,
            "weekdays": self.weekdays,
            "days_per_week": self.days_per_week,
            "times_per_day": self.times_per_day,
            "course_chosen": self.course_chosen,
            "course_weeks": self.course_weeks,
            "note": self.note,
            "practitioner_name": self.practitioner_name,
            "single_use": self.single_use,
            "programme_id": self.programme_id,
            "meridian": self.meridian,
            "item": self.item,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft:
        """The draft from the pending step's JSON (missing keys take their defaults)."""
        schedule = data.get("schedule")
        return cls(
            title=data.get("title"),
            steps=tuple(ProgrammeStep.from_json(step) for step in data.get("steps") or ()),
            schedule=Schedule(schedule) if schedule else None,
            weekdays=int(data.get("weekdays") or 0),
            days_per_week=data.get("days_per_week"),
            times_per_day=data.get("times_per_day"),
            course_chosen=bool(data.get("course_chosen")),
            course_weeks=data.get("course_weeks"),
            note=data.get("note"),
            practitioner_name=data.get("practitioner_name"),
            single_use=data.get("single_use"),
            programme_id=data.get("programme_id"),
            meridian=data.get("meridian"),
            item=int(data.get("item") or 0),
        )
