"""Questionnaire runs (PEG, RMDQ) and their answers, one row per item with its time.

A run's `next_item` is the pending step: the next answer is taken only for
that item, by one conditional UPDATE, so a double tap, an old button or a
second instance cannot answer an item twice or skip ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_affected
from storage.models import QuestionnaireAnswer, QuestionnaireRun


class Reason(StrEnum):
    """Why a questionnaire was asked."""

    WEEKLY = "weekly"
    PROGRAMME_START = "programme_start"
    PROGRAMME_MIDDLE = "programme_middle"
    PROGRAMME_END = "programme_end"
    ASKED = "asked"  # the patient chose it (/questionnaire)


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    user_id: int
    instrument: str
    reason: Reason
    enrolment_id: int | None
    started_at: datetime
    completed_at: datetime | None
    next_item: int
    score: Decimal | None


# QuestionnaireRun.wording besides a language: answers in more than one
# language, or a run answered before the language was kept.
MIXED, UNKNOWN = "mixed", "unknown"


@dataclass(frozen=True, slots=True)
class Score:
    """A finished run's score and when it was finished."""

    run_id: int
    score: Decimal
    completed_at: datetime
    reason: Reason
    wording: str = UNKNOWN  # the language it was answered in, MIXED or UNKNOWN


class Answered(StrEnum):
    TAKEN = "taken"  # stored; the run moved to the next item
    ALREADY = "already"  # this item was answered already (a double tap): nothing changed
    NOT_NOW = "not_now"  # not the item the run waits for, or the run is finished
    NO_RUN = "no_run"  # no such run of this user (forged, or erased)


def _run(row: QuestionnaireRun) -> Run:
    return Run(
        row.id,
        row.user_id,
        row.instrument,
        Reason(row.reason),
        row.enrolment_id,
        row.started_at,
        row.completed_at,
        row.next_item,
        Decimal(row.score) if row.score is not None else None,
    )


async def start_run(
    *,
    session: AsyncSession,
    user_id: int,
    instrument: str,
    reason: Reason,
    now: datetime,
    enrolment_id: int | None = None,
) -> Run | None:
    """A new run at its first item; None if this enrolment already had one for this reason.

    The unique (enrolment, reason) makes a programme's questionnaire exactly
    once, whichever instance or retried tick asks (a savepoint keeps the
    caller's transaction usable after the refused insert).
    """
    row = QuestionnaireRun(
        user_id=user_id,
        instrument=instrument,
        reason=reason.value,
        enrolment_id=enrolment_id,
        started_at=now,
        next_item=0,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return None
    return _run(row)


async def get_run(*, session: AsyncSession, run_id: int, user_id: int) -> Run | None:
    """One of this user's runs, or None (someone else's is None too)."""
    row = await session.get(QuestionnaireRun, run_id)
    return _run(row) if row is not None and row.user_id == user_id else None


async def answer_item(
    *,
    session: AsyncSession,
    run_id: int,
    user_id: int,
    item: int,
    answer: int | None,
    now: datetime,
    language: str,
) -> Answered:
    """Stores the answer (None: skipped) if the run waits for exactly this item.

    `language` is the language of the words it was answered in: the run keeps
    it (MIXED once two differ), so staff know whether a score is from a
    validated version.
    """
    wording = QuestionnaireRun.wording
    moved = await session.execute(
        update(QuestionnaireRun)
        .where(
            QuestionnaireRun.id == run_id,
            QuestionnaireRun.user_id == user_id,
            QuestionnaireRun.next_item == item,
            QuestionnaireRun.completed_at.is_(None),
        )
        .values(
            next_item=item + 1,
            wording=case(
                (wording.is_(None), language),
                (wording.in_((language, UNKNOWN)), wording),
                else_=MIXED,
            ),
        )
    )
    if rows_affected(moved):
        session.add(
            QuestionnaireAnswer(
                run_id=run_id,
                item=item,
                answer=answer,
                skipped=answer is None,
                answered_at=now,
            )
        )
        await session.flush()
        return Answered.TAKEN
    run = await get_run(session=session, run_id=run_id, user_id=user_id)
    if run is None:
        return Answered.NO_RUN
    done = await session.scalar(
        select(QuestionnaireAnswer.id).where(
            QuestionnaireAnswer.run_id == run_id, QuestionnaireAnswer.item == item
        )
    )
    return Answered.ALREADY if done is not None else Answered.NOT_NOW


async def answers_of(*, session: AsyncSession, run_id: int) -> dict[int, int | None]:
    """A run's answers by item (None: skipped)."""
    rows = await session.execute(
        select(QuestionnaireAnswer.item, QuestionnaireAnswer.answer).where(
            QuestionnaireAnswer.run_id == run_id
        )
    )
    return {item: answer for item, answer in rows}


async def finish_run(
    *, session: AsyncSession, run_id: int, score: Decimal | None, now: datetime
) -> bool:
    """Marks the run complete with its score (None: an item was skipped); once only."""
    result = await session.execute(
        update(QuestionnaireRun)
        .where(QuestionnaireRun.id == run_id, QuestionnaireRun.completed_at.is_(None))
        .values(completed_at=now, score=str(score) if score is not None else None)
    )
    return bool(rows_affected(result))


async def discard_unasked(*, session: AsyncSession, run_ids: list[int]) -> int:
    """Deletes runs whose first item never reached the patient (none answered): the
    questionnaire is then due again, rather than lost to a message that failed."""
    if not run_ids:
        return 0
    result = await session.execute(
        delete(QuestionnaireRun).where(
            QuestionnaireRun.id.in_(run_ids),
            QuestionnaireRun.next_item == 0,
            QuestionnaireRun.completed_at.is_(None),
        )
    )
    return int(rows_affected(result))


async def unfinished_run(*, session: AsyncSession, user_id: int) -> Run | None:
    """The user's latest run not yet finished, if any."""
    row = await session.scalar(
        select(QuestionnaireRun)
        .where(QuestionnaireRun.user_id == user_id, QuestionnaireRun.completed_at.is_(None))
        .order_by(QuestionnaireRun.started_at.desc(), QuestionnaireRun.id.desc())
        .limit(1)
    )
    return _run(row) if row is not None else None


async def scores(*, session: AsyncSession, user_id: int, instrument: str) -> list[Score]:
    """Every scored run of one instrument, oldest first."""
    rows = await session.execute(
        select(
            QuestionnaireRun.id,
            QuestionnaireRun.score,
            QuestionnaireRun.completed_at,
            QuestionnaireRun.reason,
            QuestionnaireRun.wording,
        )
        .where(
            QuestionnaireRun.user_id == user_id,
            QuestionnaireRun.instrument == instrument,
            QuestionnaireRun.score.is_not(None),
            QuestionnaireRun.completed_at.is_not(None),
        )
        .order_by(QuestionnaireRun.completed_at, QuestionnaireRun.id)
    )
    return [
        Score(run_id, Decimal(value), completed_at, Reason(reason), wording or UNKNOWN)
        for run_id, value, completed_at, reason, wording in rows
        if value is not None and completed_at is not None  # as the query asks
    ]


async def first_score(*, session: AsyncSession, user_id: int, instrument: str) -> Score | None:
    """The user's first scored run of an instrument: the baseline changes are measured from."""
    history = await scores(session=session, user_id=user_id, instrument=instrument)
    return history[0] if history else None


async def started_since(
    *, session: AsyncSession, user_id: int, reason: Reason, since: datetime
) -> bool:
    """Whether the user has a run for this reason started at or after `since`."""
    found = await session.scalar(
        select(QuestionnaireRun.id)
        .where(
            QuestionnaireRun.user_id == user_id,
            QuestionnaireRun.reason == reason.value,
            QuestionnaireRun.started_at >= since,
        )
        .limit(1)
    )
    return found is not None
