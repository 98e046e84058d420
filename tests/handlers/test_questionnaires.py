"""PEG and RMDQ in the chat: one item per message, skippable, resumable, scored as published."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.application import running
from bot.local_api import BotCall, InProcessBotAPI
from bot.settings import Settings
from handlers.context import AcubotApp
from scheduler import callback_data as cb
from storage.models import QuestionnaireAnswer, QuestionnaireRun
from tests.conftest import RecordingSleep, make_app
from tests.harness import FakeClock, Patient, only_shown, texts

NOON = datetime(2027, 6, 1, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _noon(clock: FakeClock) -> None:
    clock.set(NOON)


def _answers(calls: list[BotCall]) -> list[str]:
    return [c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery"]


async def _rows(app: AcubotApp, model: type) -> int:
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _peg(patient: Patient, scores: list[int]) -> str:
    await patient.send("/start")  # people are stored from /start on
    await patient.send("/questionnaire")
    first = only_shown(await patient.press("PEG"))
    assert "1 of 3" in first and "pain on average in the past week" in first
    assert "0 = No pain, 10 = Pain as bad as you can imagine" in first
    shown = first
    for score in scores:
        calls = await patient.press_data(_data(patient, str(score)))
        # Each answer edits the same message: no new message is sent.
        assert [c.method for c in calls if c.method.startswith("send")] == []
        shown = only_shown(calls)
    return shown


def _data(patient: Patient, label: str) -> str:
    message = patient.latest_message()
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r}")


async def test_peg_answered_fully_gives_the_mean_then_the_change_without_a_verdict(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    result = await _peg(patient, [7, 8, 8])
    assert "Your score: <b>7.7</b> out of 10" in result and "Lower is better" in result
    assert "This is your first score" in result
    assert "not a diagnosis" in result
    clock.advance(days=7)
    again = await _peg(patient, [6, 7, 5])
    assert "Your score: <b>6.0</b>" in again
    assert "Your first score was 7.7. That is 1.7 lower than your first score." in again
    assert "no published threshold" in again and "meaningful" in again
    async with app.bot_data.sessions() as session:
        rows = (
            await session.execute(
                select(
                    QuestionnaireRun.instrument, QuestionnaireRun.reason, QuestionnaireRun.score
                ).order_by(QuestionnaireRun.id)
            )
        ).all()
    assert rows == [("peg", "asked", "7.7"), ("peg", "asked", "6.0")]
    assert await _rows(app, QuestionnaireAnswer) == 6


async def _rmdq(patient: Patient, yes_items: set[int], skip: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    await patient.send("/start")
    await patient.send("/questionnaire")
    shown = only_shown(await patient.press("Roland-Morris"))
    assert "1 of 24" in shown and "think of yourself today" in shown
    assert "I stay at home most of the time because of my back." in shown
    for number in range(1, 25):
        label = "Skip" if number in skip else "Yes" if number in yes_items else "No"
        shown = only_shown(await patient.press_data(_data(patient, label)))
        if number < 24:
            assert f"{number + 1} of 24" in shown
    return shown


async def test_rmdq_scores_the_yes_count_and_judges_the_change_by_ostelo(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    first = await _rmdq(patient, set(range(1, 25, 2)))  # items 1, 3, 5, ... 23: 12 yes
    assert "Your score: <b>12</b> out of 24" in first and "first score" in first
    clock.advance(days=14)
    better = await _rmdq(patient, {1, 3, 5, 7, 9, 11, 13})  # 7: 5 points lower
    assert "<b>7</b> out of 24" in better
    assert "Your first score was 12. That is 5 lower than your first score." in better
    assert "at least the change experts agreed counts as meaningful" in better
    assert "5 points or 30% of your first score (Ostelo et al. 2008)" in better
    assert "in the better direction" in better
    clock.advance(days=14)
    small = await _rmdq(patient, set(range(1, 21, 2)))  # 10: 2 lower, 17% of 12
    assert "smaller than the change experts agreed counts as meaningful" in small


async def test_a_skipped_item_is_stored_and_leaves_no_score(
    app: AcubotApp, patient: Patient
) -> None:
    await patient.send("/start")
    await patient.send("/questionnaire")
    await patient.press("PEG")
    await patient.press_data(_data(patient, "5"))
    second = only_shown(await patient.press_data(_data(patient, "Skip")))
    assert "3 of 3" in second
    result = only_shown(await patient.press_data(_data(patient, "4")))
    assert "no PEG score this time" in result and "all three" in result
    rmdq = await _rmdq(patient, {2}, skip={5})
    assert "You skipped 1 statement" in rmdq and "counts all 24 statements" in rmdq
    async with app.bot_data.sessions() as session:
        skipped = (
            await session.execute(
                select(QuestionnaireAnswer.item, QuestionnaireAnswer.answer).where(
                    QuestionnaireAnswer.skipped
                )
            )
        ).all()
        scores = (await session.execute(select(QuestionnaireRun.score))).scalars().all()
    assert skipped == [(1, None), (4, None)]
    assert scores == [None, None]


async def test_a_double_tap_and_an_old_button_change_nothing(
    app: AcubotApp, patient: Patient
) -> None:
    await patient.send("/start")
    await patient.send("/questionnaire")
    await patient.press("PEG")
    first_message = patient.latest_message()
    six = _data(patient, "6")
    assert "2 of 3" in only_shown(await patient.press_data(six, first_message))
    again = await patient.press_data(six, first_message)  # the same tap again
    assert _answers(again) == ["Already noted."]
    assert texts(again) == []
    # Item 1's "9" (an old copy of the message): item 1 keeps its 6, item 2 waits.
    assert _answers(await patient.press_data(six.replace(":6", ":9"))) == ["Already noted."]
    # Item 3 before item 2: refused too.
    ahead = six.replace(":0:6", ":2:6")
    assert "behind you" in _answers(await patient.press_data(ahead))[0]
    assert await _rows(app, QuestionnaireAnswer) == 1
    async with app.bot_data.sessions() as session:
        assert await session.scalar(select(QuestionnaireRun.next_item)) == 1


async def test_a_forged_button_answers_clearly_and_changes_nothing(
    app: AcubotApp, patient: Patient, api: InProcessBotAPI
) -> None:
    await patient.send("/start")
    await patient.send("/questionnaire")
    await patient.press("PEG")
    run_id = cb.decode_as(_data(patient, "3"), cb.QuestionnaireButton).run_id  # type: ignore[union-attr]
    other = Patient(app, api, user_id=2)
    await other.send("/start")
    forged = [
        cb.encode(cb.QuestionnaireButton(run_id, 0, 3)),  # someone else's run
        cb.encode(cb.QuestionnaireButton(run_id + 100, 0, 3)),  # no such run
    ]
    for data in forged:
        calls = await other.press_data(data)
        assert "no longer available" in _answers(calls)[0] and texts(calls) == []
    # The patient's own run, an answer its items never offer (PEG has 3 items).
    calls = await patient.press_data(cb.encode(cb.QuestionnaireButton(run_id, 5, 3)))
    assert "no longer available" in _answers(calls)[0]
    calls = await patient.press_data(f"qn:{run_id}:0:11")  # the codec refuses it
    assert "no longer available" in _answers(calls)[0]
    assert await _rows(app, QuestionnaireAnswer) == 0


async def test_a_questionnaire_resumes_at_the_same_item_after_a_restart(
    settings: Settings, api: InProcessBotAPI, clock: FakeClock, sleep: RecordingSleep
) -> None:
    async with running(make_app(settings, api, clock, sleep)) as first:
        patient = Patient(first, api, user_id=1)
        await patient.send("/start")
        await patient.send("/questionnaire")
        await patient.press("Roland-Morris")
        for label in ("Yes", "No", "Yes"):
            await patient.press_data(_data(patient, label))
        assert "4 of 24" in patient.latest_message()["text"]
        item_four = _data(patient, "Yes")
    async with running(make_app(settings, api, clock, sleep)) as second:
        patient = Patient(second, api, user_id=1)
        # The button on the phone still works on the new instance...
        assert "5 of 24" in only_shown(await patient.press_data(item_four))
        # ...and /questionnaire offers to continue at the same item.
        await patient.send("/questionnaire")
        assert "Continue: Roland-Morris back questionnaire, 5 of 24" in str(
            patient.latest_message()["reply_markup"]
        )
        resumed = only_shown(await patient.press("Continue"))
        assert "5 of 24" in resumed and "handrail" in resumed
        for _ in range(5, 25):
            shown = only_shown(await patient.press_data(_data(patient, "No")))
        assert "Your score: <b>3</b> out of 24" in shown


async def test_severe_pain_in_the_peg_asks_about_red_flags(patient: Patient) -> None:
    await patient.send("/start")
    await patient.send("/questionnaire")
    await patient.press("PEG")
    for score in ("9", "5"):
        await patient.press_data(_data(patient, score))
    result, red_flags = texts(await patient.press_data(_data(patient, "5")))
    assert "Your score: <b>6.3</b>" in result
    buttons = [
        cb.decode(b["callback_data"])
        for row in patient.latest_message()["reply_markup"]["inline_keyboard"]
        for b in row
        if "callback_data" in b
    ]
    assert cb.RedFlagButton(True) in buttons and red_flags


async def test_a_person_not_stored_is_not_stored_by_a_questionnaire(
    app: AcubotApp, patient: Patient
) -> None:
    await patient.send("/questionnaire")  # never sent /start (or deleted their data)
    shown = only_shown(await patient.press("PEG"))
    assert "I don't keep any data about you now" in shown
    assert await _rows(app, QuestionnaireRun) == 0


async def test_nothing_to_resume_is_said_plainly(patient: Patient) -> None:
    await patient.send("/start")
    await patient.send("/questionnaire")
    assert "Continue" not in str(patient.latest_message()["reply_markup"])
    shown = only_shown(await patient.press_data(cb.encode(cb.QuestionnaireChoiceButton("resume"))))
    assert "no unfinished questionnaire" in shown


async def test_spanish_and_chinese_say_the_translation_is_not_validated(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    for user_id, code, marker, words in (
        (3, "es", "no una versión validada", "Sí"),
        (4, "zh", "并非经过验证", "是"),
    ):
        patient = Patient(app, api, user_id=user_id, language_code=code)
        await patient.send("/start")
        await patient.send("/questionnaire")
        shown = only_shown(await patient.press("Roland-Morris"))
        assert marker in shown
        assert words in str(patient.latest_message()["reply_markup"])


async def test_export_has_the_answers_and_delete_erases_them(
    app: AcubotApp, patient: Patient
) -> None:
    await _peg(patient, [2, 3, 4])
    calls = await patient.send("/export")
    [document] = [c for c in calls if c.method == "sendDocument"]
    data = json.loads(document.contents["document"])
    assert [(r["instrument"], r["score"]) for r in data["questionnaires"]] == [("peg", "3.0")]
    assert [a["answer"] for a in data["questionnaire_answers"]] == [2, 3, 4]
    await patient.send("/delete")
    await patient.press("Yes, delete")
    assert await _rows(app, QuestionnaireRun) == 0
    assert await _rows(app, QuestionnaireAnswer) == 0


async def test_help_lists_questionnaire(patient: Patient) -> None:
    assert "/questionnaire" in only_shown(await patient.send("/help"))


_ = timedelta
