"""Staff roles through the real Application: who may do what, /staff, /audit.

Owners are ADMIN_IDS (900 here); owners add practitioners and front-desk staff
in the chat. Every command and forged button checks the role when it runs.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.application import running
from bot.local_api import InProcessBotAPI
from bot.settings import Settings
from handlers.context import AcubotApp
from scheduler import callback_data as cb
from storage import audit, staff
from storage.audit import AuditAction
from storage.models import AuditEntry, StaffMember
from storage.staff import Role
from tests.conftest import ADMIN_ID, RecordingSleep, make_app
from tests.harness import FakeClock, Patient, only_shown, only_text

MONDAY_NOON = datetime(2027, 6, 7, 17, 0, tzinfo=UTC)  # 12:00 in Chicago
FRONT_DESK, PRACTITIONER, PATIENT = 501, 502, 1
NOT_STAFF = "Sorry, that is only for clinic staff."
NOT_ROLE = "Sorry, your staff role does not include that. An owner can change it."


@pytest.fixture(autouse=True)
def _noon(clock: FakeClock) -> None:
    clock.set(MONDAY_NOON)


@pytest.fixture
def owner(app: AcubotApp, api: InProcessBotAPI) -> Patient:
    return Patient(app, api, user_id=ADMIN_ID)


async def give_role(app: AcubotApp, user_id: int, role: Role) -> None:
    async with app.bot_data.sessions.begin() as session:
        await staff.add_staff(
            session=session, user_id=user_id, role=role, added_by=ADMIN_ID,
            owner_ids=app.bot_data.settings.admin_ids, now=app.bot_data.now(),
        )  # fmt: skip


async def role_in_db(app: AcubotApp, user_id: int) -> Role | None:
    async with app.bot_data.sessions() as session:
        return await staff.role_of(
            session=session, user_id=user_id, owner_ids=app.bot_data.settings.admin_ids
        )


async def count(app: AcubotApp, model: type) -> int:
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


PRACTITIONER_COMMANDS = ("/prescribe", "/programmes", "/audit")
FRONT_DESK_COMMANDS = ("/broadcast", "/broadcasts", "/stats")
OWNER_COMMANDS = ("/staff",)
PRACTITIONER_BUTTONS = (
    cb.encode(cb.PrescribeButton("confirm")),
    cb.encode(cb.ProgrammeButton("edit", 1)),
    cb.encode(cb.ProgrammeButton("link", 1)),
)
FRONT_DESK_BUTTONS = (
    cb.encode(cb.BroadcastDraftButton("send")),
    cb.encode(cb.BroadcastDraftButton("aud", "all")),
    cb.encode(cb.BroadcastCancelButton(1)),
)
OWNER_BUTTONS = (
    cb.encode(cb.StaffButton("add", 777, Role.OWNER)),
    cb.encode(cb.StaffButton("rm", PRACTITIONER)),
)


async def refused_command(person: Patient, command: str, said: str) -> None:
    assert only_text(await person.send(command)) == said, command
    await person.send("/cancel")


async def refused_button(person: Patient, data: str, said: str) -> None:
    calls = await person.press_data(data, {"message_id": 1, "chat": {"id": person.user_id,
                                                                      "type": "private"},
                                          "date": 0, "text": "x",
                                          "reply_markup": {"inline_keyboard": [[
                                              {"text": "x", "callback_data": data}]]}})  # fmt: skip
    alerts = [c for c in calls if c.method == "answerCallbackQuery"]
    assert [c.params.get("text") for c in alerts] == [said], data
    assert [c.method for c in calls] == ["answerCallbackQuery"], data


async def test_the_role_matrix_for_every_staff_command_and_forged_button(
    app: AcubotApp, api: InProcessBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    await give_role(app, FRONT_DESK, Role.FRONT_DESK)
    await give_role(app, PRACTITIONER, Role.PRACTITIONER)
    front_desk = Patient(app, api, user_id=FRONT_DESK)
    practitioner = Patient(app, api, user_id=PRACTITIONER)
    patient = Patient(app, api, user_id=PATIENT)
    await patient.send("/start")
    caplog.set_level(logging.WARNING, logger="handlers.admin")

    for command in PRACTITIONER_COMMANDS + OWNER_COMMANDS:
        await refused_command(front_desk, command, NOT_ROLE)
    for data in PRACTITIONER_BUTTONS + OWNER_BUTTONS:
        await refused_button(front_desk, data, NOT_ROLE)
    for command in FRONT_DESK_COMMANDS + OWNER_COMMANDS:
        await refused_command(practitioner, command, NOT_ROLE)
    for data in FRONT_DESK_BUTTONS + OWNER_BUTTONS:
        await refused_button(practitioner, data, NOT_ROLE)
    for command in PRACTITIONER_COMMANDS + FRONT_DESK_COMMANDS + OWNER_COMMANDS:
        await refused_command(patient, command, NOT_STAFF)
    for data in PRACTITIONER_BUTTONS + FRONT_DESK_BUTTONS + OWNER_BUTTONS:
        await refused_button(patient, data, NOT_STAFF)

    # Nothing changed: no staff row, no programme, no broadcast, the roles as they were.
    assert await role_in_db(app, PRACTITIONER) is Role.PRACTITIONER
    assert await count(app, StaffMember) == 2
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Refused")]
    assert len(refusals) == 4 + 5 + 4 + 5 + 7 + 8
    assert all(r.endswith(("user 501", "user 502", "user 1")) for r in refusals)

    # What each role may do, it can.
    assert "How the bot is used" in only_text(await front_desk.send("/stats"))
    assert "No broadcasts yet" in only_text(await front_desk.send("/broadcasts"))
    assert "Send me the message" in only_text(await front_desk.send("/broadcast"))
    await front_desk.send("/cancel")
    assert "added to the staff · 502 (practitioner)" in only_text(await practitioner.send("/audit"))
    assert "title" in only_text(await practitioner.send("/prescribe")).lower()


async def test_help_and_the_menu_follow_the_role(
    app: AcubotApp, api: InProcessBotAPI, owner: Patient
) -> None:
    front_desk = Patient(app, api, user_id=FRONT_DESK)
    await owner.send(f"/staff add {FRONT_DESK}")
    await owner.press("Front desk")
    menus = [
        m for m in api.calls_to("setMyCommands")
        if m.params.get("scope", {}).get("chat_id") == FRONT_DESK
    ]  # fmt: skip
    assert menus, "the new staff member's menu is set"
    names = [c["command"] for c in menus[0].params["commands"]]
    assert {"broadcast", "broadcasts", "stats"} <= set(names)
    assert not {"prescribe", "programmes", "audit", "staff"} & set(names)
    help_text = only_text(await front_desk.send("/help"))
    assert "/broadcast " in help_text and "/stats " in help_text
    assert "/prescribe " not in help_text and "/staff " not in help_text
    owner_help = only_text(await owner.send("/help"))
    assert "/staff " in owner_help and "/audit " in owner_help

    await owner.send(f"/staff remove {FRONT_DESK}")
    await owner.press("Yes, remove")
    removed = [
        m for m in api.calls_to("deleteMyCommands")
        if m.params.get("scope", {}).get("chat_id") == FRONT_DESK
    ]  # fmt: skip
    assert removed
    assert "Clinic staff" not in only_text(await front_desk.send("/help"))


async def test_staff_add_by_id_choose_the_role_then_change_and_remove(
    app: AcubotApp, api: InProcessBotAPI, owner: Patient, clock: FakeClock
) -> None:
    question = only_text(await owner.send(f"/staff add {PRACTITIONER}"))
    assert f"Which role for <b>{PRACTITIONER}</b>?" in question
    assert await count(app, StaffMember) == 0  # nothing before a role is chosen
    said = only_shown(await owner.press("Practitioner"))
    assert said == f"✅ {PRACTITIONER} is now on the staff as practitioner."
    assert await role_in_db(app, PRACTITIONER) is Role.PRACTITIONER
    practitioner = Patient(app, api, user_id=PRACTITIONER)
    assert only_text(await practitioner.send("/programmes")) not in {NOT_STAFF, NOT_ROLE}

    clock.advance(minutes=5)
    await owner.send(f"/staff add {PRACTITIONER}")
    assert "role is now front desk" in only_shown(await owner.press("Front desk"))
    listing = only_text(await owner.send("/staff"))
    assert f"• {ADMIN_ID}: owner (from the settings)" in listing
    assert f"• {PRACTITIONER}: front desk, added by {ADMIN_ID}" in listing

    clock.advance(minutes=5)
    confirm = only_text(await owner.send(f"/staff remove {PRACTITIONER}"))
    assert "Remove <b>502</b> (front desk) from the staff?" in confirm
    assert "no longer on the staff" in only_shown(await owner.press("Yes, remove"))
    assert await role_in_db(app, PRACTITIONER) is None
    assert only_text(await practitioner.send("/stats")) == NOT_STAFF

    async with app.bot_data.sessions() as session:
        rows = await audit.recent_audit(session=session)
    assert [(r.action, r.actor_id, r.detail) for r in rows] == [
        ("staff_removed", ADMIN_ID, "502:front_desk"),
        ("role_changed", ADMIN_ID, "502:front_desk"),
        ("staff_added", ADMIN_ID, "502:practitioner"),
    ]


async def test_cancel_changes_nothing(app: AcubotApp, owner: Patient) -> None:
    await owner.send(f"/staff add {PRACTITIONER}")
    assert only_shown(await owner.press("Cancel")) == "Nothing was changed."
    assert await count(app, StaffMember) == 0 and await count(app, AuditEntry) == 0


async def test_staff_add_by_shared_contact(app: AcubotApp, owner: Patient) -> None:
    assert "share their contact" in only_text(await owner.send("/staff add"))
    calls = await owner.send_message(
        contact={"phone_number": "+17085550100", "first_name": "Ann", "user_id": FRONT_DESK}
    )
    assert f"Which role for <b>{FRONT_DESK}</b>?" in only_text(calls)
    await owner.press("Front desk")
    assert await role_in_db(app, FRONT_DESK) is Role.FRONT_DESK


async def test_staff_add_by_forwarded_message(app: AcubotApp, owner: Patient) -> None:
    await owner.send("/staff add")
    hidden = await owner.send_message(
        text="see you Monday",
        forward_origin={"type": "hidden_user", "date": 0, "sender_user_name": "Bo"},
    )
    assert "privacy settings hide" in only_text(hidden)
    calls = await owner.send_message(
        text="see you Monday",
        forward_origin={
            "type": "user", "date": 0,
            "sender_user": {"id": PRACTITIONER, "is_bot": False, "first_name": "Bo"},
        },
    )  # fmt: skip
    assert f"Which role for <b>{PRACTITIONER}</b>?" in only_text(calls)
    await owner.press("Practitioner")
    assert await role_in_db(app, PRACTITIONER) is Role.PRACTITIONER


async def test_a_contact_without_telegram_is_refused(app: AcubotApp, owner: Patient) -> None:
    await owner.send("/staff add")
    calls = await owner.send_message(contact={"phone_number": "+17085550100", "first_name": "Cy"})
    assert "no Telegram account" in only_text(calls)
    assert await count(app, StaffMember) == 0


@pytest.mark.parametrize(
    "command",
    ["/staff add abc", "/staff add 0", "/staff add -5", "/staff add ٣", "/staff add 1.5",
     "/staff remove x", "/staff add 99999999999999999999"],
)  # fmt: skip
async def test_bad_ids_are_refused_clearly(app: AcubotApp, owner: Patient, command: str) -> None:
    assert "is not a Telegram user id" in only_text(await owner.send(command))
    assert await count(app, StaffMember) == 0 and await count(app, AuditEntry) == 0


async def test_owners_from_the_settings_and_unknown_people_cannot_be_changed(
    app: AcubotApp, owner: Patient
) -> None:
    for command in (f"/staff remove {ADMIN_ID}", f"/staff add {ADMIN_ID}"):
        assert "owner from the bot's settings (ADMIN_IDS)" in only_text(await owner.send(command))
    assert only_text(await owner.send("/staff remove 777")) == "777 is not on the staff."
    assert "/staff add" in only_text(await owner.send("/staff fire 5"))
    # Forged buttons: an owner from the settings, someone not on the staff, nonsense.
    await owner.send(f"/staff add {PRACTITIONER}")
    message = owner.message_with_button("Practitioner")
    said = only_shown(await owner.press_data(f"stf:rm:{ADMIN_ID}", message))
    assert "owner from the bot's settings" in said
    await owner.send(f"/staff add {PRACTITIONER}")
    message = owner.message_with_button("Practitioner")
    assert "not on the staff" in only_shown(await owner.press_data("stf:rm:777", message))
    await owner.send(f"/staff add {PRACTITIONER}")
    message = owner.message_with_button("Practitioner")
    calls = await owner.press_data("stf:add:boss:5", message)
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == [
        "That button is not valid. Send /staff again."
    ]
    assert await count(app, StaffMember) == 0 and await count(app, AuditEntry) == 0


async def test_a_staff_member_removed_mid_flow_cannot_finish_it(
    app: AcubotApp, api: InProcessBotAPI, owner: Patient
) -> None:
    await give_role(app, 503, Role.OWNER)
    second_owner = Patient(app, api, user_id=503)
    await second_owner.send(f"/staff add {PRACTITIONER}")
    async with app.bot_data.sessions.begin() as session:
        await staff.remove_staff(
            session=session, user_id=503, removed_by=ADMIN_ID,
            owner_ids=app.bot_data.settings.admin_ids, now=MONDAY_NOON,
        )  # fmt: skip
    calls = await second_owner.press("Practitioner")
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == [NOT_STAFF]
    assert await role_in_db(app, PRACTITIONER) is None


async def test_audit_lists_the_latest_rows_in_clinic_time(
    app: AcubotApp, api: InProcessBotAPI, owner: Patient
) -> None:
    await give_role(app, PRACTITIONER, Role.PRACTITIONER)
    async with app.bot_data.sessions.begin() as session:
        for minute in range(32):
            await audit.record_audit(
                session=session, actor_id=PRACTITIONER, action=AuditAction.VIEWED_PATIENT,
                patient_id=1000 + minute, now=MONDAY_NOON + timedelta(minutes=minute + 1),
            )  # fmt: skip
    text = only_text(await Patient(app, api, user_id=PRACTITIONER).send("/audit"))
    lines = [line for line in text.splitlines() if " · " in line]
    assert len(lines) == 30
    assert lines[0].endswith("staff 502 · viewed the patient's progress · patient 1031")
    assert "12:32" in lines[0] or "12:32 PM" in lines[0]  # Chicago time, not UTC (17:32)
    assert "patient 1001" not in text and "patient 1000" not in text
    assert "America/Chicago" in text
    owner_text = only_text(await owner.send("/audit"))
    assert "patient 1031" in owner_text


async def test_audit_shows_role_changes(app: AcubotApp, owner: Patient) -> None:
    await owner.send(f"/staff add {FRONT_DESK}")
    await owner.press("Front desk")
    text = only_text(await owner.send("/audit"))
    assert f"staff {ADMIN_ID} · added to the staff · {FRONT_DESK} (front desk)" in text


async def test_at_start_each_staff_member_gets_their_roles_menu(
    app: AcubotApp, settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    await give_role(app, FRONT_DESK, Role.FRONT_DESK)
    await give_role(app, PRACTITIONER, Role.PRACTITIONER)
    restarted_api = InProcessBotAPI()
    async with running(make_app(settings, restarted_api, clock, sleep)):
        menus = {
            m.params["scope"]["chat_id"]: {c["command"] for c in m.params["commands"]}
            for m in restarted_api.calls_to("setMyCommands")
            if "scope" in m.params and "language_code" not in m.params
        }
    assert {"broadcast", "stats"} <= menus[FRONT_DESK] and "prescribe" not in menus[FRONT_DESK]
    assert {"prescribe", "programmes", "audit"} <= menus[PRACTITIONER]
    assert "broadcast" not in menus[PRACTITIONER] and "staff" not in menus[PRACTITIONER]
    assert {"staff", "audit", "broadcast", "prescribe"} <= menus[ADMIN_ID]
