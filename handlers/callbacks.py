"""Callback data: short, versionless strings that survive restarts.

Telegram allows 64 bytes. Every button's data is `<kind>:<value>`; the
pattern constants below are what handlers register for.
"""

from __future__ import annotations

POINT = "pt"
MERIDIAN = "mer"
MENU = "menu"


def point(code: str) -> str:
    return f"{POINT}:{code}"


def meridian(code: str) -> str:
    return f"{MERIDIAN}:{code}"


def menu(name: str) -> str:
    return f"{MENU}:{name}"


def pattern(kind: str) -> str:
    """The regex a CallbackQueryHandler uses for one kind of button."""
    return rf"^{kind}:"


def value(data: str | None) -> str:
    """What comes after the kind: 'pt:BL40' -> 'BL40'."""
    return (data or "").partition(":")[2]
