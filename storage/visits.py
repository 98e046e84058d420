"""Visits at the clinic and their reminders: the queries, returning plain records.

A visit's reminder rows are written with the visit (storage.models.VisitReminder
explains their states); the dispatcher claims due ones under a short lease,
marks each "sending" just before its request is written and records the
outcome. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.leases import extend_held_leases
from storage.models import OPEN_VISIT_REMINDER, PLANNED_VISIT_REMINDER, User, Visit, VisitReminder


class VisitStatus(StrEnum):
    BOOKED = "booked"  # entered, not answered yet
    CONFIRMED = "confirmed"
    RESCHEDULE = "reschedule"  # the patient asked to move it
    CANCELLED = "cancelled"


# The reminders a patient receives (scheduler.visit_rules.ReminderKind names every kind;
# its "no_answer" check tells the front desk, not the patient).
PATIENT_REMINDER_KINDS = ("day_before", "lead")


class VisitReminderStatus(StrEnum):
    PLANNED = "planned"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNDECIDED = "undecided"
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class VisitRecord:
    id: int
    user_id: int
    starts_at: datetime
    zone: str
    entered_by: int
    patient_name: str | None
    status: VisitStatus
    answered_at: datetime | None
    flagged_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DueVisitReminder:
    """A claimed reminder with what sending it needs."""

    id: int
    kind: str
    due_at: datetime
    visit: VisitRecord
    chat_id: int
    language_tag: str | None
    blocked: bool


def _record(row: Visit) -> VisitRecord:
    return VisitRecord(
        id=row.id,
        user_id=row.user_id,
        starts_at=row.starts_at,
        zone=row.zone,
        entered_by=row.entered_by,
        patient_name=row.patient_name,
        status=VisitStatus(row.status),
        answered_at=row.answered_at,
        flagged_at=row.flagged_at,
        created_at=row.created_at,
    )


async def create_visit(
    *,
    session: AsyncSession,
    user_id: int,
    starts_at: datetime,
    zone: str,
    entered_by: int,
    patient_name: str | None,
    reminders: Sequence[tuple[str, datetime]],
    now: datetime,
) -> VisitRecord:
    """A new booked visit and its reminder rows (kind, due time), in one go."""
    row = Visit(
        user_id=user_id,
        starts_at=starts_at,
        zone=zone,
        entered_by=entered_by,
        patient_name=patient_name,
        status=VisitStatus.BOOKED.value,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    for kind, due_at in reminders:
        session.add(
            VisitReminder(
                visit_id=row.id,
                kind=kind,
                due_at=due_at,
                status=VisitReminderStatus.PLANNED.value,
            )
        )
    await session.flush()
    return _record(row)


async def get_visit(*, session: AsyncSession, visit_id: int) -> VisitRecord | None:
    row = await session.get(Visit, visit_id)
    return _record(row) if row is not None else None


async def upcoming_visits(
    *, session: AsyncSession, user_id: int, now: datetime, limit: int = 20
) -> list[VisitRecord]:
    """The patient's visits still to come and not cancelled, soonest first."""
    rows = await session.scalars(
        select(Visit)
        .where(
            Visit.user_id == user_id,
            Visit.starts_at > now,
            Visit.status != VisitStatus.CANCELLED.value,
        )
        .order_by(Visit.starts_at)
        .limit(limit)
    )
    return [_record(row) for row in rows]


async def visits_between(
    *, session: AsyncSession, start: datetime, end: datetime, limit: int = 200
) -> list[VisitRecord]:
    """Every visit starting in [start, end), cancelled ones too (for /today), by time."""
    rows = await session.scalars(
        select(Visit)
        .where(Visit.starts_at >= start, Visit.starts_at < end)
        .order_by(Visit.starts_at, Visit.id)
        .limit(limit)
    )
    return [_record(row) for row in rows]


async def answer_visit(
    *,
    session: AsyncSession,
    visit_id: int,
    user_id: int,
    status: VisitStatus,
    patient_name: str | None,
    now: datetime,
) -> VisitRecord | None:
    """The patient's answer, if the visit is theirs and not cancelled; None changes nothing.

    A conditional UPDATE: a double tap or a second instance changes it once.
    Cancelling (or asking to reschedule) skips the reminders still planned, and
    those claimed by a sender that has not begun to send them: its
    `mark_visit_reminder_sending` then finds them taken and sends nothing. One
    already being sent cannot be called back.
    """
    result = await session.execute(
        update(Visit)
        .where(
            Visit.id == visit_id,
            Visit.user_id == user_id,
            Visit.status != VisitStatus.CANCELLED.value,
            Visit.status != status.value,
        )
        .values(status=status.value, answered_at=now, patient_name=patient_name)
        .returning(Visit.id)
    )
    if result.scalar_one_or_none() is None:
        return None
    if status is VisitStatus.CONFIRMED:
        # Back on after "I need to reschedule": the patient's reminders still ahead come
        # back (only that answer skips one before its time; the sender skips at it).
        await session.execute(
            update(VisitReminder)
            .where(
                VisitReminder.visit_id == visit_id,
                VisitReminder.status == VisitReminderStatus.SKIPPED.value,
                VisitReminder.kind.in_(PATIENT_REMINDER_KINDS),
                VisitReminder.due_at > now,
            )
            .values(status=VisitReminderStatus.PLANNED.value)
        )
    if status in (VisitStatus.CANCELLED, VisitStatus.RESCHEDULE):
        await session.execute(
            update(VisitReminder)
            .where(
                VisitReminder.visit_id == visit_id,
                VisitReminder.status.in_(
                    (VisitReminderStatus.PLANNED.value, VisitReminderStatus.CLAIMED.value)
                ),
            )
            .values(status=VisitReminderStatus.SKIPPED.value, lease_owner=None, lease_until=None)
        )
    return await get_visit(session=session, visit_id=visit_id)


async def claim_due_visit_reminders(
    *, session: AsyncSession, now: datetime, lease_until: datetime, owner: str, limit: int
) -> list[DueVisitReminder]:
    """Claims planned reminders due by `now` (the partial index), with their visits."""
    due = select(VisitReminder.id).where(text(PLANNED_VISIT_REMINDER), VisitReminder.due_at <= now)
    ids = list(await session.scalars(due.order_by(VisitReminder.due_at).limit(limit)))
    if not ids:
        return []
    claimed = list(
        await session.scalars(
            update(VisitReminder)
            .where(VisitReminder.id.in_(ids), text(PLANNED_VISIT_REMINDER))
            .values(
                status=VisitReminderStatus.CLAIMED.value,
                lease_owner=owner,
                lease_until=lease_until,
            )
            .returning(VisitReminder.id)
        )
    )
    if not claimed:
        return []
    rows = await session.execute(
        select(VisitReminder, Visit, User.chat_id, User.language, User.language_code, User.blocked)
        .join(Visit, Visit.id == VisitReminder.visit_id)
        .join(User, User.id == Visit.user_id)
        .where(VisitReminder.id.in_(claimed))
        .order_by(VisitReminder.due_at)
    )
    return [
        DueVisitReminder(
            id=reminder.id,
            kind=reminder.kind,
            due_at=reminder.due_at,
            visit=_record(visit),
            chat_id=chat_id,
            language_tag=language or language_code,
            blocked=blocked,
        )
        for reminder, visit, chat_id, language, language_code, blocked in rows
    ]


async def mark_visit_reminder_sending(
    *, session: AsyncSession, reminder_id: int, owner: str
) -> bool:
    """Claimed -> sending, just before the request is written; False if it was taken over."""
    result = await session.execute(
        update(VisitReminder)
        .where(
            text(OPEN_VISIT_REMINDER),
            VisitReminder.id == reminder_id,
            VisitReminder.status == VisitReminderStatus.CLAIMED.value,
            VisitReminder.lease_owner == owner,
        )
        .values(status=VisitReminderStatus.SENDING.value)
        .returning(VisitReminder.id)
    )
    return result.scalar_one_or_none() is not None


async def renew_visit_reminder_leases(
    *, session: AsyncSession, owner: str, lease_until: datetime
) -> int:
    """Extends the leases `owner` holds on open (claimed or sending) reminders.

    Rows another transaction has locked are skipped (SKIP LOCKED), so the
    background renewal never waits on, or deadlocks with, the sender
    recording those very rows (which lets their leases go anyway).
    """
    return await extend_held_leases(
        session=session,
        model=VisitReminder,
        owner=owner,
        lease_until=lease_until,
        where=text(OPEN_VISIT_REMINDER),
    )


async def record_visit_reminder(
    *,
    session: AsyncSession,
    reminder_id: int,
    status: VisitReminderStatus,
    now: datetime,
    message_id: int | None = None,
    error: str | None = None,
) -> None:
    """A claimed (or sending) reminder's outcome; the lease is let go."""
    await session.execute(
        update(VisitReminder)
        .where(text(OPEN_VISIT_REMINDER), VisitReminder.id == reminder_id)
        .values(
            status=status.value,
            lease_owner=None,
            lease_until=None,
            message_id=message_id,
            error=error,
            sent_at=now if status == VisitReminderStatus.SENT else None,
        )
    )


async def release_expired_claims(*, session: AsyncSession, now: datetime) -> int:
    """Claims whose instance died: unstarted ones are planned again, started ones interrupted.

    An interrupted reminder may have been delivered: never resent. Returns how
    many were interrupted.
    """
    expired = and_(text(OPEN_VISIT_REMINDER), VisitReminder.lease_until < now)
    await session.execute(
        update(VisitReminder)
        .where(expired, VisitReminder.status == VisitReminderStatus.CLAIMED.value)
        .values(status=VisitReminderStatus.PLANNED.value, lease_owner=None, lease_until=None)
    )
    interrupted = await session.execute(
        update(VisitReminder)
        .where(expired, VisitReminder.status == VisitReminderStatus.SENDING.value)
        .values(status=VisitReminderStatus.INTERRUPTED.value, lease_owner=None, lease_until=None)
    )
    return int(getattr(interrupted, "rowcount", 0) or 0)


async def reminder_status(
    *, session: AsyncSession, visit_id: int, kind: str
) -> VisitReminderStatus | None:
    """The state of one of a visit's reminders; None if it has none of that kind."""
    status = await session.scalar(
        select(VisitReminder.status).where(
            VisitReminder.visit_id == visit_id, VisitReminder.kind == kind
        )
    )
    return VisitReminderStatus(status) if status is not None else None


async def flag_unanswered(*, session: AsyncSession, visit_id: int, now: datetime) -> bool:
    """Flags a visit still unanswered (booked, not flagged); False changes nothing."""
    result = await session.execute(
        update(Visit)
        .where(
            Visit.id == visit_id,
            Visit.status == VisitStatus.BOOKED.value,
            Visit.flagged_at.is_(None),
        )
        .values(flagged_at=now)
        .returning(Visit.id)
    )
    return result.scalar_one_or_none() is not None


async def recent_patients(*, session: AsyncSession, limit: int = 8) -> list[tuple[int, str | None]]:
    """The last people seen by the bot who can get messages: (user id, name for visits).

    The name is the one kept with the person's latest visit (what the front desk
    sees about visits anyway), never users.first_name: that one is kept only for
    patients who share their progress with practitioners, which the front desk
    must neither see nor be able to infer.
    """
    ids = list(
        await session.scalars(
            select(User.id)
            .where(User.blocked.is_(False))
            .order_by(User.last_seen_at.desc())
            .limit(limit)
        )
    )
    names: dict[int, str] = {}
    if ids:
        rows = await session.execute(
            select(Visit.user_id, Visit.patient_name)
            .where(Visit.user_id.in_(ids), Visit.patient_name.is_not(None))
            .order_by(Visit.created_at, Visit.id)
        )
        names = {user_id: name for user_id, name in rows if name}
    return [(user_id, names.get(user_id)) for user_id in ids]
