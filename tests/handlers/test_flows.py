"""Waiting questions: they expire, a command stops them in one line, /cancel stops any.

Through the real Application: a patient's /remind and a staff member's
/broadcast, with the clock moved by hand past FLOW_TIMEOUT.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from bot.local_api import InProcessBotAPI
from bot.settings import Settings
from storage.models import Broadcast, PendingStep, Subscription
from storage.pending import PendingIndex
from tests.conftest import ADMIN_ID, make_settings, two_instances
from tests.harness import FakeClock, Patient, card, only_text, texts
from tests.reminders_support import en_time

NOON = datetime(2027, 6, 7, 17, 0, tzinfo=UTC)  # Monday 12:00 in Chicago
REMIND_STOPPED = "I stopped setting up your reminder. Nothing was changed."
BROADCAST_STOPPED = "I stopped composing your broadcast. Nothing was sent."


@pytest.fixture(autouse=True)
def _noon(clock: FakeClock) -> None:
    clock.set(NOON)


async def count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def pending_step(app, user_id: int = 1) -> str | None:  # type: ignore[no-untyped-def]
    async with app.bot_data.sessions() as session:
        return await session.scalar(select(PendingStep.step).where(PendingStep.user_id == user_id))


# -- lifetime -------------------------------------------------------------------


async def test_an_answer_within_the_timeout_is_an_answer(
    app, patient: Patient, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    clock.advance(minutes=29)
    assert f"Remind you every day at <b>{en_time('08:00')}</b>" in only_text(
        await patient.send("8:00")
    )


async def test_after_the_timeout_a_message_is_new(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    clock.advance(minutes=30, seconds=1)
    reply = only_text(await patient.send("8:00"))
    assert "/point UB40" in reply and "couldn't read" not in reply  # the hint, not the flow
    assert await count(app, PendingStep) == 0 and await count(app, Subscription) == 0
    # And a point's name is a point's name again.
    assert "BL40 · Wěizhōng" in card(await patient.send("weizhong"))


async def test_an_expired_flows_old_button_says_it_expired(
    app, patient: Patient, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    question = patient.message_with_button("8:00")
    clock.advance(hours=2)
    calls = await patient.press("8:00")
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "expired" in answer.params["text"] and "/remind" in answer.params["text"]
    # The expired question loses its buttons; nothing was subscribed.
    assert api.messages[(1, question["message_id"])]["reply_markup"] == {"inline_keyboard": []}
    assert await count(app, Subscription) == 0


async def test_an_expired_broadcast_draft_never_takes_a_later_message(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    admin = Patient(app, api, user_id=ADMIN_ID)
    await admin.send("/broadcast")
    clock.advance(days=3)
    reply = only_text(await admin.send("hi"))
    assert "Add a button" not in reply and "/point UB40" in reply
    assert await count(app, Broadcast) == 0


async def test_flow_timeout_is_a_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert make_settings(tmp_path / "a.sqlite3").flow_timeout == timedelta(minutes=30)
    assert make_settings(tmp_path / "a.sqlite3", flow_timeout="2h").flow_timeout == timedelta(
        hours=2
    )
    with pytest.raises(ValueError, match="longer than zero"):
        make_settings(tmp_path / "a.sqlite3", flow_timeout="0")


# -- commands stop the question ----------------------------------------------------


async def test_a_command_stops_the_question_in_one_line_then_answers(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    calls = await patient.send("/point ub40")
    sent = [c for c in calls if c.method in {"sendMessage", "sendPhoto"}]
    assert sent[0].text == REMIND_STOPPED
    assert "BL40 · Wěizhōng" in card(calls[1:])
    assert await count(app, PendingStep) == 0
    # The acceptance line after it: the point's name shows the card.
    assert "BL40 · Wěizhōng" in card(await patient.send("weizhong"))


@pytest.mark.parametrize(
    "command", ["/help", "/start", "/points", "/settings", "/progress", "/privacy", "/nonsense"]
)
async def test_every_command_stops_the_reminder_question(
    app, patient: Patient, command: str
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.send("8:00")  # waiting on Confirm
    calls = await patient.send(command)
    assert texts(calls)[0] == REMIND_STOPPED
    assert await pending_step(app) is None
    # The old Confirm button now says the question is gone.
    confirm = await patient.press("Confirm")
    [answer] = [c for c in confirm if c.method == "answerCallbackQuery"]
    assert "expired" in answer.params["text"]
    assert await count(app, Subscription) == 0


async def test_remind_again_restarts_without_a_notice(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.send("8:00")
    assert "What time should I remind you" in only_text(await patient.send("/remind"))
    assert await pending_step(app) == "time"


async def test_a_command_stops_a_broadcast_draft(app, api: InProcessBotAPI) -> None:  # type: ignore[no-untyped-def]
    admin = Patient(app, api, user_id=ADMIN_ID)
    await admin.send("/broadcast")
    await admin.send("Evening hours from Monday")
    calls = await admin.send("/stats")
    assert texts(calls)[0] == BROADCAST_STOPPED and "How the bot is used" in texts(calls)[1]
    assert await count(app, Broadcast) == 0 and await pending_step(app, ADMIN_ID) is None


# -- /cancel -----------------------------------------------------------------------


async def test_cancel_works_in_every_flow_and_says_when_there_was_nothing(
    app, patient: Patient, api: InProcessBotAPI
) -> None:  # type: ignore[no-untyped-def]
    assert only_text(await patient.send("/cancel")) == "There was nothing to cancel."
    for steps in ([], ["8:00"], ["8:00", "#zone"]):
        await patient.send("/remind")
        for step in steps:
            if step.startswith("#"):
                await patient.press("Change zone")
            else:
                await patient.send(step)
        assert only_text(await patient.send("/cancel")) == REMIND_STOPPED
        assert await pending_step(app) is None
    admin = Patient(app, api, user_id=ADMIN_ID)
    for typed in ([], ["Hello"], ["Hello", "#custom"]):
        await admin.send("/broadcast")
        for step in typed:
            if step == "#custom":
                await admin.press("A custom button")
            else:
                await admin.send(step)
        assert only_text(await admin.send("/cancel")) == BROADCAST_STOPPED
    assert await count(app, Broadcast) == 0


# -- a point's name while a question waits ------------------------------------------


async def test_a_point_name_at_the_time_question_asks_again_with_a_hint(
    app, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    reply = only_text(await patient.send("weizhong"))
    assert "acupressure point BL40" in reply and "/point BL40" in reply
    assert "What time should I remind you" in reply  # the question again
    assert "couldn't read" not in reply
    assert await pending_step(app) == "time"
    # The question still works.
    assert f"at <b>{en_time('07:30')}</b>" in only_text(await patient.send("7:30"))


async def test_a_point_name_at_the_zone_question_asks_again_with_a_hint(
    app, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.press("Change time zone")
    reply = only_text(await patient.send("kunlun"))
    assert "acupressure point BL60" in reply and "Which time zone" in reply
    assert await pending_step(app) == "zone"


async def test_a_point_name_at_confirm_asks_again(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    await patient.send("8:00")
    hint, question = texts(await patient.send("UB40"))
    assert "acupressure point BL40" in hint and en_time("08:00") in question
    assert await pending_step(app) == "confirm"


async def test_times_and_places_are_still_read_as_answers(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/remind")
    assert "New York (America/New_York)" in only_text(await patient.send("new york"))
    assert f"at <b>{en_time('19:30')}</b>" in only_text(await patient.send("7:30 pm"))


def test_settings_fixture_default(settings: Settings) -> None:
    assert settings.flow_timeout == timedelta(minutes=30)


# -- the pending-step index: no read for people with nothing waiting --------------


class Ticks:
    """A monotonic clock moved by hand (the index's refresh cadence)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def count_statements(app):  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def on_statement(_conn, _cursor, statement, *_: object) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(app.bot_data.engine.sync_engine, "before_cursor_execute", on_statement)
    return seen


async def test_a_command_from_someone_with_nothing_waiting_reads_nothing(
    app, api: InProcessBotAPI
) -> None:  # type: ignore[no-untyped-def]
    ticks = Ticks()
    app.bot_data.pending = PendingIndex(refresh_every=1.0, monotonic=ticks)
    first, second = Patient(app, api, user_id=1), Patient(app, api, user_id=2)
    await first.send("/point ub40")  # the first command reads every live step, once
    statements = count_statements(app)
    await second.send("/point ub40")
    await first.send("/point bl23")
    assert [s for s in statements if "pending_steps" in s] == []
    # Someone with a question waiting is still checked, and stopped.
    await first.send("/remind")
    calls = await first.send("/point ub40")
    assert texts(calls)[0] == REMIND_STOPPED
    assert await pending_step(app) is None


async def test_a_question_asked_by_another_instance_is_stopped_by_a_command_here(
    settings: Settings, clock: FakeClock, sleep
) -> None:  # type: ignore[no-untyped-def]
    ticks = Ticks()
    async with two_instances(settings, clock, sleep) as (on_a, on_b):
        on_b.app.bot_data.pending = PendingIndex(refresh_every=1.0, monotonic=ticks)
        await on_b.send("/point ub40")  # instance B has read the (empty) list of steps
        await on_a.send("/remind")  # asked on instance A
        ticks.now += 1.0  # B's next command reads the list again
        calls = await on_b.send("/point ub40")
        assert texts(calls)[0] == REMIND_STOPPED
        assert "BL40 · Wěizhōng" in card(calls[1:])
        assert await pending_step(on_a.app) is None
        # And an answer typed on B is read as an answer there without any refresh.
        await on_a.send("/remind")
        reply = only_text(await on_b.send("8:00"))
        assert f"Remind you every day at <b>{en_time('08:00')}</b>" in reply


async def test_a_step_older_than_the_timeout_is_not_kept_in_the_index(
    app, patient: Patient, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    app.bot_data.pending = PendingIndex(refresh_every=1.0, monotonic=Ticks())
    await patient.send("/remind")
    clock.advance(minutes=31)
    statements = count_statements(app)
    calls = await patient.send("/point ub40")
    assert REMIND_STOPPED not in texts(calls)
    assert [s for s in statements if "pending_steps" in s] == []
