"""One patient's last 4 or 6 weeks, gathered for their visit summary (/report).

`load_patient_summary` reads, in seven small statements bounded by the
period, what the bot stores today: the home programme followed in the
period, the days the patient was meant to practise (the programme's
weekdays, else their reminder's), the days done, the days whose reminder
was lost to the bot's downtime, pain and weekly activity answers, "too
sore / bruised" reports, and the PEG and Roland-Morris scores. It computes
nothing clinical: the report's figures (week n of m, planned vs done,
first / last / mean) are worked out by scheduler/visit_report.py, which
the staff copy (storage/clinician.py) uses as well.

Days are the patient's local days, as stored with each delivery and
check-in; a sore report is stored as an instant and dated in `zone`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.checkins import CheckInKind
from storage.models import (
    AdverseEvent,
    CheckIn,
    Delivery,
    Programme,
    ProgrammeEnrolment,
    ProgrammeVersion,
    QuestionnaireRun,
    RoutineDay,
    Subscription,
)
from storage.programmes import EnrolmentStatus
from storage.questionnaires import UNKNOWN
from storage.reminders import COURSE_END_SLOT, DeliveryStatus

# The instruments' ids as stored (content.questionnaires' ids).
PEG, RMDQ = "peg", "rmdq"

__all__ = [
    "REPORT_WEEKS",
    "AdverseReport",
    "PatientSummary",
    "PracticeDays",
    "ProgrammeFollowed",
    "ScorePoint",
    "load_patient_summary",
]

REPORT_WEEKS = (4, 6)  # the periods a patient can choose


@dataclass(frozen=True, slots=True)
class ScorePoint:
    """One score on one local day: a 0-10 answer, a PEG mean, an RMDQ count."""

    local_date: date
    score: float
    # A questionnaire score's wording (storage.questionnaires: a language, "mixed" or
    # "unknown"); None for a 0-10 answer, which has no validated version to compare.
    wording: str | None = None


@dataclass(frozen=True, slots=True)
class ProgrammeFollowed:
    """The home programme the patient followed in the period (the latest one, if several)."""

    title: str
    practitioner_name: str
    start_date: date
    course_weeks: int | None  # None: open-ended
    status: EnrolmentStatus
    ended_on: date | None  # the local day it ended, if it did


@dataclass(frozen=True, slots=True)
class PracticeDays:
    """The days the patient was asked to practise: a weekday mask from a local day on."""

    weekdays: int  # Monday = bit 0
    start_date: date
    end_date: date | None = None  # the last planned day (a course's end), if any


@dataclass(frozen=True, slots=True)
class AdverseReport:
    """A "too sore / bruised" report after a routine, on the patient's local day."""

    local_date: date
    kind: str  # storage.safety.SORE
    routine: str


@dataclass(frozen=True, slots=True)
class PatientSummary:
    """What one patient's visit summary shows, for the days `first_day`-`last_day`.

    `peg` and `rmdq` are the questionnaire scores finished in the period (PEG:
    mean of its 3 items, 0-10; RMDQ: count of yes, 0-24), dated in the patient's
    zone, oldest first.
    """

    user_id: int
    weeks: int
    first_day: date
    last_day: date  # the patient's today
    programme: ProgrammeFollowed | None
    plan: PracticeDays | None  # None: neither a programme nor a reminder in the period
    done_days: tuple[date, ...]  # sorted, unique, within the period
    missed_days: tuple[date, ...]  # the bot was down: not the patient's miss
    pain: tuple[ScorePoint, ...]  # sorted by day
    activity: tuple[ScorePoint, ...]
    adverse_events: tuple[AdverseReport, ...]  # oldest first
    peg: tuple[ScorePoint, ...] = ()
    rmdq: tuple[ScorePoint, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing at all to report in the period (a programme followed is something)."""
        return not (
            self.programme
            or self.done_days
            or self.pain
            or self.activity
            or self.adverse_events
            or self.peg
            or self.rmdq
        )


async def load_patient_summary(
    *, session: AsyncSession, user_id: int, today: date, weeks: int, zone: ZoneInfo
) -> PatientSummary:
    """The patient's last `weeks` weeks ending `today` (their local day), from seven reads."""
    if weeks not in REPORT_WEEKS:
        raise ValueError(f"a report covers {' or '.join(map(str, REPORT_WEEKS))} weeks")
    first = today - timedelta(days=7 * weeks - 1)
    since = datetime.combine(first, time(), zone)

    programme, plan = await _programme_and_plan(
        session=session, user_id=user_id, first=first, since=since, zone=zone
    )
    done = await session.scalars(
        union(
            select(Delivery.local_date).where(
                Delivery.user_id == user_id,
                Delivery.done_at.is_not(None),
                Delivery.local_date.between(first, today),
            ),
            select(RoutineDay.local_date).where(
                RoutineDay.user_id == user_id, RoutineDay.local_date.between(first, today)
            ),
        ).order_by("local_date")
    )
    missed = await session.scalars(
        select(Delivery.local_date)
        .where(
            Delivery.user_id == user_id,
            Delivery.status == DeliveryStatus.MISSED,
            Delivery.slot < COURSE_END_SLOT,
            Delivery.local_date.between(first, today),
        )
        .distinct()
        .order_by(Delivery.local_date)
    )
    missed_days = tuple(missed.all())
    checkins = await session.execute(
        select(CheckIn.kind, CheckIn.local_date, CheckIn.score)
        .where(CheckIn.user_id == user_id, CheckIn.local_date.between(first, today))
        .order_by(CheckIn.local_date)
    )
    pain: list[ScorePoint] = []
    activity: list[ScorePoint] = []
    for kind, local_date, score in checkins:
        if kind == CheckInKind.PAIN:
            pain.append(ScorePoint(local_date, score))
        elif kind == CheckInKind.ACTIVITY:
            activity.append(ScorePoint(local_date, score))
    events = await session.execute(
        select(AdverseEvent.recorded_at, AdverseEvent.kind, AdverseEvent.routine)
        .where(AdverseEvent.user_id == user_id, AdverseEvent.recorded_at >= since)
        .order_by(AdverseEvent.recorded_at, AdverseEvent.id)
    )
    adverse = tuple(
        AdverseReport(recorded_at.astimezone(zone).date(), kind, routine)
        for recorded_at, kind, routine in events
        if recorded_at.astimezone(zone).date() <= today
    )
    runs = await session.execute(
        select(
            QuestionnaireRun.instrument,
            QuestionnaireRun.completed_at,
            QuestionnaireRun.score,
            QuestionnaireRun.wording,
        )
        .where(
            QuestionnaireRun.user_id == user_id,
            QuestionnaireRun.instrument.in_((PEG, RMDQ)),
            QuestionnaireRun.score.is_not(None),
            QuestionnaireRun.completed_at >= since,
        )
        .order_by(QuestionnaireRun.completed_at, QuestionnaireRun.id)
    )
    scored: dict[str, list[ScorePoint]] = {PEG: [], RMDQ: []}
    for instrument, finished_at, value, wording in runs:
        if finished_at is None or value is None:  # as the query asks
            continue
        day = finished_at.astimezone(zone).date()
        if day <= today:
            scored[instrument].append(ScorePoint(day, float(value), wording or UNKNOWN))
    return PatientSummary(
        user_id=user_id,
        weeks=weeks,
        first_day=first,
        last_day=today,
        programme=programme,
        plan=plan,
        done_days=tuple(done.all()),
        missed_days=missed_days,
        pain=tuple(pain),
        activity=tuple(activity),
        adverse_events=adverse,
        peg=tuple(scored[PEG]),
        rmdq=tuple(scored[RMDQ]),
    )


async def _programme_and_plan(
    *, session: AsyncSession, user_id: int, first: date, since: datetime, zone: ZoneInfo
) -> tuple[ProgrammeFollowed | None, PracticeDays | None]:
    """The latest programme followed in the period and its days; else the reminder's days."""
    row = (
        await session.execute(
            select(
                Programme.title,
                Programme.practitioner_name,
                ProgrammeEnrolment.start_date,
                ProgrammeVersion.course_weeks,
                ProgrammeEnrolment.status,
                ProgrammeEnrolment.ended_at,
                ProgrammeEnrolment.weekdays,
            )
            .join(Programme, Programme.id == ProgrammeEnrolment.programme_id)
            .join(
                ProgrammeVersion,
                (ProgrammeVersion.programme_id == ProgrammeEnrolment.programme_id)
                & (ProgrammeVersion.version == ProgrammeEnrolment.version),
            )
            .where(
                ProgrammeEnrolment.user_id == user_id,
                or_(
                    ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE.value,
                    ProgrammeEnrolment.ended_at >= since,
                ),
            )
            .order_by(ProgrammeEnrolment.started_at.desc(), ProgrammeEnrolment.id.desc())
            .limit(1)
        )
    ).one_or_none()
    if row is not None:
        title, practitioner, start_date, course_weeks, status, ended_at, weekdays = row
        ended_on = ended_at.astimezone(zone).date() if ended_at is not None else None
        course_end = (
            start_date + timedelta(days=7 * course_weeks - 1) if course_weeks is not None else None
        )
        # A programme left early plans nothing after the day it was left.
        ends = [day for day in (course_end, ended_on) if day is not None]
        programme = ProgrammeFollowed(
            title, practitioner, start_date, course_weeks, EnrolmentStatus(status), ended_on
        )
        return programme, PracticeDays(weekdays, start_date, min(ends) if ends else None)
    reminder = (
        await session.execute(
            select(Subscription.weekdays, Subscription.created_at, Subscription.timezone).where(
                Subscription.user_id == user_id, Subscription.active
            )
        )
    ).one_or_none()
    if reminder is None:
        return None, None
    weekdays, created_at, timezone = reminder
    start = created_at.astimezone(ZoneInfo(timezone)).date()
    return None, PracticeDays(weekdays, max(start, first))
