"""What a bulk send's outcome means for the patient, for every kind of bulk send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.send_policy import SendOutcome, SendStatus
from storage import reminders, users
from storage.outcomes import SendRecord


def send_record(row_id: int, status: str, outcome: SendOutcome, now: datetime) -> SendRecord:
    """The row to store for one send: `status` is the outcome in the row's own terms."""
    return SendRecord(
        row_id=row_id,
        status=status,
        attempts=outcome.attempts,
        sent_at=now if outcome.status == SendStatus.SENT else None,
        message_id=outcome.message_id,
        error=outcome.error,
    )


async def apply_send_outcome(
    *, session: AsyncSession, user_id: int, outcome: SendOutcome, now: datetime
) -> None:
    """Blocked: unreachable, reminders stop until /start. Migrated: new chat id.

    Anything else needs nothing: callers pass every outcome.
    """
    if outcome.status == SendStatus.BLOCKED:
        await users.mark_user_blocked(session=session, user_id=user_id)
        await reminders.stop_reminders_for_blocked_user(session=session, user_id=user_id, now=now)
    if outcome.migrated_from is not None:
        await users.update_chat_id(
            session=session, old_chat_id=outcome.migrated_from, new_chat_id=outcome.chat_id
        )
        await reminders.update_subscription(
            session=session, user_id=user_id, now=now, chat_id=outcome.chat_id
        )
