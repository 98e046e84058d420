"""Home programmes a practitioner prescribes, their links, and the patients following them.

A programme's content lives in versions: editing writes version n + 1 and
moves `current_version`, and a patient's enrolment keeps the version it
started with until the patient accepts the newer one. A link row is what a
signed deep-link code names (scheduler.programme_codes signs and checks the
code; this module only stores the row). A single-use link is claimed with
one conditional UPDATE, so two patients opening it at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_affected
from storage.models import Programme, ProgrammeEnrolment, ProgrammeLink, ProgrammeVersion

__all__ = [
    "ALL_WEEKDAYS",
    "COURSE_WEEKS",
    "HOLD_SECONDS",
    "MAX_NOTE",
    "MAX_STEPS",
    "ClaimResult",
    "Enrolment",
    "EnrolmentStatus",
    "Link",
    "ProgrammeSpec",
    "ProgrammeStep",
    "ProgrammeSummary",
    "ProgrammeVersionRecord",
    "Schedule",
    "active_enrolment",
    "claim_link",
    "create_link",
    "create_programme",
    "end_enrolment",
    "enrol",
    "enrolments_of",
    "get_enrolment",
    "get_link",
    "get_version",
    "link_is_open",
    "list_programmes",
    "parse_times",
    "save_new_version",
    "switch_version",
    "weekday_mask",
    "weekdays_of",
]

ALL_WEEKDAYS = 0b111_1111  # Monday = bit 0 ... Sunday = bit 6
HOLD_SECONDS = range(10, 181)  # 10-180 s per point
COURSE_WEEKS = range(1, 27)  # 1-26 weeks, or None for open-ended
MAX_STEPS = 12
MAX_NOTE = 500  # characters of a practitioner's note (programme or step)
MAX_NAME = 64


class Schedule(StrEnum):
    DAILY = "daily"  # every day
    WEEKDAYS = "weekdays"  # the practitioner's chosen weekdays
    PER_WEEK = "per_week"  # N days a week; the patient picks which


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"  # the patient left it (back to the clinic's default routine)
    FINISHED = "finished"  # the course ran its weeks


def weekday_mask(days: Sequence[int]) -> int:
    """Weekday numbers (Monday 0 ... Sunday 6, as `date.weekday()`) as a bit mask."""
    mask = 0
    for day in days:
        if not 0 <= day <= 6:
            raise ValueError(f"weekday out of range: {day}")
        mask |= 1 << day
    return mask


def weekdays_of(mask: int) -> tuple[int, ...]:
    """The weekday numbers in a mask, Monday first."""
    return tuple(day for day in range(7) if mask & (1 << day))


def parse_times(values: Sequence[str]) -> tuple[time, ...]:
    """Stored "HH:MM" strings as times (the enrolment's reminder times)."""
    return tuple(time.fromisoformat(value) for value in values)


@dataclass(frozen=True, slots=True)
class ProgrammeStep:
    point: str  # a catalogue point code, e.g. "BL23"
    hold_seconds: int
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"point": self.point, "hold_seconds": self.hold_seconds, "note": self.note}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ProgrammeStep:
        return cls(str(value["point"]), int(value["hold_seconds"]), value.get("note"))


@dataclass(frozen=True, slots=True)
class ProgrammeSpec:
    """What a practitioner prescribes (one version's content)."""

    title: str
    practitioner_name: str
    steps: tuple[ProgrammeStep, ...]
    schedule: Schedule = Schedule.DAILY
    weekdays: int = ALL_WEEKDAYS  # used by Schedule.WEEKDAYS
    days_per_week: int | None = None  # used by Schedule.PER_WEEK
    times_per_day: int = 1
    course_weeks: int | None = None  # None: open-ended
    note: str | None = None

    def problems(self) -> list[str]:
        """What makes this spec unstorable, in plain English for logs and tests (empty: fine).

        The staff flow checks each answer as it is given and says so in the
        staff member's language; this is the last line of defence.
        """
        found: list[str] = []
        if not self.title.strip() or len(self.title) > MAX_NAME:
            found.append(f"title must be 1-{MAX_NAME} characters")
        if not self.practitioner_name.strip() or len(self.practitioner_name) > MAX_NAME:
            found.append(f"practitioner name must be 1-{MAX_NAME} characters")
        if not 1 <= len(self.steps) <= MAX_STEPS:
            found.append(f"a programme has 1-{MAX_STEPS} points")
        codes = [step.point for step in self.steps]
        if len(set(codes)) != len(codes):
            found.append("a point appears twice")
        for step in self.steps:
            if step.hold_seconds not in HOLD_SECONDS:
                found.append(f"{step.point}: hold must be 10-180 s")
            if step.note is not None and len(step.note) > MAX_NOTE:
                found.append(f"{step.point}: note longer than {MAX_NOTE} characters")
        if self.schedule is Schedule.WEEKDAYS and not 0 < self.weekdays <= ALL_WEEKDAYS:
            found.append("choose at least one weekday")
        if self.schedule is Schedule.PER_WEEK and self.days_per_week not in range(1, 8):
            found.append("days per week must be 1-7")
        if self.times_per_day not in (1, 2):
            found.append("one or two reminders a day")
        if self.course_weeks is not None and self.course_weeks not in COURSE_WEEKS:
            found.append("a course is 1-26 weeks, or open-ended")
        if self.note is not None and len(self.note) > MAX_NOTE:
            found.append(f"note longer than {MAX_NOTE} characters")
        return found

    @property
    def weekly_goal(self) -> int:
        """Days a week the patient is asked to practise."""
        if self.schedule is Schedule.WEEKDAYS:
            return len(weekdays_of(self.weekdays))
        if self.schedule is Schedule.PER_WEEK and self.days_per_week:
            return self.days_per_week
        return 7


@dataclass(frozen=True, slots=True)
class ProgrammeVersionRecord:
    programme_id: int
    version: int
    current_version: int  # the programme's newest version, to offer an update
    spec: ProgrammeSpec
    created_by: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProgrammeSummary:
    """A line of /programmes."""

    programme_id: int
    title: str
    practitioner_name: str
    current_version: int
    created_at: datetime
    started: int  # patients who ever started it
    active: int  # patients following it now


@dataclass(frozen=True, slots=True)
class Link:
    id: int
    programme_id: int
    single_use: bool
    expires_at: datetime
    created_by: int
    used_by: int | None


class ClaimResult(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"  # no such link (deleted with its programme, or never made)
    EXPIRED = "expired"
    USED = "used"  # a single-use link someone else already opened


@dataclass(frozen=True, slots=True)
class Enrolment:
    id: int
    user_id: int
    programme_id: int
    version: int
    link_id: int | None
    started_at: datetime
    start_date: date
    weekdays: int
    times: tuple[time, ...]
    status: EnrolmentStatus
    ended_at: datetime | None
    keep_reminders: bool = False


def _spec(programme: Programme, row: ProgrammeVersion) -> ProgrammeSpec:
    return ProgrammeSpec(
        title=programme.title,
        practitioner_name=programme.practitioner_name,
        steps=tuple(ProgrammeStep.from_json(step) for step in row.steps),
        schedule=Schedule(row.schedule),
        weekdays=row.weekdays,
        days_per_week=row.days_per_week,
        times_per_day=row.times_per_day,
        course_weeks=row.course_weeks,
        note=row.note,
    )


def _version_values(spec: ProgrammeSpec) -> dict[str, Any]:
    problems = spec.problems()
    if problems:
        raise ValueError("; ".join(problems))
    return {
        "steps": [step.as_json() for step in spec.steps],
        "schedule": spec.schedule.value,
        "weekdays": spec.weekdays,
        "days_per_week": spec.days_per_week,
        "times_per_day": spec.times_per_day,
        "course_weeks": spec.course_weeks,
        "note": spec.note,
    }


async def create_programme(
    *, session: AsyncSession, spec: ProgrammeSpec, created_by: int, now: datetime
) -> int:
    """Stores a new programme as version 1; returns its id. Raises ValueError on a bad spec."""
    values = _version_values(spec)
    programme = Programme(
        created_by=created_by,
        practitioner_name=spec.practitioner_name,
        title=spec.title,
        current_version=1,
        created_at=now,
    )
    session.add(programme)
    await session.flush()
    session.add(ProgrammeVersion(programme_id=programme.id, version=1, created_at=now, **values))
    await session.flush()
    return programme.id


async def save_new_version(
    *, session: AsyncSession, programme_id: int, spec: ProgrammeSpec, now: datetime
) -> int:
    """Stores an edit as the next version and makes it current; returns its number.

    Patients already on the programme keep their version until they accept
    the update (`switch_version`).
    """
    values = _version_values(spec)
    programme = await session.get(Programme, programme_id, with_for_update=True)
    if programme is None:
        raise LookupError(f"no programme {programme_id}")
    version = programme.current_version + 1
    programme.current_version = version
    programme.title = spec.title
    programme.practitioner_name = spec.practitioner_name
    session.add(
        ProgrammeVersion(programme_id=programme_id, version=version, created_at=now, **values)
    )
    await session.flush()
    return version


async def get_version(
    *, session: AsyncSession, programme_id: int, version: int | None = None
) -> ProgrammeVersionRecord | None:
    """One version of a programme (the current one when `version` is None)."""
    programme = await session.get(Programme, programme_id)
    if programme is None:
        return None
    wanted = programme.current_version if version is None else version
    row = (
        await session.execute(
            select(ProgrammeVersion).where(
                ProgrammeVersion.programme_id == programme_id,
                ProgrammeVersion.version == wanted,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return ProgrammeVersionRecord(
        programme_id=programme_id,
        version=wanted,
        current_version=programme.current_version,
        spec=_spec(programme, row),
        created_by=programme.created_by,
        created_at=row.created_at,
    )


async def list_programmes(*, session: AsyncSession, limit: int = 50) -> list[ProgrammeSummary]:
    """Newest first, with how many patients started each and how many follow it now."""
    started = func.count(ProgrammeEnrolment.id)
    active = func.count(ProgrammeEnrolment.id).filter(
        ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE.value
    )
    rows = await session.execute(
        select(
            Programme.id,
            Programme.title,
            Programme.practitioner_name,
            Programme.current_version,
            Programme.created_at,
            started,
            active,
        )
        .outerjoin(ProgrammeEnrolment, ProgrammeEnrolment.programme_id == Programme.id)
        .group_by(Programme.id)
        .order_by(Programme.created_at.desc(), Programme.id.desc())
        .limit(limit)
    )
    return [ProgrammeSummary(*row) for row in rows]


async def create_link(
    *,
    session: AsyncSession,
    programme_id: int,
    single_use: bool,
    expires_at: datetime,
    created_by: int,
    now: datetime,
) -> Link:
    row = ProgrammeLink(
        programme_id=programme_id,
        single_use=single_use,
        expires_at=expires_at,
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return Link(row.id, programme_id, single_use, expires_at, created_by, None)


async def get_link(*, session: AsyncSession, link_id: int) -> Link | None:
    row = await session.get(ProgrammeLink, link_id)
    if row is None:
        return None
    return Link(
        row.id, row.programme_id, row.single_use, row.expires_at, row.created_by, row.used_by
    )


async def claim_link(
    *, session: AsyncSession, link_id: int, user_id: int, now: datetime
) -> tuple[ClaimResult, Link | None]:
    """Takes a link for a patient who confirmed its programme.

    A reusable link is always available until it expires. A single-use one
    is claimed by one conditional UPDATE: the first patient wins, a second
    gets USED, and the same patient opening it again gets OK (a repeated
    confirmation changes nothing).
    """
    link = await get_link(session=session, link_id=link_id)
    if link is None:
        return ClaimResult.UNKNOWN, None
    if link.expires_at <= now:
        return ClaimResult.EXPIRED, link
    if not link.single_use:
        return ClaimResult.OK, link
    if link.used_by == user_id:
        return ClaimResult.OK, link
    claimed = await session.execute(
        update(ProgrammeLink)
        .where(ProgrammeLink.id == link_id, ProgrammeLink.used_by.is_(None))
        .values(used_by=user_id, used_at=now)
    )
    if rows_affected(claimed) == 1:
        return ClaimResult.OK, Link(
            link.id, link.programme_id, True, link.expires_at, link.created_by, user_id
        )
    return ClaimResult.USED, link


def link_is_open(link: Link, *, user_id: int, now: datetime) -> ClaimResult:
    """Whether a patient may open the link now, without claiming it (the preview)."""
    if link.expires_at <= now:
        return ClaimResult.EXPIRED
    if link.single_use and link.used_by is not None and link.used_by != user_id:
        return ClaimResult.USED
    return ClaimResult.OK


_ENROLMENT_COLUMNS = (
    ProgrammeEnrolment.id,
    ProgrammeEnrolment.user_id,
    ProgrammeEnrolment.programme_id,
    ProgrammeEnrolment.version,
    ProgrammeEnrolment.link_id,
    ProgrammeEnrolment.started_at,
    ProgrammeEnrolment.start_date,
    ProgrammeEnrolment.weekdays,
    ProgrammeEnrolment.times,
    ProgrammeEnrolment.status,
    ProgrammeEnrolment.ended_at,
    ProgrammeEnrolment.keep_reminders,
)


def _enrolment(row: Any) -> Enrolment:
    values = list(row)
    values[8] = parse_times(values[8])
    values[9] = EnrolmentStatus(values[9])
    return Enrolment(*values)


async def active_enrolment(*, session: AsyncSession, user_id: int) -> Enrolment | None:
    row = (
        await session.execute(
            select(*_ENROLMENT_COLUMNS).where(
                ProgrammeEnrolment.user_id == user_id,
                ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE.value,
            )
        )
    ).one_or_none()
    return _enrolment(row) if row else None


async def get_enrolment(*, session: AsyncSession, enrolment_id: int) -> Enrolment | None:
    row = (
        await session.execute(
            select(*_ENROLMENT_COLUMNS).where(ProgrammeEnrolment.id == enrolment_id)
        )
    ).one_or_none()
    return _enrolment(row) if row else None


async def enrol(
    *,
    session: AsyncSession,
    user_id: int,
    programme_id: int,
    version: int,
    link_id: int | None,
    start_date: date,
    weekdays: int,
    times: Sequence[time],
    now: datetime,
) -> Enrolment:
    """Starts a programme for a patient; a programme they were following ends ("left").

    The caller points the patient's subscription at the new enrolment
    (scheduler.subscriptions), in the same transaction.
    """
    if not 0 < weekdays <= ALL_WEEKDAYS:
        raise ValueError("an enrolment needs at least one weekday")
    if not 1 <= len(times) <= 2:
        raise ValueError("one or two reminder times")
    await session.execute(
        update(ProgrammeEnrolment)
        .where(
            ProgrammeEnrolment.user_id == user_id,
            ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE.value,
        )
        .values(status=EnrolmentStatus.LEFT.value, ended_at=now)
    )
    row = ProgrammeEnrolment(
        user_id=user_id,
        programme_id=programme_id,
        version=version,
        link_id=link_id,
        started_at=now,
        start_date=start_date,
        weekdays=weekdays,
        times=[value.strftime("%H:%M") for value in sorted(times)],
        status=EnrolmentStatus.ACTIVE.value,
        keep_reminders=False,
    )
    session.add(row)
    await session.flush()
    enrolment = await get_enrolment(session=session, enrolment_id=row.id)
    assert enrolment is not None
    return enrolment


async def end_enrolment(
    *,
    session: AsyncSession,
    enrolment_id: int,
    status: EnrolmentStatus,
    now: datetime,
    keep_reminders: bool = False,
) -> bool:
    """Marks an active enrolment left or finished; False if it was no longer active."""
    if status is EnrolmentStatus.ACTIVE:
        raise ValueError("end_enrolment ends an enrolment")
    result = await session.execute(
        update(ProgrammeEnrolment)
        .where(
            ProgrammeEnrolment.id == enrolment_id,
            ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE.value,
        )
        .values(status=status.value, ended_at=now, keep_reminders=keep_reminders)
    )
    return rows_affected(result) == 1


async def switch_version(*, session: AsyncSession, enrolment_id: int, version: int) -> bool:
    """The patient accepted the programme's newer version; False if not active."""
    result = await session.execute(
        update(ProgrammeEnrolment)
        .where(
            ProgrammeEnrolment.id == enrolment_id,
            ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE.value,
        )
        .values(version=version)
    )
    return rows_affected(result) == 1


async def enrolments_of(*, session: AsyncSession, user_id: int) -> list[Enrolment]:
    """Every programme the patient followed, oldest first (for /export)."""
    rows = await session.execute(
        select(*_ENROLMENT_COLUMNS)
        .where(ProgrammeEnrolment.user_id == user_id)
        .order_by(ProgrammeEnrolment.started_at, ProgrammeEnrolment.id)
    )
    return [_enrolment(row) for row in rows]
