"""Aggregate numbers for clinic staff; never an individual's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.broadcasts import MAYBE_STATUSES, BroadcastStatus, RecipientStatus
from storage.models import Broadcast, BroadcastRecipient, Delivery, Subscription, User
from storage.reminders import DeliveryStatus


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
    maybe = (
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.status.in_([DeliveryStatus.UNDECIDED, DeliveryStatus.INTERRUPTED]))
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
        reminders_maybe_week=await count(maybe.where(Delivery.due_at >= week_start)),
        broadcast_messages_maybe=await count(
            select(func.count())
            .select_from(BroadcastRecipient)
            .where(BroadcastRecipient.status.in_(MAYBE_STATUSES))
        ),
    )
