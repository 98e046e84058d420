"""Whole numbers as patients type them and buttons carry them: ASCII digits only.

`str.isdigit()` is true for "²", "٣" and "①", and `int()` then either raises
("²") or quietly reads another script's digits ("٣" is 3). Everything the bot
parses as a number goes through `ascii_int` instead: a number or None, never
an exception, so bad input can be refused politely.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_int(text: str, *, max_digits: int = 19, leading_zeros: bool = True) -> int | None:
    """The number `text` spells in ASCII digits 0-9, else None.

    No sign, no spaces, no other scripts' digits; at most `max_digits` digits
    (19 fits a 64-bit id). `leading_zeros=False` refuses "07" (for data the
    bot wrote itself, where only one spelling is valid).
    """
    if not 0 < len(text) <= max_digits or not _ASCII_DIGITS.fullmatch(text):
        return None
    if not leading_zeros and len(text) > 1 and text[0] == "0":
        return None
    return int(text)
