"""Progress, check-ins, export and delete, end to end."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, or_, select

from bot.local_api import InProcessBotAPI
from content.i18n import translator
from scheduler import callback_data as cb
from scheduler import checkin_message
from storage.checkins import CheckInKind
from storage.models import Base, CheckIn, QuestionnaireRun, User
from storage.progress import ProgressData, Score, summarize
from tests.conftest import ADMIN_ID
from tests.harness import FakeClock, Patient, only_shown, only_text, pain_data, texts
from tests.reminders_support import dispatch, subscribe, subscribe_many

BEFORE_DST = datetime(2027, 3, 11, 14, 0, 5, tzinfo=UTC)  # Thursday 08:00:05 CST (UTC-6), Chicago


@pytest.fixture
def media(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def api(media: Path) -> InProcessBotAPI:
    return InProcessBotAPI(media_dir=media)


async def do_todays_reminder(app, patient: Patient, pain: int | None = None) -> None:  # type: ignore[no-untyped-def]
    assert (await dispatch(app)).sent == 1
    await patient.press("✅ Done")
    if pain is not None:
        await patient.press(str(pain))


async def test_streak_across_dst_and_a_zone_change(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(BEFORE_DST - timedelta(hours=2))
    await subscribe(app, 1, "08:00", "America/Chicago")
    for day in range(4):  # Thu, Fri, Sat, Sun 14 March (clocks spring forward)
        clock.set(
            BEFORE_DST + timedelta(days=day) - (timedelta(hours=1) if day == 3 else timedelta(0))
        )
        await do_todays_reminder(app, patient, pain=6 - day)
    # Sunday afternoon in Chicago she lands in Tokyo (Monday 05:00 there) and moves her reminder.
    clock.set(datetime(2027, 3, 14, 20, 0, tzinfo=UTC))
    await subscribe(app, 1, "08:00", "Asia/Tokyo")
    for day in range(2):  # 08:00 Tokyo on Monday 15 and Tuesday 16 March
        clock.set(datetime(2027, 3, 14, 23, 0, 5, tzinfo=UTC) + timedelta(days=day))
        await do_todays_reminder(app, patient, pain=2)
    calls = await patient.send("/progress")
    assert [c.method for c in calls] == ["sendMessage", "sendPhoto"]
    # Thursday 11 to Tuesday 16 March: six local days in a row, across both changes.
    assert "Current streak: <b>6 days</b>" in calls[0].text
    assert "Best streak: 6 days" in calls[0].text


def test_summary_counts_local_days() -> None:
    days = tuple(date(2027, 3, 10) + timedelta(days=n) for n in range(6))  # through a DST change
    summary = summarize(ProgressData(days, (), ()), today=date(2027, 3, 15))
    assert (summary.current_streak, summary.best_streak) == (6, 6)
    # Today not done yet: the streak still counts up to yesterday...
    summary = summarize(ProgressData(days, (), ()), today=date(2027, 3, 16))
    assert summary.current_streak == 6 and summary.done_last_7 == 6
    # ...and a whole missed day ends it.
    summary = summarize(ProgressData(days, (), ()), today=date(2027, 3, 17))
    assert (summary.current_streak, summary.best_streak, summary.done_last_7) == (0, 6, 5)
    pain = (Score(date(2027, 3, 1), 8), Score(date(2027, 3, 3), 6), Score(date(2027, 3, 16), 3))
    summary = summarize(ProgressData((), pain, ()), today=date(2027, 3, 16))
    assert summary.pain_first_week == 7.0 and summary.pain_this_week == 3.0


class LoopWatchdog:
    """Ticks every 5 ms and keeps the largest stall it saw.

    A stall is counted in CPU time of the event loop's thread between two
    ticks: code that holds the loop (drawing a chart on it, starting a
    process on it, a long garbage collection) shows up there; a busy machine
    descheduling the process does not, so the test does not depend on the
    machine's load.

    While it watches, what the test process holds so far is frozen
    (gc.freeze), as the long-running bot freezes what its start-up built
    (bot/application.py): a collection then walks what the update made, not
    the objects every earlier test in this process left behind, whose full
    collection alone can take longer than the threshold on a busy machine.
    """

    def __init__(self) -> None:
        self.longest_cpu = 0.0
        self.longest_wall = 0.0
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            cpu, wall = time.thread_time(), time.perf_counter()
            await asyncio.sleep(0.005)
            self.ticks += 1
            self.longest_cpu = max(self.longest_cpu, time.thread_time() - cpu)
            self.longest_wall = max(self.longest_wall, time.perf_counter() - wall)

    async def __aenter__(self) -> LoopWatchdog:
        gc.collect()
        gc.freeze()
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        gc.unfreeze()


async def test_progress_never_stalls_the_event_loop(
    app, patient: Patient, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(BEFORE_DST - timedelta(hours=2))
    await subscribe(app, 1, "08:00", "America/Chicago")
    for day in range(5):
        clock.set(BEFORE_DST + timedelta(days=day))
        await do_todays_reminder(app, patient, pain=7 - day)
    for attempt in ("first /progress: the chart worker starts", "second /progress"):
        async with LoopWatchdog() as watchdog:
            calls = await patient.send("/progress")
        assert [c.method for c in calls] == ["sendMessage", "sendPhoto"]
        assert watchdog.ticks > 0
        # Drawing the chart takes ~100 ms of CPU; none of it may be on the loop.
        assert watchdog.longest_cpu < 0.050, (attempt, watchdog.longest_cpu)


async def test_progress_sends_a_readable_chart_from_the_database(
    app, patient: Patient, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    assert "Nothing to show yet" in only_text(await patient.send("/progress"))
    clock.set(BEFORE_DST - timedelta(hours=2))
    await subscribe(app, 1, "08:00", "America/Chicago")
    for day in range(3):
        clock.set(BEFORE_DST + timedelta(days=day))
        await do_todays_reminder(app, patient, pain=7 - day)
    calls = await patient.send("/progress")
    text = calls[0].text if calls[0].method == "sendMessage" else ""
    assert "Current streak: <b>3 days</b>" in text
    assert "Back pain this week: 6.0/10" in text
    [photo] = [c for c in calls if c.method == "sendPhoto"]
    path = photo.files["photo"]
    assert path is not None and path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert 800 <= image.width <= 2000 and 500 <= image.height <= 2000
        assert image.width / image.height < 3


async def test_check_in_same_day_replaces(app, patient: Patient, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(BEFORE_DST - timedelta(hours=2))
    await subscribe(app, 1, "08:00", "America/Chicago")
    clock.set(BEFORE_DST)
    await do_todays_reminder(app, patient)
    question = patient.message_with_button("7")
    await patient.press("7")
    await patient.press_data(pain_data(question, 3), question)  # an old copy of the buttons
    async with app.bot_data.sessions() as session:
        assert (await session.execute(select(CheckIn.kind, CheckIn.score))).all() == [("pain", 3)]


async def test_weekly_peg_comes_with_sundays_reminder_instead_of_the_activity_question(
    app, patient: Patient, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    sunday_8am = datetime(2027, 6, 6, 13, 0, 5, tzinfo=UTC)
    clock.set(sunday_8am - timedelta(days=1, hours=1))
    await subscribe(app, 1, "08:00", "America/Chicago")
    clock.set(sunday_8am - timedelta(days=1))  # Saturday: no weekly questionnaire
    await dispatch(app)
    assert not any("PEG" in c.text for c in api.sent(1))
    clock.set(sunday_8am)
    await dispatch(app)
    reminder, peg = api.sent(1)[-2:]
    assert "Time for today's back care" in reminder.text
    assert "PEG pain scale · 1 of 3" in peg.text and "pain on average" in peg.text
    assert not any("Weekly question" in c.text for c in api.sent(1))  # the old one is gone
    for score in ("4", "6", "5"):
        shown = only_shown(await patient.press(score))
    assert "Your score: <b>5.0</b> out of 10" in shown
    async with app.bot_data.sessions() as session:
        runs = (
            await session.execute(select(QuestionnaireRun.reason, QuestionnaireRun.score))
        ).all()
    assert runs == [("weekly", "5.0")]

    # The old weekly activity question's buttons, still on patients' phones, keep
    # working as before, and their answers stay in the check-ins /progress shows.
    sunday = date(2027, 6, 6)
    await app.bot.send_message(
        1,
        checkin_message.question_text(translator("en"), CheckInKind.ACTIVITY),
        reply_markup=checkin_message.score_keyboard(CheckInKind.ACTIVITY, sunday),
    )
    question = patient.latest_message()

    def old(score: int) -> str:
        return cb.encode(cb.CheckInButton(CheckInKind.ACTIVITY, sunday, score))

    # Answered the same day: "for this week", never "for today" (issue 11.12).
    assert "noted 3/10 for this week" in only_shown(await patient.press_data(old(3), question))
    clock.advance(days=1)  # answered on Monday (an old copy of the buttons): that week still
    monday = await patient.press_data(old(4), question)
    assert f"noted 4/10 for the week up to {translator('en').day(sunday_8am)}" in only_shown(monday)
    assert "noted 5/10" in only_shown(await patient.press_data(old(5), question))  # replaces
    clock.advance(days=7)
    assert "That question was for" in only_shown(await patient.press_data(old(6), question))
    async with app.bot_data.sessions() as session:
        rows = (
            await session.execute(select(CheckIn.kind, CheckIn.local_date, CheckIn.score))
        ).all()
    assert rows == [("activity", date(2027, 6, 6), 5)]


async def make_history(app, api: InProcessBotAPI, clock: FakeClock, user_id: int) -> Patient:  # type: ignore[no-untyped-def]
    patient = Patient(app, api, user_id=user_id)
    await patient.send("/start")
    await subscribe(app, user_id, "08:00", "America/Chicago")
    return patient


async def test_export_has_exactly_my_rows(app, api: InProcessBotAPI, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(BEFORE_DST - timedelta(hours=2))
    me = await make_history(app, api, clock, 1)
    other = await make_history(app, api, clock, 2)
    clock.set(BEFORE_DST)
    assert (await dispatch(app)).sent == 2
    await me.press("✅ Done")
    await me.press("4")
    await other.press("✅ Done")
    await other.press("9")
    calls = await me.send("/export")
    [document] = [c for c in calls if c.method == "sendDocument"]
    data = json.loads(document.files["document"].read_bytes())
    assert data["profile"]["id"] == 1
    assert data["reminder"]["user_id"] == 1 and data["reminder"]["timezone"] == "America/Chicago"
    assert [d["user_id"] for d in data["reminders_sent"]] == [1]
    assert [(c["user_id"], c["score"]) for c in data["check_ins"]] == [(1, 4)]
    assert "9" not in json.dumps(data["check_ins"])
    assert "Everything this bot stores" in document.params["caption"]


async def test_delete_erases_every_row_and_nothing_is_sent_after(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(BEFORE_DST - timedelta(hours=2))
    me = await make_history(app, api, clock, 1)
    await make_history(app, api, clock, 2)
    clock.set(BEFORE_DST)
    await dispatch(app)
    await me.press("✅ Done")
    pain_message = me.message_with_button("10")
    await me.press("4")
    await me.send("/remind")  # leave a question pending too
    admin = Patient(app, api, user_id=ADMIN_ID)
    await admin.send("/broadcast")
    await admin.send("Hello")
    await admin.press("No button")
    await admin.press("Everyone")
    await admin.press("Confirm")
    await app.bot_data.sender.run()

    stopped, question = texts(await me.send("/delete"))
    assert stopped == "I stopped setting up your reminder. Nothing was changed."
    assert "cannot be undone" in question
    delete_message = me.message_with_button("Yes, delete")
    assert "Everything I stored about you is deleted" in only_text(await me.press("Yes, delete"))
    # Double tap on the same button: answered, nothing breaks.
    again = await me.press_data("priv:delete", delete_message)
    assert "nothing stored about you any more" in only_text(again)

    async with app.bot_data.sessions() as session:
        for table in Base.metadata.sorted_tables:
            columns = [
                column
                for column in table.columns
                if any(fk.column.table.name == "users" for fk in column.foreign_keys)
                or column.name in {"user_id", "admin_id", "chat_id", "progress_chat_id"}
                or (table.name == "users" and column.name == "id")
            ]
            if not columns:
                continue
            remaining = await session.scalar(
                select(func.count()).select_from(table).where(or_(*(c == 1 for c in columns)))
            )
            assert remaining == 0, f"{table.name} still has rows about the user"
        assert await session.scalar(select(func.count()).select_from(User)) == 1  # user 2 only

    # Old buttons, the dispatcher and new broadcasts leave them alone.
    calls = await me.press_data(
        pain_message["reply_markup"]["inline_keyboard"][0][3]["callback_data"], pain_message
    )
    assert "don't keep any data about you" in only_text(calls)
    sent_before = len(api.sent(1))
    clock.advance(days=1)
    await dispatch(app)
    await admin.send("/broadcast")
    await admin.send("Second hello")
    await admin.press("No button")
    await admin.press("Everyone")
    await admin.press("Confirm")
    await app.bot_data.sender.run()
    assert len(api.sent(1)) == sent_before
    assert "I don't have any data stored about you" in only_text(await me.send("/export"))
    assert "Nothing to show yet" in only_text(await me.send("/progress"))


async def test_privacy_explains_what_is_stored(patient: Patient) -> None:
    text = only_text(await patient.send("/privacy"))
    assert (
        "/export" in text
        and "/delete" in text
        and "does not keep the text of your messages" in text
    )


async def test_delete_can_be_declined(app, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/start")
    await patient.send("/delete")
    assert "Nothing was deleted" in only_text(await patient.press("Keep my data"))
    async with app.bot_data.sessions() as session:
        assert await session.get(User, 1) is not None


async def test_clinic_outcomes_in_stats(app, api: InProcessBotAPI, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(BEFORE_DST - timedelta(hours=2))
    patients = [Patient(app, api, user_id=u) for u in (1, 2, 3, 4, 5)]
    await subscribe_many(app, [1, 2, 3, 4, 5])
    admin = Patient(app, api, user_id=ADMIN_ID)
    for day in range(10):
        clock.set(BEFORE_DST + timedelta(days=day, hours=-1 if day >= 3 else 0))
        assert (await dispatch(app)).sent == 5
        for every_day in patients[:3]:
            await every_day.press("✅ Done")
            await every_day.press(str(8 - day // 3))  # 8 falling to 5
        if day % 2 == 0:
            for some_days in patients[3:]:
                await some_days.press("✅ Done")
        if day == 0:
            # One day, five patients: no figure is computed from enough of them yet
            # except the day's counts (five patients were reminded).
            early = only_text(await admin.send("/stats"))
            assert "Reminders today: 5 sent, 5 done" in early
    text = only_text(await admin.send("/stats"))
    # Days 3-9: 3x7 + 2x3 of 35 done; all 10 days: 3x10 + 2x5 of 50.
    assert "Reminders done: 77% over 7 days, 80% over 30 days" in text
    # Patients 1-3 each: first week 8,8,8,7,7,7,6 (7.3); latest week 7,7,7,6,6,6,5 (6.3):
    # three patients are fewer than five, so the change is not shown.
    assert "first week to latest week: not enough patients yet" in text
    assert "-1.0" not in text


async def test_stats_hide_figures_from_fewer_than_five_patients(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(BEFORE_DST - timedelta(hours=2))
    await subscribe_many(app, [1, 2, 3, 4])
    clock.set(BEFORE_DST)
    assert (await dispatch(app)).sent == 4
    await Patient(app, api, user_id=1).press("✅ Done")
    text = only_text(await Patient(app, api, user_id=ADMIN_ID).send("/stats"))
    assert "Reminders today: not enough patients yet" in text
    assert "Reminders in the last 7 days: not enough patients yet" in text
    assert "Reminders done: not enough patients yet over 7 days" in text
    assert "25%" not in text and "1 done" not in text
    assert "Active reminder subscribers: <b>4</b>" in text  # head counts stay


async def test_a_routine_without_a_reminder_counts_for_the_streak(
    app, patient: Patient, api: InProcessBotAPI
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/start")
    await patient.send("/routine")
    for step in (2, 3, 4):
        await patient.press(f"Next: step {step}")
    assert "Routine complete" in (await patient.press("Finish"))[1].text
    await patient.press("3")
    calls = await patient.send("/progress")
    assert "Current streak: <b>1 day</b>" in calls[0].text
    [document] = [c for c in await patient.send("/export") if c.method == "sendDocument"]
    data = json.loads(document.files["document"].read_bytes())
    assert len(data["routines_completed"]) == 1 and data["check_ins"][0]["score"] == 3
