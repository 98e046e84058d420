"""Flood control fails nobody: a 429 storm pauses all bulk sending, then everyone gets it once.

The in-process Bot API answers every sendMessage with 429 (retry_after a few
seconds) while the storm lasts, by the injected clock; the send policy's
sleep moves that clock, so an 8-second or a minute-long storm takes no real
time. The dispatcher and the broadcast sender run at once on one policy.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.application import running
from bot.local_api import BotCall, InProcessBotAPI
from handlers.context import AcubotApp
from storage import broadcasts
from storage.models import BroadcastRecipient, Delivery
from tests.conftest import make_app, make_settings
from tests.harness import FakeClock
from tests.reminders_support import subscribe_many

PATIENTS = range(3001, 3101)  # 100
RETRY_AFTER = 3


class StormyTelegram(InProcessBotAPI):
    """Answers sendMessage with 429 from the `start_after`-th send for `seconds`."""

    def __init__(self, clock: FakeClock, seconds: float, start_after: int) -> None:
        super().__init__()
        self.clock = clock
        self.seconds = seconds
        self.start_after = start_after
        self.storm_until: datetime | None = None
        self.delivered: Counter[int] = Counter()
        self.refused = 0

    def handle(
        self, api_method: str, params: dict[str, Any], uploads: dict[str, tuple[str, bytes]]
    ) -> tuple[int, bytes]:
        if api_method == "sendMessage":
            now = self.clock()
            if self.storm_until is None and sum(self.delivered.values()) >= self.start_after:
                self.storm_until = now + timedelta(seconds=self.seconds)
            if self.storm_until is not None and now < self.storm_until:
                self.refused += 1
                left = (self.storm_until - now).total_seconds()
                wait = min(RETRY_AFTER, math.ceil(left))
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                }
                return 429, json.dumps(body).encode()
        return super().handle(api_method, params, uploads)


class ClockSleep:
    """The policy's sleep: moves the fake clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def stormy(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[AcubotApp, StormyTelegram]]:
    telegram = StormyTelegram(clock, seconds=request.param, start_after=30)
    telegram.listeners.append(lambda call, _result: _count(telegram, call))
    settings = make_settings(tmp_path / "acubot.sqlite3")
    async with running(make_app(settings, telegram, clock, ClockSleep(clock))) as app:  # type: ignore[arg-type]
        yield app, telegram


def _count(telegram: StormyTelegram, call: BotCall) -> None:
    if call.method == "sendMessage" and call.chat_id is not None:
        telegram.delivered[call.chat_id] += 1


async def start_broadcast(app: AcubotApp) -> None:
    services = app.bot_data
    async with services.sessions.begin() as session:
        broadcast_id = await broadcasts.create_draft(
            session=session, admin_id=0, now=services.now()
        )
        await broadcasts.update_broadcast(
            session=session, broadcast_id=broadcast_id, text="Closed on Friday", audience="all"
        )
        await broadcasts.confirm_broadcast(
            session=session, broadcast_id=broadcast_id, now=services.now(), send_at=None
        )


@pytest.mark.parametrize("stormy", [8, 60], indirect=True, ids=["8s-storm", "60s-storm"])
async def test_a_storm_fails_no_broadcast_recipient(
    stormy: tuple[AcubotApp, StormyTelegram],
) -> None:
    app, telegram = stormy
    await subscribe_many(app, PATIENTS)
    await start_broadcast(app)

    report = await app.bot_data.sender.run()

    assert telegram.storm_until is not None and telegram.refused > 0  # there was a storm
    assert telegram.delivered == Counter(dict.fromkeys(PATIENTS, 1))  # 100/100, once each
    assert (report.sent, report.failed, report.undecided) == (100, 0, 0)
    async with app.bot_data.sessions() as session:
        statuses = dict(
            (
                await session.execute(
                    select(BroadcastRecipient.status, func.count()).group_by(
                        BroadcastRecipient.status
                    )
                )
            ).all()
        )
    assert statuses == {"sent": 100}


@pytest.mark.parametrize("stormy", [8, 60], indirect=True, ids=["8s-storm", "60s-storm"])
async def test_a_storm_pauses_reminders_and_broadcast_together_and_fails_nobody(
    stormy: tuple[AcubotApp, StormyTelegram], clock: FakeClock
) -> None:
    app, telegram = stormy
    reminder_patients = range(4001, 4101)
    await subscribe_many(app, PATIENTS)
    await subscribe_many(app, reminder_patients)
    await start_broadcast(app)
    clock.advance(days=1)  # 200 reminders due, and a 200-recipient broadcast sending
    services = app.bot_data

    sender, dispatcher = await asyncio.gather(
        services.sender.run(), services.dispatcher.run(now=services.now())
    )

    everyone = [*PATIENTS, *reminder_patients]
    assert telegram.refused > 0
    # Each patient: one broadcast and one reminder, none lost, none twice.
    assert telegram.delivered == Counter(dict.fromkeys(everyone, 2))
    assert (sender.sent, sender.failed) == (200, 0)
    assert (dispatcher.sent, dispatcher.failed, dispatcher.undecided) == (200, 0, 0)
    async with services.sessions() as session:
        assert set(await session.scalars(select(Delivery.status))) == {"sent"}
    # Paused together: while the storm lasted, senders waited out each pause
    # instead of hammering: refusals stay within (pauses x sends in flight).
    pauses = math.ceil(telegram.seconds / RETRY_AFTER) + 1
    assert telegram.refused <= pauses * 2 * 16
