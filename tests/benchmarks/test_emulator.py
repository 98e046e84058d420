"""The black-box benchmarks' Bot API emulator answers like Telegram over real HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import RetryAfter, TimedOut
from telegram.request import HTTPXRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from emulator import BotAPIEmulator, Fault, FloodControl

TOKEN = "123456789:" + "B" * 35


async def _bot(emulator: BotAPIEmulator, read_timeout: float = 5.0) -> Bot:
    request = HTTPXRequest(read_timeout=read_timeout)
    bot = Bot(TOKEN, base_url=f"{emulator.base_url}/bot", request=request)
    await bot.initialize()
    return bot


def test_beyond_30_messages_in_a_second_flood_control_refuses_for_retry_after() -> None:
    flood = FloodControl(max_per_second=30, retry_after=2)
    assert all(flood.admit(100.0 + i / 100) is None for i in range(30))
    assert flood.admit(100.5) == 2  # the 31st within one second
    assert flood.admit(102.0) == 1  # still banned: retry after the rest
    assert flood.admit(102.6) is None  # the ban is over and the window has room


async def test_a_429_reaches_the_bot_as_retry_after() -> None:
    emulator = BotAPIEmulator(rtt=0.0)
    emulator.fault_hook = lambda call: (429, 3) if call.method == "sendMessage" else None
    await emulator.start()
    try:
        bot = await _bot(emulator)
        with pytest.raises(RetryAfter):
            await bot.send_message(5, "hello")
        await bot.shutdown()
    finally:
        await emulator.stop()
    assert emulator.accepted() == []


async def test_a_send_never_answered_is_delivered_and_times_out() -> None:
    emulator = BotAPIEmulator(rtt=0.0)
    emulator.fault_hook = lambda call: Fault.HANG if call.method == "sendMessage" else None
    await emulator.start()
    try:
        bot = await _bot(emulator, read_timeout=0.3)
        with pytest.raises(TimedOut):
            await bot.send_message(5, "hello")
        await bot.shutdown()
    finally:
        await emulator.stop()
    assert [call.chat_id for call in emulator.accepted()] == [5]


async def test_updates_offered_reach_get_updates_once() -> None:
    emulator = BotAPIEmulator(rtt=0.0)
    await emulator.start()
    try:
        bot = await _bot(emulator)
        emulator.text_update(7, "/point BL40")
        first = await bot.get_updates(timeout=1)
        again = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
        await bot.shutdown()
    finally:
        await emulator.stop()
    assert [u.message.text for u in first if u.message] == ["/point BL40"]
    assert again == ()
