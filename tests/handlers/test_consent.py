"""Consent to share one's progress with the clinic: asked in /privacy and after a programme
starts, stored with its time and text version, in /export, withdrawn with immediate effect."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.local_api import InProcessBotAPI
from handlers.consent import CONSENT_TEXT_VERSION
from handlers.context import AcubotApp
from storage import consent
from storage.models import ConsentRecord, User
from tests.harness import FakeClock, Patient, only_text, texts
from tests.programme_support import prescribe

SEVEN_AM_CHICAGO = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _morning(clock: FakeClock) -> None:
    clock.set(SEVEN_AM_CHICAGO)


async def history(app: AcubotApp, user_id: int = 1) -> list[tuple[bool, str, datetime]]:
    async with app.bot_data.sessions() as session:
        rows = await consent.consent_history(session=session, user_id=user_id)
    return [(r.shares, r.text_version, r.recorded_at) for r in rows]


async def first_name(app: AcubotApp, user_id: int = 1) -> str | None:
    async with app.bot_data.sessions() as session:
        return await session.scalar(select(User.first_name).where(User.id == user_id))


async def test_privacy_explains_sharing_and_records_yes_then_no(
    app: AcubotApp, api: InProcessBotAPI, patient: Patient, clock: FakeClock
) -> None:
    await patient.send("/start")
    text = only_text(await patient.send("/privacy"))
    assert "Share your progress with the clinic?" in text
    assert "pain answers" in text and "questionnaire scores" in text and "soreness" in text
    assert "Nothing else" in text and "takes effect immediately" in text
    assert "you do not share" in text  # the default is no
    assert "does not keep the text of your messages" in text
    assert "nor your name unless you share your progress" in text
    assert await history(app) == [] and await first_name(app) is None

    said = texts(await patient.press("Share with the clinic"))
    assert any("may now see your progress" in t for t in said)
    assert await history(app) == [(True, CONSENT_TEXT_VERSION, SEVEN_AM_CHICAGO)]
    assert await first_name(app) == "Pat"  # as Telegram gives it, while sharing
    assert "you share your progress</b> with the clinic (since" in only_text(
        await patient.send("/privacy")
    )

    withdrawn_at = clock.advance(days=3)
    said = texts(await patient.press("Don't share"))
    assert any("does not see your progress" in t for t in said)
    assert await history(app) == [
        (True, CONSENT_TEXT_VERSION, SEVEN_AM_CHICAGO),
        (False, CONSENT_TEXT_VERSION, withdrawn_at),
    ]
    assert await first_name(app) is None  # cleared with the withdrawal

    calls = await patient.send("/export")
    [document] = [c for c in calls if c.method == "sendDocument"]
    content = api.file_content(document, "document")
    assert content is not None
    data = json.loads(content)
    assert data["sharing_with_clinic"] == [
        {"shares": True, "text_version": CONSENT_TEXT_VERSION,
         "recorded_at": SEVEN_AM_CHICAGO.isoformat()},
        {"shares": False, "text_version": CONSENT_TEXT_VERSION,
         "recorded_at": withdrawn_at.isoformat()},
    ]  # fmt: skip


async def test_an_answer_from_older_wording_is_asked_again(
    app: AcubotApp, patient: Patient
) -> None:
    await patient.send("/start")
    await patient.send("/privacy")
    calls = await patient.press_data("cns:1:2025-01-share-v0")
    assert any("wording of this question has changed" in t for t in texts(calls))
    assert await history(app) == []
    await patient.press("Share with the clinic")
    assert [shares for shares, _, _ in await history(app)] == [True]


async def test_forged_and_after_delete_answers_store_nothing(
    app: AcubotApp, patient: Patient
) -> None:
    message = {"message_id": 1, "chat": {"id": 1, "type": "private"}, "date": 0, "text": "x",
               "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "x"}]]}}  # fmt: skip
    calls = await patient.press_data("cns:1:Not A Version", message)  # unreadable
    alerts = [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    assert alerts == ["That button no longer works. Send /privacy."]
    await patient.send("/start")
    await patient.send("/delete")
    await patient.press("Yes, delete")
    calls = await patient.press_data(f"cns:1:{CONSENT_TEXT_VERSION}", message)
    alerts = [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    assert alerts == ["I don't keep any data about you, so there is nothing to share."]
    async with app.bot_data.sessions() as session:
        assert list(await session.scalars(select(ConsentRecord))) == []
        assert await session.get(User, 1) is None


async def test_asked_right_after_a_programme_starts_and_not_when_already_sharing(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    prescribed = await prescribe(app)
    await patient.send(f"/start {prescribed.code}")
    await patient.press("8:00")
    # (The Roland-Morris questionnaire of the programme's start follows, on its own.)
    done, questionnaire = texts(await patient.press("Start the programme"))
    assert "Roland-Morris" in questionnaire
    assert "You have started" in done
    assert done.index("You have started") < done.index("Share your progress with the clinic?")
    await patient.press("Share with the clinic")
    assert [shares for shares, _, _ in await history(app)] == [True]

    other = Patient(app, api, user_id=2)
    await other.send("/start")
    await other.send("/privacy")
    await other.press("Share with the clinic")
    second = await prescribe(app)
    await other.send(f"/start {second.code}")
    await other.press("8:00")
    done, questionnaire = texts(await other.press("Start the programme"))
    assert "You have started" in done and "Share your progress" not in done
    assert "Share your progress" not in questionnaire


async def test_the_users_group_keeps_the_name_only_while_sharing(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    await patient.send("/start")
    patient.updates.first_name = "Patricia"
    clock.advance(hours=2)
    await patient.send("/point UB40")
    await _settle(app)
    assert await first_name(app) is None  # not sharing: no name kept
    await patient.send("/privacy")
    await patient.press("Share with the clinic")
    assert await first_name(app) == "Patricia"
    patient.updates.first_name = "Trish"
    clock.advance(hours=2)
    await patient.send("/point UB40")
    await _settle(app)
    assert await first_name(app) == "Trish"


async def _settle(app: AcubotApp) -> None:
    """The last-seen write runs beside the update, in a batch (storage.last_seen): write it."""
    await app.bot_data.last_seen.flush()
