"""Traditional Chinese read as Simplified, for the red-flag screen and the own-words matcher.

The phrase tables are written in Simplified Chinese; a patient with a
Traditional keyboard (Taiwan, Hong Kong) writes 發燒 or 尿不出來, which must
match 发烧 and 尿不出来 just the same. OpenCC's Traditional-to-Simplified
conversion does this (about 10 µs a message); Simplified text is unchanged.
"""

from __future__ import annotations

import re
from functools import cache

import opencc

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """`text` with Traditional characters written in Simplified ones; others as they are."""
    if not _HAN.search(text):
        return text
    return str(_converter().convert(text))
