"""/prescribe and /programmes through the real Application: staff write a programme with
buttons and typed codes, go back, cancel, get a link and a QR code that decodes to it,
list programmes with their counts, and edit one into a new version."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from bot.local_api import BotCall, InProcessBotAPI
from handlers.context import AcubotApp
from scheduler import callback_data as cb
from scheduler.programme_codes import verify
from storage import programmes as p
from storage.models import PendingStep, Programme, ProgrammeLink, ProgrammeVersion
from storage.users import record_user_seen
from tests.conftest import ADMIN_ID
from tests.harness import FakeClock, Patient, only_shown, only_text, texts

MONDAY_NOON = datetime(2027, 6, 7, 17, 0, tzinfo=UTC)  # 12:00 in Chicago
LINK = re.compile(r"https://t\.me/acubot_offline_bot\?start=(p[A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def _noon(clock: FakeClock) -> None:
    clock.set(MONDAY_NOON)


@pytest.fixture
def staff(app: AcubotApp, api: InProcessBotAPI) -> Patient:
    return Patient(app, api, user_id=ADMIN_ID)


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def count(app: AcubotApp, model: Any) -> int:
    async with app.bot_data.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def photos(calls: list[BotCall]) -> list[BotCall]:
    return [call for call in calls if call.method == "sendPhoto"]


def decoded(api: InProcessBotAPI, call: BotCall) -> str:
    png = api.file_content(call)
    assert png is not None
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    return str(found.text)


async def to_points(staff: Patient, title: str = "Low back, first weeks") -> None:
    await staff.send("/prescribe")
    await staff.send(title)


async def to_schedule(staff: Patient) -> None:
    """A title and two points with their default holds and no notes."""
    await to_points(staff)
    await staff.send("BL23 KI3")
    await staff.press("Done")
    for _ in range(2):
        await staff.press("✓ 60 s")
        await staff.press("Skip: no note")


async def to_preview(staff: Patient, link: str = "One patient") -> None:
    await to_schedule(staff)
    await staff.press("Every day")
    await staff.press("Once a day")
    await staff.press("4 weeks")
    await staff.press("Skip: no note")
    await staff.press("Keep “Pat”")
    await staff.press(link)


async def test_the_whole_staff_flow_with_buttons_and_typed_codes(
    app: AcubotApp, staff: Patient, api: InProcessBotAPI
) -> None:
    first = only_text(await staff.send("/prescribe"))
    assert "New home programme" in first and labels(staff.latest_message()) == ["✖ Cancel"]
    points = only_text(await staff.send("Low back, first weeks"))
    assert "Points</b> (0 of at most 12)" in points
    assert "BL · Bladder meridian" in labels(staff.latest_message())
    # By meridian: BL, then its points; tap BL23.
    bladder = only_shown(await staff.press("BL · Bladder"))
    assert "BL23 Shènshū" in labels(staff.latest_message())
    assert "Points</b> (0 of" in bladder
    assert "1. <b>BL23</b>" in only_shown(await staff.press("BL23 Shènshū"))
    assert "✓ BL23 Shènshū" in labels(staff.latest_message())
    await staff.press("All meridians")
    # Typed codes, with names not in the catalogue listed back and the rest kept.
    typed = only_text(await staff.send("kidney 3, XX1 bladder 99 weizong"))
    assert "Added: KI3." in typed
    assert "Not in the point list: <code>XX1</code>, <code>bladder 99</code>" in typed
    assert "<code>weizong</code> (did you mean BL40?)" in typed
    assert "2. <b>KI3</b>" in typed
    # Holds: BL23 by button, KI3 typed; a note for BL23, none for KI3.
    hold = only_shown(await staff.press("Done: 2 points"))
    assert "Point 1 of 2:</b> <b>BL23</b>" in hold and "Now: 60 seconds" in hold
    assert "A note for the patient about <b>BL23</b>" in only_shown(await staff.press("90 s"))
    assert "Point 2 of 2:</b> <b>KI3</b>" in only_text(await staff.send("Warm your hands first."))
    assert "about <b>KI3</b>" in only_text(await staff.send("45"))
    schedule = only_shown(await staff.press("Skip: no note"))
    assert "Which days" in schedule
    # Mon, Wed, Fri; twice a day; 6 weeks; a note; the name kept; one patient.
    await staff.press("On chosen weekdays")
    for day in ("Mon", "Wed", "Fri"):
        await staff.press(day)
    assert {"✓ Mon", "✓ Wed", "✓ Fri", "Tue"} <= set(labels(staff.latest_message()))
    await staff.press("✅ Done")
    await staff.press("Twice a day")
    await staff.press("6 weeks")
    await staff.send("Little and often is better than a lot at once.")
    name = staff.latest_message()
    assert "Now: <b>Pat</b>" in name["text"]
    await staff.send("Dr. Lin, L.Ac.")
    preview_calls = await staff.press("One patient")
    card, control = texts(preview_calls)
    assert "Low back, first weeks" in card and "From Dr. Lin, L.Ac." in card
    assert "1. <b>BL23</b>" in card and "hold 90 seconds" in card and "Warm your hands" in card
    assert "2. <b>KI3</b>" in card and "hold 45 seconds" in card
    assert "Monday, Wednesday, and Friday" in card and "6 weeks" in card
    assert "Little and often" in card
    assert "for one patient, valid for 14 days from today" in control
    assert await count(app, Programme) == 0  # nothing before Confirm
    confirmed = await staff.press("Confirm")
    assert "✅ Saved “Low back, first weeks”: programme #1, version 1." in texts(confirmed)
    (photo,) = photos(confirmed)
    link = LINK.search(photo.text)
    assert link is not None
    assert decoded(api, photo) == link.group(0)
    # 14 days from now, in the clinic's zone, in words.
    assert "until June 21, 2027, 12:00\u202fPM (America/Chicago)" in photo.text
    services = app.bot_data
    code = verify(link.group(1), services.link_secret, MONDAY_NOON)
    assert code.single_use and code.expires_at == MONDAY_NOON + timedelta(days=14)
    async with services.sessions() as session:
        record = await p.get_version(session=session, programme_id=1)
        stored_link = await p.get_link(session=session, link_id=code.link_id)
    assert record is not None and stored_link is not None
    assert record.spec == p.ProgrammeSpec(
        title="Low back, first weeks",
        practitioner_name="Dr. Lin, L.Ac.",
        steps=(p.ProgrammeStep("BL23", 90, "Warm your hands first."), p.ProgrammeStep("KI3", 45)),
        schedule=p.Schedule.WEEKDAYS,
        weekdays=p.weekday_mask([0, 2, 4]),
        times_per_day=2,
        course_weeks=6,
        note="Little and often is better than a lot at once.",
    )
    assert record.created_by == ADMIN_ID
    assert stored_link.single_use and stored_link.programme_id == 1
    assert stored_link.expires_at == MONDAY_NOON + timedelta(days=14)
    assert await count(app, PendingStep) == 0


async def test_defaults_per_week_and_open_ended(app: AcubotApp, staff: Patient) -> None:
    await to_points(staff, "Knees")
    await staff.send("BL40 GV4")  # a technique of up to 30 s; no technique: 60 s
    hold = only_shown(await staff.press("Done"))
    assert "Now: 30 seconds" in hold and "✓ 30 s" in labels(staff.latest_message())
    await staff.press("✓ 30 s")
    await staff.press("Skip: no note")
    assert "Now: 60 seconds" in staff.latest_message()["text"]
    await staff.press("✓ 60 s")
    await staff.press("Skip: no note")
    await staff.press("A number of days a week")
    await staff.press("3")
    await staff.press("Once a day")
    await staff.press("Open-ended")
    await staff.press("Skip: no note")
    await staff.press("Keep “Pat”")
    card, _ = texts(await staff.press("Reusable"))
    assert "3 days a week" in card and "Open-ended" in card
    confirmed = await staff.press("Confirm")
    (photo,) = photos(confirmed)
    assert "A <b>reusable</b> link" in photo.text
    async with app.bot_data.sessions() as session:
        record = await p.get_version(session=session, programme_id=1)
        link = await p.get_link(session=session, link_id=1)
    assert record is not None and link is not None and not link.single_use
    spec = record.spec
    assert (spec.schedule, spec.days_per_week, spec.course_weeks, spec.practitioner_name) == (
        p.Schedule.PER_WEEK,
        3,
        None,
        "Pat",
    )
    assert [step.hold_seconds for step in spec.steps] == [30, 60]


async def test_back_at_every_step_returns_to_the_one_before(staff: Patient) -> None:
    await to_points(staff)
    assert "Type a short title" in only_shown(await staff.press("◀ Back"))
    assert "Keep “Low back, first weeks”" in labels(staff.latest_message())
    await staff.press("Keep “Low back")
    await staff.send("BL23 KI3")
    await staff.press("Done")
    assert "Points</b> (2 of" in only_shown(await staff.press("◀ Back"))  # hold 1 → points
    await staff.press("Done")
    await staff.press("90 s")
    assert "Point 1 of 2" in only_shown(await staff.press("◀ Back"))  # note → its hold
    assert "✓ 90 s" in labels(staff.latest_message())  # the answer given is kept
    await staff.press("90 s")
    await staff.press("Skip: no note")
    assert "about <b>BL23</b>" in only_shown(await staff.press("◀ Back"))  # hold 2 → note 1
    await staff.press("Skip: no note")
    await staff.press("✓ 60 s")
    await staff.press("Skip: no note")
    assert "about <b>KI3</b>" in only_shown(await staff.press("◀ Back"))  # schedule → last note
    await staff.press("Skip: no note")
    await staff.press("On chosen weekdays")
    assert "Which days" in only_shown(await staff.press("◀ Back"))
    await staff.press("On chosen weekdays")
    await staff.press("Tue")
    await staff.press("✅ Done")
    assert "Tap the days" in only_shown(await staff.press("◀ Back"))  # times → weekdays
    assert "✓ Tue" in labels(staff.latest_message())
    await staff.press("✅ Done")
    await staff.press("Once a day")
    assert "How many reminders" in only_shown(await staff.press("◀ Back"))
    await staff.press("Once a day")
    await staff.press("8 weeks")
    assert "How long is the course" in only_shown(await staff.press("◀ Back"))
    assert "✓ 8 weeks" in labels(staff.latest_message())
    await staff.press("8 weeks")
    await staff.send("A note.")
    assert "A note from you" in only_shown(await staff.press("◀ Back"))
    assert "Keep this note" in labels(staff.latest_message())
    await staff.press("Keep this note")
    await staff.press("Keep “Pat”")
    assert "Whose name" in only_shown(await staff.press("◀ Back"))
    await staff.press("Keep “Pat”")
    await staff.press("One patient")
    assert "Who is the link for" in only_text(await staff.press("◀ Back"))
    card, _ = texts(await staff.press("One patient"))
    assert "Every Tuesday" in card and "A note." in card and "hold 90 seconds" in card


async def test_an_old_back_button_is_refused(staff: Patient) -> None:
    await to_points(staff)
    points = staff.latest_message()
    await staff.send("BL23")
    reply = only_text(
        await staff.press_data(cb.encode(cb.PrescribeButton("back", "title")), points)
    )
    assert "belongs to an earlier step" in reply


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 4, 5, 6])
async def test_cancel_from_any_step_stores_nothing(
    app: AcubotApp, staff: Patient, steps: int
) -> None:
    script = [
        ("send", "Low back"),
        ("send", "BL23"),
        ("press", "Done"),
        ("press", "60 s"),
        ("press", "Skip: no note"),
        ("press", "Every day"),
    ]
    await staff.send("/prescribe")
    for kind, value in script[:steps]:
        await (staff.send(value) if kind == "send" else staff.press(value))
    cancelled = await staff.press("✖ Cancel")
    assert only_shown(cancelled) == "I stopped writing the programme. Nothing was saved."
    assert await count(app, Programme) == 0 and await count(app, PendingStep) == 0


async def test_cancel_command_and_another_command_stop_the_draft(
    app: AcubotApp, staff: Patient
) -> None:
    await to_points(staff)
    assert only_text(await staff.send("/cancel")) == (
        "I stopped writing the programme. Nothing was saved."
    )
    await to_points(staff)
    assert "I stopped writing the programme" in texts(await staff.send("/stats"))[0]
    assert await count(app, PendingStep) == 0


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("5", "A hold must be from 10 to 180 seconds"),
        ("181", "A hold must be from 10 to 180 seconds"),
        ("4 min", "A hold must be from 10 to 180 seconds"),
        ("a while", "I couldn't read that as a number."),
        ("٣٠", "I couldn't read that as a number."),
    ],
)
async def test_bad_holds_are_refused_clearly(staff: Patient, typed: str, said: str) -> None:
    await to_points(staff)
    await staff.send("BL23")
    await staff.press("Done")
    reply = only_text(await staff.send(typed))
    assert reply.startswith("⚠️") and said in reply and "Point 1 of 1" in reply
    assert "about <b>BL23</b>" in only_text(await staff.send("2 min"))


async def test_an_old_hold_button_cannot_set_another_points_hold(
    app: AcubotApp, staff: Patient
) -> None:
    await to_points(staff)
    await staff.send("BL23 KI3")
    await staff.press("Done")
    first_hold = staff.latest_message()
    await staff.send("45")  # BL23 typed: the buttons of its question stay on screen
    await staff.send("Gently.")
    forged = cb.encode(cb.PrescribeButton("hold", "120", 0))
    assert "earlier step" in only_text(await staff.press_data(forged, first_hold))
    assert "about <b>KI3</b>" in only_text(await staff.send("30"))


async def test_bad_titles_notes_names_and_courses(staff: Patient) -> None:
    await staff.send("/prescribe")
    assert "title of 1 to 64 characters" in only_text(await staff.send("x" * 65))
    assert "invisible control character" in only_text(await staff.send("Back\x00pain"))
    await staff.send("Low back")
    await staff.send("BL23")
    await staff.press("Done")
    await staff.press("60 s")
    assert "note of 1 to 500 characters" in only_text(await staff.send("n" * 501))
    await staff.press("Skip: no note")
    await staff.press("Every day")
    await staff.press("Once a day")
    assert "1 to 26 weeks" in only_text(await staff.send("27"))
    assert "couldn't read that" in only_text(await staff.send("six"))
    assert "A note from you" in only_text(await staff.send("26 weeks"))
    await staff.press("Skip: no note")
    assert "name of 1 to 64 characters" in only_text(await staff.send("n" * 65))


async def test_a_sticker_for_points_gets_a_hint(staff: Patient) -> None:
    await to_points(staff)
    reply = only_text(await staff.send_message(sticker={"file_id": "s1", "file_unique_id": "u1",
        "type": "regular", "width": 512, "height": 512, "is_animated": False,
        "is_video": False}))  # fmt: skip
    assert "Please type point codes such as BL23 KI3" in reply and "(0 of at most 12)" in reply


async def test_at_most_twelve_points(staff: Patient, app: AcubotApp) -> None:
    await to_points(staff)
    codes = [point.code for point in app.bot_data.catalogue.points]
    reply = only_text(await staff.send(" ".join(codes)))
    assert "Points</b> (12 of at most 12)" in reply
    assert f"Left out, as a programme has at most 12 points: {codes[12]}" in reply
    await staff.press("BL · Bladder")
    full = only_shown(await staff.press("BL62"))  # BL62 is the 13th: not added
    assert "A programme has at most 12 points." in full and "(12 of at most 12)" in full


async def test_non_staff_are_refused(app: AcubotApp, patient: Patient) -> None:
    for command in ("/prescribe", "/programmes"):
        assert only_text(await patient.send(command)) == "Sorry, that is only for clinic staff."
    await patient.send("/start")
    for data in (
        cb.encode(cb.PrescribeButton("confirm")),
        cb.encode(cb.ProgrammeButton("edit", 1)),
    ):
        calls = await patient.press_data(data)
        (alert,) = [c for c in calls if c.method == "answerCallbackQuery"]
        assert alert.params["text"] == "Sorry, that is only for clinic staff."
    assert await count(app, PendingStep) == 0


async def _users(app: AcubotApp, ids: list[int]) -> None:
    async with app.bot_data.sessions.begin() as session:
        for user_id in ids:
            await record_user_seen(
                session=session, user_id=user_id, chat_id=user_id, language_code="en",
                now=MONDAY_NOON,
            )  # fmt: skip


async def _enrol(app: AcubotApp, user_id: int, programme_id: int) -> p.Enrolment:
    async with app.bot_data.sessions.begin() as session:
        return await p.enrol(
            session=session, user_id=user_id, programme_id=programme_id, version=1,
            link_id=None, start_date=date(2027, 6, 7), weekdays=p.ALL_WEEKDAYS,
            times=[time(8, 0)], now=MONDAY_NOON,
        )  # fmt: skip


async def test_programmes_lists_newest_first_with_counts(
    app: AcubotApp, staff: Patient, clock: FakeClock
) -> None:
    assert "No programmes yet" in only_text(await staff.send("/programmes"))
    await to_preview(staff)
    await staff.press("Confirm")
    clock.advance(minutes=5)
    await to_preview(staff, "Reusable")
    await staff.press("Confirm")
    await _users(app, [1, 2, 3])
    await _enrol(app, 1, 1)
    await _enrol(app, 2, 1)
    await _enrol(app, 3, 2)
    await _enrol(app, 2, 2)  # patient 2 moved to programme 2: left programme 1
    listed = only_text(await staff.send("/programmes"))
    second, first = listed.index("#2 Low back"), listed.index("#1 Low back")
    assert second < first  # newest first
    assert "version 1 · Pat" in listed
    assert "2 patients started it · 1 follows it now" in listed  # programme 1
    assert "2 patients started it · 2 follow it now" in listed  # programme 2
    assert {"🔗 #1 New link", "✏️ #1 Edit", "🔗 #2 New link", "✏️ #2 Edit"} == set(
        labels(staff.latest_message())
    )


async def test_new_link_from_programmes(
    app: AcubotApp, staff: Patient, api: InProcessBotAPI
) -> None:
    await to_preview(staff)
    await staff.press("Confirm")
    await staff.send("/programmes")
    assert "Who is it for?" in only_text(await staff.press("#1 New link"))
    made = await staff.press("Reusable")
    (photo,) = photos(made)
    link = LINK.search(photo.text)
    assert link is not None and decoded(api, photo) == link.group(0)
    code = verify(link.group(1), app.bot_data.link_secret, MONDAY_NOON)
    assert code.link_id == 2 and not code.single_use
    assert await count(app, ProgrammeLink) == 2


async def test_edit_makes_version_2_and_version_1_stays(app: AcubotApp, staff: Patient) -> None:
    await to_preview(staff)
    await staff.press("Confirm")
    await staff.send("/programmes")
    title = only_text(await staff.press("#1 Edit"))
    assert "Editing programme #1" in title
    await staff.press("Keep “Low back")
    points = staff.latest_message()
    assert "1. <b>BL23</b>" in points["text"] and "2. <b>KI3</b>" in points["text"]
    await staff.press("BL · Bladder")
    await staff.press("✓ BL23")  # removes BL23
    await staff.send("GB30")
    await staff.press("Done")
    await staff.press("✓ 60 s")  # KI3 keeps its hold
    await staff.press("Skip: no note")
    await staff.press("90 s")  # GB30
    await staff.send("Lean into a tennis ball.")
    assert "✓ 📅 Every day" in labels(staff.latest_message())
    await staff.press("Every day")
    await staff.press("✓ ⏰ Once a day")
    await staff.press("✓ 4 weeks")
    await staff.press("Skip: no note")
    card, control = texts(await staff.press("Keep “Pat”"))  # no link question when editing
    assert "GB30" in card and "BL23" not in card and "new version" in control
    saved = await staff.press("Confirm")
    assert "programme #1, version 2." in texts(saved)[-1] and photos(saved) == []
    assert "🔗 New link" in labels(staff.latest_message())
    async with app.bot_data.sessions() as session:
        one = await p.get_version(session=session, programme_id=1, version=1)
        two = await p.get_version(session=session, programme_id=1)
    assert one is not None and two is not None
    assert [s.point for s in one.spec.steps] == ["BL23", "KI3"]
    assert [(s.point, s.hold_seconds) for s in two.spec.steps] == [("KI3", 60), ("GB30", 90)]
    assert two.version == 2 and two.current_version == 2
    assert await count(app, ProgrammeVersion) == 2
    assert "version 2 · Pat" in only_text(await staff.send("/programmes"))


async def test_a_second_confirm_stores_nothing_more(app: AcubotApp, staff: Patient) -> None:
    await to_preview(staff)
    preview = staff.message_with_button("Confirm")
    await staff.press("Confirm")
    again = await staff.press_data(cb.encode(cb.PrescribeButton("confirm")), preview)
    assert photos(again) == []
    assert await count(app, Programme) == 1 and await count(app, ProgrammeLink) == 1


async def test_a_spanish_staff_member_gets_every_step_and_the_caption_in_spanish(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    staff = Patient(app, api, user_id=ADMIN_ID, language_code="es")
    assert "Nuevo programa para casa" in only_text(await staff.send("/prescribe"))
    await staff.send("Zona lumbar")
    await staff.send("BL23 XX1")
    assert "No están en la lista de puntos: <code>XX1</code>" in staff.latest_message()["text"]
    await staff.press("Listo: 1 punto")
    refused = only_text(await staff.send("200"))
    assert refused.startswith("⚠️") and "de 10 a 180 segundos" in refused
    await staff.press("✓ 60 s")
    await staff.press("Omitir: sin nota")
    await staff.press("Todos los días")
    await staff.press("Una vez al día")
    await staff.press("6 semanas")
    await staff.press("Omitir: sin nota")
    await staff.press("Mantener «Pat»")
    card, control = texts(await staff.press("Reutilizable"))
    assert "De Pat" in card and "📅 Todos los días" in card
    assert "Eso es lo que verá el paciente." in control
    (photo,) = photos(await staff.press("Confirmar y guardar"))
    assert "Un enlace <b>reutilizable</b> para empezar «Zona lumbar»:" in photo.text
    assert "Se puede abrir hasta el 21 de junio de 2027" in photo.text
    assert LINK.search(photo.text) is not None
