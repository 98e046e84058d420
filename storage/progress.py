"""A patient's progress: days done, streaks, pain check-ins; and clinic aggregates.

Days are the patient's local days as recorded with each delivery and check-in,
so a daylight-saving change or a move to another zone never splits or merges
a day.

A streak counts the days the patient was meant to practise: while they follow
a home programme, its rest days (weekdays it does not plan, from its start)
neither break nor extend it, and a day whose reminder was recorded missed
because the bot was down is not the patient's miss (it breaks nothing; done
anyway, it counts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.checkins import CheckInKind
from storage.dialect import insert_for
from storage.models import CheckIn, Delivery, ProgrammeEnrolment, RoutineDay
from storage.programmes import EnrolmentStatus
from storage.reminders import COURSE_END_SLOT, DeliveryStatus

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Score:
    local_date: date
    score: int


@dataclass(frozen=True, slots=True)
class PracticePlan:
    """The days an active home programme plans: its weekdays, from its start date."""

    weekdays: int  # Monday = bit 0
    start_date: date

    def is_rest_day(self, day: date) -> bool:
        return day >= self.start_date and not self.weekdays & (1 << day.weekday())


@dataclass(frozen=True, slots=True)
class ProgressData:
    done_days: tuple[date, ...]  # sorted, unique
    pain: tuple[Score, ...]  # sorted by date
    activity: tuple[Score, ...]
    # Days whose reminder was recorded missed (the bot was down), sorted, unique.
    missed_days: tuple[date, ...] = ()
    plan: PracticePlan | None = None  # the active programme's days, if any

    @property
    def empty(self) -> bool:
        return not (self.done_days or self.pain or self.activity)


@dataclass(frozen=True, slots=True)
class ProgressSummary:
    current_streak: int
    best_streak: int
    done_last_7: int
    done_last_30: int
    pain_this_week: float | None
    pain_first_week: float | None


async def record_routine_day(
    *, session: AsyncSession, user_id: int, local_date: date, now: datetime
) -> None:
    """The guided routine was completed on this local day (once per day is kept)."""
    await session.execute(
        insert_for(session, RoutineDay)
        .values(user_id=user_id, local_date=local_date, completed_at=now)
        .on_conflict_do_nothing(index_elements=[RoutineDay.user_id, RoutineDay.local_date])
    )


async def load_progress(*, session: AsyncSession, user_id: int) -> ProgressData:
    # A day counts as done when its reminder was marked done or the routine completed.
    done = await session.scalars(
        union(
            select(Delivery.local_date).where(
                Delivery.user_id == user_id, Delivery.done_at.is_not(None)
            ),
            select(RoutineDay.local_date).where(RoutineDay.user_id == user_id),
        ).order_by("local_date")
    )
    missed = await session.scalars(
        select(Delivery.local_date)
        .where(
            Delivery.user_id == user_id,
            Delivery.status == DeliveryStatus.MISSED,
            Delivery.slot < COURSE_END_SLOT,
        )
        .distinct()
        .order_by(Delivery.local_date)
    )
    missed_days = tuple(missed.all())
    enrolment = (
        await session.execute(
            select(ProgrammeEnrolment.weekdays, ProgrammeEnrolment.start_date).where(
                ProgrammeEnrolment.user_id == user_id,
                ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE.value,
            )
        )
    ).one_or_none()
    checkins = await session.execute(
        select(CheckIn.kind, CheckIn.local_date, CheckIn.score)
        .where(CheckIn.user_id == user_id)
        .order_by(CheckIn.local_date)
    )
    by_kind: dict[str, list[Score]] = defaultdict(list)
    for kind, local_date, score in checkins:
        by_kind[kind].append(Score(local_date, score))
    return ProgressData(
        done_days=tuple(done.all()),
        pain=tuple(by_kind[CheckInKind.PAIN]),
        activity=tuple(by_kind[CheckInKind.ACTIVITY]),
        missed_days=missed_days,
        plan=PracticePlan(*enrolment) if enrolment else None,
    )


def summarize(data: ProgressData, today: date) -> ProgressSummary:
    """Streaks and averages as of the patient's local `today`."""
    done = set(data.done_days)
    current, best = _streaks(data, today)
    return ProgressSummary(
        current_streak=current,
        best_streak=best,
        done_last_7=sum(1 for day in done if today - day < timedelta(days=7) and day <= today),
        done_last_30=sum(1 for day in done if today - day < timedelta(days=30) and day <= today),
        pain_this_week=_average(s.score for s in data.pain if today - s.local_date < WEEK),
        pain_first_week=_first_week_average(data.pain),
    )


def _streaks(data: ProgressData, today: date) -> tuple[int, int]:
    """(current, best) runs of planned days done; rest and missed days are passed over."""
    if not data.done_days:
        return 0, 0
    done = set(data.done_days)
    missed = set(data.missed_days)
    plan = data.plan
    best = run = 0
    day = data.done_days[0]
    while day <= today:
        if plan is not None and plan.is_rest_day(day):
            pass  # neither breaks nor extends
        elif day in done:
            run += 1
            best = max(best, run)
        elif day in missed or day == today:
            pass  # the bot was down; or today, whose routine can still come
        else:
            run = 0
        day += timedelta(days=1)
    return run, best


def _average(scores: Iterable[int]) -> float | None:
    values = list(scores)
    return round(fmean(values), 1) if values else None


def _first_week_average(scores: tuple[Score, ...]) -> float | None:
    if not scores:
        return None
    start = scores[0].local_date
    return _average(s.score for s in scores if s.local_date - start < WEEK)


@dataclass(frozen=True, slots=True)
class ClinicOutcomes:
    adherence_7: float | None  # share of due reminders that were done
    adherence_30: float | None
    pain_change: float | None  # mean of (latest week - first week) per patient
    patients_with_change: int
    # How many patients each adherence figure is computed from.
    patients_7: int = 0
    patients_30: int = 0


async def clinic_outcomes(*, session: AsyncSession, today: date) -> ClinicOutcomes:
    """Aggregates for staff: never one patient's data."""
    in_flight = {DeliveryStatus.QUEUED, DeliveryStatus.SENDING}
    due_statuses = [s.value for s in DeliveryStatus if s not in in_flight]
    rows = (
        await session.execute(
            select(Delivery.local_date, Delivery.done_at.is_not(None), Delivery.user_id).where(
                Delivery.status.in_(due_statuses),
                Delivery.local_date > today - timedelta(days=30),
                Delivery.slot < COURSE_END_SLOT,  # a course's summary is no reminder
            )
        )
    ).all()

    def adherence(days: int) -> float | None:
        window = [done for day, done, _ in rows if today - day < timedelta(days=days)]
        return round(sum(window) / len(window), 3) if window else None

    def patients(days: int) -> int:
        return len({user for day, _, user in rows if today - day < timedelta(days=days)})

    pain = (
        await session.execute(
            select(CheckIn.user_id, CheckIn.local_date, CheckIn.score)
            .where(CheckIn.kind == CheckInKind.PAIN)
            .order_by(CheckIn.user_id, CheckIn.local_date)
        )
    ).all()
    per_user: dict[int, list[Score]] = defaultdict(list)
    for user_id, local_date, score in pain:
        per_user[user_id].append(Score(local_date, score))
    changes = []
    for scores in per_user.values():
        first, last = scores[0].local_date, scores[-1].local_date
        if last - first < WEEK:
            continue  # one week of answers says nothing about change
        first_week = _average(s.score for s in scores if s.local_date - first < WEEK)
        latest_week = _average(s.score for s in scores if last - s.local_date < WEEK)
        if first_week is not None and latest_week is not None:
            changes.append(latest_week - first_week)
    return ClinicOutcomes(
        adherence_7=adherence(7),
        adherence_30=adherence(30),
        pain_change=round(fmean(changes), 1) if changes else None,
        patients_with_change=len(changes),
        patients_7=patients(7),
        patients_30=patients(30),
    )
