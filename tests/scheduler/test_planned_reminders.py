"""Reminders on chosen weekdays and twice a day: one delivery row per day and time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from scheduler import subscriptions
from scheduler.patient_days import complete_routine
from storage import users
from storage.models import Delivery
from storage.reminders import DeliveryStatus
from tests.harness import FakeClock
from tests.reminders_support import dispatch, subscription_of

NEW_YORK = "America/New_York"
MON_WED_FRI = 0b10101
# Sunday 2027-03-07, noon in New York; clocks spring forward on Sunday 2027-03-14.
SUNDAY_NOON = datetime(2027, 3, 7, 17, 0, tzinfo=UTC)


async def _subscribe(
    app: AcubotApp,
    user_id: int,
    *,
    at: str = "08:00",
    second: str | None = None,
    weekdays: int = 127,
) -> datetime:
    services = app.bot_data
    now = services.now()
    async with services.sessions.begin() as session:
        await users.record_user_seen(
            session=session, user_id=user_id, chat_id=user_id, language_code="en", now=now
        )
        return await subscriptions.subscribe(
            session=session,
            user_id=user_id,
            chat_id=user_id,
            local_time=time.fromisoformat(at),
            zone=NEW_YORK,
            routine="clinic",
            now=now,
            weekdays=weekdays,
            second_time=time.fromisoformat(second) if second else None,
        )


async def _rows(app: AcubotApp) -> list[tuple[date, int, str]]:
    async with app.bot_data.sessions() as session:
        rows = await session.execute(
            select(Delivery.local_date, Delivery.slot, Delivery.status).order_by(
                Delivery.local_date, Delivery.slot
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def _run_until(app: AcubotApp, clock: FakeClock, end: datetime) -> None:
    """Ticks at every due time until `end`, as the repeating job would."""
    while True:
        sub = await subscription_of(app, 1)
        assert sub is not None
        if sub.next_due_at is None or sub.next_due_at > end:
            return
        clock.set(sub.next_due_at + timedelta(seconds=5))
        await dispatch(app)


async def test_mon_wed_fri_only_across_a_dst_change(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(SUNDAY_NOON)
    first = await _subscribe(app, 1, weekdays=MON_WED_FRI)
    assert first == datetime(2027, 3, 8, 13, 0, tzinfo=UTC)  # Monday 08:00 EST
    await _run_until(app, clock, SUNDAY_NOON + timedelta(days=14))
    rows = await _rows(app)
    assert [day for day, _, _ in rows] == [date(2027, 3, d) for d in (8, 10, 12, 15, 17, 19)]
    assert {status for _, _, status in rows} == {DeliveryStatus.SENT}
    sent = [c for c in api.sent(1) if "back care" in c.text]
    assert len(sent) == 6
    # 08:00 local before and after the change: 13:00 UTC, then 12:00 UTC.
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.next_due_at == datetime(2027, 3, 22, 12, 0, tzinfo=UTC)


async def test_two_times_a_day_send_two_reminders_each_day(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(SUNDAY_NOON)
    first = await _subscribe(app, 1, at="19:30", second="08:00")
    assert first == datetime(2027, 3, 8, 0, 30, tzinfo=UTC)  # Sunday 19:30 EST
    await _run_until(app, clock, SUNDAY_NOON + timedelta(days=2))
    assert await _rows(app) == [
        (date(2027, 3, 7), 1, DeliveryStatus.SENT),
        (date(2027, 3, 8), 0, DeliveryStatus.SENT),
        (date(2027, 3, 8), 1, DeliveryStatus.SENT),
        (date(2027, 3, 9), 0, DeliveryStatus.SENT),
    ]
    assert len([c for c in api.sent(1) if "back care" in c.text]) == 4


async def test_a_second_tick_sends_neither_slot_again(app: AcubotApp, clock: FakeClock) -> None:
    clock.set(SUNDAY_NOON)
    await _subscribe(app, 1, at="08:00", second="19:30")
    clock.set(datetime(2027, 3, 8, 0, 30, 5, tzinfo=UTC))
    assert (await dispatch(app)).sent == 1
    assert (await dispatch(app)).sent == 0
    # Re-subscribing at the same times does not announce the slot already sent.
    again = await _subscribe(app, 1, at="08:00", second="19:30")
    assert again == datetime(2027, 3, 8, 13, 0, tzinfo=UTC)


async def test_routine_done_before_a_slot_makes_that_slot_not_needed(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(datetime(2027, 3, 8, 11, 0, tzinfo=UTC))  # Monday 06:00 EST
    await _subscribe(app, 1, at="08:00", second="19:30")

    async def routine_at(instant: datetime) -> None:
        clock.set(instant)
        async with app.bot_data.sessions.begin() as session:
            await complete_routine(
                session=session, user_id=1, clinic_timezone=NEW_YORK, now=instant
            )

    # Done at 07:00, before the morning reminder: the morning one is not needed...
    await routine_at(datetime(2027, 3, 8, 12, 0, tzinfo=UTC))
    clock.set(datetime(2027, 3, 8, 13, 0, 5, tzinfo=UTC))
    report = await dispatch(app)
    assert report.sent == 0 and report.already_handled == 1
    # ...the evening one still comes, and doing the routine after it marks it done.
    clock.set(datetime(2027, 3, 9, 0, 30, 5, tzinfo=UTC))
    assert (await dispatch(app)).sent == 1
    await routine_at(datetime(2027, 3, 9, 1, 0, tzinfo=UTC))
    async with app.bot_data.sessions() as session:
        rows = (
            await session.execute(
                select(Delivery.slot, Delivery.status, Delivery.done_at.is_not(None)).order_by(
                    Delivery.slot
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (0, DeliveryStatus.NOT_NEEDED, True),
        (1, DeliveryStatus.SENT, True),
    ]


async def test_routine_after_the_morning_reminder_answers_it_not_the_evening_one(
    app: AcubotApp, clock: FakeClock
) -> None:
    clock.set(datetime(2027, 3, 8, 11, 0, tzinfo=UTC))
    await _subscribe(app, 1, at="08:00", second="19:30")
    clock.set(datetime(2027, 3, 8, 13, 0, 5, tzinfo=UTC))
    assert (await dispatch(app)).sent == 1
    now = datetime(2027, 3, 8, 13, 20, tzinfo=UTC)
    async with app.bot_data.sessions.begin() as session:
        await complete_routine(session=session, user_id=1, clinic_timezone=NEW_YORK, now=now)
    # The evening reminder still comes.
    clock.set(datetime(2027, 3, 9, 0, 30, 5, tzinfo=UTC))
    assert (await dispatch(app)).sent == 1
    rows = await _rows(app)
    assert [(slot, status) for _, slot, status in rows] == [
        (0, DeliveryStatus.SENT),
        (1, DeliveryStatus.SENT),
    ]


async def test_paused_twice_daily_resumes_at_the_next_chosen_time(
    app: AcubotApp, clock: FakeClock
) -> None:
    clock.set(SUNDAY_NOON)
    await _subscribe(app, 1, at="08:00", second="19:30", weekdays=MON_WED_FRI)
    sub = await subscription_of(app, 1)
    assert sub is not None and sub.times == (time(8), time(19, 30))
    async with app.bot_data.sessions.begin() as session:
        resumes = await subscriptions.pause(session=session, subscription=sub, days=2, now=clock())
    # Paused until Tuesday noon: next is Wednesday 08:00 EST.
    assert resumes == datetime(2027, 3, 10, 13, 0, tzinfo=UTC)
