"""The names a point answers to, as comparison keys.

"UB40", "bl-40", "bl040", "B 40", "bladder 40", "weizhong", "Wěi Zhōng", "委中"
and "Middle of the Crook" all name BL40. Both the catalogue's check that no two
points share a name and the lookup index use these keys, so they live apart
from both (no import cycle between catalogue and lookup).
"""

from __future__ import annotations

import re
import unicodedata

from content.schema import Point

# Every way people write a channel's code, mapped to the WHO code.
CHANNEL_CODES = {
    "bl": "BL",
    "ub": "BL",
    "b": "BL",
    "ki": "KI",
    "kid": "KI",
    "k": "KI",
    "gb": "GB",
    "g": "GB",
    "gv": "GV",
    "du": "GV",
    "si": "SI",
}
# A channel's name followed by a number is a code too: "kidney 3", "governing vessel 4".
CHANNEL_NAMES = {
    "bladder": "BL",
    "urinarybladder": "BL",
    "kidney": "KI",
    "kidneys": "KI",
    "gallbladder": "GB",
    "governingvessel": "GV",
    "governorvessel": "GV",
    "dumai": "GV",
    "smallintestine": "SI",
}
_CODE = re.compile(r"^([a-z]+)0*([0-9]{1,3})$")
_DROP = re.compile(r"[\s\-_.'’·,()/]+")


def normalize(text: str) -> str:
    """A comparison key: lower case, no tone marks, no spaces or hyphens."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _DROP.sub("", text)


def canonical_code_key(key: str) -> str:
    """'ub040' -> 'bl40'; other keys unchanged."""
    match = _CODE.match(key)
    if not match:
        return key
    prefix, number = match.groups()
    channel = CHANNEL_CODES.get(prefix) or CHANNEL_NAMES.get(prefix)
    if channel:
        prefix = channel.lower()
    return f"{prefix}{int(number)}"


def names_of(point: Point) -> set[str]:
    """Every normalized name that should find this point."""
    names = {
        canonical_code_key(normalize(point.code)),
        normalize(point.pinyin),
        normalize(point.hanzi_traditional),
        normalize(point.hanzi_simplified),
        normalize(point.english),
    }
    names.update(canonical_code_key(normalize(alias)) for alias in point.aliases)
    names.discard("")
    return names


def other_codes(point: Point) -> list[str]:
    """The point's code in the other code systems, e.g. UB40 and B40 for BL40."""
    if "-" in point.code:
        return []
    number = point.code[len(point.meridian) :]
    return [
        f"{prefix.upper()}{number}"
        for prefix, channel in CHANNEL_CODES.items()
        if channel == point.meridian and prefix.upper() != point.meridian
    ]
