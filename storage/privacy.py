"""A patient's data: everything we hold about them, and erasing it.

`export_user` and `erase_user` walk the tables that refer to a user, so the
two stay in step; a test checks every table of the metadata after erasing.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import rows_affected
from storage.models import (
    AdverseEvent,
    AuditEntry,
    Broadcast,
    BroadcastRecipient,
    CheckIn,
    ConsentRecord,
    Delivery,
    PatientNumber,
    PendingStep,
    Programme,
    ProgrammeEnrolment,
    ProgrammeLink,
    QuestionnaireAnswer,
    QuestionnaireRun,
    RoutineDay,
    Subscription,
    User,
    Visit,
    VisitReminder,
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


async def _rows(session: AsyncSession, statement: Any) -> list[dict[str, Any]]:
    result = await session.execute(statement)
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]


async def export_user(*, session: AsyncSession, user_id: int) -> dict[str, Any] | None:
    """Everything stored about one user, as JSON-ready data; None if nothing."""
    profile = await _rows(session, select(User.__table__).where(User.id == user_id))
    if not profile:
        return None
    received = (
        select(
            BroadcastRecipient.broadcast_id,
            BroadcastRecipient.status,
            BroadcastRecipient.sent_at,
            Broadcast.text,
            Broadcast.button_label,
            Broadcast.button_url,
        )
        .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
        .where(BroadcastRecipient.user_id == user_id)
        .order_by(BroadcastRecipient.broadcast_id)
    )
    return {
        "profile": profile[0],
        "reminder": next(
            iter(
                await _rows(
                    session, select(Subscription.__table__).where(Subscription.user_id == user_id)
                )
            ),
            None,
        ),
        "reminders_sent": await _rows(
            session,
            select(Delivery.__table__)
            .where(Delivery.user_id == user_id)
            .order_by(Delivery.local_date),
        ),
        "check_ins": await _rows(
            session,
            select(CheckIn.__table__)
            .where(CheckIn.user_id == user_id)
            .order_by(CheckIn.local_date, CheckIn.kind),
        ),
        "routines_completed": await _rows(
            session,
            select(RoutineDay.__table__)
            .where(RoutineDay.user_id == user_id)
            .order_by(RoutineDay.local_date),
        ),
        "broadcasts_received": await _rows(session, received),
        "sore_after_routine": await _rows(
            session,
            select(AdverseEvent.__table__)
            .where(AdverseEvent.user_id == user_id)
            .order_by(AdverseEvent.recorded_at),
        ),
        "home_programmes": await _rows(
            session,
            select(ProgrammeEnrolment.__table__, Programme.title, Programme.practitioner_name)
            .join(Programme, Programme.id == ProgrammeEnrolment.programme_id)
            .where(ProgrammeEnrolment.user_id == user_id)
            .order_by(ProgrammeEnrolment.started_at, ProgrammeEnrolment.id),
        ),
        "sharing_with_clinic": await _rows(
            session,
            select(ConsentRecord.shares, ConsentRecord.text_version, ConsentRecord.recorded_at)
            .where(ConsentRecord.user_id == user_id)
            .order_by(ConsentRecord.id),
        ),
        "clinic_patient_number": await _rows(
            session,
            select(PatientNumber.number, PatientNumber.assigned_at).where(
                PatientNumber.user_id == user_id
            ),
        ),
        "staff_views_of_your_data": await _rows(
            session,
            # When and what, not which staff account: their Telegram ids stay the clinic's.
            select(AuditEntry.at, AuditEntry.action)
            .where(AuditEntry.patient_id == user_id)
            .order_by(AuditEntry.at, AuditEntry.id),
        ),
        "questionnaires": await _rows(
            session,
            select(QuestionnaireRun.__table__)
            .where(QuestionnaireRun.user_id == user_id)
            .order_by(QuestionnaireRun.started_at, QuestionnaireRun.id),
        ),
        "questionnaire_answers": await _rows(
            session,
            select(QuestionnaireAnswer.__table__)
            .join(QuestionnaireRun, QuestionnaireRun.id == QuestionnaireAnswer.run_id)
            .where(QuestionnaireRun.user_id == user_id)
            .order_by(QuestionnaireAnswer.run_id, QuestionnaireAnswer.item),
        ),
        "visits": await _rows(
            session,
            # Not `entered_by`: which staff account entered a visit stays the clinic's.
            select(Visit.__table__)
            .with_only_columns(*(c for c in Visit.__table__.c if c.name != "entered_by"))
            .where(Visit.user_id == user_id)
            .order_by(Visit.starts_at),
        ),
        "visit_reminders": await _rows(
            session,
            select(
                VisitReminder.kind,
                VisitReminder.due_at,
                VisitReminder.status,
                VisitReminder.sent_at,
                VisitReminder.visit_id,
            )
            .join(Visit, Visit.id == VisitReminder.visit_id)
            .where(Visit.user_id == user_id)
            .order_by(VisitReminder.due_at),
        ),
        "unfinished_question": next(
            iter(
                await _rows(
                    session, select(PendingStep.__table__).where(PendingStep.user_id == user_id)
                )
            ),
            None,
        ),
    }


async def erase_user(*, session: AsyncSession, user_id: int) -> bool:
    """Deletes every row about the user; False if there was nothing to delete.

    Rows are deleted explicitly (not only by ON DELETE CASCADE) so the erase
    does not depend on the database enforcing foreign keys. Broadcasts a
    staff member wrote stay for the clinic's records, without their id.
    Questionnaire answers (keyed by their run) go before the runs, a visit's
    reminders before the visit.
    The subscription goes before the enrolments it may point at. A
    single-use link the patient opened stays used, by nobody (0), so the
    erase never makes it usable again. The audit log's rows about the patient
    stay (ids and actions only, no health data: storage.audit says why), and
    so does a staff member's role, which is the clinic's record, not theirs.
    """
    await session.execute(
        delete(QuestionnaireAnswer).where(
            QuestionnaireAnswer.run_id.in_(
                select(QuestionnaireRun.id).where(QuestionnaireRun.user_id == user_id)
            )
        )
    )
    await session.execute(
        delete(VisitReminder).where(
            VisitReminder.visit_id.in_(select(Visit.id).where(Visit.user_id == user_id))
        )
    )
    for model in (
        QuestionnaireRun,
        Visit,
        AdverseEvent,
        ConsentRecord,
        PatientNumber,
        BroadcastRecipient,
        CheckIn,
        Delivery,
        PendingStep,
        RoutineDay,
        Subscription,
        ProgrammeEnrolment,
    ):
        await session.execute(delete(model).where(model.user_id == user_id))
    await session.execute(
        update(ProgrammeLink).where(ProgrammeLink.used_by == user_id).values(used_by=0)
    )
    await session.execute(update(Broadcast).where(Broadcast.admin_id == user_id).values(admin_id=0))
    await session.execute(
        update(Broadcast)
        .where(Broadcast.progress_chat_id == user_id)
        .values(progress_chat_id=None, progress_message_id=None)
    )
    result = await session.execute(delete(User).where(User.id == user_id))
    return bool(rows_affected(result))
