"""The clinician view's reads: consenting patients only, by their short number.

Every function here reads the patient's CURRENT consent in the same
statement (or transaction) as their data, so a patient who stopped sharing
is absent from the list and unknown by number from that moment. Nobody is
numbered before their first yes (storage.patient_numbers, called where the
yes is recorded); the number stays if they stop and share again, and goes
with /delete. The caller owns the transaction and writes the audit row in
it (storage.audit).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.checkins import CheckInKind
from storage.models import (
    AdverseEvent,
    CheckIn,
    Delivery,
    PatientNumber,
    Programme,
    ProgrammeEnrolment,
    QuestionnaireAnswer,
    QuestionnaireRun,
    RoutineDay,
    Subscription,
    User,
)
from storage.models import ConsentRecord as ConsentRow
from storage.patient_summary import AdverseReport, PatientSummary, ScorePoint, load_patient_summary
from storage.programmes import EnrolmentStatus
from storage.progress import ProgressData, load_progress
from storage.questionnaires import scores

# The instruments' ids as stored (content.questionnaires.Instrument's values).
PEG, RMDQ = "peg", "rmdq"
VIEW_WEEKS = 6  # the period /patient <n> shows planned vs done for
MAX_ADVERSE_SHOWN = 20  # the newest "too sore" reports one view lists


@dataclass(frozen=True, slots=True)
class PatientListRow:
    """One consenting patient in /patients."""

    number: int
    user_id: int
    first_name: str | None  # as Telegram gives it, kept while they share
    programme: str | None  # the active home programme's title
    last_activity: datetime | None  # last routine day, reminder done, check-in or answer
    top_pain_recent: int | None  # highest 0-10 pain answer since `since`
    sore_recent: int  # "too sore / bruised" reports since `since`
    rmdq_first: Decimal | None
    rmdq_latest: Decimal | None  # None unless there are two scores


@dataclass(frozen=True, slots=True)
class SharingPatient:
    """A patient found by number who shares their progress right now."""

    number: int
    user_id: int
    first_name: str | None
    timezone: str | None  # their reminder's zone, if they have one


@dataclass(frozen=True, slots=True)
class PatientView:
    """What /patient <n> shows: the last weeks' summary, every score, the sore reports."""

    patient: SharingPatient
    summary: PatientSummary  # the last VIEW_WEEKS weeks (planned vs done, pain)
    peg: tuple[ScorePoint, ...]  # every PEG score, oldest first, dated in the patient's zone
    rmdq: tuple[ScorePoint, ...]
    adverse_events: tuple[AdverseReport, ...]  # the newest MAX_ADVERSE_SHOWN, oldest first
    progress: ProgressData  # for the chart the patient sees in /progress


def _sharing_ids() -> Select[int]:
    """Patients whose latest consent answer is yes."""
    latest = select(func.max(ConsentRow.id).label("id")).group_by(ConsentRow.user_id).subquery()
    return (
        select(ConsentRow.user_id)
        .join(latest, latest.c.id == ConsentRow.id)
        .where(ConsentRow.shares.is_(True))
    )


async def consented_patients(*, session: AsyncSession, since: datetime) -> list[PatientListRow]:
    """Every patient who shares now, by number, with their latest activity and recent flags.

    Two statements whatever the number of patients: the list (correlated
    subqueries per column) and the RMDQ scores of the patients listed. What
    counts as a flag is the caller's rule (scheduler/clinician_flags.py).
    """
    patient = User.id
    programme = (
        select(Programme.title)
        .join(ProgrammeEnrolment, ProgrammeEnrolment.programme_id == Programme.id)
        .where(
            ProgrammeEnrolment.user_id == patient,
            ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE.value,
        )
        .limit(1)
        .scalar_subquery()
    )
    last_routine = (
        select(func.max(RoutineDay.completed_at))
        .where(RoutineDay.user_id == patient)
        .scalar_subquery()
    )
    last_done = (
        select(func.max(Delivery.done_at)).where(Delivery.user_id == patient).scalar_subquery()
    )
    last_checkin = (
        select(func.max(CheckIn.recorded_at)).where(CheckIn.user_id == patient).scalar_subquery()
    )
    last_answer = (
        select(func.max(QuestionnaireAnswer.answered_at))
        .join(QuestionnaireRun, QuestionnaireRun.id == QuestionnaireAnswer.run_id)
        .where(QuestionnaireRun.user_id == patient)
        .scalar_subquery()
    )
    top_pain = (
        select(func.max(CheckIn.score))
        .where(
            CheckIn.user_id == patient,
            CheckIn.kind == CheckInKind.PAIN.value,
            CheckIn.recorded_at >= since,
        )
        .scalar_subquery()
    )
    sore = (
        select(func.count(AdverseEvent.id))
        .where(AdverseEvent.user_id == patient, AdverseEvent.recorded_at >= since)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(
                PatientNumber.number,
                User.id,
                User.first_name,
                programme,
                last_routine,
                last_done,
                last_checkin,
                last_answer,
                top_pain,
                sore,
            )
            .join(User, User.id == PatientNumber.user_id)
            .where(User.id.in_(_sharing_ids()))
            .order_by(PatientNumber.number)
        )
    ).all()
    rmdq = await _scores_of(session, [row[1] for row in rows], RMDQ)
    listed = []
    for number, user_id, first_name, title, *times, pain, sore_count in rows:
        seen = [moment for moment in times if moment is not None]
        history = rmdq.get(user_id, [])
        listed.append(
            PatientListRow(
                number=number,
                user_id=user_id,
                first_name=first_name,
                programme=title,
                last_activity=max(seen) if seen else None,
                top_pain_recent=pain,
                sore_recent=sore_count or 0,
                rmdq_first=history[0] if history else None,
                rmdq_latest=history[-1] if len(history) > 1 else None,
            )
        )
    return listed


async def _scores_of(
    session: AsyncSession, user_ids: list[int], instrument: str
) -> dict[int, list[Decimal]]:
    """Each patient's scores of one instrument, oldest first, in one statement."""
    if not user_ids:
        return {}
    result = await session.execute(
        select(QuestionnaireRun.user_id, QuestionnaireRun.score)
        .where(
            QuestionnaireRun.user_id.in_(user_ids),
            QuestionnaireRun.instrument == instrument,
            QuestionnaireRun.score.is_not(None),
            QuestionnaireRun.completed_at.is_not(None),
        )
        .order_by(QuestionnaireRun.completed_at, QuestionnaireRun.id)
    )
    by_user: dict[int, list[Decimal]] = defaultdict(list)
    for user_id, value in result:
        if value is not None:  # as the query asks
            by_user[user_id].append(Decimal(value))
    return by_user


async def sharing_patient(*, session: AsyncSession, number: int) -> SharingPatient | None:
    """The patient with this number if they share right now; None for anyone else.

    An unknown number and a patient who stopped sharing look the same.
    """
    row = (
        await session.execute(
            select(PatientNumber.number, User.id, User.first_name, Subscription.timezone)
            .join(User, User.id == PatientNumber.user_id)
            .outerjoin(Subscription, Subscription.user_id == User.id)
            .where(PatientNumber.number == number, User.id.in_(_sharing_ids()))
        )
    ).one_or_none()
    return SharingPatient(*row) if row is not None else None


async def _score_points(
    session: AsyncSession, user_id: int, instrument: str, zone: ZoneInfo
) -> tuple[ScorePoint, ...]:
    history = await scores(session=session, user_id=user_id, instrument=instrument)
    return tuple(
        ScorePoint(score.completed_at.astimezone(zone).date(), float(score.score), score.wording)
        for score in history
    )


async def patient_view(
    *, session: AsyncSession, patient: SharingPatient, today: date, zone: ZoneInfo
) -> PatientView:
    """What /patient <n> shows, read in the caller's transaction (with its audit row)."""
    summary = await load_patient_summary(
        session=session, user_id=patient.user_id, today=today, weeks=VIEW_WEEKS, zone=zone
    )
    events = await session.execute(
        select(AdverseEvent.recorded_at, AdverseEvent.kind, AdverseEvent.routine)
        .where(AdverseEvent.user_id == patient.user_id)
        .order_by(AdverseEvent.recorded_at.desc(), AdverseEvent.id.desc())
        .limit(MAX_ADVERSE_SHOWN)
    )
    adverse = tuple(
        AdverseReport(recorded_at.astimezone(zone).date(), kind, routine)
        for recorded_at, kind, routine in events
    )[::-1]
    return PatientView(
        patient=patient,
        summary=summary,
        peg=await _score_points(session, patient.user_id, PEG, zone),
        rmdq=await _score_points(session, patient.user_id, RMDQ, zone),
        adverse_events=adverse,
        progress=await load_progress(session=session, user_id=patient.user_id),
    )
