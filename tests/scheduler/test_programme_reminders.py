"""Reminders that follow a home programme, and the summary once its course is over."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import event, update

from bot.application import running
from bot.local_api import BotCall, InProcessBotAPI
from bot.settings import Settings
from handlers.context import AcubotApp
from scheduler import subscriptions
from scheduler.patient_days import complete_routine
from scheduler.reminder_message import programme_minutes
from storage import programmes as p
from storage import reminders, users
from storage.models import Subscription
from storage.reminders import COURSE_END_SLOT, StopReason
from storage.safety import set_pregnant
from tests.conftest import RecordingSleep, make_app
from tests.harness import FakeClock, Patient
from tests.reminders_support import dispatch, subscription_of

NEW_YORK = "America/New_York"
QUESTIONNAIRE = "📝"  # a questionnaire item's first line


def without_questionnaires(sent: list[BotCall]) -> list[BotCall]:
    """The reminders and summaries (the RMDQ that follows some is tested on its own)."""
    return [call for call in sent if not call.text.startswith(QUESTIONNAIRE)]


def questionnaires_sent(sent: list[BotCall]) -> list[str]:
    return [call.text for call in sent if call.text.startswith(QUESTIONNAIRE)]


MON_WED_FRI = p.weekday_mask([0, 2, 4])
MONDAY = date(2027, 3, 8)
SUNDAY_NOON = datetime(2027, 3, 7, 17, 0, tzinfo=UTC)
STEPS = (
    p.ProgrammeStep("BL23", 60),  # both sides, avoided in pregnancy
    p.ProgrammeStep("GV4", 45),  # one point on the midline, avoided in pregnancy
    p.ProgrammeStep("BL40", 90),  # both sides
    p.ProgrammeStep("ZZ99", 30),  # no longer in the catalogue
)


async def _enrol(
    app: AcubotApp, user_id: int = 1, *, course_weeks: int | None = 1, second: str | None = None
) -> p.Enrolment:
    services = app.bot_data
    now = services.now()
    async with services.sessions.begin() as session:
        await users.record_user_seen(
            session=session, user_id=user_id, chat_id=user_id, language_code="en", now=now
        )
        programme_id = await p.create_programme(
            session=session,
            spec=p.ProgrammeSpec(
                title="Lower back <first weeks>",
                practitioner_name="Dr Lin",
                steps=STEPS,
                schedule=p.Schedule.WEEKDAYS,
                weekdays=MON_WED_FRI,
                course_weeks=course_weeks,
                times_per_day=2 if second else 1,
            ),
            created_by=99,
            now=now,
        )
        times = [time(8, 0)] + ([time.fromisoformat(second)] if second else [])
        enrolment = await p.enrol(
            session=session,
            user_id=user_id,
            programme_id=programme_id,
            version=1,
            link_id=None,
            start_date=MONDAY,
            weekdays=MON_WED_FRI,
            times=times,
            now=now,
        )
        await subscriptions.subscribe(
            session=session,
            user_id=user_id,
            chat_id=user_id,
            local_time=time(8, 0),
            zone=NEW_YORK,
            routine="programme",
            now=now,
            weekdays=MON_WED_FRI,
            second_time=time.fromisoformat(second) if second else None,
            enrolment_id=enrolment.id,
        )
    return enrolment


async def _tick_at_next(app: AcubotApp, clock: FakeClock, user_id: int = 1) -> None:
    sub = await subscription_of(app, user_id)
    assert sub is not None and sub.next_due_at is not None
    clock.set(sub.next_due_at + timedelta(seconds=5))
    await dispatch(app)


async def _routine_done(app: AcubotApp, instant: datetime) -> None:
    async with app.bot_data.sessions.begin() as session:
        await complete_routine(session=session, user_id=1, clinic_timezone=NEW_YORK, now=instant)


def test_minutes_count_both_sides_and_skip_what_is_left_out(app: AcubotApp) -> None:
    catalogue = app.bot_data.catalogue
    # 60 x 2 + 45 + 90 x 2 = 345 s; the unknown point counts nothing.
    assert programme_minutes(catalogue, STEPS) == 6
    assert programme_minutes(catalogue, STEPS, pregnant=True) == 3  # BL40 only
    assert programme_minutes(catalogue, (p.ProgrammeStep("ZZ99", 30),)) == 1


async def test_the_reminder_names_the_programme_its_points_and_holds(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(SUNDAY_NOON)
    await _enrol(app, course_weeks=None)
    await _tick_at_next(app, clock)
    (reminder,) = without_questionnaires(api.sent(1))
    text = reminder.text
    assert "<b>Lower back &lt;first weeks&gt;</b> from Dr Lin, about 6 minutes:" in text
    assert "1. BL23 Kidney Shu — hold 60 s each side" in text
    assert "2. GV4 Gate of Life — hold 45 s\n" in text
    assert "3. BL40 Middle of the Crook — hold 90 s each side" in text
    assert "ZZ99" in text and "Not in my point guide any more" in text
    assert reminder.buttons[0]["text"] == "▶ Start guided routine"
    # The start button names the delivery; the routine handler follows the subscription's
    # routine, "programme".
    assert reminder.buttons[0]["callback_data"].startswith("rem:go:")
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.routine == "programme"


async def test_a_pregnant_patient_gets_the_programme_without_flagged_points(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(SUNDAY_NOON)
    await _enrol(app, course_weeks=None)
    async with app.bot_data.sessions.begin() as session:
        await set_pregnant(session=session, user_id=1, pregnant=True)
    await _tick_at_next(app, clock)
    text = without_questionnaires(api.sent(1))[0].text
    assert "about 3 minutes" in text
    assert "BL23 Kidney" not in text and "1. BL40 Middle of the Crook" in text
    assert "Left out for pregnancy (traditionally avoided): BL23 and GV4." in text


async def test_course_end_sends_one_summary_stops_and_finishes(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(SUNDAY_NOON)
    enrolment = await _enrol(app, course_weeks=1)
    for _ in range(3):  # Monday, Wednesday, Friday of the one week
        await _tick_at_next(app, clock)
    await _routine_done(app, datetime(2027, 3, 8, 14, 0, tzinfo=UTC))  # Monday
    await _routine_done(app, datetime(2027, 3, 12, 14, 0, tzinfo=UTC))  # Friday
    await _routine_done(app, datetime(2027, 3, 13, 14, 0, tzinfo=UTC))  # Saturday: off plan
    assert len(without_questionnaires(api.sent(1))) == 3
    # Next Monday's reminder would be after the course: the summary comes instead.
    await _tick_at_next(app, clock)
    assert clock() == datetime(2027, 3, 15, 12, 0, 5, tzinfo=UTC)
    summary = without_questionnaires(api.sent(1))[-1]
    assert "You have finished Lower back &lt;first weeks&gt;" in summary.text
    assert "You practised on 2 of the 3 planned days." in summary.text
    assert "book one with the button below" in summary.text
    assert [b["text"] for b in summary.buttons] == [
        "🔔 Keep my reminders",
        "📅 Book an appointment",
    ]
    assert summary.buttons[0]["callback_data"] == f"prog:keep:{enrolment.id}"
    assert summary.buttons[1]["url"] == "https://clinic.example.com/book"
    sub = await subscription_of(app, 1)
    assert sub is not None
    assert (sub.active, sub.stopped_reason, sub.next_due_at) == (
        False,
        StopReason.COURSE_END,
        None,
    )
    async with app.bot_data.sessions() as session:
        ended = await p.get_enrolment(session=session, enrolment_id=enrolment.id)
        row = await reminders.get_delivery_on(
            session=session, subscription_id=sub.id, local_date=date(2027, 3, 14)
        )
    assert ended is not None and ended.status is p.EnrolmentStatus.FINISHED
    assert row is None  # the summary's row is no reminder of that day
    # The course's RMDQ: half-way (a 1-week course from Monday: day 3, Thursday, so with
    # the first reminder from then on, Friday's) and with the summary, each once.
    # (Monday's reminder brings the weekly PEG: these reminders skip Sunday, the weekly day.)
    sent = [call.text for call in api.sent(1)]
    assert "PEG pain scale · 1 of 3" in sent[1]  # after Monday's reminder
    rmdq = [text for text in sent if "Roland-Morris back questionnaire · 1 of 24" in text]
    assert len(rmdq) == 2 and len(questionnaires_sent(api.sent(1))) == 3
    assert "Fri, March 12" in sent[3]
    assert "Roland-Morris" in sent[4]  # after Friday's reminder
    assert "Roland-Morris" in sent[-1]  # after the summary
    clock.advance(days=3)
    report = await dispatch(app)
    assert report.total == 0 and len(without_questionnaires(api.sent(1))) == 4
    assert len(questionnaires_sent(api.sent(1))) == 3


async def test_a_retried_tick_sends_no_second_summary(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(datetime(2027, 3, 14, 12, 0, tzinfo=UTC))  # the course's last day, a Sunday
    await _enrol(app, course_weeks=1)
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.next_due_at == datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    await _tick_at_next(app, clock)
    assert len(without_questionnaires(api.sent(1))) == 1
    assert len(questionnaires_sent(api.sent(1))) == 1  # the summary's RMDQ
    # As if the instance died after sending, before recording: due again and still active.
    async with app.bot_data.sessions.begin() as session:
        await session.execute(
            update(Subscription).values(
                active=True,
                stopped_reason=None,
                next_due_at=datetime(2027, 3, 15, 12, 0, tzinfo=UTC),
            )
        )
    report = await dispatch(app)
    assert report.sent == 0 and report.already_handled == 1
    assert len(without_questionnaires(api.sent(1))) == 1
    assert len(questionnaires_sent(api.sent(1))) == 1  # not asked again
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.next_due_at is None and not sub.active


async def test_keep_my_reminders_goes_back_to_the_clinic_routine_once(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock, patient: Patient
) -> None:
    clock.set(datetime(2027, 3, 14, 12, 0, tzinfo=UTC))
    await _enrol(app, course_weeks=1, second="19:30")
    await _tick_at_next(app, clock)  # Sunday 19:30 is not a practice day: Monday's summary
    assert "You have finished" in without_questionnaires(api.sent(1))[-1].text
    clock.advance(hours=1)
    calls = await patient.press("Keep my reminders")
    text = next(c.text for c in calls if c.method == "sendMessage")
    assert "every day at 8:00" in text and "7:30" in text and "clinic" in text.casefold()
    sub = await subscription_of(app, 1)
    assert sub is not None
    assert (sub.active, sub.routine, sub.weekdays, sub.enrolment_id) == (True, "clinic", 127, None)
    assert sub.times == (time(8, 0), time(19, 30))
    assert sub.next_due_at == datetime(2027, 3, 15, 23, 30, tzinfo=UTC)  # Monday 19:30 EDT
    again = await patient.press("Keep my reminders")
    assert "already kept" in next(c.text for c in again if c.method == "sendMessage")
    # The next reminder is the clinic's, on a Tuesday too.
    await _tick_at_next(app, clock)
    await _tick_at_next(app, clock)
    assert clock().date() == date(2027, 3, 16)
    assert "back care" in without_questionnaires(api.sent(1))[-1].text


async def test_keep_refuses_someone_elses_or_an_unfinished_course(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock, patient: Patient
) -> None:
    clock.set(SUNDAY_NOON)
    enrolment = await _enrol(app, course_weeks=2)
    await _tick_at_next(app, clock)
    for data in (f"prog:keep:{enrolment.id}", f"prog:keep:{enrolment.id + 1}", "prog:keep:x"):
        calls = await patient.press_data(data)
        (answer,) = [c for c in calls if c.method == "answerCallbackQuery"]
        assert answer.params.get("show_alert") and "no longer in use" in answer.params["text"]
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.routine == "programme" and sub.active


async def test_the_summary_points_to_book_without_a_booking_link(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    app.bot_data.dispatcher.booking_url = None
    clock.set(datetime(2027, 3, 14, 12, 0, tzinfo=UTC))
    await _enrol(app, course_weeks=1)
    await _tick_at_next(app, clock)
    summary = without_questionnaires(api.sent(1))[-1]
    assert "/book shows how to make an appointment" in summary.text
    assert [b["text"] for b in summary.buttons] == ["🔔 Keep my reminders"]
    assert COURSE_END_SLOT > 1


async def test_a_chunk_reads_its_programmes_in_one_query(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(SUNDAY_NOON)
    for user_id in range(1, 6):
        await _enrol(app, user_id, course_weeks=None)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = app.bot_data.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        clock.set(datetime(2027, 3, 8, 13, 0, 5, tzinfo=UTC))
        assert (await dispatch(app)).sent == 5
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if "programme_versions" in s]) == 1
    assert all(
        "Lower back" in without_questionnaires(api.sent(user_id))[0].text for user_id in range(1, 6)
    )


async def test_another_instance_follows_the_programme_and_ends_it_once(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    clock.set(SUNDAY_NOON)
    first_api, second_api = InProcessBotAPI(), InProcessBotAPI()
    async with (
        running(make_app(settings, first_api, clock, sleep)) as first,
        running(make_app(settings, second_api, clock, sleep)) as second,
    ):
        await _enrol(first, course_weeks=1)  # started on the first instance
        for _ in range(4):  # Mon, Wed, Fri, then the course end: both instances tick
            await _tick_at_next(second, clock)
            await dispatch(first)
        texts = [
            c.text
            for c in without_questionnaires(first_api.sent(1))
            + without_questionnaires(second_api.sent(1))
        ]
        assert len(texts) == 4
        assert sum("Lower back" in t and "from Dr Lin" in t for t in texts) == 3
        assert sum("You have finished" in t for t in texts) == 1
        assert all("Lower back" in c.text for c in without_questionnaires(second_api.sent(1))[:3])
