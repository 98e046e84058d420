"""Recording bulk-send outcomes: the same for reminders and broadcast recipients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.types import UTCDateTime


@dataclass(frozen=True, slots=True)
class SendRecord:
    """What happened to one row's send (a delivery or a broadcast recipient)."""

    row_id: int
    status: str
    attempts: int
    sent_at: datetime | None = None
    message_id: int | None = None
    error: str | None = None


async def record_send_outcomes(
    *, session: AsyncSession, model: Any, records: Sequence[SendRecord], **also: object
) -> None:
    """One executemany UPDATE of `model` rows by id; `also` sets fixed extra columns."""
    if not records:
        return
    statement = (
        update(model)
        .where(model.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            attempts=bindparam("b_attempts"),
            sent_at=bindparam("b_sent_at", type_=UTCDateTime()),
            message_id=bindparam("b_message_id"),
            error=bindparam("b_error"),
            **also,
        )
    )
    connection = await session.connection()
    await connection.execute(
        statement,
        [
            {
                "b_id": record.row_id,
                "b_status": record.status,
                "b_attempts": record.attempts,
                "b_sent_at": record.sent_at,
                "b_message_id": record.message_id,
                "b_error": record.error[:200] if record.error else None,
            }
            for record in records
        ],
    )
