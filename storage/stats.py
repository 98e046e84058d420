"""Aggregate numbers for clinic staff; never an individual's data.

A figure computed from fewer than `MIN_GROUP` patients is not shown, so one
patient's answers or habits can never be read from the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.broadcasts import MAYBE_STATUSES, BroadcastStatus, RecipientStatus
from storage.models import Broadcast, BroadcastRecipient, Delivery, Subscription, User
from storage.reminders import DeliveryStatus

MIN_GROUP = 5


def enough_patients(count: int) -> bool:
    """Whether a figure computed from `count` patients may be shown to staff."""
    return count >= MIN_GROUP


@dataclass(frozen=True, slots=True)
class UsageStats:
    users: int
    unreachable: int
    active_subscribers: int
    reminders_sent_today: int
    reminders_done_today: int
    reminders_sent_week: int
    reminders_done_week: int
    broadcasts_sent: int
    broadcast_messages_sent: int
    # How many patients the reminder figures of today and the week come from.
    reminder_patients_today: int = 0
    reminder_patients_week: int = 0
    # Maybe delivered (a timeout after writing, or in flight at a crash): never resent.
    reminders_maybe_week: int = 0
    broadcast_messages_maybe: int = 0


async def usage_stats(
    *, session: AsyncSession, today_start: datetime, week_start: datetime
) -> UsageStats:
    """Counts since the clinic's local midnight today and 7 days ago."""

    async def count(statement: Select[Any]) -> int:
        return int(await session.scalar(statement) or 0)

    sent = select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.SENT)
    done = select(func.count()).select_from(Delivery).where(Delivery.done_at.is_not(None))
    maybe_statuses = [DeliveryStatus.UNDECIDED, DeliveryStatus.INTERRUPTED]
    maybe = select(func.count()).select_from(Delivery).where(Delivery.status.in_(maybe_statuses))

    def reminded(since: datetime) -> Select[Any]:
        """Patients behind the sent, done and maybe-delivered counts since `since`."""
        return select(func.count(func.distinct(Delivery.user_id))).where(
            or_(
                Delivery.sent_at >= since,
                Delivery.done_at >= since,
                and_(Delivery.status.in_(maybe_statuses), Delivery.due_at >= since),
            )
        )

    return UsageStats(
        users=await count(select(func.count()).select_from(User)),
        unreachable=await count(select(func.count()).select_from(User).where(User.blocked)),
        active_subscribers=await count(
            select(func.count()).select_from(Subscription).where(Subscription.active)
        ),
        reminders_sent_today=await count(sent.where(Delivery.sent_at >= today_start)),
        reminders_done_today=await count(done.where(Delivery.done_at >= today_start)),
        reminders_sent_week=await count(sent.where(Delivery.sent_at >= week_start)),
        reminders_done_week=await count(done.where(Delivery.done_at >= week_start)),
        broadcasts_sent=await count(
            select(func.count())
            .select_from(Broadcast)
            .where(Broadcast.status.in_([BroadcastStatus.DONE, BroadcastStatus.SENDING]))
        ),
        broadcast_messages_sent=await count(
            select(func.count())
            .select_from(BroadcastRecipient)
            .where(BroadcastRecipient.status == RecipientStatus.SENT)
        ),
        reminder_patients_today=await count(reminded(today_start)),
        reminder_patients_week=await count(reminded(week_start)),
        reminders_maybe_week=await count(maybe.where(Delivery.due_at >= week_start)),
        broadcast_messages_maybe=await count(
            select(func.count())
            .select_from(BroadcastRecipient)
            .where(BroadcastRecipient.status.in_(MAYBE_STATUSES))
        ),
    )
