"""One rate budget for everything the bot sends: replies first, bulk sends with what is left.

Telegram allows a bot about 30 messages a second in all, about one a second
to one chat, and 20 a minute to one group. Replies to patients and bulk sends
(reminders, broadcasts) share that budget here, at the Bot API call itself,
where the time a message leaves is the time it is counted:

* every new message (text, photo, document...) takes a slot; at most
  `total_rate` slots are given in any one-second window (a sliding window, so
  no 1-s window ever holds more, whatever its start), each slot held 50 ms
  longer than the window so the network's jitter cannot bunch them up on the
  way to Telegram;
* an edit of a message already sent (editMessage*) takes no slot of that
  window: Telegram's ~30 a second is its guideline for messages to many
  users, and its per-chat limits are the ones edits share with sends
  (Telegram's maintainer, tdlib/td#3034 and tdlib/telegram-bot-api#648).
  The bot edits a message only in answer to that patient's own button press,
  one edit per press, so a chat's edits follow its person's taps; an edit
  still counts towards its group's 20 a minute, waits out flood control, and
  spaces a bulk send to the same chat;
* replies take a slot as soon as the window has one; bulk sends wait while a
  reply waits, leave the window's last two slots to replies, and are spaced
  evenly at `bulk_rate` (SEND_RATE), at most one a second to one chat;
* a group chat gets at most 20 messages a minute, replies included;
* a RetryAfter from Telegram holds every slot for its duration.

SEND_RATE is this instance's share of bulk sends; the 30/s total is this
instance's too (README, "Scale-out"). With `total_rate == 0` (SEND_RATE=0:
a local sink or a benchmark) nothing is paced.

Time is the event loop's clock (`loop.time()`, `loop.call_at`): a test runs
on a virtual-time loop (looptime) and so counts exact windows without waiting.

`BudgetRateLimiter` is python-telegram-bot's hook (`BaseRateLimiter`) that
puts every call through the budget. It also retries a reply once when it
certainly did not reach Telegram (a 5xx answer, a refused connection, no free
connection), and waits out a RetryAfter for a reply up to twice. Bulk sends
are marked by the send policy (`IN_BULK_SEND`) and retried there, not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from scheduler.send_errors import certainly_not_delivered
from scheduler.send_policy import IN_BULK_SEND, Sleep, retry_after_seconds

log = logging.getLogger(__name__)

TELEGRAM_RATE = 30.0  # messages per second per bot
WINDOW = 1.0
# A slot is held this much longer than the window: messages that left 1 s apart
# may reach Telegram closer together (the network and the bot's own load jitter),
# and Telegram counts them as they arrive. Measured at 8:00 with the window alone:
# 3 refusals (429) in a run on PostgreSQL; with this allowance none.
JITTER_ALLOWANCE = 0.05
CHAT_INTERVAL = 1.0  # bulk sends: at most one message a second to one chat
GROUP_RATE, GROUP_WINDOW = 20, 60.0
# Slots of every one-second window that bulk sends leave to replies (a card is two).
REPLY_RESERVE = 2
# Bot API methods that change a message already sent rather than send one.
EDIT_ENDPOINTS = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia"}
)
# A wake-up comes this long after the moment a slot frees, so a timer that the
# event loop fires a hair early never finds the slot still taken.
_MARGIN = 1e-3

# A reply refused by flood control is retried this many times, if the wait is short.
REPLY_FLOOD_RETRIES = 2
MAX_REPLY_RETRY_AFTER = 30.0
# A reply that certainly did not reach Telegram is retried this many times.
REPLY_NETWORK_RETRIES = 1


@dataclass(slots=True)
class _Waiter:
    chat_id: int
    bulk: bool
    future: asyncio.Future[None] = field(repr=False)
    # A bulk send's per-chat bound as it queued: replies to that chat while it waits
    # do not push it later (a patient chatting every second would starve it forever).
    chat_free: float = float("-inf")
    edit: bool = False  # an edit waits only for flood control and its group's minute


class MessageBudget:
    """Slots for messages under Telegram's limits; replies before bulk sends."""

    def __init__(self, *, total_rate: float = TELEGRAM_RATE, bulk_rate: float) -> None:
        if total_rate < 0 or bulk_rate < 0:
            raise ValueError("rates must be >= 0")
        self.total_rate = total_rate
        self.bulk_rate = min(bulk_rate, total_rate) if total_rate else bulk_rate
        self._capacity = int(total_rate)
        self._bulk_interval = 1 / self.bulk_rate if self.bulk_rate else 0.0
        self._sent: deque[float] = deque(maxlen=max(self._capacity, 1))  # the last `capacity`
        self._next_bulk = float("-inf")
        self._last_to_chat: dict[int, float] = {}
        self._last_bulk_to_chat: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = {}
        self._held_until = float("-inf")
        self._replies: deque[_Waiter] = deque()
        self._bulk: deque[_Waiter] = deque()
        self._timer: asyncio.TimerHandle | None = None
        # For tests and diagnostics: slots given, edits let through, and the longest a
        # reply waited for a slot.
        self.granted = 0
        self.edits = 0
        self.longest_reply_wait = 0.0

    @property
    def paced(self) -> bool:
        return self._capacity > 0

    @property
    def waiting(self) -> int:
        return len(self._replies) + len(self._bulk)

    async def acquire(self, chat_id: int, *, bulk: bool, edit: bool = False) -> None:
        """Returns when a message to `chat_id` may leave now.

        `edit`: the call edits a message already sent, in answer to a reply; it
        takes no slot of the one-second window (see the module's docstring).
        """
        if not self.paced:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        edit = edit and not bulk
        queued_ahead = not edit and bool(self._replies or (bulk and self._bulk))
        if not queued_ahead and self._allowed(chat_id, bulk, now, edit):
            self._take(chat_id, bulk, now, edit)
            return
        last = self._last_to_chat.get(chat_id)
        chat_free = last + CHAT_INTERVAL if bulk and last is not None else float("-inf")
        waiter = _Waiter(chat_id, bulk, loop.create_future(), chat_free, edit)
        (self._bulk if bulk else self._replies).append(waiter)
        self._schedule(loop, now)
        try:
            await waiter.future
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                (self._bulk if bulk else self._replies).remove(waiter)
            raise
        if not bulk:
            self.longest_reply_wait = max(self.longest_reply_wait, loop.time() - now)

    def hold(self, seconds: float) -> None:
        """Telegram asked to wait (RetryAfter): no slot is given for `seconds`."""
        if not self.paced:
            return
        loop = asyncio.get_running_loop()
        self._held_until = max(self._held_until, loop.time() + seconds)
        log.warning("Telegram flood control: holding all sends for %.1f s", seconds)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._schedule(loop, loop.time())

    # -- the rules ------------------------------------------------------------------
    def _free_at(
        self, chat_id: int, bulk: bool, chat_free: float | None = None, edit: bool = False
    ) -> float:
        """The earliest instant a message to `chat_id` could take a slot.

        A queued bulk send passes `chat_free`, its per-chat bound from when it
        queued: later bulk sends to the chat still space it, later replies do not.
        An edit needs no slot of the window: only flood control and a group's
        minute hold it.
        """
        at = self._held_until
        # Bulk sends leave a few slots of every window free, so a reply never waits for one.
        limit = max(1, self._capacity - REPLY_RESERVE) if bulk else self._capacity
        if not edit and len(self._sent) >= limit:
            at = max(at, self._sent[len(self._sent) - limit] + WINDOW + JITTER_ALLOWANCE)
        if bulk:
            last = self._last_to_chat.get(chat_id)
            if chat_free is None:
                chat_free = last + CHAT_INTERVAL if last is not None else at
            last_bulk = self._last_bulk_to_chat.get(chat_id)
            if last_bulk is not None:
                chat_free = max(chat_free, last_bulk + CHAT_INTERVAL)
            at = max(at, self._next_bulk, chat_free)
        if chat_id < 0 and (group := self._groups.get(chat_id)) and len(group) >= GROUP_RATE:
            at = max(at, group[0] + GROUP_WINDOW)
        return at

    def _allowed(self, chat_id: int, bulk: bool, now: float, edit: bool) -> bool:
        return now >= self._free_at(chat_id, bulk, None, edit)

    def _waiter_free_at(self, waiter: _Waiter) -> float:
        return self._free_at(
            waiter.chat_id, waiter.bulk, waiter.chat_free if waiter.bulk else None, waiter.edit
        )

    def _take(self, chat_id: int, bulk: bool, now: float, edit: bool = False) -> None:
        if edit:
            self.edits += 1
        else:
            self._sent.append(now)
            self.granted += 1
        if bulk:
            self._next_bulk = now + self._bulk_interval
            self._last_bulk_to_chat[chat_id] = now
            if len(self._last_bulk_to_chat) > 4096:
                self._last_bulk_to_chat = _recent(self._last_bulk_to_chat, now)
        self._last_to_chat[chat_id] = now
        if len(self._last_to_chat) > 4096:  # forget chats that are free again
            self._last_to_chat = _recent(self._last_to_chat, now)
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque(maxlen=GROUP_RATE)).append(now)

    # -- waking the waiters -----------------------------------------------------------
    def _schedule(self, loop: asyncio.AbstractEventLoop, now: float) -> None:
        if self._timer is not None:
            return
        waiters = [w for w in (*self._replies, *self._bulk) if not w.future.done()]
        if not waiters:
            return
        wake = min(self._waiter_free_at(w) for w in waiters)
        self._timer = loop.call_at(max(wake, now) + _MARGIN, self._grant)

    def _grant(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        # Replies first: a bulk send finds the window full while a reply waits for it.
        for queue in (self._replies, self._bulk):
            for waiter in list(queue):
                if waiter.future.done():
                    queue.remove(waiter)
                elif now >= self._waiter_free_at(waiter):
                    queue.remove(waiter)
                    self._take(waiter.chat_id, waiter.bulk, now, waiter.edit)
                    waiter.future.set_result(None)
        self._schedule(loop, now)


def _recent(last: dict[int, float], now: float) -> dict[int, float]:
    """The chats sent to within the last CHAT_INTERVAL (the others are free again)."""
    return {chat: at for chat, at in last.items() if now - at < CHAT_INTERVAL}


class BudgetRateLimiter(BaseRateLimiter[int]):
    """Puts every Bot API call that names a chat through the `MessageBudget`."""

    def __init__(self, budget: MessageBudget, *, sleep: Sleep = asyncio.sleep) -> None:
        self.budget = budget
        self._sleep = sleep

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat = _chat_id(data.get("chat_id"))
        if chat is None:  # getUpdates, answerCallbackQuery, setMyCommands: not messages
            return await callback(*args, **kwargs)
        if IN_BULK_SEND.get():  # paced here, retried by the send policy
            await self.budget.acquire(chat, bulk=True)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.budget.hold(retry_after_seconds(error))
                raise
        flood_retries = network_retries = 0
        edit = endpoint in EDIT_ENDPOINTS
        while True:
            await self.budget.acquire(chat, bulk=False, edit=edit)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                delay = retry_after_seconds(error)
                self.budget.hold(delay)
                if flood_retries >= REPLY_FLOOD_RETRIES or delay > MAX_REPLY_RETRY_AFTER:
                    raise
                flood_retries += 1
                await self._sleep(delay)
            except NetworkError as error:
                if network_retries >= REPLY_NETWORK_RETRIES or not certainly_not_delivered(error):
                    raise
                network_retries += 1
                log.info("%s failed before reaching Telegram (%s); retrying once", endpoint, error)


def _chat_id(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return -1  # an @channel username: a channel, counted as a group
    return None
