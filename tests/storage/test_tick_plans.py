"""The tick does not grow with history: no per-tick query scans deliveries or recipients.

Honest by construction: the test does not list the queries it checks. It runs
a real dispatcher tick and a real broadcast sender run, over a database where
each of their code paths has work (reminders due, a snooze due, a dead
instance's queued and sending rows, a broadcast with pending, claimed and
sending recipients, a scheduled broadcast that starts, deliveries old enough
to prune) and a history of sent rows, and records every statement they send.
Each statement touching deliveries or broadcast_recipients is then explained
with its own parameters:

- SQLite: EXPLAIN QUERY PLAN must show SEARCH, never SCAN, on those tables
  (a SCAN ... USING INDEX reads the whole index: it grows too).
- PostgreSQL: EXPLAIN with enable_seqscan off, after ANALYZE. With it off the
  planner still picks a sequential scan when no index can answer the query,
  so a "Seq Scan on" line means a missing or unusable index, not a cost guess
  on a small table.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event, insert, text, update

from handlers.context import AcubotApp
from storage import broadcasts, reminders, visits
from storage.models import Broadcast, BroadcastRecipient, Delivery, Subscription, VisitReminder
from storage.reminders import DeliveryStatus, NewDelivery
from tests.harness import FakeClock
from tests.reminders_support import subscribe_many

WATCHED = ("deliveries", "broadcast_recipients", "visits", "visit_reminders")
SQLITE_SCAN = re.compile(r"\bSCAN (deliveries|broadcast_recipients|visits|visit_reminders)\b")
POSTGRES_SCAN = re.compile(
    r"Seq Scan on (deliveries|broadcast_recipients|visits|visit_reminders)\b"
)
HISTORY_DAYS = 30


async def build_history(app: AcubotApp, clock: FakeClock) -> None:
    """Patients with a month of sent reminders and a finished broadcast each."""
    services = app.bot_data
    await subscribe_many(app, range(1, 41))
    now = clock()
    async with services.sessions.begin() as session:
        subs = (await session.execute(text("SELECT id, user_id FROM subscriptions"))).all()
        await session.execute(
            insert(Delivery),
            [
                {
                    "subscription_id": sub_id,
                    "user_id": user_id,
                    "local_date": date(2026, 1, 1) + timedelta(days=day),
                    "due_at": now - timedelta(days=HISTORY_DAYS - day),
                    "status": DeliveryStatus.SENT,
                    "attempts": 1,
                }
                for sub_id, user_id in subs
                for day in range(HISTORY_DAYS)
            ],
        )
        # A delivery past the retention period, so the prune has one to delete.
        await session.execute(
            insert(Delivery).values(
                subscription_id=subs[0][0],
                user_id=subs[0][1],
                local_date=date(2020, 1, 1),
                due_at=now - timedelta(days=2000),
                status=DeliveryStatus.SENT,
                attempts=1,
            )
        )
        old = await broadcasts.create_draft(session=session, admin_id=0, now=now)
        await broadcasts.update_broadcast(session=session, broadcast_id=old, audience="all")
        await broadcasts.confirm_broadcast(session=session, broadcast_id=old, now=now, send_at=None)
        await session.execute(
            update(BroadcastRecipient)
            .where(BroadcastRecipient.broadcast_id == old)
            .values(status="sent")
        )
        await session.execute(update(Broadcast).where(Broadcast.id == old).values(status="done"))
        # A month of past visits, their reminders all sent.
        for user_id in range(1, 41):
            for day in range(HISTORY_DAYS):
                starts_at = now - timedelta(days=HISTORY_DAYS - day)
                await visits.create_visit(
                    session=session,
                    user_id=user_id,
                    starts_at=starts_at,
                    zone="America/Chicago",
                    entered_by=user_id,
                    patient_name=None,
                    reminders=[
                        ("day_before", starts_at - timedelta(hours=20)),
                        ("lead", starts_at - timedelta(hours=2)),
                    ],
                    now=now,
                )
        await session.execute(update(VisitReminder).values(status="sent"))


async def give_every_path_work(app: AcubotApp, clock: FakeClock) -> None:
    services = app.bot_data
    clock.advance(days=1)  # the 40 subscriptions are due
    now = clock()
    async with services.sessions.begin() as session:
        # A dead dispatcher: claimed 4 subscriptions, queued their rows, started 2.
        dead = await reminders.claim_due_subscriptions(
            session=session, now=now, lease_until=now - timedelta(seconds=1), owner="d:1", limit=4
        )
        written = await reminders.open_deliveries(
            session=session,
            rows=[
                NewDelivery(sub.id, sub.user_id, date(2027, 3, 2), now, DeliveryStatus.QUEUED)
                for sub in dead
            ],
        )
        for sub in dead[:2]:
            await reminders.mark_delivery_sending(session=session, delivery_id=written[sub.id])
        # A snoozed reminder that is due now.
        await session.execute(
            update(Delivery)
            .where(Delivery.local_date == date(2026, 1, 30))
            .values(snooze_until=now - timedelta(minutes=1))
        )
        # A broadcast half in a dead sender's hands, and a scheduled one that starts.
        sending = await broadcasts.create_draft(session=session, admin_id=0, now=now)
        await broadcasts.update_broadcast(
            session=session, broadcast_id=sending, text="Hello", audience="all"
        )
        await broadcasts.confirm_broadcast(
            session=session, broadcast_id=sending, now=now, send_at=None
        )
        claimed = await broadcasts.claim_recipients(
            session=session,
            broadcast_id=sending,
            now=now,
            lease_until=now - timedelta(seconds=1),
            owner="d:1",
            limit=6,
        )
        for recipient in claimed[:3]:
            await broadcasts.mark_recipient_sending(
                session=session, recipient_id=recipient.id, owner="d:1"
            )
        later = await broadcasts.create_draft(session=session, admin_id=0, now=now)
        await broadcasts.update_broadcast(
            session=session, broadcast_id=later, text="Later", audience="all"
        )
        await broadcasts.confirm_broadcast(
            session=session, broadcast_id=later, now=now, send_at=now - timedelta(seconds=1)
        )
        await session.execute(
            update(Subscription).where(Subscription.user_id == 5).values(active=False)
        )
        # Visit reminders due now: to send, a no-answer check, one of a cancelled
        # visit, and a dead instance's claimed and sending ones.
        for user_id in range(1, 7):
            await visits.create_visit(
                session=session,
                user_id=user_id,
                starts_at=now + timedelta(hours=3),
                zone="America/Chicago",
                entered_by=user_id,
                patient_name="Pat",
                reminders=[
                    ("day_before", now - timedelta(minutes=5)),
                    ("no_answer", now - timedelta(minutes=1)),
                ],
                now=now,
            )
        cancelled = await visits.get_visit(session=session, visit_id=HISTORY_DAYS * 40 + 6)
        assert cancelled is not None
        await visits.answer_visit(
            session=session,
            visit_id=cancelled.id,
            user_id=cancelled.user_id,
            status=visits.VisitStatus.CANCELLED,
            patient_name=None,
            now=now,
        )
        dead_visits = await visits.claim_due_visit_reminders(
            session=session, now=now, lease_until=now - timedelta(seconds=1), owner="d:1", limit=2
        )
        await visits.mark_visit_reminder_sending(
            session=session, reminder_id=dead_visits[0].id, owner="d:1"
        )


async def test_no_tick_query_scans_deliveries_or_recipients(
    app: AcubotApp, clock: FakeClock
) -> None:
    services = app.bot_data
    await build_history(app, clock)
    await give_every_path_work(app, clock)
    postgres = services.engine.dialect.name == "postgresql"
    if postgres:
        async with services.engine.connect() as connection:
            await connection.execute(text("COMMIT"))
            await connection.execute(text("ANALYZE"))

    seen: dict[str, Any] = {}

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool):  # type: ignore[no-untyped-def]
        if any(table in statement for table in WATCHED) and statement not in seen:
            # An executemany's first row; "insertmanyvalues" batches arrive flat.
            nested = many and parameters and isinstance(parameters[0], tuple | list | dict)
            seen[statement] = parameters[0] if nested else parameters

    event.listen(services.engine.sync_engine, "before_cursor_execute", record)
    try:
        report = await services.dispatcher.run(now=services.now())
        sender = await services.sender.run()
        # The lease renewals run in the background on real time (every third
        # of CLAIM_LEASE): run them here so their queries are checked too.
        async with services.sessions.begin() as session:
            await reminders.renew_subscription_leases(
                session=session, owner="d:1", lease_until=services.now()
            )
            await broadcasts.renew_recipient_leases(
                session=session, broadcast_id=1, owner="d:1", lease_until=services.now()
            )
            await visits.renew_visit_reminder_leases(
                session=session, owner="d:1", lease_until=services.now()
            )
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", record)
    # Every path had work: the check below saw their queries.
    assert report.sent >= 30 and report.interrupted == 2 and report.snoozes_sent > 0
    assert report.pruned == 1 and sender.sent > 0 and sender.finished == 2
    assert report.visits is not None and report.visits.interrupted == 1
    assert report.visits.sent >= 3 and report.visits.skipped >= 1

    scans = {}
    async with services.engine.connect() as connection:
        if postgres:
            await connection.execute(text("SET enable_seqscan = off"))
        for statement, parameters in seen.items():
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = await connection.exec_driver_sql(prefix + statement, tuple(parameters))
            plan = "\n".join(str(row[-1]) for row in rows)
            if (POSTGRES_SCAN if postgres else SQLITE_SCAN).search(plan):
                scans[statement] = plan
        await connection.rollback()
    assert len(seen) >= 12  # the claims, marks, sweeps, records, counts, prune...
    assert sum("visit_reminders" in statement for statement in seen) >= 6
    assert scans == {}, "full scans:\n\n" + "\n\n".join(f"{q}\n{p}" for q, p in scans.items())
