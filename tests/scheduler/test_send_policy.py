"""Tests for scheduler.send_policy through the real bot and the in-process Bot API.

Errors are injected into the in-process Bot API, so PTB itself turns them into
its exceptions, exactly as with real Telegram. Waiting goes through a fake
sleep that records what it was asked for and returns at once; only the pacing
test measures the limiter against the event loop's clock.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable

import pytest
from telegram import Message
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut

from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from scheduler.send_policy import (
    NotClaimed,
    PoolTimedOut,
    RequestNotSent,
    SendOutcome,
    SendPolicy,
    SendStatus,
    describe,
)

ALICE = 101
BOB = 102
CAROL = 103
OLD_GROUP = -4_001
NEW_GROUP = -100_123


class FakeSleep:
    """Records requested delays; returns at once, or when `gate` opens if one is set."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.gate: asyncio.Event | None = None

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.gate is not None:
            await self.gate.wait()


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


def text_to(
    app: AcubotApp, text: str = "Time for your points"
) -> Callable[[int], Awaitable[Message]]:
    return lambda chat_id: app.bot.send_message(chat_id, text)


async def spin(until: Callable[[], bool] | None = None, turns: int = 200) -> None:
    """Lets other tasks run (no time passes), up to `turns` loop turns or until `until()`."""
    for _ in range(turns):
        if until is not None and until():
            return
        await asyncio.sleep(0)
    if until is not None:
        assert until(), "condition not reached"


async def test_sent_returns_message_id_and_api_records_it(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    policy = SendPolicy(0)

    outcome = await policy.send(ALICE, text_to(app, "Press LI4 for one minute"))

    [call] = api.calls_to("sendMessage", ALICE)
    assert call.text == "Press LI4 for one minute"
    assert outcome == SendOutcome(
        SendStatus.SENT, message_id=outcome.message_id, chat_id=ALICE, attempts=1
    )
    assert (ALICE, outcome.message_id) in api.messages


async def test_blocked_user_is_blocked_without_retry(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    api.block(ALICE)
    policy = SendPolicy(0, sleep=fake_sleep)

    outcome = await policy.send(ALICE, text_to(app))

    assert outcome.status is SendStatus.BLOCKED
    assert outcome.attempts == 1
    assert outcome.error == "Forbidden: Forbidden: bot was blocked by the user"
    assert len(api.calls_to("sendMessage", ALICE)) == 1
    assert fake_sleep.delays == []


async def test_retry_after_pauses_every_send_then_retries(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    api.fail(429, "Too Many Requests: retry after 5", method="sendMessage", retry_after=5)
    fake_sleep.gate = asyncio.Event()  # the pause lasts until the test opens it
    policy = SendPolicy(0, sleep=fake_sleep)

    alice = asyncio.create_task(policy.send(ALICE, text_to(app)))
    await spin(until=lambda: fake_sleep.delays == [5])
    bob = asyncio.create_task(policy.send(BOB, text_to(app)))
    await spin()
    # Bob never hit the 429, yet he waits: flood control is bot-wide.
    assert api.calls_to("sendMessage", BOB) == []
    assert not bob.done()

    fake_sleep.gate.set()
    alice_outcome, bob_outcome = await asyncio.gather(alice, bob)

    assert alice_outcome.status is SendStatus.SENT
    assert alice_outcome.attempts == 2
    assert alice_outcome.retried_after_seconds == 5
    assert bob_outcome.status is SendStatus.SENT
    assert bob_outcome.attempts == 1
    assert fake_sleep.delays == [5]  # one shared pause, not one per sender
    assert len(api.calls_to("sendMessage", ALICE)) == 2
    assert len(api.calls_to("sendMessage", BOB)) == 1


async def test_retry_after_does_not_use_up_the_attempts(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    # Six 429s in a row, more than max_attempts: each says "not sent", so the
    # send keeps its budget and goes out when the storm ends.
    api.fail(429, "Too Many Requests: retry after 5", retry_after=5, times=6)
    policy = SendPolicy(0, max_attempts=4, sleep=fake_sleep)

    outcome = await policy.send(ALICE, text_to(app))

    assert outcome.status is SendStatus.SENT
    assert outcome.attempts == 7
    assert outcome.retried_after_seconds == 30
    assert fake_sleep.delays == [5] * 6
    assert len(api.calls_to("sendMessage", ALICE)) == 7


async def test_a_storm_that_never_ends_gives_up_after_max_flood_wait(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    api.fail(429, "Too Many Requests: retry after 5", retry_after=5, times=None)
    policy = SendPolicy(0, max_attempts=4, max_flood_wait=20, sleep=fake_sleep)

    outcome = await policy.send(ALICE, text_to(app))
    await spin()  # let the pause started by the last 429 run

    assert outcome.status is SendStatus.FAILED
    assert outcome.attempts == 5
    assert outcome.error == "RetryAfter: Flood control exceeded. Retry in 5 seconds"
    # Waited 4 x 5 s; the fifth 429 would pass 20 s: given up, yet it still
    # pauses the others.
    assert outcome.retried_after_seconds == 20
    assert fake_sleep.delays == [5, 5, 5, 5, 5]


async def test_retry_after_above_the_maximum_fails_without_waiting(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    api.fail(429, "Too Many Requests: retry after 3600", retry_after=3600)
    policy = SendPolicy(0, max_retry_after=600, sleep=fake_sleep)

    outcome = await policy.send(ALICE, text_to(app))
    await spin()

    assert outcome.status is SendStatus.FAILED
    assert outcome.attempts == 1
    assert outcome.retried_after_seconds == 0
    assert fake_sleep.delays == []


async def test_retry_after_as_timedelta(
    monkeypatch: pytest.MonkeyPatch, fake_sleep: FakeSleep
) -> None:
    # With PTB_TIMEDELTA set, PTB reports retry_after as a timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    error = RetryAfter(datetime.timedelta(seconds=2.5))
    assert isinstance(error.retry_after, datetime.timedelta)
    calls: list[int] = []

    async def send(chat_id: int) -> Message:
        calls.append(chat_id)
        if len(calls) == 1:
            raise error
        return Message.de_json(  # type: ignore[return-value]
            {"message_id": 7, "date": 0, "chat": {"id": chat_id, "type": "private"}}, None
        )

    outcome = await SendPolicy(0, sleep=fake_sleep).send(ALICE, send)

    assert outcome.status is SendStatus.SENT
    assert outcome.message_id == 7
    assert outcome.retried_after_seconds == 2.5
    assert fake_sleep.delays == [2.5]


async def test_bad_request_for_one_user_does_not_affect_the_next(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    api.fail(400, "Bad Request: chat not found", chat_id=ALICE, times=None)
    policy = SendPolicy(0, sleep=fake_sleep)

    first = await policy.send(ALICE, text_to(app))
    second = await policy.send(BOB, text_to(app))

    # BadRequest is a NetworkError in PTB, yet it must not be retried.
    assert first.status is SendStatus.FAILED
    assert first.attempts == 1
    assert first.error == "BadRequest: Chat not found"
    assert fake_sleep.delays == []
    assert second.status is SendStatus.SENT
    assert len(api.calls_to("sendMessage", BOB)) == 1


async def test_one_failure_in_a_concurrent_batch_does_not_stop_the_others(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    api.block(BOB)
    policy = SendPolicy(0)

    outcomes = await asyncio.gather(
        *(policy.send(chat, text_to(app)) for chat in (ALICE, BOB, CAROL))
    )

    assert [o.status for o in outcomes] == [SendStatus.SENT, SendStatus.BLOCKED, SendStatus.SENT]
    assert [o.chat_id for o in outcomes] == [ALICE, BOB, CAROL]


async def test_server_errors_are_retried_with_growing_backoff(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    api.fail(502, "Bad Gateway", method="sendMessage", times=2)
    policy = SendPolicy(0, backoff_base=0.5, sleep=fake_sleep)

    outcome = await policy.send(ALICE, text_to(app))

    assert outcome.status is SendStatus.SENT
    assert outcome.attempts == 3
    assert len(api.calls_to("sendMessage", ALICE)) == 3
    first, second = fake_sleep.delays
    assert 0.5 <= first <= 0.55  # base, plus at most 10% jitter
    assert 1.0 <= second <= 1.1  # doubled
    assert outcome.retried_after_seconds == 0


async def test_network_errors_fail_after_max_attempts_with_capped_backoff(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    api.fail(500, "Internal Server Error", times=None)
    policy = SendPolicy(0, max_attempts=5, backoff_base=1, backoff_cap=3, sleep=fake_sleep)

    outcome = await policy.send(ALICE, text_to(app))

    assert outcome.status is SendStatus.FAILED
    assert outcome.attempts == 5
    assert outcome.error == "NetworkError: Internal Server Error"
    assert len(fake_sleep.delays) == 4  # no sleep after the last attempt
    assert fake_sleep.delays[2:] == [3, 3]  # 4 and 8 capped at 3


async def test_a_timeout_is_undecided_and_never_retried(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    # A read timeout: Telegram may have delivered it. Retrying could send it twice.
    async def slow(chat_id: int) -> Message:
        raise TimedOut()

    outcome = await SendPolicy(0, sleep=fake_sleep).send(ALICE, slow)

    assert outcome.status is SendStatus.UNDECIDED
    assert outcome.attempts == 1
    assert outcome.error == "TimedOut: Timed out"
    assert fake_sleep.delays == []


async def test_a_transport_error_after_writing_is_undecided(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    async def dropped(chat_id: int) -> Message:
        try:
            raise ConnectionResetError("peer closed")
        except ConnectionResetError as error:
            raise NetworkError("httpx.RemoteProtocolError: Server disconnected") from error

    outcome = await SendPolicy(0, sleep=fake_sleep).send(ALICE, dropped)

    assert outcome.status is SendStatus.UNDECIDED
    assert outcome.attempts == 1


async def test_a_request_that_was_not_sent_is_retried(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    attempts = 0

    async def refused_once(chat_id: int) -> Message:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RequestNotSent("httpx.ConnectError: connection refused")
        if attempts == 2:
            raise PoolTimedOut("Pool timeout: not sent")
        return await app.bot.send_message(chat_id, "hello")

    outcome = await SendPolicy(0, sleep=fake_sleep).send(ALICE, refused_once)

    assert outcome.status is SendStatus.SENT
    assert outcome.attempts == 3
    assert len(fake_sleep.delays) == 2
    assert len(api.calls_to("sendMessage", ALICE)) == 1


async def test_a_row_taken_over_is_skipped(app: AcubotApp, api: InProcessBotAPI) -> None:
    async def not_ours(chat_id: int) -> Message:
        raise NotClaimed

    outcome = await SendPolicy(0).send(ALICE, not_ours)

    assert outcome.status is SendStatus.SKIPPED
    assert outcome.attempts == 0
    assert api.calls == [] or api.calls_to("sendMessage") == []


async def test_other_telegram_errors_fail_without_retry(
    app: AcubotApp, api: InProcessBotAPI, fake_sleep: FakeSleep
) -> None:
    api.fail(401, "Unauthorized")  # PTB: InvalidToken, not a NetworkError
    policy = SendPolicy(0, sleep=fake_sleep)

    outcome = await policy.send(ALICE, text_to(app))

    assert outcome.status is SendStatus.FAILED
    assert outcome.error == "InvalidToken: Unauthorized"
    assert outcome.attempts == 1
    assert fake_sleep.delays == []


async def test_chat_migrated_is_sent_to_the_new_chat(app: AcubotApp, api: InProcessBotAPI) -> None:
    api.fail(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        chat_id=OLD_GROUP,
        migrate_to_chat_id=NEW_GROUP,
    )
    policy = SendPolicy(0)

    outcome = await policy.send(OLD_GROUP, text_to(app))

    assert outcome.status is SendStatus.SENT
    assert outcome.chat_id == NEW_GROUP
    assert outcome.migrated_from == OLD_GROUP
    assert outcome.attempts == 2
    assert len(api.calls_to("sendMessage", NEW_GROUP)) == 1


async def test_chat_migrated_is_followed_only_once(app: AcubotApp, api: InProcessBotAPI) -> None:
    api.fail(400, "Bad Request: upgraded", chat_id=OLD_GROUP, migrate_to_chat_id=NEW_GROUP)
    api.fail(400, "Bad Request: upgraded", chat_id=NEW_GROUP, migrate_to_chat_id=-100_999)
    policy = SendPolicy(0)

    outcome = await policy.send(OLD_GROUP, text_to(app))

    assert outcome.status is SendStatus.FAILED
    assert outcome.attempts == 2
    # The caller still learns the move it can act on.
    assert outcome.chat_id == NEW_GROUP
    assert outcome.migrated_from == OLD_GROUP


async def test_bugs_in_the_send_callable_are_not_swallowed() -> None:
    async def broken(chat_id: int) -> Message:
        raise KeyError("template")

    with pytest.raises(KeyError):
        await SendPolicy(0).send(ALICE, broken)


async def test_pacing_holds_sends_beyond_the_rate(app: AcubotApp, api: InProcessBotAPI) -> None:
    # Deterministic: at 1 send/s the next token is a whole second away, far
    # longer than the loop turns below take, so exactly one send goes out.
    policy = SendPolicy(1)

    tasks = [asyncio.create_task(policy.send(chat, text_to(app))) for chat in (ALICE, BOB, CAROL)]
    await spin(until=lambda: len(api.sent()) == 1)
    await spin()

    assert len(api.sent()) == 1
    assert sum(task.done() for task in tasks) == 1
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_pacing_spreads_a_batch_over_time(app: AcubotApp, api: InProcessBotAPI) -> None:
    # Measures the limiter itself, so real time passes: 21 sends at 40/s are
    # spaced 25 ms apart, 0.5 s in all. The bound is deliberately loose.
    policy = SendPolicy(40)
    loop = asyncio.get_running_loop()

    started = loop.time()
    outcomes = await asyncio.gather(*(policy.send(1000 + i, text_to(app)) for i in range(21)))
    elapsed = loop.time() - started

    assert all(o.status is SendStatus.SENT for o in outcomes)
    assert elapsed >= 0.4


def test_describe_is_short_and_single_line() -> None:
    assert describe(TelegramError("Error: boom")) == "TelegramError: Boom"
    assert describe(ValueError()) == "ValueError"
    assert describe(TelegramError("line one\nline two")) == "TelegramError: line one line two"
    long = describe(TelegramError("x" * 500))
    assert len(long) == 200
    assert long.startswith("TelegramError: xxx")
    assert long.endswith("…")


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        SendPolicy(-1)
    with pytest.raises(ValueError):
        SendPolicy(10, max_attempts=0)


async def test_chat_migrated_on_the_last_attempt_still_reports_the_new_id(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    api.fail(400, "Bad Request: upgraded", chat_id=OLD_GROUP, migrate_to_chat_id=NEW_GROUP)
    policy = SendPolicy(0, max_attempts=1)

    outcome = await policy.send(OLD_GROUP, text_to(app))

    assert outcome.status is SendStatus.FAILED
    assert outcome.attempts == 1
    assert (outcome.chat_id, outcome.migrated_from) == (NEW_GROUP, OLD_GROUP)
    assert api.calls_to("sendMessage", NEW_GROUP) == []
