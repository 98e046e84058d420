"""The step a multi-step flow is waiting on, kept in the database.

A restart, or another instance taking the next message, loses nothing. A
step has a lifetime: one older than the caller's `fresh_after` is treated as
gone, so an answer typed days later is read as a new message.

The row does not need a `users` row: a person who deleted their data may
start /remind again without being stored as a user until they confirm.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for, rows_affected
from storage.models import PendingStep
from storage.refreshed import RefreshedEvery


@dataclass(frozen=True, slots=True)
class PendingRecord:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


async def get_pending(
    *, session: AsyncSession, user_id: int, fresh_after: datetime | None = None
) -> PendingRecord | None:
    """The user's waiting step; None if there is none or it is older than `fresh_after`."""
    row = (
        await session.execute(
            select(
                PendingStep.flow, PendingStep.step, PendingStep.data, PendingStep.updated_at
            ).where(PendingStep.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        return None
    record = PendingRecord(*row)
    return None if fresh_after is not None and is_stale(record, fresh_after) else record


def is_stale(record: PendingRecord, fresh_after: datetime) -> bool:
    """A step last touched at or before `fresh_after` has expired."""
    return record.updated_at is not None and record.updated_at <= fresh_after


async def set_pending(
    *,
    session: AsyncSession,
    user_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    """Remember where the user is in a flow (one flow per user at a time)."""
    values = {"flow": flow, "step": step, "data": data, "updated_at": now}
    statement = insert_for(session, PendingStep).values(user_id=user_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[PendingStep.user_id], set_=values)
    )


async def clear_pending(
    *, session: AsyncSession, user_id: int, stale_after: datetime | None = None
) -> bool:
    """Forget the user's waiting step (only if stale, given `stale_after`); True if one went."""
    statement = delete(PendingStep).where(PendingStep.user_id == user_id)
    if stale_after is not None:  # a step saved meanwhile by another update stays
        statement = statement.where(PendingStep.updated_at <= stale_after)
    result = await session.execute(statement)
    return rows_affected(result) > 0


async def live_pending_since(
    *, session: AsyncSession, fresh_after: datetime
) -> list[tuple[int, datetime]]:
    """(user, last touched) of every step younger than `fresh_after`: the few people mid-flow."""
    rows = await session.execute(
        select(PendingStep.user_id, PendingStep.updated_at).where(
            PendingStep.updated_at > fresh_after
        )
    )
    return [(user_id, updated_at) for user_id, updated_at in rows.all()]


class PendingIndex(RefreshedEvery):
    """Who may have a waiting step, kept in each process, so a command from
    anyone else needs no database read.

    Steps saved by this process are noted at once. Steps saved by another
    instance are learnt by `refresh`, which reads every live step in one
    statement at most once per `refresh_every` seconds (monotonic clock),
    however many commands arrive. A person listed here is checked in the
    database as before (and dropped if they have nothing waiting), so the
    index can only make a command skip a read for someone with no step, never
    act on a step that is not there.

    The one thing it can miss: a step another instance saved less than
    `refresh_every` before a command reaches this one. With several
    instances, updates of one person are not ordered between instances
    anyway (the per-person order holds within an instance), so a command
    racing the question it follows is already a race; the window is kept
    near a human's reading time, and what is missed is benign: the question
    keeps waiting, and a point's name typed next gets it again with a hint.
    """

    def __init__(
        self, *, refresh_every: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(refresh_every=refresh_every, monotonic=monotonic)
        self._touched: dict[int, datetime] = {}

    def may_have(self, user_id: int, fresh_after: datetime) -> bool:
        """False only if the user has no step younger than `fresh_after`, as far as is known."""
        touched = self._touched.get(user_id)
        if touched is None:
            return False
        if touched <= fresh_after:
            del self._touched[user_id]
            return False
        return True

    def note(self, user_id: int, updated_at: datetime) -> None:
        """A step was saved (or read) with this time."""
        known = self._touched.get(user_id)
        if known is None or known < updated_at:
            self._touched[user_id] = updated_at

    def forget(self, user_id: int) -> None:
        """The user's step was cleared, or a read found none."""
        self._touched.pop(user_id, None)

    async def refresh(self, *, session: AsyncSession, fresh_after: datetime) -> None:
        """Learns the steps saved anywhere (other instances included) that are still live.

        Callers go through `refresh_if_due`, so concurrent commands share one read.
        """
        started = self._read_started()
        live = await live_pending_since(session=session, fresh_after=fresh_after)
        # Expired entries go, so the index holds only the few people mid-flow.
        self._touched = {u: t for u, t in self._touched.items() if t > fresh_after}
        for user_id, updated_at in live:
            self.note(user_id, updated_at)
        self._read_done(started)  # only once read: a failed read is tried again
