"""One send policy for every bulk send (daily reminders, clinic broadcasts).

Telegram limits a bot to about 30 messages per second overall and about one
per second per chat. Bulk sends go to many different chats, so the overall
limit is the one that bites; interactive replies share the same budget, so
bulk sends are paced below it (settings.send_rate, 25/s by default) to leave
headroom for patients who are chatting with the bot right now.

Per attempt, the policy:

* paces: at most `rate` attempts per second across all concurrent callers,
  spaced evenly (a leaky bucket holding one token) rather than in bursts, so
  no one-second window ever sees much more than `rate` sends;
* on RetryAfter (flood control): pauses *all* sends (every sender that shares
  this policy: the dispatcher and the broadcast sender), because flood control
  is bot-wide: retrying other chats during the pause only earns more 429s.
  Then it retries. A 429 says the message was not sent, so it does not use up
  the send's `max_attempts`: a storm fails nobody. Only a single pause longer
  than `max_retry_after`, or more than `max_flood_wait` seconds of pauses for
  one send, gives up (a storm that never ends must not stall a batch forever);
* on Forbidden (blocked, deactivated, kicked): BLOCKED, no retry; the caller
  marks the user unreachable;
* on ChatMigrated: retries once with the new chat id and reports both ids so
  the caller can store the new one;
* on RequestNotSent (the HTTP layer knows the request never reached
  Telegram: pool timeout, connection refused, DNS, reset before the request
  was written) and on a 5xx answer: retries with exponential backoff;
* on any other TimedOut / NetworkError (a read or write timeout, the
  connection closed after the request was written): UNDECIDED, never retried.
  Telegram may have delivered the message; retrying could send it twice, and
  "never twice" is the product's promise. The caller records it as "may not
  have arrived";
* on NotClaimed (raised by the `send` callable when its row was taken over
  before the request was written): SKIPPED, nothing was sent;
* on BadRequest and any other TelegramError: FAILED with the reason, retrying
  a request Telegram rejected would only be rejected again.

`max_attempts` bounds the attempts of one send whatever the reason. Telegram
errors never escape `send`, so one patient's failure never stops the others;
anything else (a bug in the `send` callable) does propagate.

All waiting goes through the injected `sleep`, so tests run without time
passing; only the limiter reads the event loop's clock.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import random
import warnings
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from aiolimiter import AsyncLimiter
from telegram import Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

__all__ = [
    "NotClaimed",
    "PoolTimedOut",
    "RequestNotSent",
    "SendOutcome",
    "SendPolicy",
    "SendStatus",
    "Sleep",
    "describe",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# True while a bulk send made through this policy is under way. The bot's own
# rate limiter (bot/rate_limit.py) lets these calls straight through: they are
# paced here already, and queueing them there too would put patients' replies
# behind a broadcast.
IN_BULK_SEND: ContextVar[bool] = ContextVar("in_bulk_send", default=False)

_MAX_REASON = 200
# Up to 10% on top of each backoff delay, so sends that failed together
# do not all retry in the same instant.
_JITTER = 0.1


class RequestNotSent(NetworkError):
    """The request certainly never reached Telegram: safe to send again.

    Raised by the HTTP layer (bot/http_lanes.py) when it knows no byte of the
    request was handed to the server: no free connection in time, the
    connection was refused or reset before the request was written, the name
    did not resolve. Any other NetworkError may have been delivered.
    """


class PoolTimedOut(TimedOut, RequestNotSent):
    """Every connection stayed busy for the pool timeout: the request was not sent."""


class NotClaimed(Exception):
    """Raised by a `send` callable: its row is no longer this sender's to send."""


class SendStatus(StrEnum):
    """How one send ended."""

    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    # The request may have reached Telegram (read/write timeout, connection
    # closed after writing): maybe delivered, so never retried.
    UNDECIDED = "undecided"
    # Not sent by us: the row was taken over before its request was written.
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """The result of one send under the policy."""

    status: SendStatus
    message_id: int | None = None
    # The chat id finally used: differs from the one asked for after a ChatMigrated.
    chat_id: int = 0
    # The old chat id if Telegram moved the chat; the caller stores `chat_id` instead.
    migrated_from: int | None = None
    # Short reason for BLOCKED / FAILED (see `describe`).
    error: str | None = None
    # Requests made, flood-control retries included.
    attempts: int = 1
    # Total seconds this send waited because of its own RetryAfter errors.
    retried_after_seconds: float = 0.0


def describe(error: BaseException) -> str:
    """A short, single-line reason: exception class and message, at most 200 chars."""
    message = " ".join(str(error).split())
    reason = f"{type(error).__name__}: {message}" if message else type(error).__name__
    if len(reason) > _MAX_REASON:
        reason = reason[: _MAX_REASON - 1] + "…"
    return reason


def retry_after_seconds(error: RetryAfter) -> float:
    """Seconds Telegram asked us to wait; `retry_after` is an int or a timedelta.

    PTB v22 returns an int (with a deprecation warning) unless PTB_TIMEDELTA is
    set, in which case it returns a timedelta.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return float(value)


class SendPolicy:
    """Paces bulk sends and turns Telegram errors into a `SendOutcome`.

    Share one instance between everything that sends in bulk: the pacing and
    the flood-control pause only work if every bulk sender goes through it.
    """

    def __init__(
        self,
        rate: float,
        *,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_retry_after: float = 600.0,
        max_flood_wait: float = 3600.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate < 0:
            raise ValueError(f"rate must be >= 0, got {rate}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
        self.rate = rate
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.max_flood_wait = max_flood_wait
        self._sleep = sleep
        # One token, refilled `rate` times a second: evenly spaced sends, no burst.
        # rate == 0 disables pacing (benchmarks).
        self._limiter = AsyncLimiter(1, 1 / rate) if rate > 0 else None
        # The bot-wide flood-control pause: a task that ends when sending may resume.
        self._pause: asyncio.Task[None] | None = None
        self._paused_until = 0.0  # loop time the current pause was planned to end

    async def send(self, chat_id: int, send: Callable[[int], Awaitable[Message]]) -> SendOutcome:
        """Runs `await send(chat_id)` under the policy; never raises for Telegram errors."""
        target = chat_id
        migrated_from: int | None = None
        attempts = 0
        network_failures = 0
        waited = 0.0

        def outcome(
            status: SendStatus, error: BaseException | None = None, message_id: int | None = None
        ) -> SendOutcome:
            return SendOutcome(
                status=status,
                message_id=message_id,
                chat_id=target,
                migrated_from=migrated_from,
                error=describe(error) if error is not None else None,
                attempts=attempts,
                retried_after_seconds=waited,
            )

        failures = 0  # attempts that count against max_attempts (not 429s)
        while True:
            attempts += 1
            await self._take_turn()
            try:
                message = await _as_bulk_send(send, target)
            except NotClaimed:
                attempts -= 1  # nothing was requested
                return outcome(SendStatus.SKIPPED)
            except RetryAfter as error:
                delay = retry_after_seconds(error)
                if delay > self.max_retry_after:
                    return outcome(SendStatus.FAILED, error)
                if waited + delay > self.max_flood_wait:
                    self._pause_all(delay)  # the others still wait
                    return outcome(SendStatus.FAILED, error)
                # Pause everyone: the limit is bot-wide. Not a failure of this
                # send: Telegram refused it unsent, so it keeps its budget.
                self._pause_all(delay)
                waited += delay  # the next turn waits for the pause
                continue
            except ChatMigrated as error:
                if migrated_from is not None:  # moved again: follow one move only
                    return outcome(SendStatus.FAILED, error)
                # Recorded even if we cannot retry, so the caller still stores the new id.
                migrated_from, target = target, error.new_chat_id
                failures += 1
                if failures >= self.max_attempts:
                    return outcome(SendStatus.FAILED, error)
            except Forbidden as error:
                return outcome(SendStatus.BLOCKED, error)
            except BadRequest as error:
                # Must precede NetworkError: PTB makes BadRequest a NetworkError subclass.
                return outcome(SendStatus.FAILED, error)
            except NetworkError as error:  # TimedOut, transport errors, 5xx answers
                if not _certainly_not_delivered(error):
                    return outcome(SendStatus.UNDECIDED, error)
                if failures + 1 >= self.max_attempts:
                    return outcome(SendStatus.FAILED, error)
                failures += 1
                await self._sleep(self._backoff(network_failures))
                network_failures += 1
            except TelegramError as error:  # InvalidToken, Conflict, ...
                return outcome(SendStatus.FAILED, error)
            else:
                return outcome(SendStatus.SENT, message_id=message.message_id)

    # -- pacing and the shared pause --------------------------------------------
    async def _take_turn(self) -> None:
        """Waits out any flood-control pause, then for a token from the limiter."""
        while True:
            while (pause := self._pause) is not None and not pause.done():
                # Shielded: a cancelled sender must not cancel everyone's pause.
                await asyncio.shield(pause)
            if self._limiter is not None:
                await self._limiter.acquire()
            # A pause may have started while we queued for the token.
            if self._pause is None or self._pause.done():
                return

    def _pause_all(self, seconds: float) -> None:
        """Holds every send for `seconds`, unless a pause at least as long is running."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        if self._pause is not None and not self._pause.done() and self._paused_until >= until:
            return
        log.warning("Telegram flood control: pausing all bulk sends for %.1f s", seconds)
        self._paused_until = until
        # A longer pause replaces a shorter one; senders waiting on the old one
        # move on to the new one when the old one ends.
        self._pause = loop.create_task(self._hold(seconds))

    async def _hold(self, seconds: float) -> None:
        await self._sleep(seconds)

    def _backoff(self, failures: int) -> float:
        """Delay before retry number `failures + 1` after a network error."""
        delay = self.backoff_base * 2**failures * (1 + random.uniform(0, _JITTER))
        return min(self.backoff_cap, delay)


def _certainly_not_delivered(error: NetworkError) -> bool:
    """True when retrying cannot send the message twice.

    RequestNotSent: the HTTP layer knows the request never left. A plain
    NetworkError raised without a cause is PTB's reading of an HTTP 5xx
    answer: the Bot API answered that the method failed. Everything else (a
    TimedOut, a transport error wrapped from httpx) may have been delivered.
    """
    if isinstance(error, RequestNotSent):
        return True
    if isinstance(error, TimedOut):
        return False
    return error.__cause__ is None and error.__context__ is None


async def _as_bulk_send(send: Callable[[int], Awaitable[Message]], chat_id: int) -> Message:
    """Makes the call marked as a bulk send (see IN_BULK_SEND)."""
    marker = IN_BULK_SEND.set(True)
    try:
        return await send(chat_id)
    finally:
        IN_BULK_SEND.reset(marker)
