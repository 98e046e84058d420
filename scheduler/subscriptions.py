"""Subscribing, pausing, resuming and stopping reminders.

Every change recomputes `next_due_at` at once with the schedule rule, so the
dispatcher and the patient agree on when the next reminder comes. The caller
owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.schedule_rule import ALL_WEEKDAYS, Firing, next_planned_fire
from storage import programmes, reminders
from storage.programmes import EnrolmentStatus
from storage.reminders import StopReason, SubscriptionRecord

MAX_PAUSE_DAYS = 90
DEFAULT_PAUSE_DAYS = 7


def planned_times(local_time: time, second_time: time | None) -> tuple[time, ...]:
    """A subscription's times of day, earliest first (slot n is element n)."""
    return (local_time,) if second_time is None else tuple(sorted((local_time, second_time)))


async def first_open_occurrence(
    *,
    session: AsyncSession,
    subscription_id: int | None,
    times: Sequence[time],
    zone: ZoneInfo,
    after: datetime,
    weekdays: int = ALL_WEEKDAYS,
) -> datetime:
    """The next firing after `after` whose day and time of day have no delivery yet.

    A reminder already sent, done or skipped will not come a second time
    (the unique delivery row), so it must not be announced as the next one.
    """
    candidate: Firing = next_planned_fire(times, weekdays, zone, after)
    if subscription_id is None:
        return candidate.at
    for _ in range(3 * len(times)):
        existing = await reminders.get_delivery_on(
            session=session,
            subscription_id=subscription_id,
            local_date=candidate.local_date,
            slot=candidate.slot,
        )
        if existing is None:
            return candidate.at
        candidate = next_planned_fire(times, weekdays, zone, candidate.at)
    return candidate.at


async def subscribe(
    *,
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    local_time: time,
    zone: str,
    routine: str,
    now: datetime,
    weekdays: int = ALL_WEEKDAYS,
    second_time: time | None = None,
    enrolment_id: int | None = None,
) -> datetime:
    """Create or change the user's reminder; returns the next one (UTC).

    It comes at `local_time` (and `second_time`, if given) on the local
    weekdays in `weekdays` (Monday = bit 0; every day by default).
    `enrolment_id` ties it to a home programme (routine "programme").
    """
    existing = await reminders.get_subscription(session=session, user_id=user_id)
    next_due = await first_open_occurrence(
        session=session,
        subscription_id=existing.id if existing else None,
        times=planned_times(local_time, second_time),
        weekdays=weekdays,
        zone=ZoneInfo(zone),
        after=now,
    )
    await reminders.save_subscription(
        session=session,
        user_id=user_id,
        chat_id=chat_id,
        local_time=local_time,
        timezone=zone,
        routine=routine,
        next_due_at=next_due,
        now=now,
        weekdays=weekdays,
        second_time=second_time,
        enrolment_id=enrolment_id,
    )
    return next_due


async def pause(
    *, session: AsyncSession, subscription: SubscriptionRecord, days: int, now: datetime
) -> datetime:
    """No reminders for `days` days from now; returns the first one after."""
    if not 1 <= days <= MAX_PAUSE_DAYS:
        raise ValueError(f"a pause is 1 to {MAX_PAUSE_DAYS} days")
    paused_until = now + timedelta(days=days)
    return await _switch_on(
        session=session, subscription=subscription, now=now, paused_until=paused_until
    )


async def resume(
    *, session: AsyncSession, subscription: SubscriptionRecord, now: datetime
) -> datetime:
    """Reminders again from now (after a pause, a stop or a block)."""
    return await _switch_on(session=session, subscription=subscription, now=now, paused_until=None)


async def _switch_on(
    *,
    session: AsyncSession,
    subscription: SubscriptionRecord,
    now: datetime,
    paused_until: datetime | None,
) -> datetime:
    """Active again, from the end of the pause (or now); returns the next reminder."""
    next_due = await first_open_occurrence(
        session=session,
        subscription_id=subscription.id,
        times=subscription.times,
        weekdays=subscription.weekdays,
        zone=ZoneInfo(subscription.timezone),
        after=paused_until or now,
    )
    await reminders.update_subscription(
        session=session,
        user_id=subscription.user_id,
        now=now,
        active=True,
        stopped_reason=None,
        paused_until=paused_until,
        next_due_at=next_due,
    )
    return next_due


async def stop(*, session: AsyncSession, user_id: int, now: datetime) -> None:
    """No more reminders until the patient subscribes or resumes."""
    await reminders.update_subscription(
        session=session,
        user_id=user_id,
        now=now,
        active=False,
        stopped_reason=StopReason.USER,
        paused_until=None,
        next_due_at=None,
    )


async def resume_after_block(
    *, session: AsyncSession, user_id: int, now: datetime
) -> datetime | None:
    """A patient who had blocked the bot sent /start: their reminders come back."""
    subscription = await reminders.get_subscription(session=session, user_id=user_id)
    if subscription is None or subscription.stopped_reason != StopReason.BLOCKED:
        return None
    return await resume(session=session, subscription=subscription, now=now)


class Kept(StrEnum):
    """What pressing "Keep my reminders" after a course did."""

    KEPT = "kept"  # back on, with the clinic's routine, every day at the same times
    ALREADY = "already"  # pressed before: nothing changes
    CHANGED = "changed"  # the patient set their reminders up otherwise since: left alone
    UNKNOWN = "unknown"  # not their finished course (forged or stale button)


@dataclass(frozen=True, slots=True)
class KeepResult:
    outcome: Kept
    subscription: SubscriptionRecord | None = None  # as it is now, when KEPT


async def keep_after_course(
    *, session: AsyncSession, user_id: int, enrolment_id: int, routine: str, now: datetime
) -> KeepResult:
    """After a course's end, reminders again at the same times, every day, with `routine`.

    Once only: the enrolment's keep flag is claimed by a conditional UPDATE.
    """
    enrolment = await programmes.get_enrolment(session=session, enrolment_id=enrolment_id)
    if (
        enrolment is None
        or enrolment.user_id != user_id
        or enrolment.status is not EnrolmentStatus.FINISHED
    ):
        return KeepResult(Kept.UNKNOWN)
    if not await reminders.claim_keep_reminders(
        session=session, enrolment_id=enrolment_id, user_id=user_id
    ):
        return KeepResult(Kept.ALREADY)
    sub = await reminders.get_subscription(session=session, user_id=user_id)
    if (
        sub is None
        or sub.stopped_reason != StopReason.COURSE_END
        or sub.enrolment_id != enrolment_id
    ):
        return KeepResult(Kept.CHANGED)
    await subscribe(
        session=session,
        user_id=user_id,
        chat_id=sub.chat_id,
        local_time=sub.local_time,
        zone=sub.timezone,
        routine=routine,
        now=now,
        second_time=sub.second_time,
    )
    return KeepResult(Kept.KEPT, await reminders.get_subscription(session=session, user_id=user_id))
