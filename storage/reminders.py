"""Queries for subscriptions and deliveries. The caller owns the transaction.

The dispatcher's guarantees live here: `claim_due_subscriptions` hands each
due row to one instance (a lease, and `FOR UPDATE SKIP LOCKED` on
PostgreSQL), and `open_deliveries` writes the (subscription, local date) row
that makes a second reminder that day impossible. The row is written
"queued"; `mark_delivery_sending` moves it to "sending" just before its
request is written, once (a compare-and-set), so only sends truly in flight
are ever in doubt, and a queued row of a dead instance is sent by whoever
holds the subscription next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.elements import TextClause

from storage.database import execute_committed
from storage.dialect import insert_for, rows_affected
from storage.leases import extend_held_leases
from storage.models import (
    OPEN_DELIVERY,
    Delivery,
    Programme,
    ProgrammeEnrolment,
    ProgrammeVersion,
    Subscription,
    User,
)
from storage.outcomes import SendRecord, record_send_outcomes
from storage.programmes import EnrolmentStatus, ProgrammeStep
from storage.types import UTCDateTime


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # written before the send; nothing handed to Telegram yet
    SENDING = "sending"  # its request is about to be written; stays so only if the sender died
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    # Maybe delivered ("may not have arrived"), so never resent:
    UNDECIDED = "undecided"  # a read/write timeout or a drop after the request was written
    INTERRUPTED = "interrupted"  # found SENDING after its sender's lease ran out
    MISSED = "missed"  # due during downtime longer than the grace window: not sent
    NOT_NEEDED = "not_needed"  # the patient did the routine before the reminder time


class StopReason(StrEnum):
    USER = "user"
    BLOCKED = "blocked"
    COURSE_END = "course_end"  # a programme's course ran its weeks


# A delivery row's slot for a finished programme's summary: not a time of day,
# but the same unique (subscription, local date, slot) row makes it once only.
COURSE_END_SLOT = 9


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
    weekdays: int  # local weekdays it fires on: Monday = bit 0, 127 = every day
    second_time: time | None  # a second reminder each day (a programme may ask for it)
    enrolment_id: int | None  # the programme enrolment it follows (routine "programme")

    @property
    def times(self) -> tuple[time, ...]:
        """The day's reminder times, earliest first: slot n is times[n]."""
        if self.second_time is None:
            return (self.local_time,)
        return tuple(sorted((self.local_time, self.second_time)))


@dataclass(frozen=True, slots=True)
class DueSubscription(SubscriptionRecord):
    """A subscription claimed to be sent, with what says its patient's language."""

    # users.language (chosen with /language) if set, else their Telegram
    # language_code; content.languages.language_from_tag reads either.
    language_tag: str | None


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
    slot: int = 0  # 0: the day's first reminder time, 1: its second


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
    Subscription.weekdays,
    Subscription.second_time,
    Subscription.enrolment_id,
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
    Delivery.slot,
)
# The recipient's language, read with each claimed row (one statement, not one per row).
_LANGUAGE_TAG: Any = (
    select(func.coalesce(User.language, User.language_code))
    .where(User.id == Subscription.user_id)
    .correlate(Subscription)
    .scalar_subquery()
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
    weekdays: int = 127,
    second_time: time | None = None,
    enrolment_id: int | None = None,
) -> None:
    """Create or replace the user's subscription, active from now."""
    values = {
        "chat_id": chat_id,
        "local_time": local_time,
        "timezone": timezone,
        "routine": routine,
        "weekdays": weekdays,
        "second_time": second_time,
        "enrolment_id": enrolment_id,
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


async def stop_after_course(
    *, session: AsyncSession, subscription_id: int, enrolment_id: int, now: datetime
) -> bool:
    """The course is over: its reminders stop, if the subscription still follows it.

    Only a row the dispatcher has just moved to no next reminder (next_due_at
    NULL) stops; one the patient changed meanwhile keeps going.
    """
    result = await session.execute(
        update(Subscription)
        .where(
            Subscription.id == subscription_id,
            Subscription.enrolment_id == enrolment_id,
            Subscription.active,
            Subscription.next_due_at.is_(None),
        )
        .values(active=False, stopped_reason=StopReason.COURSE_END, updated_at=now)
    )
    return rows_affected(result) == 1


async def claim_keep_reminders(*, session: AsyncSession, enrolment_id: int, user_id: int) -> bool:
    """The patient pressed "Keep my reminders" under a finished course: True the first time.

    One conditional UPDATE, so two presses (or two instances) keep them once.
    """
    result = await session.execute(
        update(ProgrammeEnrolment)
        .where(
            ProgrammeEnrolment.id == enrolment_id,
            ProgrammeEnrolment.user_id == user_id,
            ProgrammeEnrolment.status == EnrolmentStatus.FINISHED.value,
            ProgrammeEnrolment.keep_reminders.is_(False),
        )
        .values(keep_reminders=True)
    )
    return rows_affected(result) == 1


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
) -> list[DueSubscription]:
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
        .returning(*_SUBSCRIPTION_COLUMNS, _LANGUAGE_TAG)
    )
    return [DueSubscription(*row) for row in claimed]


async def open_delivery(
    *,
    session: AsyncSession,
    subscription_id: int,
    user_id: int,
    local_date: date,
    due_at: datetime,
    status: DeliveryStatus,
    slot: int = 0,
) -> int | None:
    """Write the day's delivery row for that slot; None if it already has one."""
    statement = (
        insert_for(session, Delivery)
        .values(
            subscription_id=subscription_id,
            user_id=user_id,
            local_date=local_date,
            slot=slot,
            due_at=due_at,
            status=status,
            attempts=0,
        )
        .on_conflict_do_nothing(
            index_elements=[Delivery.subscription_id, Delivery.local_date, Delivery.slot]
        )
        .returning(Delivery.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A day's delivery row (for one time of that day) to write before sending."""

    subscription_id: int
    user_id: int
    local_date: date
    due_at: datetime
    status: DeliveryStatus
    slot: int = 0


async def open_deliveries(*, session: AsyncSession, rows: Sequence[NewDelivery]) -> dict[int, int]:
    """Write the days' delivery rows in one statement.

    Returns {subscription id: delivery id} for the rows written, and for rows
    still "queued" from a sender that lost its lease before starting them
    (taken over here: nothing of theirs was handed to Telegram). A
    subscription missing from it already had a row for that local date that
    was sent, started, done or skipped.
    """
    if not rows:
        return {}
    # One statement for every chunk size: an executemany, which SQLAlchemy
    # batches into multi-row INSERTs with RETURNING, compiled once and cached.
    insert = insert_for(session, Delivery)
    statement = insert.on_conflict_do_update(
        index_elements=[Delivery.subscription_id, Delivery.local_date, Delivery.slot],
        set_={"status": insert.excluded.status},
        where=Delivery.status == DeliveryStatus.QUEUED,
    ).returning(Delivery.subscription_id, Delivery.id)
    connection = await session.connection()
    written = await connection.execute(
        statement,
        [
            {
                "subscription_id": row.subscription_id,
                "user_id": row.user_id,
                "local_date": row.local_date,
                "slot": row.slot,
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


async def mark_delivery_sending(*, session: AsyncSession, delivery_id: int) -> bool:
    """Queued -> sending, just before the request is written; False if not queued.

    A compare-and-set: of two senders holding the same queued row (one whose
    lease ran out while it waited), exactly one wins and sends.
    """
    return delivery_id in await mark_deliveries_sending(session=session, delivery_ids=[delivery_id])


async def mark_deliveries_sending(
    *, session: AsyncSession, delivery_ids: Sequence[int]
) -> set[int]:
    """`mark_delivery_sending` for several rows in one statement; returns the ids won."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.SENDING)
        .returning(Delivery.id)
    )
    return {row[0] for row in result}


def _open_deliveries() -> TextClause:
    # Word for word the partial index's predicate (see storage/models.py).
    return text(f"deliveries.{OPEN_DELIVERY}")


async def mark_interrupted_deliveries(*, session: AsyncSession, now: datetime) -> int:
    """Settles the rows a dead sender left; returns how many were in flight.

    "sending" rows whose subscription nobody holds any more: the request may
    have been written when the sender died, so "interrupted", never resent.
    "queued" rows whose subscription moved on without them (the patient
    changed the time or stopped while the row waited): "missed".
    Queued rows of a subscription still due stay: its next holder sends them.
    Reads only the open rows (a partial index), however long the history.
    """
    held = exists().where(
        Subscription.id == Delivery.subscription_id, Subscription.lease_until >= now
    )
    result = await session.execute(
        update(Delivery)
        .where(_open_deliveries(), Delivery.status == DeliveryStatus.SENDING, ~held)
        .values(status=DeliveryStatus.INTERRUPTED)
    )
    still_due = exists().where(
        Subscription.id == Delivery.subscription_id,
        or_(
            Subscription.lease_until >= now,
            and_(Subscription.active, Subscription.next_due_at <= Delivery.due_at),
        ),
    )
    await session.execute(
        update(Delivery)
        .where(_open_deliveries(), Delivery.status == DeliveryStatus.QUEUED, ~still_due)
        .values(status=DeliveryStatus.MISSED)
    )
    return rows_affected(result)


async def renew_subscription_leases(
    *, session: AsyncSession, owner: str, lease_until: datetime
) -> int:
    """Extends every lease `owner` still holds: it is alive and working on them.

    Rows another transaction has locked are skipped (PostgreSQL's SKIP
    LOCKED), so the background renewal never waits on, or deadlocks with, the
    sender recording those very rows (which releases their leases anyway).
    """
    return await extend_held_leases(
        session=session,
        model=Subscription,
        owner=owner,
        lease_until=lease_until,
        where=Subscription.lease_owner.is_not(None),
    )


async def prune_deliveries(*, session: AsyncSession, due_before: datetime, limit: int) -> int:
    """Deletes up to `limit` deliveries due before `due_before` (the retention period).

    Open rows are never pruned; they are minutes old anyway.
    """
    old = (
        select(Delivery.id)
        .where(Delivery.due_at < due_before)
        .order_by(Delivery.due_at)
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(
        delete(Delivery).where(
            Delivery.id.in_(old),
            Delivery.status.not_in([DeliveryStatus.QUEUED, DeliveryStatus.SENDING]),
        )
    )
    return rows_affected(result)


async def get_delivery(*, session: AsyncSession, delivery_id: int) -> DeliveryRecord | None:
    row = (
        await session.execute(select(*_DELIVERY_COLUMNS).where(Delivery.id == delivery_id))
    ).one_or_none()
    return DeliveryRecord(*row) if row else None


async def get_delivery_on(
    *, session: AsyncSession, subscription_id: int, local_date: date, slot: int | None = None
) -> DeliveryRecord | None:
    """That day's delivery for `slot`; with no slot, the day's latest one."""
    query = select(*_DELIVERY_COLUMNS).where(
        Delivery.subscription_id == subscription_id,
        Delivery.local_date == local_date,
        Delivery.slot < COURSE_END_SLOT,
    )
    if slot is not None:
        query = query.where(Delivery.slot == slot)
    row = (await session.execute(query.order_by(Delivery.slot.desc()).limit(1))).one_or_none()
    return DeliveryRecord(*row) if row else None


async def mark_done(
    *,
    session: AsyncSession,
    subscription_id: int,
    user_id: int,
    local_date: date,
    due_at: datetime,
    now: datetime,
    slots: int = 1,
) -> bool:
    """Record the routine as done for that local day; False if it already was.

    The routine answers the day's latest reminder not yet done. When every
    reminder that came is done (or none came yet), it stands for the next one
    instead: that slot gets a NOT_NEEDED row, which stops the dispatcher from
    sending it (the patient already did it). `slots` is how many reminders
    the subscription has a day (1 or 2).
    """
    open_row = await _latest_not_done(
        session=session, subscription_id=subscription_id, local_date=local_date
    )
    if open_row is None:
        taken = set(
            await session.scalars(
                select(Delivery.slot).where(
                    Delivery.subscription_id == subscription_id,
                    Delivery.local_date == local_date,
                )
            )
        )
        free = [slot for slot in range(slots) if slot not in taken]
        if not free:
            return False
        await open_delivery(
            session=session,
            subscription_id=subscription_id,
            user_id=user_id,
            local_date=local_date,
            due_at=due_at,
            status=DeliveryStatus.NOT_NEEDED,
            slot=free[0],
        )
        # Ours, or the row the dispatcher wrote for that slot at the same moment.
        open_row = await _latest_not_done(
            session=session, subscription_id=subscription_id, local_date=local_date
        )
        if open_row is None:
            return False
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == open_row, Delivery.done_at.is_(None))
        .values(done_at=now, snooze_until=None, skipped_at=None)
    )
    return bool(rows_affected(result))


async def _latest_not_done(
    *, session: AsyncSession, subscription_id: int, local_date: date
) -> int | None:
    return (
        await session.execute(
            select(Delivery.id)
            .where(
                Delivery.subscription_id == subscription_id,
                Delivery.local_date == local_date,
                Delivery.slot < COURSE_END_SLOT,
                Delivery.done_at.is_(None),
            )
            .order_by(Delivery.slot.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def skip_day(
    *, session: AsyncSession, delivery: DeliveryRecord, slots: int, now: datetime
) -> None:
    """⏭ Skip today on one reminder: it and the day's later reminders are skipped.

    A later slot not sent yet gets a NOT_NEEDED row marked skipped, so the
    dispatcher does not send it (a twice-a-day reminder skipped in the
    morning does not come back in the evening).
    """
    for slot in range(delivery.slot + 1, slots):
        await open_delivery(
            session=session,
            subscription_id=delivery.subscription_id,
            user_id=delivery.user_id,
            local_date=delivery.local_date,
            due_at=now,
            status=DeliveryStatus.NOT_NEEDED,
            slot=slot,
        )
    await session.execute(
        update(Delivery)
        .where(
            Delivery.subscription_id == delivery.subscription_id,
            Delivery.local_date == delivery.local_date,
            Delivery.slot >= delivery.slot,
            Delivery.slot < COURSE_END_SLOT,
            Delivery.done_at.is_(None),
        )
        .values(skipped_at=now, snooze_until=None)
    )


async def set_delivery_fields(
    *, session: AsyncSession, delivery_id: int, **changes: object
) -> None:
    """Snooze or skip one day's reminder."""
    await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**changes))


async def claim_due_snoozes(
    *, session: AsyncSession, now: datetime, limit: int
) -> list[tuple[DeliveryRecord, DueSubscription]]:
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
        select(*_DELIVERY_COLUMNS, *_SUBSCRIPTION_COLUMNS, _LANGUAGE_TAG)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.id.in_(ids), and_(Subscription.active))
    )
    width = len(_DELIVERY_COLUMNS)
    return [(DeliveryRecord(*row[:width]), DueSubscription(*row[width:])) for row in rows]


# Built once, with bound parameters: building the statement and its cache key
# for every press cost as much CPU as running it.
_MARK_DONE = (
    update(Delivery)
    .where(
        Delivery.id == bindparam("p_delivery"),
        Delivery.user_id == bindparam("p_user"),
        Delivery.done_at.is_(None),
    )
    .values(done_at=bindparam("p_now", type_=UTCDateTime()), snooze_until=None, skipped_at=None)
    .returning(
        Delivery.local_date,
        # One subscription per user, so the user's zone is the delivery's.
        select(Subscription.timezone)
        .where(Subscription.user_id == bindparam("p_user"))
        .scalar_subquery(),
    )
)


@dataclass(frozen=True, slots=True)
class MarkedDone:
    """A reminder just marked done: its local day, and the patient's zone then."""

    local_date: date
    timezone: str | None  # None if the subscription is gone


async def mark_delivery_done(
    *, engine: AsyncEngine, delivery_id: int, user_id: int, now: datetime
) -> MarkedDone | None:
    """One statement for the ✅ Done button: that reminder of this user, marked done.

    A transaction of its own, committed in as few trips as the database allows
    (storage.database.execute_committed). None if nothing changed: the delivery
    is done already, is someone else's or does not exist (the caller looks
    closer only then).
    """
    rows = await execute_committed(
        engine, _MARK_DONE, {"p_delivery": delivery_id, "p_user": user_id, "p_now": now}
    )
    return MarkedDone(local_date=rows[0][0], timezone=rows[0][1]) if rows else None


@dataclass(frozen=True, slots=True)
class EnrolledProgramme:
    """What a programme reminder needs of its enrolment: the version followed and the course."""

    enrolment_id: int
    user_id: int
    programme_id: int
    version: int
    title: str
    practitioner_name: str
    steps: tuple[ProgrammeStep, ...]
    start_date: date
    weekdays: int  # the days this patient practises
    course_weeks: int | None  # None: open-ended
    status: EnrolmentStatus


async def enrolled_programmes(
    *, session: AsyncSession, enrolment_ids: Sequence[int]
) -> dict[int, EnrolledProgramme]:
    """The enrolments' programme versions, by enrolment id, in one statement."""
    if not enrolment_ids:
        return {}
    rows = await session.execute(
        select(
            ProgrammeEnrolment.id,
            ProgrammeEnrolment.user_id,
            ProgrammeEnrolment.programme_id,
            ProgrammeEnrolment.version,
            Programme.title,
            Programme.practitioner_name,
            ProgrammeVersion.steps,
            ProgrammeEnrolment.start_date,
            ProgrammeEnrolment.weekdays,
            ProgrammeVersion.course_weeks,
            ProgrammeEnrolment.status,
        )
        .join(Programme, Programme.id == ProgrammeEnrolment.programme_id)
        .join(
            ProgrammeVersion,
            and_(
                ProgrammeVersion.programme_id == ProgrammeEnrolment.programme_id,
                ProgrammeVersion.version == ProgrammeEnrolment.version,
            ),
        )
        .where(ProgrammeEnrolment.id.in_(sorted(set(enrolment_ids))))
    )
    found = {}
    for row in rows:
        values = list(row)
        values[6] = tuple(ProgrammeStep.from_json(step) for step in values[6])
        values[10] = EnrolmentStatus(values[10])
        found[row[0]] = EnrolledProgramme(*values)
    return found
