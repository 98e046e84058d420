"""Asking a questionnaire: starting a run, taking an item's answer, scoring at the end.

The state is the run's row (its next item), so whichever instance takes the
next tap, after any restart, continues at the same item. A tap counts only
for the item the run waits for; anything else changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from content.questionnaires import Change, Instrument, Questionnaires, change, score
from scheduler.checkin_rules import is_severe
from storage import questionnaires as stored
from storage.questionnaires import Answered, Reason, Run

# A programme's RMDQ comes at its start, six weeks in (or half-way through a course
# shorter than 12 weeks) and with the course's summary.
MIDDLE_AFTER = timedelta(weeks=6)
# The middle one comes with the first reminder in this window from its day (the
# patient's days may not include that day); the run's unique row makes it once.
MIDDLE_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Result:
    """A finished run: its score (None with a skipped item) and the change since the first."""

    score: Decimal | None
    change: Change | None  # None: this is the first score (or there is no score)
    skipped: int
    severe_pain: bool = False  # PEG's pain item at the check-ins' "severe" level (8-10)


@dataclass(frozen=True, slots=True)
class Step:
    """What a tap did, and what to show next."""

    answered: Answered
    run: Run | None = None
    result: Result | None = None  # set when this tap finished the run


def middle_day(start: date, course_weeks: int | None) -> date:
    """When a programme's middle RMDQ is due: 6 weeks in, or half-way through a shorter course."""
    if course_weeks is not None and course_weeks < 12:
        return start + timedelta(days=course_weeks * 7 // 2)
    return start + MIDDLE_AFTER


def middle_is_due(start: date, course_weeks: int | None, today: date) -> bool:
    """Whether a reminder on `today` brings the middle RMDQ (once: see MIDDLE_WINDOW)."""
    due = middle_day(start, course_weeks)
    return due <= today < due + MIDDLE_WINDOW


def week_start(today: date, weekly_day: int) -> date:
    """The latest weekly day (Monday 0 ... Sunday 6) on or before `today`."""
    return today - timedelta(days=(today.weekday() - weekly_day) % 7)


async def weekly_peg_is_due(
    *,
    session: AsyncSession,
    user_id: int,
    weekdays: int,
    weekly_day: int | None,
    today: date,
    zone: ZoneInfo,
) -> bool:
    """Whether today's reminder brings the weekly PEG.

    On the weekly day for a reminder that fires that day; for one that does not (a
    programme on Monday, Wednesday and Friday, with a Sunday weekly day), with the
    first reminder after it, once a week (one query, only for those reminders).
    """
    if weekly_day is None:
        return False
    if weekdays & (1 << weekly_day):
        return today.weekday() == weekly_day
    start_of_week = datetime.combine(week_start(today, weekly_day), time(0), zone)
    return not await stored.started_since(
        session=session,
        user_id=user_id,
        reason=Reason.WEEKLY,
        since=start_of_week.astimezone(UTC),
    )


async def start(
    *,
    session: AsyncSession,
    user_id: int,
    instrument: Instrument,
    reason: Reason,
    now: datetime,
    enrolment_id: int | None = None,
) -> Run | None:
    """A new run at its first item; None if the programme already had this one."""
    return await stored.start_run(
        session=session,
        user_id=user_id,
        instrument=instrument.value,
        reason=reason,
        now=now,
        enrolment_id=enrolment_id,
    )


async def take_answer(
    *,
    session: AsyncSession,
    data: Questionnaires,
    user_id: int,
    run_id: int,
    item: int,
    answer: int | None,
    now: datetime,
    language: str,
) -> Step:
    """Stores one item's answer (None: skipped) if the run waits for it; scores the last one.

    `language`: the language of the words the patient answered (their language now).
    """
    run = await stored.get_run(session=session, run_id=run_id, user_id=user_id)
    if run is None or run.instrument not in set(Instrument):
        return Step(Answered.NO_RUN)
    questionnaire = data.get(Instrument(run.instrument))
    if item >= len(questionnaire.items) or (
        answer is not None and answer not in questionnaire.answers
    ):
        return Step(Answered.NO_RUN, run)  # a button this run never showed
    answered = await stored.answer_item(
        session=session,
        run_id=run_id,
        user_id=user_id,
        item=item,
        answer=answer,
        now=now,
        language=language,
    )
    if answered is not Answered.TAKEN:
        return Step(answered, run)
    run = await stored.get_run(session=session, run_id=run_id, user_id=user_id)
    assert run is not None
    if run.next_item < len(questionnaire.items):
        return Step(Answered.TAKEN, run)
    by_item = await stored.answers_of(session=session, run_id=run_id)
    answers = [by_item.get(number) for number in range(len(questionnaire.items))]
    value = score(questionnaire, answers)
    await stored.finish_run(session=session, run_id=run_id, score=value, now=now)
    moved = None
    if value is not None:
        first = await stored.first_score(
            session=session, user_id=user_id, instrument=run.instrument
        )
        if first is not None and first.run_id != run_id:
            moved = change(questionnaire, first.score, value)
    pain = answers[0] if questionnaire.id is Instrument.PEG else None
    result = Result(
        value,
        moved,
        skipped=sum(1 for a in answers if a is None),
        severe_pain=pain is not None and is_severe(pain),
    )
    finished = await stored.get_run(session=session, run_id=run_id, user_id=user_id)
    return Step(Answered.TAKEN, finished, result)
