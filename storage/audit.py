"""The audit log: every role change and every staff view of one patient.

Rows hold ids, a time and an action code only, never health data or free
text. Decision on erasure: `patient_id` has no foreign key and a patient's
/delete does not remove their rows here. The log is the clinic's record of
who looked at whose data, which the clinic must still be able to answer for
after the data itself is gone; what stays is a Telegram id and an action,
nothing about the patient's health. /export includes the rows about the
patient (when, and what was done; not which staff account), and /privacy
says they stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry

RECENT_AUDIT = 30  # what /audit shows


class AuditAction(StrEnum):
    """What a staff member did. The clinician view writes the `VIEWED_*` ones."""

    STAFF_ADDED = "staff_added"  # detail: the role given
    STAFF_REMOVED = "staff_removed"  # detail: the role they had
    ROLE_CHANGED = "role_changed"  # detail: the new role
    VIEWED_PATIENT_LIST = "viewed_patient_list"  # one row per patient listed
    VIEWED_PATIENT = "viewed_patient"
    PATIENT_REPORT = "patient_report"  # a patient's PDF made for staff


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor_id: int
    action: str
    patient_id: int | None
    detail: str | None


def _record(row: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        action=row.action,
        patient_id=row.patient_id,
        detail=row.detail,
    )


async def record_audit(
    *,
    session: AsyncSession,
    actor_id: int,
    action: AuditAction,
    patient_id: int | None,
    now: datetime,
    detail: str | None = None,
) -> AuditRecord:
    """Appends one row; call it in the same transaction as what it records."""
    row = AuditEntry(
        at=now, actor_id=actor_id, action=action.value, patient_id=patient_id, detail=detail
    )
    session.add(row)
    await session.flush()
    return _record(row)


async def recent_audit(*, session: AsyncSession, limit: int = RECENT_AUDIT) -> list[AuditRecord]:
    """The newest rows first."""
    rows = await session.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    )
    return [_record(row) for row in rows]


async def audit_about(*, session: AsyncSession, patient_id: int) -> list[AuditRecord]:
    """Every row about one patient, oldest first (for their /export)."""
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.patient_id == patient_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return [_record(row) for row in rows]
