"""Signed codes for programme links: `https://t.me/<bot>?start=<code>`.

A code names one `programme_links` row and says until when it may be used and
whether it is single-use; an HMAC-SHA256 tag keyed with LINK_SECRET makes it
unforgeable. Pure: no I/O, no clock (the caller passes `now`), no database.
The row stays the authority (a single-use link is claimed there); the code
only lets the bot refuse a forged, damaged or expired one before any query.

Layout, before base64url (no padding) and the prefix "p":

    version (1 byte) | flags (1) | link id (4, big-endian) | expiry (5) | tag (16)

The expiry is whole seconds since 1970-01-01 UTC; the tag is the first 128
bits of HMAC-SHA256(secret, CONTEXT + the first 11 bytes). 27 bytes are 36
base64 characters exactly, so every character carries six bits of the code
(none is padding whose low bits a decoder would ignore) and a code is always
37 characters, well under Telegram's 64 for a /start parameter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

PREFIX = "p"
VERSION = 1
# Telegram's limit for the parameter of a /start deep link.
MAX_START_PARAMETER = 64
MAX_LINK_ID = 2**32 - 1
MIN_SECRET_BYTES = 32
TAG_BYTES = 16
SINGLE_USE = 0x01
# Binds the tag to this use of the secret: the same secret signing anything
# else can never produce a valid programme code.
CONTEXT = b"acubot/programme-link/v1\x00"

_PAYLOAD_BYTES = 1 + 1 + 4 + 5
_CODE_BYTES = _PAYLOAD_BYTES + TAG_BYTES
CODE_LENGTH = len(PREFIX) + _CODE_BYTES * 4 // 3
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_EXPIRY_SECONDS = 2**40 - 1

Reason = Literal["malformed", "forged", "expired"]


@dataclass(frozen=True)
class LinkCode:
    """What a code says: which link, until when (exclusive), single-use or not."""

    link_id: int
    expires_at: datetime
    single_use: bool

    def __post_init__(self) -> None:
        if not 0 <= self.link_id <= MAX_LINK_ID:
            raise ValueError(f"link id must be 0..{MAX_LINK_ID}")
        if self.expires_at.utcoffset() is None:
            raise ValueError("expires_at must be timezone-aware")


class BadLinkCode(ValueError):
    """A code that must not be used, and why (`reason`).

    `link_id` is the id the text claims when it can be read at all (not
    verified: only for logs). The message never contains the code.
    """

    def __init__(self, reason: Reason, link_id: int | None = None) -> None:
        self.reason: Reason = reason
        self.link_id = link_id
        about = f" (claims link {link_id})" if link_id is not None else ""
        super().__init__(f"programme link code is {reason}{about}")


def sign(code: LinkCode, secret: bytes) -> str:
    """The code as text for a /start link: 37 characters of A-Za-z0-9_-.

    The expiry is kept to the second, rounded down (a link never lasts longer
    than asked).
    """
    _check_secret(secret)
    seconds = (code.expires_at - _EPOCH) // timedelta(seconds=1)
    if not 0 <= seconds <= _MAX_EXPIRY_SECONDS:
        raise ValueError("expires_at must be after 1970-01-01 UTC")
    payload = (
        bytes([VERSION, SINGLE_USE if code.single_use else 0])
        + code.link_id.to_bytes(4, "big")
        + seconds.to_bytes(5, "big")
    )
    raw = payload + _tag(payload, secret)
    return PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


def verify(text: str, secret: bytes, now: datetime) -> LinkCode:
    """What a valid code says; raises BadLinkCode otherwise.

    A code is valid while `now` is before its expiry; at the expiry instant
    it has expired. Checks, in order: shape (length, alphabet, prefix, before
    any decoding), version, tag (constant-time), flags, expiry.
    """
    _check_secret(secret)
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    raw = _decode(text)
    payload, tag = raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]
    link_id = int.from_bytes(payload[2:6], "big")
    if payload[0] != VERSION:
        raise BadLinkCode("malformed", link_id)
    if not hmac.compare_digest(tag, _tag(payload, secret)):
        raise BadLinkCode("forged", link_id)
    flags = payload[1]
    if flags & ~SINGLE_USE:
        raise BadLinkCode("malformed", link_id)  # signed by us, yet not a flag we know
    seconds = int.from_bytes(payload[6:11], "big")
    try:
        expires_at = _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        raise BadLinkCode("malformed", link_id) from None
    if now >= expires_at:
        raise BadLinkCode("expired", link_id)
    return LinkCode(link_id=link_id, expires_at=expires_at, single_use=bool(flags & SINGLE_USE))


def link_for(bot_username: str, code: str) -> str:
    """The deep link a patient opens: https://t.me/<bot>?start=<code>."""
    username = bot_username.removeprefix("@")
    if not re.fullmatch(r"[A-Za-z0-9_]{1,32}", username):
        raise ValueError("not a Telegram bot username")
    if not (len(code) <= MAX_START_PARAMETER and _ALPHABET.fullmatch(code)):
        raise ValueError("not a /start parameter Telegram accepts")
    return f"https://t.me/{username}?start={code}"


def describe(text: str) -> str:
    """A log-safe name for a code as received: the link id it claims, never its tag."""
    try:
        raw = _decode(text)
    except BadLinkCode:
        return f"an unreadable code of {len(text)} characters"
    return f"a code for link {int.from_bytes(raw[2:6], 'big')}"


def _decode(text: str) -> bytes:
    # Length and alphabet first: an overlong or odd text is never decoded.
    if len(text) != CODE_LENGTH or not _ALPHABET.fullmatch(text) or not text.startswith(PREFIX):
        raise BadLinkCode("malformed")
    body = text[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body)
    except (binascii.Error, ValueError):
        raise BadLinkCode("malformed") from None
    # One text per code: a decoder that ignores bits would let two texts mean one code.
    if len(raw) != _CODE_BYTES or base64.urlsafe_b64encode(raw).decode("ascii") != body:
        raise BadLinkCode("malformed")
    return raw


def _tag(payload: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, CONTEXT + payload, hashlib.sha256).digest()[:TAG_BYTES]


def _check_secret(secret: bytes) -> None:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the link secret must be at least {MIN_SECRET_BYTES} bytes")
