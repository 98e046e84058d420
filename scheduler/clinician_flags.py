"""What /patients marks beside a patient: the rule, on the figures storage read.

A pain answer of 8 or more (the same SEVERE that gets a patient the safety
note) or a "too sore / bruised" report in the last 7 days; and an RMDQ score
worse than the first by the published threshold (Ostelo 2008, from
content/data/questionnaires.yaml; nothing is invented for PEG).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from content.questionnaires import Instrument, Verdict, change, questionnaires
from scheduler.checkin_rules import is_severe
from storage.clinician import PatientListRow

FLAG_DAYS = 7


class Flag(StrEnum):
    HIGH_PAIN = "high_pain"
    SORE = "sore"
    RMDQ_WORSE = "rmdq_worse"


def flags_since(now: datetime) -> datetime:
    """The start of the window the recent flags look at."""
    return now - timedelta(days=FLAG_DAYS)


def patient_flags(row: PatientListRow) -> tuple[Flag, ...]:
    """The flags for one listed patient, in a fixed order."""
    found = []
    if row.top_pain_recent is not None and is_severe(row.top_pain_recent):
        found.append(Flag.HIGH_PAIN)
    if row.sore_recent:
        found.append(Flag.SORE)
    if row.rmdq_first is not None and row.rmdq_latest is not None:
        rmdq = questionnaires().get(Instrument.RMDQ)
        if change(rmdq, row.rmdq_first, row.rmdq_latest).verdict == Verdict.WORSE:
            found.append(Flag.RMDQ_WORSE)
    return tuple(found)
