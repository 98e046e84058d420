"""Which failed Bot API calls surely did not deliver their message (so may be sent again)."""

from __future__ import annotations

import httpx
from telegram.error import BadRequest, NetworkError, TimedOut


def certainly_not_delivered(error: BaseException) -> bool:
    """True if the request surely did not reach Telegram, or Telegram failed it (5xx).

    A read or write timeout, or a connection closed after the request was
    written, may have delivered the message: those are not retried.
    """
    if isinstance(error, BadRequest) or not isinstance(error, NetworkError):
        return False
    cause = error.__cause__
    if isinstance(error, TimedOut):
        return isinstance(cause, httpx.PoolTimeout | httpx.ConnectTimeout) or (
            cause is None and "Pool timeout" in error.message
        )
    if cause is None:  # Telegram answered with an error status PTB has no class for: 5xx
        return True
    return isinstance(cause, httpx.ConnectError)
