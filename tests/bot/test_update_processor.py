"""Updates through the Application's own queue: concurrent, in order per person, floods slowed.

These tests put updates on `app.update_queue`, as polling and the webhook do,
so they run through the production wiring (bot/update_processor.py), not the
one-at-a-time `process_update` the other tests call.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram import Update

from bot.application import running
from bot.local_api import InProcessBotAPI
from bot.update_factory import UpdateFactory
from bot.update_processor import FLOOD_BURST, FLOOD_MAX_DELAY, FLOOD_RATE, PerUserUpdateProcessor
from handlers.reply import FLOOD_NOTE
from tests.conftest import RecordingSleep, make_app, make_settings
from tests.harness import FakeClock

FLOODER, NEXT = 1, 2


class GatedAPI(InProcessBotAPI):
    """The in-process Bot API, holding calls to some chats until their gate opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: dict[int, asyncio.Event] = {}

    async def do_request(self, url, method, request_data=None, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        chat = request_data.parameters.get("chat_id") if request_data else None
        if chat is not None and (gate := self.gates.get(int(chat))) is not None:
            await gate.wait()
        return await super().do_request(url, method, request_data, *args, **kwargs)


async def put(app, *updates: Update) -> None:  # type: ignore[no-untyped-def]
    for update in updates:
        await app.update_queue.put(update)


async def test_one_persons_updates_keep_their_order_and_others_go_meanwhile(
    tmp_path: Path, clock: FakeClock, sleep: RecordingSleep
) -> None:
    api = GatedAPI()
    settings = make_settings(tmp_path / "order.sqlite3")
    async with running(make_app(settings, api, clock, sleep)) as app:
        assert isinstance(app.update_processor, PerUserUpdateProcessor)
        slow, quick = UpdateFactory(app.bot, user_id=1), UpdateFactory(app.bot, user_id=2)
        api.gates[1] = asyncio.Event()  # the first patient's Bot API round trips hang
        answered = asyncio.Event()
        api.listeners.append(lambda call, _r: answered.set() if call.chat_id == 2 else None)
        await put(app, slow.text("/safety"), slow.text("/help"), quick.text("/safety"))
        await asyncio.wait_for(answered.wait(), timeout=30)
        # The second patient was answered while the first one's reply was still hanging,
        # and the first one's /help did not overtake their /safety.
        assert api.sent(1) == []
        api.gates[1].set()
        await app.update_queue.join()
        first, second = api.sent(1)
        assert "emergency department now" in first.text
        assert "/safety" in second.text and "emergency department now" not in second.text


# Virtual time jumps to the next timer once the loop has idled for `noop_cycles`
# polls, and looptime cannot see aiosqlite's thread at work: with its default
# of 42 polls, a busy machine let the clock jump to the flooder's next paced
# reply while the next patient's database read was still running. Many more
# polls (a fraction of a second of real time) let the read finish first.
@pytest.mark.looptime(noop_cycles=2_000)
async def test_a_flood_is_slowed_alone_and_the_patient_behind_it_answered_within_1_s(
    tmp_path: Path, clock: FakeClock, sleep: RecordingSleep
) -> None:
    # Real pacing (SEND_RATE 25): without the per-person limit, 300 replies to the
    # flooder would hold the next patient's reply for ten seconds.
    settings = make_settings(tmp_path / "flood.sqlite3", send_rate=25)
    api = InProcessBotAPI()
    async with running(make_app(settings, api, clock, sleep)) as app:
        loop = asyncio.get_running_loop()
        flooder, behind = UpdateFactory(app.bot, FLOODER), UpdateFactory(app.bot, NEXT)
        # Both have talked to the bot before (so no first-time database write is timed).
        await app.process_update(flooder.text("/start"))
        await app.process_update(behind.text("/start"))
        await asyncio.sleep(60)  # the earlier messages are a minute old
        answered_at: list[float] = []
        api.listeners.append(
            lambda call, _r: answered_at.append(loop.time()) if call.chat_id == NEXT else None
        )
        before = len(api.sent(FLOODER))
        await put(app, *(flooder.text("/safety") for _ in range(300)))
        asked_at = loop.time()
        await put(app, behind.text("/safety"))
        await app.update_queue.join()
        processor = app.update_processor
        assert isinstance(processor, PerUserUpdateProcessor)

    assert answered_at and answered_at[0] - asked_at < 1.0
    to_flooder = api.sent(FLOODER)[before:]
    notes = [c for c in to_flooder if c.text == FLOOD_NOTE]
    assert len(notes) == 1  # one polite note, not one per message
    answers = [c for c in to_flooder if "emergency department now" in c.text]
    allowed = FLOOD_BURST + int(FLOOD_MAX_DELAY * FLOOD_RATE)
    assert len(answers) == allowed
    assert processor.dropped == 300 - allowed


@pytest.mark.looptime
async def test_after_a_flood_the_person_is_answered_normally_again(
    tmp_path: Path, clock: FakeClock, sleep: RecordingSleep
) -> None:
    settings = make_settings(tmp_path / "again.sqlite3")
    api = InProcessBotAPI()
    async with running(make_app(settings, api, clock, sleep)) as app:
        flooder = UpdateFactory(app.bot, FLOODER)
        await put(app, *(flooder.text("/safety") for _ in range(50)))
        await app.update_queue.join()
        await asyncio.sleep(FLOOD_BURST / FLOOD_RATE + 1)
        before = len(api.sent(FLOODER))
        await put(app, *(flooder.text("/safety") for _ in range(FLOOD_BURST)))
        await app.update_queue.join()
        again = api.sent(FLOODER)[before:]
    assert len(again) == FLOOD_BURST
    assert all("emergency department now" in c.text for c in again)  # no note, nothing dropped


@pytest.mark.looptime
async def test_a_dropped_button_press_is_answered_so_its_spinner_stops(
    tmp_path: Path, clock: FakeClock, sleep: RecordingSleep
) -> None:
    settings = make_settings(tmp_path / "buttons.sqlite3")
    api = InProcessBotAPI()
    async with running(make_app(settings, api, clock, sleep)) as app:
        flooder = UpdateFactory(app.bot, FLOODER)
        await app.process_update(flooder.text("/points"))
        menu = api.messages[next(key for key in api.messages if key[0] == FLOODER)]
        presses = [flooder.press(menu, "menu:safety") for _ in range(40)]
        await put(app, *presses)
        await app.update_queue.join()
    answers = api.calls_to("answerCallbackQuery")
    assert len(answers) == 40  # every press answered, the dropped ones with a short notice
    assert sum(1 for c in answers if "One moment" in str(c.params.get("text"))) == 40 - (
        FLOOD_BURST + int(FLOOD_MAX_DELAY * FLOOD_RATE)
    )
