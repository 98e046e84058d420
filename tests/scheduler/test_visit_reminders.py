"""Visit reminders after a crash or downtime: never twice, never a lost one that was not started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from storage import users, visits
from storage.models import VisitReminder
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
