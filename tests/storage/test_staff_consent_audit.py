"""Staff roles, consent records and the audit log in the database, and the permission map."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.context import AcubotApp
from storage import audit, consent, staff
from storage.audit import AuditAction
from storage.models import User
from storage.privacy import erase_user, export_user
from storage.staff import Permission, Role, StaffChange
from storage.users import record_user_seen

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
OWNERS = frozenset({900})
VERSION = "2026-12-share-v1"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, set(Permission)),
        (Role.PRACTITIONER, {Permission.PROGRAMMES, Permission.CLINICIAN_VIEW, Permission.AUDIT}),
        (Role.FRONT_DESK, {Permission.BROADCASTS, Permission.STATS, Permission.VISITS}),
        (None, set()),
    ],
)
def test_the_permission_map(role: Role | None, allowed: set[Permission]) -> None:
    assert {p for p in Permission if staff.allows(role, p)} == allowed


def test_only_owners_manage_staff_and_front_desk_never_sees_patients() -> None:
    assert [r for r in Role if staff.allows(r, Permission.STAFF)] == [Role.OWNER]
    assert not staff.allows(Role.FRONT_DESK, Permission.CLINICIAN_VIEW)
    assert not staff.allows(Role.FRONT_DESK, Permission.AUDIT)
    assert not staff.allows(Role.PRACTITIONER, Permission.BROADCASTS)


async def _user(app: AcubotApp, user_id: int) -> None:
    async with app.bot_data.sessions.begin() as session:
        await record_user_seen(
            session=session, user_id=user_id, chat_id=user_id, language_code=None, now=NOW
        )


async def test_roles_added_changed_removed_and_audited(app: AcubotApp) -> None:
    sessions = app.bot_data.sessions
    async with sessions.begin() as session:
        assert await staff.role_of(session=session, user_id=900, owner_ids=OWNERS) is Role.OWNER
        assert await staff.role_of(session=session, user_id=5, owner_ids=OWNERS) is None
        add = staff.add_staff
        assert await add(
            session=session, user_id=5, role=Role.FRONT_DESK, added_by=900, owner_ids=OWNERS,
            now=NOW,
        ) is StaffChange.ADDED  # fmt: skip
        assert await add(
            session=session, user_id=5, role=Role.FRONT_DESK, added_by=900, owner_ids=OWNERS,
            now=NOW,
        ) is StaffChange.UNCHANGED  # fmt: skip
        assert await add(
            session=session, user_id=5, role=Role.PRACTITIONER, added_by=900, owner_ids=OWNERS,
            now=NOW + timedelta(minutes=1),
        ) is StaffChange.CHANGED  # fmt: skip
        assert await add(
            session=session, user_id=900, role=Role.FRONT_DESK, added_by=900, owner_ids=OWNERS,
            now=NOW,
        ) is StaffChange.SETTINGS_OWNER  # fmt: skip
    async with sessions() as session:
        assert await staff.role_of(session=session, user_id=5, owner_ids=OWNERS) is (
            Role.PRACTITIONER
        )
        members = await staff.list_staff(session=session, owner_ids=OWNERS)
    assert [(m.user_id, m.role, m.from_settings) for m in members] == [
        (900, Role.OWNER, True),
        (5, Role.PRACTITIONER, False),
    ]
    async with sessions.begin() as session:
        remove = staff.remove_staff
        assert await remove(
            session=session, user_id=900, removed_by=900, owner_ids=OWNERS, now=NOW
        ) is StaffChange.SETTINGS_OWNER  # fmt: skip
        assert await remove(
            session=session, user_id=5, removed_by=900, owner_ids=OWNERS,
            now=NOW + timedelta(minutes=2),
        ) is StaffChange.REMOVED  # fmt: skip
        assert await remove(
            session=session, user_id=5, removed_by=900, owner_ids=OWNERS, now=NOW
        ) is StaffChange.NOT_STAFF  # fmt: skip
    async with sessions() as session:
        assert await staff.role_of(session=session, user_id=5, owner_ids=OWNERS) is None
        rows = await audit.recent_audit(session=session)
    assert [(r.action, r.detail, r.actor_id) for r in rows] == [
        ("staff_removed", "5:practitioner", 900),
        ("role_changed", "5:practitioner", 900),
        ("staff_added", "5:front_desk", 900),
    ]


async def test_consent_defaults_to_no_and_the_latest_answer_counts(app: AcubotApp) -> None:
    for user_id in (1, 2, 3):
        await _user(app, user_id)
    sessions = app.bot_data.sessions
    async with sessions() as session:
        assert await consent.current_consent(session=session, user_id=1) is None
        assert not await consent.shares_progress(session=session, user_id=1)
        assert await consent.consented_patient_ids(session=session) == []
    async with sessions.begin() as session:
        for user_id, shares, minutes in ((1, True, 0), (2, True, 0), (2, False, 5), (3, False, 0)):
            await consent.record_consent(
                session=session, user_id=user_id, shares=shares, text_version=VERSION,
                now=NOW + timedelta(minutes=minutes), first_name=f"Pat{user_id}",
            )  # fmt: skip
    async with sessions() as session:
        assert await consent.consented_patient_ids(session=session) == [1]
        assert await consent.shares_progress(session=session, user_id=1)
        assert not await consent.shares_progress(session=session, user_id=2)
        history = await consent.consent_history(session=session, user_id=2)
        names = {uid: name for uid, name in await session.execute(select(User.id, User.first_name))}
    assert [(h.shares, h.text_version, h.recorded_at) for h in history] == [
        (True, VERSION, NOW),
        (False, VERSION, NOW + timedelta(minutes=5)),
    ]
    assert names == {1: "Pat1", 2: None, 3: None}  # a name only while sharing
    async with sessions.begin() as session:
        await consent.record_seen_many(
            session=session,
            seen=[
                (1, 501, "Patricia", LATER),
                (2, 502, "Pat", LATER),
                (3, 503, "Sam", LATER),
                (4, 504, "Kim", LATER),  # not stored: never created
            ],
        )
    async with sessions() as session:
        rows = (
            await session.execute(select(User.id, User.first_name, User.chat_id, User.last_seen_at))
        ).all()
    assert {row[0]: row[1] for row in rows} == {1: "Patricia", 2: None, 3: None}
    assert {(row[2], row[3]) for row in rows} == {(501, LATER), (502, LATER), (503, LATER)}


async def test_export_has_the_consent_history_and_delete_keeps_only_the_audit(
    app: AcubotApp,
) -> None:
    await _user(app, 1)
    sessions = app.bot_data.sessions
    async with sessions.begin() as session:
        await consent.record_consent(
            session=session, user_id=1, shares=True, text_version=VERSION, now=NOW
        )
        await audit.record_audit(
            session=session, actor_id=900, action=AuditAction.VIEWED_PATIENT, patient_id=1,
            now=NOW + timedelta(minutes=1),
        )  # fmt: skip
    async with sessions() as session:
        data = await export_user(session=session, user_id=1)
    assert data is not None
    assert data["sharing_with_clinic"] == [
        {"shares": True, "text_version": VERSION, "recorded_at": NOW.isoformat()}
    ]
    assert data["staff_views_of_your_data"] == [
        {"at": (NOW + timedelta(minutes=1)).isoformat(), "action": "viewed_patient"}
    ]  # fmt: skip
    async with sessions.begin() as session:
        assert await erase_user(session=session, user_id=1)
    async with sessions() as session:
        assert await consent.consent_history(session=session, user_id=1) == []
        assert [r.patient_id for r in await audit.audit_about(session=session, patient_id=1)] == [1]


async def test_recent_audit_is_newest_first_and_limited(app: AcubotApp) -> None:
    async with app.bot_data.sessions.begin() as session:
        for minute in range(35):
            await audit.record_audit(
                session=session, actor_id=900, action=AuditAction.VIEWED_PATIENT,
                patient_id=minute, now=NOW + timedelta(minutes=minute),
            )  # fmt: skip
    async with app.bot_data.sessions() as session:
        rows = await audit.recent_audit(session=session)
    assert len(rows) == 30 and rows[0].patient_id == 34 and rows[-1].patient_id == 5
