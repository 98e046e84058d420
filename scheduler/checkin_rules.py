"""When a 0-10 check-in answer is taken, and when a score calls for the safety note."""

from __future__ import annotations

from datetime import date, timedelta

from storage.checkins import CheckInKind

# A score this high gets the note about severe pain, /safety and the clinic.
SEVERE = 8
# The weekly activity question may be answered during the week it was asked.
ACTIVITY_ANSWER_DAYS = 6


def answer_window(kind: CheckInKind) -> timedelta:
    """How long after the day it was asked a question may still be answered."""
    return timedelta(days=ACTIVITY_ANSWER_DAYS if kind == CheckInKind.ACTIVITY else 0)


def may_answer(kind: CheckInKind, asked_on: date, today: date) -> bool:
    """The pain question is about today; the weekly one may be answered that week.

    The check-in statement applies this rule in SQL, on the patient's local
    calendar (storage.checkins); its tests hold it to this function.
    """
    return timedelta(0) <= today - asked_on <= answer_window(kind)


def is_severe(score: int) -> bool:
    return score >= SEVERE
