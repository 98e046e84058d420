"""The bot's limiter retries replies, and lets bulk sends straight through."""

from __future__ import annotations

import pytest
from telegram.error import RetryAfter

from bot.rate_limit import ReplyRateLimiter
from scheduler.send_policy import IN_BULK_SEND


class FloodedOnce:
    """A Bot API call that is refused with a 429 the first time."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> bool:
        self.calls += 1
        if self.calls == 1:
            raise RetryAfter(0)
        return True


async def test_a_reply_goes_through_the_limiter_and_is_retried() -> None:
    call = FloodedOnce()
    limiter = ReplyRateLimiter()
    assert await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert call.calls == 2


async def test_a_bulk_send_bypasses_it_and_its_429_reaches_the_send_policy() -> None:
    call = FloodedOnce()
    limiter = ReplyRateLimiter()
    marker = IN_BULK_SEND.set(True)
    try:
        with pytest.raises(RetryAfter):
            await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 1}, None)
    finally:
        IN_BULK_SEND.reset(marker)
    assert call.calls == 1
