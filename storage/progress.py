"""A patient's progress: days done, streaks, pain check-ins; and clinic aggregates.

Days are the patient's local days as recorded with each delivery and check-in,
so a daylight-saving change or a move to another zone never splits or merges
a day.
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
from storage.models import CheckIn, Delivery, RoutineDay
from storage.reminders import DeliveryStatus

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Score:
    local_date: date
    score: int


@dataclass(frozen=True, slots=True)
class ProgressData:
    done_days: tuple[date, ...]  # sorted, unique
    pain: tuple[Score, ...]  # sorted by date
    activity: tuple[Score, ...]

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
    )


def summarize(data: ProgressData, today: date) -> ProgressSummary:
    """Streaks and averages as of the patient's local `today`."""
    done = set(data.done_days)
    # The current streak may end yesterday: today's routine can still come.
    end = today if today in done else today - timedelta(days=1)
    current = 0
    while end - timedelta(days=current) in done:
        current += 1
    best = run = 0
    previous: date | None = None
    for day in data.done_days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return ProgressSummary(
        current_streak=current,
        best_streak=best,
        done_last_7=sum(1 for day in done if today - day < timedelta(days=7) and day <= today),
        done_last_30=sum(1 for day in done if today - day < timedelta(days=30) and day <= today),
        pain_this_week=_average(s.score for s in data.pain if today - s.local_date < WEEK),
        pain_first_week=_first_week_average(data.pain),
    )


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
                Delivery.status.in_(due_statuses), Delivery.local_date > today - timedelta(days=30)
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
