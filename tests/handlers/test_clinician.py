"""The clinician view through the real Application: /patients, /patient <n>, its PDF buttons.

Only patients who share their progress right now appear; the role and the
consent are checked again at every command and press; every view is audited.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from bot.local_api import BotCall, InProcessBotAPI
from handlers.context import AcubotApp
from scheduler.clinician_flags import Flag, patient_flags
from storage import programmes, staff
from storage.audit import AuditAction
from storage.checkins import CheckInKind, record_checkin
from storage.clinician import PatientListRow
from storage.models import AuditEntry, PatientNumber, QuestionnaireRun
from storage.progress import record_routine_day
from storage.questionnaires import Reason, finish_run, start_run
from storage.safety import record_adverse_event
from storage.staff import Role
from tests.conftest import ADMIN_ID
from tests.harness import FakeClock, Patient, only_text, texts
from tests.programme_support import back_programme

MONDAY_NOON = datetime(2027, 6, 7, 17, 0, tzinfo=UTC)  # 12:00 in Chicago
TODAY = date(2027, 6, 7)
PATIENT_ID, OTHER_ID, PRACTITIONER, FRONT_DESK = 424242, 434343, 502, 501
NAME = "Zelda"
NOT_STAFF = "Sorry, that is only for clinic staff."
NOT_ROLE = "Sorry, your staff role does not include that. An owner can change it."
NOBODY = "No patient shares their progress with the clinic at the moment."
UNKNOWN = "No patient with the number {n} shares their progress with the clinic."


@pytest.fixture(autouse=True)
def _noon(clock: FakeClock) -> None:
    clock.set(MONDAY_NOON)


@pytest.fixture
def owner(app: AcubotApp, api: InProcessBotAPI) -> Patient:
    return Patient(app, api, user_id=ADMIN_ID)


@pytest.fixture
def practitioner(app: AcubotApp, api: InProcessBotAPI) -> Patient:
    return Patient(app, api, user_id=PRACTITIONER)


def person(app: AcubotApp, api: InProcessBotAPI, user_id: int, name: str = NAME) -> Patient:
    someone = Patient(app, api, user_id=user_id)
    someone.updates.first_name = name
    return someone


async def give_role(app: AcubotApp, user_id: int, role: Role) -> None:
    async with app.bot_data.sessions.begin() as session:
        await staff.add_staff(
            session=session, user_id=user_id, role=role, added_by=ADMIN_ID,
            owner_ids=app.bot_data.settings.admin_ids, now=app.bot_data.now(),
        )  # fmt: skip


async def add_history(app: AcubotApp, user_id: int) -> None:
    """Three weeks of a Mon/Wed/Fri programme, pain answers, PEG and RMDQ twice, a sore day."""
    services = app.bot_data
    now = services.now()
    start = TODAY - timedelta(days=21)  # a Monday
    async with services.sessions.begin() as session:
        programme_id = await programmes.create_programme(
            session=session,
            spec=back_programme(),
            created_by=ADMIN_ID,
            now=now - timedelta(days=22),
        )
        await programmes.enrol(
            session=session, user_id=user_id, programme_id=programme_id, version=1,
            link_id=None, start_date=start, weekdays=0b10101, times=[time(8)],
            now=now - timedelta(days=21),
        )  # fmt: skip
        for offset in (0, 2, 4, 7, 9):  # 5 of the 9 planned days before today
            await record_routine_day(
                session=session, user_id=user_id, local_date=start + timedelta(days=offset),
                now=now - timedelta(days=21 - offset),
            )  # fmt: skip
        for days_ago, score in ((21, 7), (12, 5), (1, 9)):
            await record_checkin(
                session=session, user_id=user_id, kind=CheckInKind.PAIN, score=score,
                local_date=TODAY - timedelta(days=days_ago), now=now - timedelta(days=days_ago),
            )  # fmt: skip
        for instrument, first, latest in (("peg", "6.3", "5.0"), ("rmdq", "11", "17")):
            for days_ago, value in ((20, first), (2, latest)):
                run = await start_run(
                    session=session, user_id=user_id, instrument=instrument,
                    reason=Reason.ASKED, now=now - timedelta(days=days_ago),
                )  # fmt: skip
                assert run is not None
                await finish_run(
                    session=session, run_id=run.id, score=Decimal(value),
                    now=now - timedelta(days=days_ago),
                )  # fmt: skip
                await session.execute(  # answered in English, the published words
                    update(QuestionnaireRun)
                    .where(QuestionnaireRun.id == run.id)
                    .values(wording="en")
                )
        await record_adverse_event(
            session=session, user_id=user_id, routine="programme", now=now - timedelta(days=3)
        )


async def audit_rows(app: AcubotApp) -> list[tuple[int, str, int | None]]:
    async with app.bot_data.sessions() as session:
        rows = await session.execute(
            select(AuditEntry.actor_id, AuditEntry.action, AuditEntry.patient_id)
            .where(AuditEntry.patient_id.is_not(None))
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def share(someone: Patient, shares: bool = True) -> None:
    await someone.send("/privacy")
    said = texts(await someone.press("Share with the clinic" if shares else "Don't share"))
    assert said, "the consent button answered nothing"


def documents(calls: list[BotCall]) -> list[BotCall]:
    return [c for c in calls if c.method == "sendDocument"]


def alerts(calls: list[BotCall]) -> list[str | None]:
    return [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]


def forged(data: str, chat_id: int) -> dict[str, object]:
    return {
        "message_id": 1,
        "chat": {"id": chat_id, "type": "private"},
        "date": 0,
        "text": "x",
        "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": data}]]},
    }


async def test_a_sharing_patient_in_the_list_the_view_the_chart_and_the_pdf_all_audited(
    app: AcubotApp, api: InProcessBotAPI, practitioner: Patient
) -> None:
    await give_role(app, PRACTITIONER, Role.PRACTITIONER)
    patient = person(app, api, PATIENT_ID)
    await patient.send("/start")
    await add_history(app, PATIENT_ID)
    await share(patient)

    listing = only_text(await practitioner.send("/patients"))
    assert "Patients who share their progress with the clinic</b> (1)" in listing
    assert f"<b>1</b> · {NAME} · Low back, home care · last active" in listing
    assert "pain 8 or more in the last 7 days" in listing
    assert "too sore or bruised in the last 7 days" in listing
    assert "Roland-Morris up 5 points or more since the first" in listing  # 11 → 17

    calls = await practitioner.send("/patient 1")
    view = next(c for c in calls if c.method == "sendMessage").text
    assert f"<b>Patient 1</b> · {NAME}" in view
    assert "Home programme: <b>Low back, home care</b> (Dr Ana Ruiz), week 4 of 6" in view
    assert "Planned days done: 5 of 9" in view
    assert "Back pain (0–10): 7 (May 17, 2027), 5 (May 26, 2027), and 9 (Jun 6, 2027)" in view
    assert "6.3 (May 18, 2027) and 5.0 (Jun 5, 2027)" in view  # to one decimal, as published
    assert "Change since the first: -1.3" in view  # PEG: no published threshold, no verdict
    assert "11 (May 18, 2027) and 17 (Jun 5, 2027)" in view
    assert "Change since the first: +6 (worse by 5 points or more" in view
    assert "Jun 4, 2027" in view  # the sore report
    [photo] = [c for c in calls if c.method == "sendPhoto"]
    assert "Patient 1, last 30 days" in photo.text
    assert photo.contents["photo"].startswith(b"\x89PNG")
    message = practitioner.message_with_button("PDF, last 4 weeks")
    assert [b["callback_data"] for b in message["reply_markup"]["inline_keyboard"][0]] == [
        "pat:1:4",
        "pat:1:6",
    ]

    pressed = await practitioner.press("PDF, last 4 weeks")
    [document] = documents(pressed)
    assert document.chat_id == PRACTITIONER
    assert "Patient 1: home care summary" in document.text
    pdf = document.contents["document"]
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Low back, home care" in text
    assert "6.3" in text  # PEG
    assert "11" in text and "17" in text  # RMDQ
    assert "Planned days done: 5 of 9" in text

    assert await audit_rows(app) == [
        (PRACTITIONER, AuditAction.VIEWED_PATIENT_LIST, PATIENT_ID),
        (PRACTITIONER, AuditAction.VIEWED_PATIENT, PATIENT_ID),
        (PRACTITIONER, AuditAction.PATIENT_REPORT, PATIENT_ID),
    ]
    shown = only_text(await practitioner.send("/audit"))
    for words in ("saw the patient in /patients", "viewed the patient's progress",
                  "made the patient's report"):  # fmt: skip
        assert words in shown


async def test_without_consent_a_patient_is_invisible_to_every_staff_command(
    app: AcubotApp, api: InProcessBotAPI, owner: Patient
) -> None:
    withdrew = person(app, api, PATIENT_ID)
    never_asked = person(app, api, OTHER_ID, name="Yolanda")
    for someone, user_id in ((withdrew, PATIENT_ID), (never_asked, OTHER_ID)):
        await someone.send("/start")
        await add_history(app, user_id)
    await share(withdrew)
    await share(withdrew, shares=False)  # number 1 was given, and is now refused
    await never_asked.send("/privacy")  # asked, never answered

    before = len(api.calls)
    assert NOBODY in only_text(await owner.send("/patients"))
    for number in ("1", "2"):
        said = only_text(await owner.send(f"/patient {number}"))
        assert said.startswith(UNKNOWN.format(n=number))
    for data in ("pat:1:4", "pat:1:6", "pat:2:4"):
        calls = await owner.press_data(data, forged(data, ADMIN_ID))
        [alert] = alerts(calls)
        assert (alert or "").startswith(UNKNOWN.format(n=data[4]))
        assert documents(calls) == []
    stats = only_text(await owner.send("/stats"))
    assert "not enough patients yet" in stats  # two patients: below the group of 5
    assert "Figures from fewer than 5 patients are not shown" in stats
    programmes_list = only_text(await owner.send("/programmes"))
    assert "Low back, home care" in programmes_list
    assert only_text(await owner.send("/broadcasts")).startswith("No broadcasts yet")
    assert "audit log is empty" in only_text(await owner.send("/audit"))
    assert str(ADMIN_ID) in only_text(await owner.send("/staff"))  # the staff, nobody else
    await owner.send("/broadcast")
    await owner.send("Hello")
    audience = await owner.press("No button")
    assert "Everyone who started the bot (2)" in str(audience[-1].buttons)  # a count only
    await owner.send("/cancel")
    assert "What I can do" in only_text(await owner.send("/help"))

    # Every call answering the staff (messages, buttons, alerts), none to the patients.
    staff_saw = [
        str(c.params) for c in api.calls[before:] if c.chat_id not in (PATIENT_ID, OTHER_ID)
    ]
    for text in staff_saw:
        for secret in (NAME, "Yolanda", str(PATIENT_ID), str(OTHER_ID), "Dr Ana Ruiz · 1"):
            assert secret not in text, (secret, text)
    assert await audit_rows(app) == []  # nothing about a patient was shown


async def test_consent_withdrawn_while_staff_look_refuses_the_next_view_and_press(
    app: AcubotApp, api: InProcessBotAPI, practitioner: Patient
) -> None:
    await give_role(app, PRACTITIONER, Role.PRACTITIONER)
    patient = person(app, api, PATIENT_ID)
    await patient.send("/start")
    await add_history(app, PATIENT_ID)
    await share(patient)
    assert f"<b>Patient 1</b> · {NAME}" in texts(await practitioner.send("/patient 1"))[0]

    await share(patient, shares=False)  # while the practitioner has the view open
    pressed = await practitioner.press("PDF, last 6 weeks")
    assert alerts(pressed) == [
        UNKNOWN.format(n=1) + " /patients lists those who do."
    ]  # the same words as a number nobody has
    assert documents(pressed) == []
    assert only_text(await practitioner.send("/patient 1")).startswith(UNKNOWN.format(n=1))
    assert NOBODY in only_text(await practitioner.send("/patients"))
    assert await audit_rows(app) == [(PRACTITIONER, AuditAction.VIEWED_PATIENT, PATIENT_ID)]

    # Sharing again: the same number, seen again (and audited again).
    await share(patient)
    assert f"<b>1</b> · {NAME}" in only_text(await practitioner.send("/patients"))
    assert documents(await practitioner.press("PDF, last 6 weeks"))
    assert len(await audit_rows(app)) == 3


async def test_numbers_follow_the_first_yes_and_are_never_reused_after_delete(
    app: AcubotApp, api: InProcessBotAPI, practitioner: Patient
) -> None:
    await give_role(app, PRACTITIONER, Role.PRACTITIONER)
    first, second = person(app, api, PATIENT_ID), person(app, api, OTHER_ID, name="Yolanda")
    for someone in (second, first):
        await someone.send("/start")
    await share(first)
    await share(second)
    await share(first)  # a second yes keeps the number
    listing = only_text(await practitioner.send("/patients"))
    assert f"<b>1</b> · {NAME}" in listing and "<b>2</b> · Yolanda" in listing
    assert await audit_rows(app) == [  # one row per patient listed
        (PRACTITIONER, AuditAction.VIEWED_PATIENT_LIST, PATIENT_ID),
        (PRACTITIONER, AuditAction.VIEWED_PATIENT_LIST, OTHER_ID),
    ]

    await first.send("/delete")
    await first.press("Yes, delete")
    async with app.bot_data.sessions() as session:
        numbers = list(await session.execute(select(PatientNumber.number, PatientNumber.user_id)))
    assert [tuple(row) for row in numbers] == [(2, OTHER_ID)]
    third = person(app, api, 454545, name="Xena")
    await third.send("/start")
    await share(third)
    listing = only_text(await practitioner.send("/patients"))
    assert "<b>3</b> · Xena" in listing and NAME not in listing
    assert only_text(await practitioner.send("/patient 1")).startswith(UNKNOWN.format(n=1))


async def test_front_desk_and_patients_cannot_open_the_clinician_view(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    await give_role(app, FRONT_DESK, Role.FRONT_DESK)
    patient = person(app, api, PATIENT_ID)
    await patient.send("/start")
    await share(patient)
    front_desk = Patient(app, api, user_id=FRONT_DESK)
    for someone, said in ((front_desk, NOT_ROLE), (patient, NOT_STAFF)):
        for command in ("/patients", "/patient 1", "/patient", "/patient abc"):
            assert only_text(await someone.send(command)) == said, command
        for data in ("pat:1:4", "pat:1:6", "pat:1:5", "pat:x"):
            calls = await someone.press_data(data, forged(data, someone.user_id))
            assert alerts(calls) == [said], data
            assert [c.method for c in calls] == ["answerCallbackQuery"], data
    assert await audit_rows(app) == []


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/patient", "Send /patient with a patient's number"),
        ("/patient abc", "Send /patient with a patient's number"),
        ("/patient 0", "Send /patient with a patient's number"),
        ("/patient -1", "Send /patient with a patient's number"),
        ("/patient ١", "Send /patient with a patient's number"),
        ("/patient 01", "Send /patient with a patient's number"),
        ("/patient 1 2", "Send /patient with a patient's number"),
        ("/patient 9999999999", "Send /patient with a patient's number"),
        ("/patient 7", UNKNOWN.format(n=7)),
    ],
)
async def test_bad_patient_numbers_are_answered_plainly(
    app: AcubotApp, owner: Patient, command: str, answer: str
) -> None:
    assert only_text(await owner.send(command)).startswith(answer)
    assert await audit_rows(app) == []


@pytest.mark.parametrize("data", ["pat:1:5", "pat:0:4", "pat:x:4", "pat:1", "pat:01:4"])
async def test_forged_pdf_buttons_are_refused(
    app: AcubotApp, api: InProcessBotAPI, owner: Patient, data: str
) -> None:
    patient = person(app, api, PATIENT_ID)
    await patient.send("/start")
    await share(patient)
    calls = await owner.press_data(data, forged(data, ADMIN_ID))
    assert alerts(calls) == ["This button no longer applies. Send /patient again."]
    assert documents(calls) == [] and await audit_rows(app) == []


def _row(**changes: object) -> PatientListRow:
    values: dict[str, object] = {
        "number": 1, "user_id": 1, "first_name": None, "programme": None,
        "last_activity": None, "top_pain_recent": None, "sore_recent": 0,
        "rmdq_first": None, "rmdq_latest": None,
    }  # fmt: skip
    values.update(changes)
    return PatientListRow(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "flags"),
    [
        ({}, ()),
        ({"top_pain_recent": 7}, ()),
        ({"top_pain_recent": 8}, (Flag.HIGH_PAIN,)),
        ({"sore_recent": 1}, (Flag.SORE,)),
        ({"rmdq_first": Decimal(10), "rmdq_latest": Decimal(14)}, ()),  # +4 (40%): may be noise
        ({"rmdq_first": Decimal(3), "rmdq_latest": Decimal(4)}, ()),  # +1 (33%)
        ({"rmdq_first": Decimal(20), "rmdq_latest": Decimal(24)}, ()),  # +4, 20%: within
        ({"rmdq_first": Decimal(20), "rmdq_latest": Decimal(25)}, (Flag.RMDQ_WORSE,)),
        ({"rmdq_first": Decimal(12), "rmdq_latest": Decimal(4)}, ()),  # better is no flag
        ({"rmdq_first": Decimal(12), "rmdq_latest": None}, ()),
    ],
)
def test_the_flags_rule(changes: dict[str, object], flags: tuple[Flag, ...]) -> None:
    assert patient_flags(_row(**changes)) == flags


@pytest.mark.parametrize(
    ("language", "words"),
    [("es", ("Paciente 1", "Últimas 6 semanas", "📄 PDF, últimas 4 semanas")),
     ("zh", ("患者 1", "最近 6 周", "📄 PDF，最近 4 周"))],
)  # fmt: skip
async def test_staff_read_the_view_in_their_language_with_a_chart_even_for_an_empty_month(
    app: AcubotApp, api: InProcessBotAPI, language: str, words: tuple[str, ...]
) -> None:
    await give_role(app, PRACTITIONER, Role.PRACTITIONER)
    patient = person(app, api, PATIENT_ID)
    await patient.send("/start")
    await share(patient)
    staff_member = Patient(app, api, user_id=PRACTITIONER, language_code=language)
    calls = await staff_member.send("/patient 1")
    view = next(c for c in calls if c.method == "sendMessage")
    for expected in words[:2]:
        assert expected in view.text
    assert words[2] in str(view.buttons)
    [photo] = [c for c in calls if c.method == "sendPhoto"]
    assert photo.contents["photo"].startswith(b"\x89PNG")
    nothing = await staff_member.press(words[2])
    assert documents(nothing) == []  # nothing recorded: said so, no empty page
    assert f"{PATIENT_ID}" not in " ".join(texts(nothing))


async def test_the_view_and_the_staff_pdf_never_stall_the_event_loop(
    app: AcubotApp, api: InProcessBotAPI, practitioner: Patient
) -> None:
    """The chart and the page are drawn in the worker process, as for the patient."""
    from tests.handlers.test_report import TickingWatchdog

    await give_role(app, PRACTITIONER, Role.PRACTITIONER)
    patient = person(app, api, PATIENT_ID)
    await patient.send("/start")
    await add_history(app, PATIENT_ID)
    await share(patient)
    for attempt in ("first: the worker starts", "second"):
        async with TickingWatchdog() as watchdog:
            calls = await practitioner.send("/patient 1")
            calls += await practitioner.press("PDF, last 6 weeks")
            await watchdog.next_tick()
        sent = [c.method for c in calls if c.method.startswith("send")]
        assert sent == ["sendMessage", "sendPhoto", "sendDocument"]
        assert watchdog.ticks > 0
        assert watchdog.longest_cpu < 0.050, (attempt, watchdog.longest_cpu)


async def practitioner_and_sharing_patient(app: AcubotApp, api: InProcessBotAPI) -> Patient:
    """PRACTITIONER has the role; the patient has started and shares their progress."""
    await give_role(app, PRACTITIONER, Role.PRACTITIONER)
    patient = person(app, api, PATIENT_ID)
    await patient.send("/start")
    await share(patient)
    return patient


async def answer_peg(patient: Patient, scores: list[int]) -> None:
    """The PEG in the chat, in the patient's language now (the buttons are its digits)."""
    await patient.send("/questionnaire")
    await patient.press("PEG")
    for value in scores:
        message = patient.latest_message()
        [data] = [
            b["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == str(value)
        ]
        await patient.press_data(data, message)


async def test_scores_answered_in_unvalidated_words_are_marked_for_staff(
    app: AcubotApp, api: InProcessBotAPI, practitioner: Patient, clock: FakeClock
) -> None:
    """The Spanish and Chinese words are the clinic's own: staff see which scores they gave."""
    patient = await practitioner_and_sharing_patient(app, api)
    await patient.send("/language")
    await patient.press("Español")
    clock.advance(days=-14)
    await answer_peg(patient, [6, 7, 5])  # in Spanish: 6.0
    clock.advance(days=14)
    await patient.send("/language")
    await patient.press("English")
    await answer_peg(patient, [4, 5, 3])  # in English, the published words: 4.0

    calls = await practitioner.send("/patient 1")
    view = next(c for c in calls if c.method == "sendMessage").text
    assert "6.0* (May 24, 2027) and 4.0 (Jun 7, 2027)" in view
    assert "Change since the first: -2.0*" in view  # measured from the Spanish score
    assert "* Not from a validated version: answered in the clinic's own Spanish" in view
    assert view.count("Not from a validated version") == 1  # the RMDQ has no scores

    [document] = documents(await practitioner.press("PDF, last 4 weeks"))
    text = " ".join(
        PdfReader(io.BytesIO(document.contents["document"])).pages[0].extract_text().split()
    )
    assert "6.0*" in text and "4.0 (" in text
    assert "Not from a validated version of the questionnaire" in text


async def test_english_scores_carry_no_mark(
    app: AcubotApp, api: InProcessBotAPI, practitioner: Patient
) -> None:
    patient = await practitioner_and_sharing_patient(app, api)
    await answer_peg(patient, [7, 8, 8])
    view = next(c for c in await practitioner.send("/patient 1") if c.method == "sendMessage").text
    assert "7.7 (Jun 7, 2027)" in view and "*" not in view
