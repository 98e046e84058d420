"""/report end to end: the buttons, the PDF sent as a document, and what has no data or is forged."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import thread_time

from pypdf import PdfReader

from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from storage import users
from storage.checkins import CheckInKind, record_checkin
from storage.progress import record_routine_day
from storage.safety import record_adverse_event
from tests.handlers.test_progress_privacy import LoopWatchdog
from tests.harness import FakeClock, Patient, only_text

NOW = datetime(2027, 3, 19, 17, 0, tzinfo=UTC)  # Friday 12:00 in Chicago
TODAY = date(2027, 3, 19)
DAY = timedelta(days=1)


async def store_practice(app: AcubotApp, user_id: int = 1) -> None:
    """Five routine days, three pain answers and one sore report in the last weeks."""
    async with app.bot_data.sessions.begin() as session:
        await users.record_user_seen(
            session=session, user_id=user_id, chat_id=user_id, language_code="en", now=NOW
        )
        for n in (1, 2, 4, 8, 10):
            await record_routine_day(
                session=session, user_id=user_id, local_date=TODAY - n * DAY, now=NOW
            )
        for n, score in ((10, 8), (4, 6), (1, 3)):
            await record_checkin(
                session=session,
                user_id=user_id,
                kind=CheckInKind.PAIN,
                score=score,
                local_date=TODAY - n * DAY,
                now=NOW - n * DAY,
            )
        await record_adverse_event(
            session=session,
            user_id=user_id,
            routine="lower_back",
            now=datetime.combine(TODAY - 4 * DAY, time(12), UTC),
        )


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


async def test_the_patient_gets_a_pdf_with_their_figures(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    clock.set(NOW)
    await store_practice(app)
    calls = await patient.send("/report")
    assert "Which period?" in only_text(calls)
    assert [b["text"] for b in calls[0].buttons] == ["Last 4 weeks", "Last 6 weeks"]
    calls = await patient.press("Last 4 weeks")
    documents = [c for c in calls if c.method == "sendDocument"]
    assert len(documents) == 1
    document = documents[0]
    assert document.chat_id == 1
    assert "Your home care summary, Feb 20, 2027 – Mar 19, 2027" in document.text
    text = pdf_text(document.contents["document"])
    for expected in (
        "River Forest Health & Wellness",
        "No home programme",
        "No practice days were set",
        "Days with the routine done: 5",
        "3 answers. First 8 (Mar 9, 2027), latest 3 (Mar 18, 2027), average 5.7",
        "Reported on: Mar 15, 2027",
        "General information, not a diagnosis",
    ):
        assert expected in text, expected


async def test_the_file_is_saved_under_the_days_name(
    app: AcubotApp, api: InProcessBotAPI, patient: Patient, clock: FakeClock, tmp_path: Path
) -> None:
    """As `acubot chat` saves it (bot/chat.py prints the path): acubot-report-<day>.pdf."""
    api.media_dir = tmp_path
    clock.set(NOW)
    await store_practice(app)
    await patient.send("/report")
    await patient.press("Last 6 weeks")
    (document,) = api.calls_to("sendDocument", chat_id=1)
    assert "Feb 6, 2027 – Mar 19, 2027" in document.text  # six weeks: 42 days
    saved = document.files["document"]
    assert saved is not None and saved.name.endswith("-acubot-report-2027-03-19.pdf")
    assert saved.read_bytes() == document.contents["document"]


async def test_a_spanish_patient_gets_a_spanish_pdf(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(NOW)
    await store_practice(app, user_id=5)
    patient = Patient(app, api, user_id=5, language_code="es")
    await patient.send("/report")
    calls = await patient.press("Últimas 4 semanas")
    (document,) = [c for c in calls if c.method == "sendDocument"]
    text = pdf_text(document.contents["document"]).replace("\xa0", " ")
    assert "Resumen de cuidados en casa" in text
    assert "media 5,7" in text
    assert "Información general, no un diagnóstico" in text


async def test_nothing_recorded_gets_a_message_not_an_empty_pdf(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    clock.set(NOW)
    await patient.send("/report")
    calls = await patient.press("Last 4 weeks")
    assert not [c for c in calls if c.method == "sendDocument"]
    assert "Nothing recorded in the last 4 weeks yet" in only_text(calls)


async def test_a_forged_button_is_refused(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    clock.set(NOW)
    await store_practice(app)
    await patient.send("/report")
    for forged in ("rpt:5", "rpt:04", "rpt:4:1", "rpt:", "rpt:٤"):
        calls = await patient.press_data(forged)
        assert not [c for c in calls if c.method == "sendDocument"], forged
        (answer,) = [c for c in calls if c.method == "answerCallbackQuery"]
        assert answer.params["text"] == "This button no longer applies. Send /report.", forged
        assert answer.params["show_alert"] is True, forged


async def test_after_delete_the_old_button_makes_no_report(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    clock.set(NOW)
    await store_practice(app)
    await patient.send("/report")
    menu = patient.message_with_button("Last 6 weeks")
    await patient.send("/delete")
    await patient.press("Yes, delete")
    calls = await patient.press_data("rpt:6", menu)
    assert not [c for c in calls if c.method == "sendDocument"]
    assert "Nothing recorded in the last 6 weeks yet" in only_text(calls)


class TickingWatchdog(LoopWatchdog):
    """The /progress test's watchdog, and a way to wait for its next measurement."""

    async def _run(self) -> None:
        self._ticked = asyncio.Event()
        while True:
            cpu = thread_time()
            await asyncio.sleep(0.005)
            self.ticks += 1
            self.longest_cpu = max(self.longest_cpu, thread_time() - cpu)
            self._ticked.set()
            self._ticked = asyncio.Event()

    async def next_tick(self) -> None:
        await self._ticked.wait()


async def test_the_report_never_stalls_the_event_loop(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    """The chart and the page (~150 ms of CPU) are drawn in the worker process."""
    clock.set(NOW)
    await store_practice(app)
    await patient.send("/report")
    for attempt in ("first: the worker starts", "second"):
        async with TickingWatchdog() as watchdog:
            calls = await patient.press("Last 4 weeks")
            # Let the watchdog take one more tick: a stall just before the document
            # went out would otherwise end unmeasured when the watch is cancelled.
            await watchdog.next_tick()
        assert [c.method for c in calls if c.method.startswith("send")] == ["sendDocument"]
        assert watchdog.ticks > 0
        assert watchdog.longest_cpu < 0.050, (attempt, watchdog.longest_cpu)


async def _answer_peg(patient: Patient, scores: tuple[int, int, int]) -> None:
    await patient.send("/questionnaire")
    await patient.press("PEG")
    for score in scores:
        message = patient.latest_message()
        (data,) = [
            button["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for button in row
            if button["text"] == str(score)
        ]
        await patient.press_data(data)


async def test_the_pdf_has_the_questionnaire_scores_the_patient_gave(
    app: AcubotApp, patient: Patient, clock: FakeClock
) -> None:
    """PEG answered in the chat two weeks apart: both scores, dated, in the patient's PDF."""
    clock.set(NOW - 14 * DAY)
    await patient.send("/start")
    await _answer_peg(patient, (7, 8, 8))  # 7.7
    clock.set(NOW)
    await _answer_peg(patient, (6, 7, 5))  # 6.0
    await patient.send("/report")
    calls = await patient.press("Last 4 weeks")
    (document,) = [c for c in calls if c.method == "sendDocument"]
    text = pdf_text(document.contents["document"])
    assert "PEG (pain, enjoyment of life, general activity; 0–10, mean of 3)" in text
    assert "7.7 (Mar 5, 2027) and 6.0 (Mar 19, 2027)" in text, text
