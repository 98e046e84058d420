"""Only what was truly in flight is uncertain: a dead sender's unstarted work is resent.

A "dead instance" is simulated with the storage calls it would have made
before dying: it claimed a chunk (16 rows) and had started (marked
"sending") only 5 of them. Once its short lease runs out, the live bot sends
the 11 it never started, records the 5 as "may not have arrived", and sends
nobody anything twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.local_api import InProcessBotAPI
from content.i18n import translator
from handlers.context import AcubotApp
from scheduler import broadcast_message
from storage import broadcasts, reminders
from storage.models import BroadcastRecipient, Delivery
from storage.reminders import DeliveryStatus, NewDelivery
from tests.harness import FakeClock
from tests.reminders_support import dispatch, subscribe_many

ENGLISH = translator("en")

PATIENTS = range(5001, 5041)  # 40
DEAD = "dead-host:1"
LEASE = timedelta(seconds=20)  # CLAIM_LEASE's default


def sends(api: InProcessBotAPI) -> Counter[int]:
    return Counter(call.chat_id for call in api.calls_to("sendMessage") if call.chat_id)


async def statuses(app: AcubotApp, model: Any) -> dict[str, int]:
    async with app.bot_data.sessions() as session:
        rows = await session.execute(select(model.status, func.count()).group_by(model.status))
        return {status: count for status, count in rows}


async def confirmed_broadcast(app: AcubotApp) -> int:
    services = app.bot_data
    async with services.sessions.begin() as session:
        broadcast_id = await broadcasts.create_draft(
            session=session, admin_id=0, now=services.now()
        )
        await broadcasts.update_broadcast(
            session=session, broadcast_id=broadcast_id, text="Open on Saturday", audience="all"
        )
        await broadcasts.confirm_broadcast(
            session=session, broadcast_id=broadcast_id, now=services.now(), send_at=None
        )
    return broadcast_id


async def test_a_dead_senders_unstarted_recipients_are_sent_after_its_lease(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    services = app.bot_data
    await subscribe_many(app, PATIENTS)
    broadcast_id = await confirmed_broadcast(app)
    async with services.sessions.begin() as session:
        claimed = await broadcasts.claim_recipients(
            session=session,
            broadcast_id=broadcast_id,
            now=clock(),
            lease_until=clock() + LEASE,
            owner=DEAD,
            limit=16,
        )
        for recipient in claimed[:5]:  # their requests were being written at the kill
            assert await broadcasts.mark_recipient_sending(
                session=session, recipient_id=recipient.id, owner=DEAD
            )

    await services.sender.run()  # the dead one's lease still holds: the other 24 go
    assert len(sends(api)) == 24
    clock.advance(seconds=21)
    await services.sender.run()

    started = {recipient.chat_id for recipient in claimed[:5]}
    assert sends(api) == Counter({chat: 1 for chat in PATIENTS if chat not in started})
    assert await statuses(app, BroadcastRecipient) == {"sent": 35, "interrupted": 5}
    async with services.sessions() as session:
        record = await broadcasts.get_broadcast(session=session, broadcast_id=broadcast_id)
        counts = await broadcasts.recipient_counts(session=session, broadcast_id=broadcast_id)
    assert record is not None and record.status == "done"
    text = broadcast_message.progress_text(ENGLISH, record, counts, services.settings.zone)
    assert "Sent: <b>35 of 40</b>" in text
    assert "May not have arrived (not resent): 5" in text
    assert "Failed: 0" in text
    assert "35/40 sent, 0 blocked, 0 failed, 5 may not have arrived" in (
        broadcast_message.summary_line(ENGLISH, record, counts)
    )


async def test_a_dead_dispatchers_unstarted_reminders_are_sent_after_its_lease(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    services = app.bot_data
    await subscribe_many(app, PATIENTS)
    clock.advance(days=1)  # everyone's 08:00 reminder is due
    now = clock()
    async with services.sessions.begin() as session:
        claimed = await reminders.claim_due_subscriptions(
            session=session, now=now, lease_until=now + LEASE, owner=DEAD, limit=16
        )
    async with services.sessions.begin() as session:
        written = await reminders.open_deliveries(
            session=session,
            rows=[
                NewDelivery(
                    sub.id,
                    sub.user_id,
                    (now - timedelta(hours=6)).date(),  # Chicago's date at 08:00
                    sub.next_due_at,  # type: ignore[arg-type]
                    DeliveryStatus.QUEUED,
                )
                for sub in claimed
            ],
        )
        for sub in claimed[:5]:
            assert await reminders.mark_delivery_sending(
                session=session, delivery_id=written[sub.id]
            )

    first = await dispatch(app)
    assert first.sent == 24
    clock.advance(seconds=21)
    second = await dispatch(app)

    started = {sub.chat_id for sub in claimed[:5]}
    assert (second.interrupted, second.sent) == (5, 11)
    assert sends(api) == Counter({chat: 1 for chat in PATIENTS if chat not in started})
    assert await statuses(app, Delivery) == {"sent": 35, "interrupted": 5}
    clock.advance(days=1)
    assert (await dispatch(app)).sent == 40  # everyone is back on schedule the next day


async def test_a_row_taken_over_is_not_sent_by_its_old_holder(
    app: AcubotApp, clock: FakeClock
) -> None:
    services = app.bot_data
    await subscribe_many(app, PATIENTS)
    broadcast_id = await confirmed_broadcast(app)
    async with services.sessions.begin() as session:
        [old] = await broadcasts.claim_recipients(
            session=session,
            broadcast_id=broadcast_id,
            now=clock(),
            lease_until=clock() + LEASE,
            owner="slow:1",
            limit=1,
        )
    clock.advance(seconds=21)  # slow:1 stalled past its lease; fast:2 takes the row
    async with services.sessions.begin() as session:
        [new] = await broadcasts.claim_recipients(
            session=session,
            broadcast_id=broadcast_id,
            now=clock(),
            lease_until=clock() + LEASE,
            owner="fast:2",
            limit=1,
        )
        assert new.id == old.id
        assert not await broadcasts.mark_recipient_sending(
            session=session, recipient_id=old.id, owner="slow:1"
        )
        assert await broadcasts.mark_recipient_sending(
            session=session, recipient_id=new.id, owner="fast:2"
        )
        assert not await broadcasts.mark_recipient_sending(  # and only once
            session=session, recipient_id=new.id, owner="fast:2"
        )


class CountingInFlight(InProcessBotAPI):
    """Each send takes a short round trip; notes how many overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.most_in_flight = 0

    async def do_request(self, url, method, request_data=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not url.endswith("/sendMessage"):
            return await super().do_request(url, method, request_data, *args, **kwargs)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            # A round trip long enough for every send started with it to overlap.
            await asyncio.sleep(0.05)
            return await super().do_request(url, method, request_data, *args, **kwargs)
        finally:
            self.in_flight -= 1


async def test_confirms_one_off_run_and_the_repeating_one_never_drain_together(
    settings, clock: FakeClock, sleep
) -> None:  # type: ignore[no-untyped-def]
    from bot.application import running
    from tests.conftest import make_app

    telegram = CountingInFlight()
    async with running(make_app(settings, telegram, clock, sleep)) as app:
        await subscribe_many(app, PATIENTS)
        await confirmed_broadcast(app)
        sender = app.bot_data.sender

        first, second = await asyncio.gather(sender.run(), sender.run())

    assert first.sent + second.sent == 40
    assert sends(telegram) == Counter(dict.fromkeys(PATIENTS, 1))
    assert telegram.most_in_flight <= sender.chunk_size  # one chunk in flight, never two
