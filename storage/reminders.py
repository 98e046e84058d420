"""Queries for subscriptions and deliveries. The caller owns the transaction.

The dispatcher's guarantees live here: `claim_due_subscriptions` hands each
due row to one instance (a lease, and `FOR UPDATE SKIP LOCKED` on
PostgreSQL), and `open_delivery` writes the (subscription, local date) row
that makes a second reminder that day impossible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for, rows_affected
from storage.models import Delivery, Subscription
from storage.outcomes import SendRecord, record_send_outcomes
from storage.types import UTCDateTime


class DeliveryStatus(StrEnum):
    SENDING = "sending"  # written before the send; stays so only if the process died mid-send
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    MISSED = "missed"  # due during downtime longer than the grace window: not sent
    INTERRUPTED = "interrupted"  # found SENDING after its lease: maybe sent, never resent
    NOT_NEEDED = "not_needed"  # the patient did the routine before the reminder time


class StopReason(StrEnum):
    USER = "user"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: int
    user_id: int
    chat_id: int
    local_time: time
    timezone: str
    routine: str
    active: bool
    stopped_reason: str | None
    paused_until: datetime | None
    next_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: int
    subscription_id: int
    user_id: int
    local_date: date
    due_at: datetime
    status: str
    sent_at: datetime | None
    done_at: datetime | None
    skipped_at: datetime | None
    snooze_until: datetime | None
    message_id: int | None


# Selected in the records' field order; typed loosely because SQLAlchemy's
# typed rows stop at a few columns, and a record is built from the whole row.
_SUBSCRIPTION_COLUMNS: tuple[Any, ...] = (
    Subscription.id,
    Subscription.user_id,
    Subscription.chat_id,
    Subscription.local_time,
    Subscription.timezone,
    Subscription.routine,
    Subscription.active,
    Subscription.stopped_reason,
    Subscription.paused_until,
    Subscription.next_due_at,
)
_DELIVERY_COLUMNS: tuple[Any, ...] = (
    Delivery.id,
    Delivery.subscription_id,
    Delivery.user_id,
    Delivery.local_date,
    Delivery.due_at,
    Delivery.status,
    Delivery.sent_at,
    Delivery.done_at,
    Delivery.skipped_at,
    Delivery.snooze_until,
    Delivery.message_id,
)


async def get_subscription(*, session: AsyncSession, user_id: int) -> SubscriptionRecord | None:
    row = (
        await session.execute(select(*_SUBSCRIPTION_COLUMNS).where(Subscription.user_id == user_id))
    ).one_or_none()
    return SubscriptionRecord(*row) if row else None


async def save_subscription(
    *,
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    local_time: time,
    timezone: str,
    routine: str,
    next_due_at: datetime,
    now: datetime,
) -> None:
    """Create or replace the user's subscription, active from now."""
    values = {
        "chat_id": chat_id,
        "local_time": local_time,
        "timezone": timezone,
        "routine": routine,
        "active": True,
        "stopped_reason": None,
        "paused_until": None,
        "next_due_at": next_due_at,
        "lease_until": None,
        "lease_owner": None,
        "updated_at": now,
    }
    statement = insert_for(session, Subscription).values(user_id=user_id, created_at=now, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[Subscription.user_id], set_=values)
    )


async def update_subscription(
    *, session: AsyncSession, user_id: int, now: datetime, **changes: object
) -> None:
    """Change some fields of the user's subscription (time, zone, pause, stop...)."""
    await session.execute(
        update(Subscription)
        .where(Subscription.user_id == user_id)
        .values(updated_at=now, **changes)
    )


async def stop_reminders_for_blocked_user(
    *, session: AsyncSession, user_id: int, now: datetime
) -> None:
    """Telegram refused delivery: no more reminders until they /start again."""
    await session.execute(
        update(Subscription)
        .where(Subscription.user_id == user_id, Subscription.active)
        .values(active=False, stopped_reason=StopReason.BLOCKED, next_due_at=None, updated_at=now)
    )


async def claim_due_subscriptions(
    *, session: AsyncSession, now: datetime, lease_until: datetime, owner: str, limit: int
) -> list[SubscriptionRecord]:
    """Lease up to `limit` due subscriptions to `owner`.

    A row is due when active and `next_due_at <= now`, and free when nobody
    holds an unexpired lease. On PostgreSQL the inner SELECT skips rows
    another instance has locked, so instances never wait on each other.
    """
    due = (
        select(Subscription.id)
        .where(
            Subscription.active,
            Subscription.next_due_at <= now,
            or_(Subscription.lease_until.is_(None), Subscription.lease_until < now),
        )
        .order_by(Subscription.next_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.execute(
        update(Subscription)
        .where(Subscription.id.in_(due.scalar_subquery()))
        .values(lease_until=lease_until, lease_owner=owner)
        .returning(*_SUBSCRIPTION_COLUMNS)
    )
    return [SubscriptionRecord(*row) for row in claimed]


async def open_delivery(
    *,
    session: AsyncSession,
    subscription_id: int,
    user_id: int,
    local_date: date,
    due_at: datetime,
    status: DeliveryStatus,
) -> int | None:
    """Write the day's delivery row; None if that day already has one."""
    statement = (
        insert_for(session, Delivery)
        .values(
            subscription_id=subscription_id,
            user_id=user_id,
            local_date=local_date,
            due_at=due_at,
            status=status,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[Delivery.subscription_id, Delivery.local_date])
        .returning(Delivery.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A day's delivery row to write before sending."""

    subscription_id: int
    user_id: int
    local_date: date
    due_at: datetime
    status: DeliveryStatus


async def open_deliveries(*, session: AsyncSession, rows: Sequence[NewDelivery]) -> dict[int, int]:
    """Write the days' delivery rows in one statement.

    Returns {subscription id: delivery id} for the rows written; a
    subscription missing from it already had a row for that local date.
    """
    if not rows:
        return {}
    # One statement for every chunk size: an executemany, which SQLAlchemy
    # batches into multi-row INSERTs with RETURNING, compiled once and cached.
    statement = (
        insert_for(session, Delivery)
        .on_conflict_do_nothing(index_elements=[Delivery.subscription_id, Delivery.local_date])
        .returning(Delivery.subscription_id, Delivery.id)
    )
    connection = await session.connection()
    written = await connection.execute(
        statement,
        [
            {
                "subscription_id": row.subscription_id,
                "user_id": row.user_id,
                "local_date": row.local_date,
                "due_at": row.due_at,
                "status": row.status,
                "attempts": 0,
            }
            for row in rows
        ],
    )
    return {subscription_id: delivery_id for subscription_id, delivery_id in written}


async def record_delivery_outcomes(
    *, session: AsyncSession, outcomes: Sequence[SendRecord]
) -> None:
    """Store the sends' results (one executemany)."""
    await record_send_outcomes(session=session, model=Delivery, records=outcomes)


async def advance_subscriptions(
    *, session: AsyncSession, owner: str, next_due: Sequence[tuple[int, datetime | None]]
) -> None:
    """Move claimed subscriptions to their next due time and release the leases.

    Only rows still leased to `owner` move: if our lease ran out and another
    instance took a row over, its schedule is no longer ours to change.
    """
    if not next_due:
        return
    statement = (
        update(Subscription)
        .where(Subscription.id == bindparam("b_id"), Subscription.lease_owner == owner)
        .values(
            next_due_at=bindparam("b_next", type_=UTCDateTime()),
            lease_until=None,
            lease_owner=None,
        )
    )
    connection = await session.connection()
    await connection.execute(
        statement, [{"b_id": sub_id, "b_next": due} for sub_id, due in next_due]
    )


async def mark_interrupted_deliveries(*, session: AsyncSession, older_than: datetime) -> int:
    """SENDING rows whose process died: maybe delivered, so never resent."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.due_at < older_than)
        .values(status=DeliveryStatus.INTERRUPTED)
    )
    return rows_affected(result)


async def get_delivery(*, session: AsyncSession, delivery_id: int) -> DeliveryRecord | None:
    row = (
        await session.execute(select(*_DELIVERY_COLUMNS).where(Delivery.id == delivery_id))
    ).one_or_none()
    return DeliveryRecord(*row) if row else None


async def get_delivery_on(
    *, session: AsyncSession, subscription_id: int, local_date: date
) -> DeliveryRecord | None:
    row = (
        await session.execute(
            select(*_DELIVERY_COLUMNS).where(
                Delivery.subscription_id == subscription_id, Delivery.local_date == local_date
            )
        )
    ).one_or_none()
    return DeliveryRecord(*row) if row else None


async def mark_done(
    *,
    session: AsyncSession,
    subscription_id: int,
    user_id: int,
    local_date: date,
    due_at: datetime,
    now: datetime,
) -> bool:
    """Record the routine as done for that local day; False if it already was.

    A day with no reminder yet gets a NOT_NEEDED row, which also stops the
    dispatcher from sending that day's reminder: the patient already did it.
    """
    await open_delivery(
        session=session,
        subscription_id=subscription_id,
        user_id=user_id,
        local_date=local_date,
        due_at=due_at,
        status=DeliveryStatus.NOT_NEEDED,
    )
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.subscription_id == subscription_id,
            Delivery.local_date == local_date,
            Delivery.done_at.is_(None),
        )
        .values(done_at=now, snooze_until=None, skipped_at=None)
    )
    return bool(rows_affected(result))


async def set_delivery_fields(
    *, session: AsyncSession, delivery_id: int, **changes: object
) -> None:
    """Snooze or skip one day's reminder."""
    await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**changes))


async def claim_due_snoozes(
    *, session: AsyncSession, now: datetime, limit: int
) -> list[tuple[DeliveryRecord, SubscriptionRecord]]:
    """Take snoozed reminders that are due; each is taken by one instance once.

    Clearing `snooze_until` in the same statement that selects the row is the
    claim: a second instance finds nothing left to take.
    """
    due = (
        select(Delivery.id)
        .where(Delivery.snooze_until <= now, Delivery.done_at.is_(None))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(snooze_until=None)
        .returning(Delivery.id)
    )
    ids = [row[0] for row in taken]
    if not ids:
        return []
    rows = await session.execute(
        select(*_DELIVERY_COLUMNS, *_SUBSCRIPTION_COLUMNS)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.id.in_(ids), and_(Subscription.active))
    )
    width = len(_DELIVERY_COLUMNS)
    return [(DeliveryRecord(*row[:width]), SubscriptionRecord(*row[width:])) for row in rows]
