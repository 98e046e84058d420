"""Visit reminders after a crash or downtime: never twice, never a lost one that was not started.

A long send keeps its lease, so no other instance takes the reminder meanwhile.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import running
from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from storage import users, visits
from storage.models import VisitReminder
from tests.conftest import RecordingSleep, make_app, make_settings
from tests.harness import FakeClock
from tests.reminders_support import dispatch

NOW = datetime(2027, 6, 1, 23, 0, tzinfo=UTC)  # 18:00 CDT


async def _visit(app: AcubotApp, user_id: int, *, due: datetime) -> int:
    services = app.bot_data
    async with services.sessions.begin() as session:
        await users.record_user_seen(
            session=session, user_id=user_id, chat_id=user_id, language_code="en", now=NOW
        )
        visit = await visits.create_visit(
            session=session,
            user_id=user_id,
            starts_at=NOW + timedelta(hours=20),
            zone="America/Chicago",
            entered_by=user_id,
            patient_name="Pat",
            reminders=[("day_before", due)],
            now=NOW - timedelta(days=3),
        )
    return visit.id


async def _statuses(app: AcubotApp) -> dict[int, str]:
    async with app.bot_data.sessions() as session:
        rows = await session.execute(select(VisitReminder.visit_id, VisitReminder.status))
        return {visit_id: status for visit_id, status in rows}


async def test_a_dead_instances_claims_are_retaken_and_its_sends_never_repeated(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(NOW)
    unstarted = await _visit(app, 1, due=NOW - timedelta(minutes=1))
    started = await _visit(app, 2, due=NOW - timedelta(minutes=1))
    async with app.bot_data.sessions.begin() as session:
        claimed = await visits.claim_due_visit_reminders(
            session=session, now=NOW, lease_until=NOW + timedelta(seconds=20), owner="dead", limit=5
        )
        assert len(claimed) == 2
        mine = next(due for due in claimed if due.visit.id == started)
        assert await visits.mark_visit_reminder_sending(
            session=session, reminder_id=mine.id, owner="dead"
        )
    # While the dead instance's lease lasts, nobody touches its rows.
    report = await dispatch(app)
    assert report.visits is not None and report.visits.sent == 0
    # After it: the unstarted one is sent once, the started one is recorded, not resent.
    clock.advance(seconds=30)
    report = await dispatch(app)
    assert report.visits is not None
    assert report.visits.interrupted == 1 and report.visits.sent == 1
    assert [c.chat_id for c in api.sent() if "A reminder" in c.text] == [1]
    assert await _statuses(app) == {unstarted: "sent", started: "interrupted"}
    clock.advance(minutes=5)
    await dispatch(app)
    assert [c.chat_id for c in api.sent() if "A reminder" in c.text] == [1]


async def test_after_long_downtime_an_old_reminder_is_recorded_missed_not_sent(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    clock.set(NOW)
    late = await _visit(app, 1, due=NOW - timedelta(hours=1))  # within REMINDER_GRACE (2 h)
    old = await _visit(app, 2, due=NOW - timedelta(hours=3))
    report = await dispatch(app)
    assert report.visits is not None and report.visits.sent == 1 and report.visits.missed == 1
    assert await _statuses(app) == {late: "sent", old: "missed"}
    assert [c.chat_id for c in api.sent()] == [1]


class StalledTelegram(InProcessBotAPI):
    """A sendMessage stalls a minute of the fake clock (a flood-control pause, say), far
    past the lease, and answers only once the reminder's lease in the database has been
    renewed past that minute (by the sender's background renewal, on real time)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.sessions: async_sessionmaker[AsyncSession] | None = None
        self.stalled_until: datetime | None = None
        self.lease_seen: datetime | None = None

    async def do_request(self, url, method, request_data=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        if url.endswith("/sendMessage") and self.sessions is not None:
            self.clock.advance(minutes=1)
            self.stalled_until = self.clock()
            loop = asyncio.get_running_loop()
            give_up = loop.time() + 10
            while loop.time() < give_up:
                async with self.sessions() as session:
                    self.lease_seen = await session.scalar(
                        select(func.max(VisitReminder.lease_until))
                    )
                if self.lease_seen is not None and self.lease_seen > self.stalled_until:
                    break
                await asyncio.sleep(0.01)  # the renewal runs every 0.1 s of real time
        return await super().do_request(url, method, request_data, *args, **kwargs)


async def test_a_long_visit_send_keeps_its_lease(
    database_url: str, clock: FakeClock, sleep: RecordingSleep
) -> None:
    # The renewal runs on real time, every third of the lease: a short lease keeps
    # the test quick. The stall and the leases are on the fake clock.
    settings = make_settings(database_url, claim_lease=timedelta(milliseconds=300))
    telegram = StalledTelegram(clock)
    clock.set(NOW)
    async with running(make_app(settings, telegram, clock, sleep)) as app:
        visit = await _visit(app, 1, due=NOW - timedelta(minutes=1))
        telegram.sessions = app.bot_data.sessions
        report = await dispatch(app)
        statuses = await _statuses(app)
    assert report.visits is not None and report.visits.sent == 1
    assert statuses == {visit: "sent"}
    # While the send stalled, the reminder's lease was renewed past the stall.
    assert telegram.stalled_until is not None and telegram.lease_seen is not None
    assert telegram.lease_seen > telegram.stalled_until


async def test_a_reminder_claimed_before_the_patient_cancels_is_not_sent(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    """Another instance claimed the reminder; the patient cancels before it starts to send."""
    clock.set(NOW)
    cancelled = await _visit(app, 1, due=NOW - timedelta(minutes=1))
    in_flight = await _visit(app, 2, due=NOW - timedelta(minutes=1))
    async with app.bot_data.sessions.begin() as session:
        claimed = {
            due.visit.id: due
            for due in await visits.claim_due_visit_reminders(
                session=session, now=NOW, lease_until=NOW + timedelta(seconds=20),
                owner="other", limit=5,
            )
        }  # fmt: skip
        assert set(claimed) == {cancelled, in_flight}
        # The other instance has begun to send the second one: too late to call it back.
        assert await visits.mark_visit_reminder_sending(
            session=session, reminder_id=claimed[in_flight].id, owner="other"
        )
    async with app.bot_data.sessions.begin() as session:
        for visit_id, user_id in ((cancelled, 1), (in_flight, 2)):
            answered = await visits.answer_visit(
                session=session, visit_id=visit_id, user_id=user_id,
                status=visits.VisitStatus.CANCELLED, patient_name="Pat", now=NOW,
            )  # fmt: skip
            assert answered is not None
    async with app.bot_data.sessions.begin() as session:
        assert not await visits.mark_visit_reminder_sending(
            session=session, reminder_id=claimed[cancelled].id, owner="other"
        )
    assert await _statuses(app) == {cancelled: "skipped", in_flight: "sending"}
    # Nobody sends it later either, when the other instance's lease has run out.
    clock.advance(minutes=5)
    await dispatch(app)
    assert [c.chat_id for c in api.sent() if "A reminder" in c.text] == []
    assert (await _statuses(app))[cancelled] == "skipped"
