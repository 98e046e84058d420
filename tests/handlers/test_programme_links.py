"""Bad programme links: a clear message, nothing changed, and the code never in the logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from scheduler.programme_codes import LinkCode, sign
from storage.models import (
    PendingStep,
    Programme,
    ProgrammeEnrolment,
    ProgrammeLink,
    Subscription,
    User,
)
from tests.harness import FakeClock, Patient, only_shown, only_text, texts
from tests.programme_support import enrolment_of, prescribe

SEVEN_AM_CHICAGO = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
NOT_VALID = "couldn't open this programme link"


@pytest.fixture(autouse=True)
def _morning(clock: FakeClock) -> None:
    clock.set(SEVEN_AM_CHICAGO)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


async def count(app: AcubotApp, model: type) -> int:
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def nothing_stored(app: AcubotApp) -> bool:
    return all(
        [
            await count(app, model) == 0
            for model in (User, PendingStep, ProgrammeEnrolment, Subscription)
        ]
    )


def _flip(code: str, at: int) -> str:
    replacement = "A" if code[at] != "A" else "B"
    return code[:at] + replacement + code[at + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        "forged tag",  # the signature changed
        "tampered id",  # the link id changed, the signature kept
        "truncated",
        "overlong",
        "not a code",
        "another secret",
    ],
)
async def test_a_bad_code_is_refused_and_changes_nothing(
    app: AcubotApp, patient: Patient, logs: pytest.LogCaptureFixture, damage: str
) -> None:
    prescribed = await prescribe(app)
    code = prescribed.code
    bad = {
        "forged tag": _flip(code, len(code) - 3),
        "tampered id": _flip(code, 5),
        "truncated": code[:-4],
        "overlong": code + "x" * 80,
        "not a code": "hello",
        "another secret": sign(
            LinkCode(prescribed.link_id, prescribed.expires_at, True), b"s" * 40
        ),
    }[damage]
    text = only_text(await patient.send(f"/start {bad}"))
    assert NOT_VALID in text and "Nothing was changed" in text
    assert await nothing_stored(app)
    assert "Programme link refused" in logs.text
    assert bad not in logs.text and code not in logs.text
    assert code[-20:] not in logs.text


async def test_an_expired_link_is_refused(
    app: AcubotApp, patient: Patient, clock: FakeClock, logs: pytest.LogCaptureFixture
) -> None:
    prescribed = await prescribe(app, lasts=timedelta(days=14))
    clock.advance(days=14, seconds=1)
    text = only_text(await patient.send(f"/start {prescribed.code}"))
    assert "expired" in text and "Nothing was changed" in text
    assert await nothing_stored(app)
    assert f"expired (link {prescribed.link_id})" in logs.text
    assert prescribed.code not in logs.text


async def test_a_link_row_that_expired_earlier_than_its_code_is_refused(
    app: AcubotApp, patient: Patient
) -> None:
    prescribed = await prescribe(app)
    async with app.bot_data.sessions.begin() as session:
        row = await session.get(ProgrammeLink, prescribed.link_id)
        assert row is not None
        row.expires_at = SEVEN_AM_CHICAGO - timedelta(minutes=1)  # staff withdrew it
    assert "expired" in only_text(await patient.send(f"/start {prescribed.code}"))
    assert await nothing_stored(app)


async def test_a_code_for_an_unknown_link_is_refused(
    app: AcubotApp, patient: Patient, logs: pytest.LogCaptureFixture
) -> None:
    code = sign(
        LinkCode(4242, SEVEN_AM_CHICAGO + timedelta(days=3), True), app.bot_data.link_secret
    )
    assert NOT_VALID in only_text(await patient.send(f"/start {code}"))
    assert await nothing_stored(app)
    assert "unknown (link 4242)" in logs.text and code not in logs.text


async def test_a_used_single_use_link_is_refused_for_someone_else(
    app: AcubotApp, api: InProcessBotAPI, patient: Patient
) -> None:
    prescribed = await prescribe(app, single_use=True)
    await patient.send(f"/start {prescribed.code}")
    await patient.press("8:00")
    await patient.press("Start the programme")
    other = Patient(app, api, user_id=2)
    text = only_text(await other.send(f"/start {prescribed.code}"))
    assert "already been used" in text and "Nothing was changed" in text
    assert await enrolment_of(app, 2) is None
    async with app.bot_data.sessions() as session:
        assert await session.get(User, 2) is None
    # The patient it was made for may open it again (a repeated tap changes nothing).
    assert "Low back, home care" in (await patient.send(f"/start {prescribed.code}"))[0].text


async def test_two_patients_racing_for_a_single_use_link_only_one_wins(
    app: AcubotApp, api: InProcessBotAPI, patient: Patient
) -> None:
    prescribed = await prescribe(app, single_use=True)
    other = Patient(app, api, user_id=2)
    for person in (patient, other):
        await person.send(f"/start {prescribed.code}")
        await person.press("8:00")
    started, questionnaire = texts(await patient.press("Start the programme"))
    assert "You have started" in started and "Roland-Morris" in questionnaire
    lost = only_shown(await other.press("Start the programme"))
    assert "already been used" in lost
    assert await enrolment_of(app, 2) is None
    async with app.bot_data.sessions() as session:
        assert (await session.execute(select(Subscription.user_id))).scalars().all() == [1]


async def test_a_reusable_link_serves_many_patients(app: AcubotApp, api: InProcessBotAPI) -> None:
    prescribed = await prescribe(app, single_use=False)
    for user_id in (1, 2, 3):
        person = Patient(app, api, user_id=user_id)
        await person.send(f"/start {prescribed.code}")
        await person.press("8:00")
        await person.press("Start the programme")
        assert await enrolment_of(app, user_id) is not None


async def test_a_link_expiring_while_the_patient_chooses_is_refused_at_start(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    prescribed = await prescribe(app, lasts=timedelta(minutes=5))
    await patient.send(f"/start {prescribed.code}")
    await patient.press("8:00")
    clock.advance(minutes=6)
    assert "expired" in only_shown(await patient.press("Start the programme"))
    assert await count(app, ProgrammeEnrolment) == 0
    assert await count(app, Subscription) == 0


async def test_a_link_of_a_deleted_programme_is_refused(app: AcubotApp, patient: Patient) -> None:
    prescribed = await prescribe(app)
    async with app.bot_data.sessions.begin() as session:
        await session.execute(delete(ProgrammeLink).where(ProgrammeLink.id == prescribed.link_id))
        await session.execute(delete(Programme).where(Programme.id == prescribed.programme_id))
    assert NOT_VALID in only_text(await patient.send(f"/start {prescribed.code}"))
    assert await nothing_stored(app)


async def test_start_without_a_code_still_greets(app: AcubotApp, patient: Patient) -> None:
    assert "Hello" in only_text(await patient.send("/start"))
