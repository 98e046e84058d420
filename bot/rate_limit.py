"""The bot's rate limiter: Telegram's limits for replies, none for bulk sends.

PTB's AIORateLimiter keeps every call under Telegram's overall limit. Bulk
sends (reminders, broadcasts) are paced already by the send policy at
SEND_RATE, below that limit; if they also queued here, a patient's reply
would wait behind them. So calls made inside the send policy pass straight
through, and the limiter's whole budget serves replies.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

from scheduler.send_policy import IN_BULK_SEND

# A 429 on a reply is retried here (a bulk send's 429 goes to the send policy).
REPLY_RETRIES = 2


class ReplyRateLimiter(AIORateLimiter):
    """AIORateLimiter for interactive replies; bulk sends bypass it."""

    def __init__(self) -> None:
        super().__init__(max_retries=REPLY_RETRIES)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if IN_BULK_SEND.get():
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
