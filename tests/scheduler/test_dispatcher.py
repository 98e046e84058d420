"""The dispatcher end to end: exactly one reminder per patient per local day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot.application import running
from bot.local_api import InProcessBotAPI
from bot.settings import Settings
from content.i18n import translator
from handlers.context import AcubotApp
from storage.models import Delivery, Subscription, User
from storage.reminders import DeliveryStatus, StopReason
from tests.conftest import RecordingSleep, make_app
from tests.harness import FakeClock, Patient
from tests.reminders_support import dispatch, subscribe, subscribe_many, subscription_of

CHICAGO_8AM_JUNE_1 = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)  # 08:00 CDT


def reminders_to(api: InProcessBotAPI, chat_id: int) -> list[str]:
    return [c.text for c in api.sent(chat_id) if "back care" in c.text or "snoozed" in c.text]


async def test_sends_at_local_time_once_a_day(app, api: InProcessBotAPI, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=2))
    sub = await subscribe(app, 7, "08:00", "America/Chicago")
    assert sub.next_due_at == CHICAGO_8AM_JUNE_1

    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(seconds=30))
    assert (await dispatch(app)).sent == 0
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=10))
    assert (await dispatch(app)).sent == 1
    assert (await dispatch(app)).sent == 0  # the same tick again sends nothing
    sent = api.sent(7)
    assert len(sent) == 1 and translator("en").day(CHICAGO_8AM_JUNE_1) in sent[0].text
    labels = [b["text"] for b in sent[0].buttons]
    assert labels == [
        "▶ Start guided routine", "✅ Done", "⏰ Snooze 30 min", "⏰ Snooze 1 h",
        "⏭ Skip today", "🔕 Stop reminders",
    ]  # fmt: skip
    assert (await subscription_of(app, 7)).next_due_at == CHICAGO_8AM_JUNE_1 + timedelta(days=1)
    clock.advance(days=1)
    assert (await dispatch(app)).sent == 1
    assert len(reminders_to(api, 7)) == 2


async def test_restart_mid_day_sends_no_second_reminder(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    first_api = InProcessBotAPI()
    async with running(make_app(settings, first_api, clock, sleep)) as first:
        await subscribe(first, 7)
        clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=5))
        assert (await dispatch(first)).sent == 1
        # As if the process died after writing today's delivery but before
        # moving the schedule on: the subscription looks due again.
        async with first.bot_data.sessions.begin() as session:
            await session.execute(update(Subscription).values(next_due_at=CHICAGO_8AM_JUNE_1))

    second_api = InProcessBotAPI()
    clock.advance(minutes=30)
    async with running(make_app(settings, second_api, clock, sleep)) as second:
        report = await dispatch(second)
        assert report.sent == 0 and report.already_handled == 1
        assert second_api.sent(7) == []
        assert (await subscription_of(second, 7)).next_due_at == CHICAGO_8AM_JUNE_1 + timedelta(
            days=1
        )


async def test_short_downtime_sends_late(app, api: InProcessBotAPI, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    await subscribe(app, 7)
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(hours=1))  # down from 07:00 to 09:00
    report = await dispatch(app)
    assert report.sent == 1 and report.missed == 0
    assert len(reminders_to(api, 7)) == 1


async def test_long_downtime_records_missed_and_sends_nothing(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    await subscribe(app, 7)
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(hours=5))
    report = await dispatch(app)
    assert report.sent == 0 and report.missed == 1
    assert reminders_to(api, 7) == []
    async with app.bot_data.sessions() as session:
        status = await session.scalar(select(Delivery.status))
    assert status == DeliveryStatus.MISSED
    assert (await subscription_of(app, 7)).next_due_at == CHICAGO_8AM_JUNE_1 + timedelta(days=1)


async def test_a_week_offline_records_one_missed_day(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    await subscribe(app, 7)
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(days=7, hours=1))  # 09:00 a week later
    report = await dispatch(app)
    # A week ago's is recorded missed; today's, due an hour ago, is within the
    # grace window and goes out in the same tick. Nothing for the days between.
    assert report.missed == 1 and report.sent == 1
    assert (await dispatch(app)).total == 0
    assert len(reminders_to(api, 7)) == 1


async def test_thousand_subscribers_due_in_the_same_minute(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    await subscribe_many(app, range(1000, 2000))
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=20))
    report = await dispatch(app)
    assert report.sent == 1000
    assert (await dispatch(app)).sent == 0
    per_chat: dict[int, int] = {}
    for call in api.sent():
        per_chat[call.chat_id] = per_chat.get(call.chat_id, 0) + 1
    assert per_chat == {user_id: 1 for user_id in range(1000, 2000)}


async def test_blocked_user_stops_getting_reminders_until_start(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    await subscribe(app, 7)
    await subscribe(app, 8)
    api.block(7)
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=5))
    report = await dispatch(app)
    assert report.blocked == 1 and report.sent == 1
    sub = await subscription_of(app, 7)
    assert sub.active is False and sub.stopped_reason == StopReason.BLOCKED
    async with app.bot_data.sessions() as session:
        assert (await session.get(User, 7)).blocked is True
    calls_to_7 = len(api.calls_to("sendMessage", 7))
    for _ in range(3):
        clock.advance(days=1)
        await dispatch(app)
    assert len(api.calls_to("sendMessage", 7)) == calls_to_7  # not even tried
    assert len(reminders_to(api, 8)) == 4

    api.rules.clear()  # they unblock the bot and say /start
    text = (await Patient(app, api, user_id=7).send("/start"))[-1].text
    assert "reminders are on again" in text
    clock.advance(days=1)
    assert (await dispatch(app)).sent == 2


async def test_retry_after_is_honoured(
    app, api: InProcessBotAPI, clock: FakeClock, sleep: RecordingSleep
) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    await subscribe(app, 7)
    api.fail(429, "Too Many Requests: retry after 3", method="sendMessage", retry_after=3)
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=5))
    report = await dispatch(app)
    assert report.sent == 1
    assert 3 in sleep.waits
    assert len(api.calls_to("sendMessage", 7)) == 2  # refused once, then delivered


async def test_a_bad_request_for_one_user_does_not_affect_the_next(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    for user_id in (7, 8, 9):
        await subscribe(app, user_id)
    api.fail(400, "Bad Request: chat not found", chat_id=8, times=None)
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=5))
    report = await dispatch(app)
    assert report.sent == 2 and report.failed == 1
    assert "chat not found" in report.errors[0].lower()
    async with app.bot_data.sessions() as session:
        statuses = dict((await session.execute(select(Delivery.user_id, Delivery.status))).all())
    assert statuses == {7: "sent", 8: "failed", 9: "sent"}
    # The failed one is not retried the same day, and still gets tomorrow's.
    clock.advance(days=1)
    api.rules.clear()
    assert (await dispatch(app)).sent == 3


async def test_migrated_chat_gets_its_new_id(app, api: InProcessBotAPI, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    await subscribe(app, 7)
    api.fail(400, "Bad Request: group chat was upgraded", chat_id=7, migrate_to_chat_id=-1007)
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=5))
    assert (await dispatch(app)).sent == 1
    assert len(api.sent(-1007)) == 1
    assert (await subscription_of(app, 7)).chat_id == -1007


async def test_spring_forward_gap_fires_once_at_the_first_valid_instant(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 3, 13, 20, 0, tzinfo=UTC))
    sub = await subscribe(app, 7, "02:30", "America/Chicago")
    gap_end = datetime(2027, 3, 14, 8, 0, tzinfo=UTC)  # 03:00 CDT: 02:30 does not exist
    assert sub.next_due_at == gap_end
    for minutes in range(0, 180, 15):
        clock.set(gap_end - timedelta(minutes=60) + timedelta(minutes=minutes))
        await dispatch(app)
    assert len(reminders_to(api, 7)) == 1
    assert (await subscription_of(app, 7)).next_due_at == datetime(2027, 3, 15, 7, 30, tzinfo=UTC)


async def test_fall_back_fold_fires_once_at_the_first_occurrence(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 11, 6, 20, 0, tzinfo=UTC))
    sub = await subscribe(app, 7, "01:30", "America/Chicago")
    assert sub.next_due_at == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)  # 01:30 CDT
    for minutes in range(0, 240, 15):  # through both 01:30s
        clock.set(datetime(2027, 11, 7, 6, 0, tzinfo=UTC) + timedelta(minutes=minutes))
        await dispatch(app)
    assert len(reminders_to(api, 7)) == 1
    assert (await subscription_of(app, 7)).next_due_at == datetime(2027, 11, 8, 7, 30, tzinfo=UTC)


async def test_rows_of_a_dead_instance_are_retaken_after_the_lease(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    await subscribe(app, 7)
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=5))
    # Another instance claimed the row and died before doing anything.
    async with app.bot_data.sessions.begin() as session:
        await session.execute(
            update(Subscription).values(
                lease_owner="dead:1", lease_until=clock() + timedelta(minutes=5)
            )
        )
    assert (await dispatch(app)).sent == 0  # leased: not ours to take
    clock.advance(minutes=6)
    assert (await dispatch(app)).sent == 1  # the lease ran out; sent 6 minutes late
    async with app.bot_data.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 1


async def test_send_interrupted_mid_flight_is_never_resent(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    sub = await subscribe(app, 7)
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=5))
    # A process wrote today's row, maybe sent, and died before recording it.
    async with app.bot_data.sessions.begin() as session:
        session.add(
            Delivery(
                subscription_id=sub.id, user_id=7, local_date=clock().date(),
                due_at=CHICAGO_8AM_JUNE_1, status=DeliveryStatus.SENDING, attempts=0,
            )
        )  # fmt: skip
    clock.advance(minutes=10)
    report = await dispatch(app)
    assert report.sent == 0 and report.interrupted == 1
    assert reminders_to(api, 7) == []


async def test_dispatcher_ignores_stopped_and_paused(
    app, api: InProcessBotAPI, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    await subscribe(app, 7)
    await subscribe(app, 8)
    patient7, patient8 = Patient(app, api, 7), Patient(app, api, 8)
    await patient7.send("/stop")
    await patient8.send("/pause 2")  # until 07:00 on June 3
    clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=5))
    for _ in range(3):  # June 1, 2 and 3 at 08:00
        await dispatch(app)
        clock.advance(days=1)
    assert reminders_to(api, 7) == []
    assert len(reminders_to(api, 8)) == 1  # the third day, after two days of pause


class SlowTelegram(InProcessBotAPI):
    """Each sendMessage takes a second of the fake clock; notes the lease at that moment."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.app: AcubotApp | None = None
        self.leases: list[tuple[datetime, datetime | None]] = []  # (now, lease_until)

    async def do_request(self, url, method, request_data=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        if url.endswith("/sendMessage") and self.app is not None and request_data is not None:
            chat_id = int(request_data.parameters["chat_id"])
            async with self.app.bot_data.sessions() as session:
                lease = await session.scalar(
                    select(Subscription.lease_until).where(Subscription.chat_id == chat_id)
                )
            self.leases.append((self.clock(), lease))
            self.clock.advance(seconds=1)
        return await super().do_request(url, method, request_data, *args, **kwargs)


async def test_a_long_tick_leases_each_batch_from_the_time_it_is_claimed(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    # 450 reminders at a second each: batches of 200 are claimed 0, 200 and 400 s into
    # the tick. A lease counted from the tick's start (CLAIM_LEASE, 5 minutes) would
    # have run out before the third, and another instance could take its rows.
    clock.set(CHICAGO_8AM_JUNE_1 - timedelta(hours=1))
    telegram = SlowTelegram(clock)
    async with running(make_app(settings, telegram, clock, sleep)) as app:
        telegram.app = app
        await subscribe_many(app, range(1000, 1450))
        clock.set(CHICAGO_8AM_JUNE_1 + timedelta(seconds=5))
        report = await dispatch(app)
    assert report.sent == 450
    assert len(telegram.leases) == 450
    assert all(lease is not None and lease > now for now, lease in telegram.leases)
