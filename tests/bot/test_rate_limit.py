"""One rate budget for replies and bulk sends, on a virtual-time event loop.

The budget reads the event loop's clock; these tests run on looptime's loop,
whose clock moves only when every task waits, so the Bot API sees each message
at the exact instant the budget let it go, and nothing sleeps for real.
"""

from __future__ import annotations

import asyncio
import itertools
from bisect import bisect_left
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.application import running
from bot.local_api import BotCall, InProcessBotAPI
from bot.rate_limit import (
    GROUP_RATE,
    JITTER_ALLOWANCE,
    REPLY_RESERVE,
    TELEGRAM_RATE,
    BudgetRateLimiter,
    MessageBudget,
)
from scheduler.send_errors import certainly_not_delivered
from scheduler.send_policy import IN_BULK_SEND
from storage.models import User
from tests.conftest import ADMIN_ID, RecordingSleep, make_app, make_settings
from tests.harness import FakeClock, Patient, card

BULK_RATE = 25.0


def most_in_any_window(times: list[float], window: float = 1.0) -> int:
    """The largest number of instants in any half-open window [t, t + window)."""
    ordered = sorted(times)
    return max(
        (bisect_left(ordered, start + window) - index for index, start in enumerate(ordered)),
        default=0,
    )


class Recorder:
    """Takes the loop time of every Bot API call that names a chat, as it arrives."""

    def __init__(self, api: InProcessBotAPI) -> None:
        self.calls: list[tuple[float, BotCall]] = []
        loop = asyncio.get_running_loop()
        api.listeners.append(lambda call, _result: self.calls.append((loop.time(), call)))

    def times(self, *, chat_ids: set[int] | None = None) -> list[float]:
        return [
            at
            for at, call in self.calls
            if call.chat_id is not None and (chat_ids is None or call.chat_id in chat_ids)
        ]


# -- the budget alone --------------------------------------------------------------------


async def take(budget: MessageBudget, chat_id: int, *, bulk: bool, log: list[tuple[float, int]]):  # type: ignore[no-untyped-def]
    await budget.acquire(chat_id, bulk=bulk)
    log.append((asyncio.get_running_loop().time(), chat_id))


@pytest.mark.looptime
async def test_a_burst_of_replies_gets_thirty_a_second_and_no_more() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    log: list[tuple[float, int]] = []
    await asyncio.gather(*(take(budget, 1000 + i, bulk=False, log=log) for i in range(95)))
    times = [at for at, _ in log]
    assert most_in_any_window(times) == TELEGRAM_RATE
    assert sum(1 for at in times if at == min(times)) == 30  # the first 30 go at once
    # ...and the rest as slots free (each held a window and the jitter allowance), not later.
    assert max(times) - min(times) < 3 * (1 + JITTER_ALLOWANCE) + 0.01


@pytest.mark.looptime
async def test_bulk_sends_are_spaced_evenly_and_one_a_second_per_chat() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    log: list[tuple[float, int]] = []
    chats = [1, 1, 1, 2, 3, 4, 5, 6, 7, 8] * 5
    await asyncio.gather(*(take(budget, chat, bulk=True, log=log) for chat in chats))
    times = sorted(at for at, _ in log)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 1 / BULK_RATE - 1e-9
    to_one = sorted(at for at, chat in log if chat == 1)
    assert min(b - a for a, b in itertools.pairwise(to_one)) >= 1.0


@pytest.mark.looptime
async def test_replies_go_before_waiting_bulk_sends() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    log: list[tuple[float, int]] = []
    bulk = [asyncio.ensure_future(take(budget, 10_000 + i, bulk=True, log=log)) for i in range(60)]
    await asyncio.sleep(0.5)  # the bulk queue is long now
    await take(budget, 1, bulk=False, log=log)
    reply_at = next(at for at, chat in log if chat == 1)
    assert reply_at == pytest.approx(0.5, abs=0.05)  # not behind the 50 bulk sends still waiting
    await asyncio.gather(*bulk)


@pytest.mark.looptime
async def test_bulk_sends_use_what_replies_leave() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    log: list[tuple[float, int]] = []
    loop = asyncio.get_running_loop()

    async def bulk(chat: int) -> None:
        while loop.time() < 20:
            await take(budget, chat, bulk=True, log=log)
            chat += 100

    async def replies() -> None:  # 12 a second, in bursts of two (a card), six times a second
        for burst in range(6 * 20):
            await asyncio.sleep(max(0.0, burst / 6 - loop.time()))
            await asyncio.gather(*(take(budget, 1, bulk=False, log=log) for _ in range(2)))

    await asyncio.gather(replies(), *(bulk(10_000 + i) for i in range(16)))
    window = [(at, chat) for at, chat in log if 5 <= at < 15]
    bulk_per_second = sum(1 for _, chat in window if chat >= 10_000) / 10
    replies_per_second = sum(1 for _, chat in window if chat == 1) / 10
    assert replies_per_second == pytest.approx(12, rel=0.05)
    # Bulk sends fill what replies leave of the window, less the reserve; a window is a
    # second and the jitter allowance.
    per_second = (TELEGRAM_RATE - REPLY_RESERVE) / (1 + JITTER_ALLOWANCE)
    assert bulk_per_second == pytest.approx(per_second - 12, rel=0.05)
    assert budget.longest_reply_wait < 0.1


@pytest.mark.looptime
async def test_a_group_gets_twenty_messages_a_minute() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    log: list[tuple[float, int]] = []
    await asyncio.gather(*(take(budget, -100_1, bulk=False, log=log) for _ in range(45)))
    assert most_in_any_window([at for at, _ in log], window=60.0) == GROUP_RATE


@pytest.mark.looptime
async def test_flood_control_holds_every_slot() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    log: list[tuple[float, int]] = []
    budget.hold(7.0)
    await take(budget, 5, bulk=False, log=log)
    assert log[0][0] >= 7.0


@pytest.mark.looptime
async def test_edits_take_no_slot_of_the_window_and_leave_it_to_new_messages() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    loop = asyncio.get_running_loop()
    sent: list[float] = []
    edited: list[float] = []

    async def send(chat: int) -> None:
        await budget.acquire(chat, bulk=False)
        sent.append(loop.time())

    async def edit(chat: int) -> None:
        await budget.acquire(chat, bulk=False, edit=True)
        edited.append(loop.time())

    # 40 presses edit their own messages while 60 new replies wait for slots.
    await asyncio.gather(*(send(1000 + i) for i in range(60)), *(edit(2000 + i) for i in range(40)))
    assert edited == [0.0] * 40  # none waited behind the full window
    assert most_in_any_window(sent) == TELEGRAM_RATE  # and they took none of its 30
    assert max(sent) < 2.1
    assert (budget.granted, budget.edits) == (60, 40)


@pytest.mark.looptime
async def test_an_edit_waits_out_flood_control_and_counts_for_its_group() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    log: list[tuple[float, int]] = []

    async def edit(chat: int) -> None:
        await budget.acquire(chat, bulk=False, edit=True)
        log.append((asyncio.get_running_loop().time(), chat))

    budget.hold(4.0)
    await edit(7)
    assert log[0][0] >= 4.0
    log.clear()
    await asyncio.gather(*(edit(-100_2) for _ in range(25)))
    assert most_in_any_window([at for at, _ in log], window=60.0) == GROUP_RATE


@pytest.mark.looptime
async def test_a_bulk_send_to_a_chat_is_spaced_after_an_edit_there() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    await budget.acquire(9, bulk=False, edit=True)
    log: list[tuple[float, int]] = []
    await take(budget, 9, bulk=True, log=log)
    assert log[0][0] >= 1.0


async def test_the_limiter_marks_edit_endpoints_as_edits() -> None:
    budget = MessageBudget(bulk_rate=BULK_RATE)
    budget_limiter = BudgetRateLimiter(budget)

    async def ok() -> bool:
        return True

    for endpoint in ("editMessageText", "editMessageReplyMarkup", "sendMessage", "sendPhoto"):
        await budget_limiter.process_request(ok, (), {}, endpoint, {"chat_id": 5}, None)
    await budget_limiter.process_request(ok, (), {}, "answerCallbackQuery", {}, None)
    assert (budget.granted, budget.edits) == (2, 2)


async def test_with_pacing_off_nothing_waits() -> None:
    budget = MessageBudget(total_rate=0, bulk_rate=0)
    for i in range(500):
        await budget.acquire(i % 3, bulk=bool(i % 2))
    assert budget.waiting == 0


# -- through the real Application ----------------------------------------------------------


@pytest.mark.looptime(noop_cycles=3)
async def test_a_broadcast_to_10000_with_patients_asking_never_exceeds_the_budget(
    tmp_path: Path, clock: FakeClock, sleep: RecordingSleep
) -> None:
    # SQLite only: the budget does not depend on the database, and 10,000 sends take a while.
    # The connection pool waits on the loop's clock, which here is virtual:
    # while aiosqlite's threads write (looptime cannot see them), the clock
    # may jump straight to a waiter's pool timeout (CI did, under load, with
    # 30 s). Real seconds pass meanwhile; the wait is not what this test measures.
    paced = make_settings(
        tmp_path / "budget.sqlite3", send_rate=BULK_RATE, database_pool_timeout="24h"
    )
    api = InProcessBotAPI()
    recipients = range(1, 10_001)
    async with running(make_app(paced, api, clock, sleep)) as app:
        services = app.bot_data
        now = datetime(2027, 3, 1, tzinfo=UTC)
        async with services.sessions.begin() as session:
            await session.execute(
                insert(User),
                [
                    {"id": i, "chat_id": i, "first_seen_at": now, "last_seen_at": now,
                     "language_code": "en", "blocked": False}
                    for i in recipients
                ],
            )  # fmt: skip
        admin = Patient(app, api, user_id=ADMIN_ID)
        await admin.send("/broadcast")
        await admin.send("New evening hours from Monday!")
        await admin.press("Book an appointment")
        await admin.press("Everyone")
        await admin.press("Confirm")
        recorder = Recorder(api)
        asyncio.get_running_loop()
        sending = asyncio.create_task(services.sender.run())

        answered = 0

        async def ask(user_id: int) -> None:
            nonlocal answered
            patient = Patient(app, api, user_id=20_000 + user_id)
            while not sending.done():
                calls = await patient.send("/point BL40")
                assert card([c for c in calls if c.chat_id == patient.user_id]).startswith(
                    "<b>BL40"
                )
                answered += 1
                await asyncio.sleep(1.0)

        # Five patients, a card (2 messages) a second each: with the broadcast's 25/s, more
        # than Telegram's 30/s is asked for, so replies and bulk sends compete.
        await asyncio.gather(sending, *(ask(user) for user in range(5)))
        budget = app.bot.rate_limiter.budget  # type: ignore[union-attr]

    broadcast = [
        c for _, c in recorder.calls if c.method == "sendMessage" and c.chat_id in recipients
    ]
    # Each exactly once; the staff member who sent it is not among its recipients.
    assert sorted(c.chat_id for c in broadcast) == [i for i in recipients if i != ADMIN_ID]
    assert most_in_any_window(recorder.times()) <= TELEGRAM_RATE
    bulk_times = recorder.times(chat_ids=set(recipients))
    assert most_in_any_window(bulk_times) <= BULK_RATE
    replies = [at for at, c in recorder.calls if c.chat_id is not None and c.chat_id > 20_000]
    assert answered > 500  # patients asked all along
    # Replies first: none waited more than a moment for a slot, though bulk sends were waiting.
    assert budget.longest_reply_wait < 0.1
    assert len(replies) > 1000


# -- the limiter's retries -------------------------------------------------------------------


class Failing:
    """A Bot API call that raises the given errors, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> bool:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return True


def limiter() -> BudgetRateLimiter:
    return BudgetRateLimiter(MessageBudget(total_rate=0, bulk_rate=0), sleep=RecordingSleep())


def network_error(cause: Exception) -> NetworkError:
    error = NetworkError(f"httpx.{type(cause).__name__}: {cause}")
    error.__cause__ = cause
    return error


def timed_out(cause: Exception) -> TimedOut:
    error = TimedOut()
    error.__cause__ = cause
    return error


REQUEST = httpx.Request("POST", "https://api.telegram.org/bot/sendMessage")


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (NetworkError("Bad Gateway"), True),  # a 5xx answer from Telegram
        (network_error(httpx.ConnectError("refused", request=REQUEST)), True),
        (timed_out(httpx.ConnectTimeout("connect", request=REQUEST)), True),
        (TimedOut("Pool timeout: every connection to the Bot API is busy."), True),
        (timed_out(httpx.ReadTimeout("read", request=REQUEST)), False),  # may have arrived
        (timed_out(httpx.WriteTimeout("write", request=REQUEST)), False),
        (network_error(httpx.RemoteProtocolError("closed", request=REQUEST)), False),
        (network_error(httpx.ReadError("reset", request=REQUEST)), False),
        (BadRequest("Bad Request: chat not found"), False),
    ],
)
async def test_a_reply_is_retried_once_only_if_it_surely_did_not_arrive(
    error: NetworkError, retried: bool
) -> None:
    assert certainly_not_delivered(error) is retried
    call = Failing(error)
    if retried:
        assert await limiter().process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
        assert call.calls == 2
    else:
        with pytest.raises(type(error)):
            await limiter().process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
        assert call.calls == 1


async def test_a_reply_is_retried_once_not_twice() -> None:
    call = Failing(NetworkError("Bad Gateway"), NetworkError("Bad Gateway"))
    with pytest.raises(NetworkError):
        await limiter().process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert call.calls == 2


async def test_a_reply_waits_out_flood_control() -> None:
    call = Failing(RetryAfter(3))
    sleep = RecordingSleep()
    budget_limiter = BudgetRateLimiter(MessageBudget(total_rate=0, bulk_rate=0), sleep=sleep)
    assert await budget_limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert call.calls == 2
    assert sleep.waits == [3.0]


async def test_a_bulk_send_is_not_retried_here_its_429_reaches_the_send_policy() -> None:
    call = Failing(RetryAfter(0), NetworkError("Bad Gateway"))
    marker = IN_BULK_SEND.set(True)
    try:
        with pytest.raises(RetryAfter):
            await limiter().process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
        with pytest.raises(NetworkError):
            await limiter().process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
    finally:
        IN_BULK_SEND.reset(marker)
    assert call.calls == 2


async def test_a_502_on_a_reply_through_the_app_is_retried(
    app, api: InProcessBotAPI, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    api.fail(502, "Bad Gateway", method="sendMessage")
    calls = await patient.send("/safety")
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) == 2  # refused once, then delivered
    assert "emergency department now" in api.sent(patient.user_id)[-1].text


async def test_a_card_arrives_whole_or_is_sent_again_whole(
    app, api: InProcessBotAPI, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    api.fail(502, "Bad Gateway", method="sendMessage", times=2)  # the text, and its retry
    calls = await patient.send("/point BL40")
    assert [c.method for c in calls] == [
        "sendPhoto",
        "sendMessage",  # 502
        "sendMessage",  # 502 again: the limiter's one retry
        "deleteMessage",  # the lone photo is taken back...
        "sendPhoto",  # ...and the whole card sent again
        "sendMessage",
    ]
    assert card(calls[-2:]).startswith("<b>BL40")


async def test_a_card_whose_text_may_have_arrived_is_not_sent_twice(
    app, api: InProcessBotAPI, patient: Patient, handler_errors
) -> None:  # type: ignore[no-untyped-def]
    api.fail(400, "Bad Request: can't parse entities", method="sendMessage")
    calls = await patient.send("/point BL40")
    assert [c.method for c in calls if c.method != "sendMessage"] == ["sendPhoto"]
    assert handler_errors  # logged, and the patient got the apology


@pytest.mark.looptime
async def test_a_patient_chatting_every_second_does_not_starve_a_bulk_send_to_them() -> None:
    # The benchmark's hang: a broadcast's send to a patient who kept asking the
    # bot (a reply a little under every second) waited for "one second since
    # the last message to this chat" forever, and the broadcast never finished.
    budget = MessageBudget(bulk_rate=BULK_RATE)
    replies: list[tuple[float, int]] = []
    sent: list[tuple[float, int]] = []
    await take(budget, 7, bulk=False, log=replies)  # a reply to the patient at 0.0
    bulk = asyncio.ensure_future(take(budget, 7, bulk=True, log=sent))
    for _ in range(30):  # the patient keeps chatting: a reply every 0.9 s
        await asyncio.sleep(0.9)
        await take(budget, 7, bulk=False, log=replies)
        if bulk.done():
            break
    assert bulk.done(), "the bulk send never got a slot"
    await bulk
    [(bulk_at, _chat)] = sent
    # One second after the message to this chat that it queued behind, not later.
    assert bulk_at == pytest.approx(1.0, abs=0.01)
