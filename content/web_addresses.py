"""Web addresses and secrets the bot accepts, checked as Telegram would.

Plain functions with no settings and no Telegram: the settings validate
WEBHOOK_URL, WEBHOOK_SECRET and BOOKING_URL with them at start-up, and the
broadcast flow checks a staff member's button address with the same rule.
Each returns why a value is refused, or None when it is fine.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Telegram's rules for webhooks: the secret_token alphabet, the ports it delivers to.
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
TELEGRAM_WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})


def secret_problem(secret: str) -> str | None:
    """Why Telegram would refuse `secret` as secret_token, or None when it is fine."""
    if not _SECRET_SHAPE.fullmatch(secret or ""):
        return "must be 1-256 characters: letters A-Z a-z, digits, _ and -"
    return None


def webhook_url_problem(url: str) -> str | None:
    """Why Telegram would refuse `url` (the public base URL), or None when it is fine."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "is not a well-formed web address"
    if parts.scheme != "https":
        return "must start with https:// (Telegram only delivers to HTTPS)"
    if not parts.hostname or " " in url.strip():
        return "is not a well-formed web address"
    if parts.query or parts.fragment:
        return "must not have a ?query or #fragment"
    if port is not None and port not in TELEGRAM_WEBHOOK_PORTS:
        return "must use port 443, 80, 88 or 8443 (the only ports Telegram delivers to)"
    return None


def https_url_problem(value: str) -> str | None:
    """Why `value` is not a well-formed https:// URL, or None when it is."""
    parts = urlsplit(value)
    if parts.scheme != "https":
        return "must start with https://"
    if not parts.hostname or "." not in parts.hostname or " " in value:
        return "is not a well-formed web address"
    return None
