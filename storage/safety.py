"""The pregnancy flag and "too sore / bruised" reports. The caller owns the transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_affected
from storage.models import AdverseEvent, User
from storage.refreshed import RefreshedEvery

SORE = "sore"


async def set_pregnant(*, session: AsyncSession, user_id: int, pregnant: bool) -> bool:
    """Turns the flag on or off; False if the user is not stored."""
    result = await session.execute(update(User).where(User.id == user_id).values(pregnant=pregnant))
    return bool(rows_affected(result))


# Built once: a card of a point with a pregnancy caution reads this for every /point.
_PREGNANT = select(User.pregnant).where(User.id == bindparam("p_user"))


async def is_pregnant(*, session: AsyncSession, user_id: int) -> bool:
    """Whether the user told the bot they are pregnant (False for unknown users)."""
    # Core on the session's connection: the ORM's result machinery is not needed for a flag.
    connection = await session.connection()
    return bool(await connection.scalar(_PREGNANT, {"p_user": user_id}))


async def pregnant_among(*, session: AsyncSession, user_ids: list[int]) -> frozenset[int]:
    """Which of these users have pregnancy on (one query for a batch of reminders)."""
    if not user_ids:
        return frozenset()
    rows = await session.scalars(select(User.id).where(User.pregnant, User.id.in_(user_ids)))
    return frozenset(rows)


async def pregnant_ids(*, session: AsyncSession) -> set[int]:
    """Everyone with pregnancy on (a few people at any clinic)."""
    return set(await session.scalars(select(User.id).where(User.pregnant)))


class PregnantSet(RefreshedEvery):
    """Who has pregnancy on, kept in each process, so a point's card needs no read
    of its own (a cautioned card is read by anyone, at any time).

    A flag this process sets is noted at once (`note`). Flags set by another
    instance are learnt by `refresh`, which reads everyone with pregnancy on in
    one statement at most once per `refresh_every` seconds (monotonic clock),
    however many cards are asked for.

    What it can miss is a flag another instance set less than `refresh_every`
    before a card is asked for here. With one instance (polling, or a single
    webhook instance) nothing is missed: the person's updates are in order and
    their own /pregnancy is noted before their next card. With several, one
    person's updates are not ordered between instances anyway, so a card
    racing the /pregnancy it follows is already a race; the window is a
    second, and what a missed flag changes is only where the caution stands:
    every such card still carries it in its "Take care" section. When the
    read fails because the database is away, the caller assumes pregnancy on.
    """

    def __init__(
        self, *, refresh_every: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(refresh_every=refresh_every, monotonic=monotonic)
        self._ids: set[int] = set()
        # Flags noted while a read is under way: the read may have begun before them.
        self._noted_during_read: dict[int, bool] | None = None

    def __contains__(self, user_id: int) -> bool:
        return user_id in self._ids

    def note(self, user_id: int, pregnant: bool) -> None:
        """This process set (or erased) the user's flag; committed before this is called."""
        if pregnant:
            self._ids.add(user_id)
        else:
            self._ids.discard(user_id)
        if self._noted_during_read is not None:
            self._noted_during_read[user_id] = pregnant

    async def refresh(self, *, session: AsyncSession) -> None:
        """Reads everyone with pregnancy on (other instances' flags included).

        Callers go through `refresh_if_due`, so concurrent cards share one read.
        """
        started = self._read_started()
        self._noted_during_read = {}
        try:
            ids = await pregnant_ids(session=session)
            for user_id, pregnant in self._noted_during_read.items():
                if pregnant:
                    ids.add(user_id)
                else:
                    ids.discard(user_id)
        finally:
            self._noted_during_read = None
        self._ids = ids
        self._read_done(started)  # only once read: a failed read is tried again


async def record_adverse_event(
    *, session: AsyncSession, user_id: int, routine: str, now: datetime, kind: str = SORE
) -> None:
    """A report that the routine left the patient sore or bruised."""
    session.add(AdverseEvent(user_id=user_id, kind=kind, routine=routine, recorded_at=now))
    await session.flush()


async def count_adverse_events(*, session: AsyncSession, since: datetime | None = None) -> int:
    """How many reports there are (since an instant, if given): an aggregate only."""
    statement = select(func.count()).select_from(AdverseEvent)
    if since is not None:
        statement = statement.where(AdverseEvent.recorded_at >= since)
    return int(await session.scalar(statement) or 0)
