"""Queries for broadcasts and their recipients. The caller owns the transaction.

Confirming snapshots the recipients into rows; senders claim those rows
under a short lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so a restart
resumes where it stopped and nobody is sent the same broadcast twice. A
claimed row becomes "sending" only when its request is about to be written
(`mark_recipient_sending`, a compare-and-set); a claimed row whose lease ran
out goes back to the queue, a sending one is "interrupted" (never resent).
Every per-tick query reads only the open rows through a partial index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, insert, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_affected
from storage.leases import extend_held_leases
from storage.models import OPEN_RECIPIENT, Broadcast, BroadcastRecipient, Subscription, User
from storage.outcomes import SendRecord, record_send_outcomes


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class RecipientStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # leased to a sender, nothing handed to Telegram yet
    SENDING = "sending"  # its request is about to be written
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Maybe delivered ("may not have arrived"), so never resent:
    UNDECIDED = "undecided"  # a read/write timeout or a drop after the request was written
    INTERRUPTED = "interrupted"  # found sending after its sender's lease ran out


# Recipients not yet decided: still to send, or in a sender's hands.
OPEN_STATUSES = (RecipientStatus.PENDING, RecipientStatus.CLAIMED, RecipientStatus.SENDING)
# The "may not have arrived" column of the progress message, /broadcasts and /stats.
MAYBE_STATUSES = (RecipientStatus.UNDECIDED, RecipientStatus.INTERRUPTED)


def _open_rows() -> Any:
    # Word for word the partial index's predicate (see storage/models.py).
    return text(f"broadcast_recipients.{OPEN_RECIPIENT}")


class Audience(StrEnum):
    ALL = "all"
    SUBSCRIBERS = "subscribers"
    NOT_SUBSCRIBED = "others"


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    id: int
    admin_id: int
    status: str
    text: str | None
    entities: list[dict[str, Any]]
    photo_file_id: str | None
    button_label: str | None
    button_url: str | None
    audience: str | None
    send_at: datetime | None
    total: int
    progress_chat_id: int | None
    progress_message_id: int | None
    progress_shown_at: datetime | None
    created_at: datetime
    confirmed_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A recipient row handed to one sender."""

    id: int
    user_id: int
    chat_id: int
    # users.language (chosen with /language) if set, else their Telegram
    # language_code: what the bot adds to the message (a booking button) is in it.
    language_tag: str | None = None


# The recipient's language, read with each claimed row (one statement, not one per row).
_RECIPIENT_LANGUAGE_TAG: Any = (
    select(func.coalesce(User.language, User.language_code))
    .where(User.id == BroadcastRecipient.user_id)
    .correlate(BroadcastRecipient)
    .scalar_subquery()
)

_COLUMNS = (
    Broadcast.id,
    Broadcast.admin_id,
    Broadcast.status,
    Broadcast.text,
    Broadcast.entities,
    Broadcast.photo_file_id,
    Broadcast.button_label,
    Broadcast.button_url,
    Broadcast.audience,
    Broadcast.send_at,
    Broadcast.total,
    Broadcast.progress_chat_id,
    Broadcast.progress_message_id,
    Broadcast.progress_shown_at,
    Broadcast.created_at,
    Broadcast.confirmed_at,
    Broadcast.finished_at,
)


async def create_draft(
    *, session: AsyncSession, admin_id: int, now: datetime, **content: Any
) -> int:
    """A draft row; the compose flow creates it only when staff confirm, so a
    dropped draft never takes a broadcast number."""
    values: dict[str, Any] = {"entities": [], **content}
    result = await session.execute(
        insert(Broadcast)
        .values(admin_id=admin_id, status=BroadcastStatus.DRAFT, total=0, created_at=now, **values)
        .returning(Broadcast.id)
    )
    return int(result.scalar_one())


async def get_broadcast(*, session: AsyncSession, broadcast_id: int) -> BroadcastRecord | None:
    row = (
        await session.execute(select(*_COLUMNS).where(Broadcast.id == broadcast_id))
    ).one_or_none()
    return BroadcastRecord(*row) if row else None


async def update_broadcast(*, session: AsyncSession, broadcast_id: int, **changes: object) -> None:
    await session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(**changes))


def _has_active_subscription() -> Any:
    return exists().where(Subscription.user_id == User.id, Subscription.active)


def _audience_filter(audience: Audience, sender_id: int | None = None) -> Any:
    reachable: ColumnElement[bool] = User.blocked.is_(False)
    if sender_id is not None:  # staff are not recipients of their own broadcast
        reachable = and_(reachable, User.id != sender_id)
    if audience == Audience.SUBSCRIBERS:
        return and_(reachable, _has_active_subscription())
    if audience == Audience.NOT_SUBSCRIBED:
        return and_(reachable, ~_has_active_subscription())
    return reachable


async def audience_sizes(
    *, session: AsyncSession, sender_id: int | None = None
) -> dict[Audience, int]:
    """How many people each audience would reach now (blocked users and the sender excluded)."""
    sizes = {}
    for audience in Audience:
        count = await session.scalar(
            select(func.count()).select_from(User).where(_audience_filter(audience, sender_id))
        )
        sizes[audience] = int(count or 0)
    return sizes


async def confirm_broadcast(
    *, session: AsyncSession, broadcast_id: int, now: datetime, send_at: datetime | None
) -> int | None:
    """Snapshot the recipients and queue the broadcast; None if not a draft.

    The status change is conditional, so a double-tapped Confirm (or two
    instances) confirms once.
    """
    status = BroadcastStatus.SCHEDULED if send_at else BroadcastStatus.SENDING
    changed = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.DRAFT)
        .values(status=status, confirmed_at=now, send_at=send_at)
        .returning(Broadcast.audience, Broadcast.admin_id)
    )
    row = changed.one_or_none()
    if row is None or row[0] is None:
        return None
    audience: str = row[0]
    sender_id: int = row[1]
    chosen = (
        select(
            literal(broadcast_id),
            User.id,
            User.chat_id,
            literal(RecipientStatus.PENDING.value),
            literal(0),
        )
        .where(_audience_filter(Audience(audience), sender_id))
        .order_by(User.id)
    )
    await session.execute(
        insert(BroadcastRecipient).from_select(
            ["broadcast_id", "user_id", "chat_id", "status", "attempts"], chosen
        )
    )
    total = int(
        await session.scalar(
            select(func.count())
            .select_from(BroadcastRecipient)
            .where(BroadcastRecipient.broadcast_id == broadcast_id)
        )
        or 0
    )
    await session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(total=total))
    return total


async def start_due_scheduled(*, session: AsyncSession, now: datetime) -> None:
    """Scheduled broadcasts whose time has come start sending."""
    await session.execute(
        update(Broadcast)
        .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.send_at <= now)
        .values(status=BroadcastStatus.SENDING)
    )


async def sending_broadcasts(*, session: AsyncSession) -> list[BroadcastRecord]:
    rows = await session.execute(
        select(*_COLUMNS).where(Broadcast.status == BroadcastStatus.SENDING).order_by(Broadcast.id)
    )
    return [BroadcastRecord(*row) for row in rows]


async def skip_unreachable(*, session: AsyncSession, broadcast_id: int) -> None:
    """Pending recipients who blocked the bot since the snapshot are skipped."""
    blocked_user = select(User.id).where(User.blocked)
    await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            _open_rows(),
            BroadcastRecipient.status == RecipientStatus.PENDING,
            BroadcastRecipient.user_id.in_(blocked_user.scalar_subquery()),
        )
        .values(status=RecipientStatus.BLOCKED, error="blocked before sending")
    )


async def mark_interrupted(*, session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    """SENDING rows whose lease ran out: their sender died mid-send. Never resent."""
    result = await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            _open_rows(),
            BroadcastRecipient.status == RecipientStatus.SENDING,
            BroadcastRecipient.lease_until < now,
        )
        .values(status=RecipientStatus.INTERRUPTED, lease_until=None, lease_owner=None)
    )
    return rows_affected(result)


async def claim_recipients(
    *,
    session: AsyncSession,
    broadcast_id: int,
    now: datetime,
    lease_until: datetime,
    owner: str,
    limit: int,
) -> list[Claimed]:
    """Lease up to `limit` recipients to `owner`: pending ones, and claimed ones
    whose lease ran out (their sender died before starting them)."""
    free = (
        select(BroadcastRecipient.id)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            _open_rows(),
            # An IN the index can seek on, then the lease test for claimed rows.
            BroadcastRecipient.status.in_([RecipientStatus.PENDING, RecipientStatus.CLAIMED]),
            or_(
                BroadcastRecipient.status == RecipientStatus.PENDING,
                BroadcastRecipient.lease_until < now,
            ),
        )
        .order_by(BroadcastRecipient.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.id.in_(free.scalar_subquery()))
        .values(status=RecipientStatus.CLAIMED, lease_until=lease_until, lease_owner=owner)
        .returning(
            BroadcastRecipient.id,
            BroadcastRecipient.user_id,
            BroadcastRecipient.chat_id,
            _RECIPIENT_LANGUAGE_TAG,
        )
    )
    return sorted((Claimed(*row) for row in claimed), key=lambda c: c.id)


async def mark_recipient_sending(*, session: AsyncSession, recipient_id: int, owner: str) -> bool:
    """Claimed -> sending, just before the request is written; False if no longer ours.

    A compare-and-set: a row whose lease ran out and was claimed by another
    sender, or that staff cancelled, is not sent by us.
    """
    won = await mark_recipients_sending(session=session, recipient_ids=[recipient_id], owner=owner)
    return recipient_id in won


async def mark_recipients_sending(
    *, session: AsyncSession, recipient_ids: Sequence[int], owner: str
) -> set[int]:
    """`mark_recipient_sending` for several rows in one statement; returns the ids won."""
    result = await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.id.in_(recipient_ids),
            BroadcastRecipient.status == RecipientStatus.CLAIMED,
            BroadcastRecipient.lease_owner == owner,
        )
        .values(status=RecipientStatus.SENDING)
        .returning(BroadcastRecipient.id)
    )
    return {row[0] for row in result}


async def renew_recipient_leases(
    *, session: AsyncSession, broadcast_id: int, owner: str, lease_until: datetime
) -> int:
    """Extends the leases `owner` holds on this broadcast's open rows.

    Rows another transaction has locked are skipped (SKIP LOCKED), so the
    background renewal never waits on, or deadlocks with, the sender
    recording those very rows.
    """
    return await extend_held_leases(
        session=session,
        model=BroadcastRecipient,
        owner=owner,
        lease_until=lease_until,
        where=and_(
            BroadcastRecipient.broadcast_id == broadcast_id,
            _open_rows(),
            BroadcastRecipient.status.in_([RecipientStatus.CLAIMED, RecipientStatus.SENDING]),
        ),
    )


async def record_outcomes(*, session: AsyncSession, outcomes: Sequence[SendRecord]) -> None:
    """Store the sends' results and release the claims (one executemany)."""
    await record_send_outcomes(
        session=session,
        model=BroadcastRecipient,
        records=outcomes,
        lease_until=None,
        lease_owner=None,
    )


async def recipient_counts(*, session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """Recipients by status."""
    rows = await session.execute(
        select(BroadcastRecipient.status, func.count())
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .group_by(BroadcastRecipient.status)
    )
    return {status: int(count) for status, count in rows}


async def finish_if_complete(*, session: AsyncSession, broadcast_id: int, now: datetime) -> bool:
    """Marks the broadcast done when nothing is left to send or in flight."""
    remaining = await session.scalar(
        select(func.count())
        .select_from(BroadcastRecipient)
        .where(BroadcastRecipient.broadcast_id == broadcast_id, _open_rows())
    )
    if remaining:
        return False
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING)
        .values(status=BroadcastStatus.DONE, finished_at=now)
    )
    return bool(rows_affected(result))


async def cancel_broadcast(*, session: AsyncSession, broadcast_id: int, now: datetime) -> bool:
    """Stops a scheduled or sending broadcast: no pending recipient is sent to after this."""
    result = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status.in_([BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED]),
        )
        .values(status=BroadcastStatus.CANCELLED, finished_at=now)
    )
    if not rows_affected(result):
        return False
    # Claimed rows too: their sender's compare-and-set then fails, so not
    # even another instance's claimed chunk goes out after this.
    await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            _open_rows(),
            BroadcastRecipient.status.in_([RecipientStatus.PENDING, RecipientStatus.CLAIMED]),
        )
        .values(status=RecipientStatus.CANCELLED)
    )
    return True


async def recent_broadcasts(*, session: AsyncSession, limit: int = 10) -> list[BroadcastRecord]:
    rows = await session.execute(
        select(*_COLUMNS)
        .where(Broadcast.status != BroadcastStatus.DRAFT)
        .order_by(Broadcast.id.desc())
        .limit(limit)
    )
    return [BroadcastRecord(*row) for row in rows]
