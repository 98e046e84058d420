"""Staff roles and what each may do: the rule below the handlers.

ADMIN_IDS (settings) are owners always; they have no row and cannot be
removed in the chat. Owners add and remove other staff; every change is
written to the audit log in the same transaction. The caller owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import AuditAction, record_audit
from storage.models import StaffMember as StaffRow


class Role(StrEnum):
    OWNER = "owner"
    PRACTITIONER = "practitioner"
    FRONT_DESK = "front_desk"


class Permission(Enum):
    """One per group of staff commands and their buttons."""

    PROGRAMMES = "programmes"  # /prescribe, /programmes
    CLINICIAN_VIEW = "clinician_view"  # /patients, /patient (consented patients only)
    AUDIT = "audit"  # /audit
    BROADCASTS = "broadcasts"  # /broadcast, /broadcasts
    STATS = "stats"  # /stats (aggregates only)
    STAFF = "staff"  # /staff: adding and removing staff
    VISITS = "visits"  # /today, /visit for a patient, and the notices of patients' answers


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.PRACTITIONER: frozenset(
        {Permission.PROGRAMMES, Permission.CLINICIAN_VIEW, Permission.AUDIT}
    ),
    Role.FRONT_DESK: frozenset({Permission.BROADCASTS, Permission.STATS, Permission.VISITS}),
}


def allows(role: Role | None, permission: Permission) -> bool:
    """Whether someone with `role` (None: not staff) may use `permission`."""
    return role is not None and permission in ROLE_PERMISSIONS[role]


@dataclass(frozen=True, slots=True)
class StaffRecord:
    user_id: int
    role: Role
    added_by: int | None  # None for an owner from ADMIN_IDS
    added_at: datetime | None
    from_settings: bool = False  # in ADMIN_IDS: cannot be removed in the chat


class StaffChange(StrEnum):
    ADDED = "added"
    CHANGED = "changed"  # had another role
    UNCHANGED = "unchanged"  # already had this role
    REMOVED = "removed"
    NOT_STAFF = "not_staff"
    SETTINGS_OWNER = "settings_owner"  # in ADMIN_IDS: nothing changed


async def role_of(
    *, session: AsyncSession, user_id: int, owner_ids: Collection[int]
) -> Role | None:
    """The user's staff role; None for patients."""
    if user_id in owner_ids:
        return Role.OWNER
    role = await session.scalar(select(StaffRow.role).where(StaffRow.user_id == user_id))
    return Role(role) if role is not None else None


async def add_staff(
    *,
    session: AsyncSession,
    user_id: int,
    role: Role,
    added_by: int,
    owner_ids: Collection[int],
    now: datetime,
) -> StaffChange:
    """Gives `user_id` the role (a new member, or a changed role), audited."""
    if user_id in owner_ids:
        return StaffChange.SETTINGS_OWNER
    row = await session.get(StaffRow, user_id, with_for_update=True)
    if row is not None and row.role == role.value:
        return StaffChange.UNCHANGED
    if row is None:
        session.add(StaffRow(user_id=user_id, role=role.value, added_by=added_by, added_at=now))
        change, action = StaffChange.ADDED, AuditAction.STAFF_ADDED
    else:
        row.role, row.added_by, row.added_at = role.value, added_by, now
        change, action = StaffChange.CHANGED, AuditAction.ROLE_CHANGED
    await session.flush()
    await record_audit(
        session=session,
        actor_id=added_by,
        action=action,
        patient_id=None,
        now=now,
        detail=f"{user_id}:{role.value}",
    )
    return change


async def remove_staff(
    *,
    session: AsyncSession,
    user_id: int,
    removed_by: int,
    owner_ids: Collection[int],
    now: datetime,
) -> StaffChange:
    """Takes `user_id` off the staff, audited; ADMIN_IDS owners stay."""
    if user_id in owner_ids:
        return StaffChange.SETTINGS_OWNER
    role = await session.scalar(select(StaffRow.role).where(StaffRow.user_id == user_id))
    if role is None:
        return StaffChange.NOT_STAFF
    await session.execute(delete(StaffRow).where(StaffRow.user_id == user_id))
    await record_audit(
        session=session,
        actor_id=removed_by,
        action=AuditAction.STAFF_REMOVED,
        patient_id=None,
        now=now,
        detail=f"{user_id}:{role}",
    )
    return StaffChange.REMOVED


async def list_staff(*, session: AsyncSession, owner_ids: Collection[int]) -> list[StaffRecord]:
    """ADMIN_IDS owners first (by id), then the staff added in the chat by role and id."""
    order = {role: place for place, role in enumerate(Role)}
    settings_owners = [
        StaffRecord(user_id, Role.OWNER, None, None, from_settings=True)
        for user_id in sorted(owner_ids)
    ]
    rows = await session.scalars(select(StaffRow))
    added = sorted(
        (
            StaffRecord(row.user_id, Role(row.role), row.added_by, row.added_at)
            for row in rows
            if row.user_id not in owner_ids
        ),
        key=lambda member: (order[member.role], member.user_id),
    )
    return settings_owners + added
