"""Finds points and meridians from whatever a patient types.

"UB40", "bl-40", "bl040", "B 40", "bladder 40", "weizhong", "Wěi Zhōng",
"委中" and "Middle of the Crook" all name BL40. Case, spaces, hyphens, tone
marks and leading zeros do not matter.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from content.catalogue import Catalogue
from content.schema import Meridian, Point

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
# Channels with catalogue points beyond the meridians it describes in full.
OTHER_CHANNEL_NAMES = {
    "SI": ("si", "smallintestine", "smallintestinemeridian", "handtaiyang"),
    "EX": ("ex", "extra", "extrapoints", "extrapoint"),
}
_CODE = re.compile(r"^([a-z]+)0*(\d{1,3})$")
_DROP = re.compile(r"[\s\-_.'’·,()/]+")
_WORD = re.compile(r"[\w\u3400-\u9fff]+")
MAX_QUERY_LENGTH = 64  # nothing in the catalogue is longer; longer input is not a name
MAX_SUGGESTIONS = 3


def normalize(text: str) -> str:
    """A comparison key: lower case, no tone marks, no spaces or hyphens."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _DROP.sub("", text)


def _canonical_code_key(key: str) -> str:
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
        _canonical_code_key(normalize(point.code)),
        normalize(point.pinyin),
        normalize(point.hanzi_traditional),
        normalize(point.hanzi_simplified),
        normalize(point.english),
    }
    names.update(_canonical_code_key(normalize(alias)) for alias in point.aliases)
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


@dataclass(frozen=True, slots=True)
class PointMatch:
    """The answer to a lookup: the point, or the closest ones as suggestions."""

    point: Point | None
    suggestions: tuple[Point, ...] = ()


class PointIndex:
    """An index over the catalogue's names, built once at start-up."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._by_name: dict[str, Point] = {}
        for point in catalogue.points:
            for name in names_of(point):
                self._by_name[name] = point
        self._names = sorted(self._by_name)
        self._meridians: dict[str, Meridian] = {}
        for meridian in catalogue.meridians:
            for name in (meridian.code, meridian.name, *meridian.aliases):
                self._meridians[normalize(name)] = meridian
            self._meridians[normalize(meridian.name.removesuffix(" meridian"))] = meridian
        self._channels = {name: meridian.code for name, meridian in self._meridians.items()}
        with_points = {point.meridian for point in catalogue.points}
        for code, names in OTHER_CHANNEL_NAMES.items():
            if code in with_points and catalogue.meridian(code) is None:
                self._channels.update(dict.fromkeys(names, code))

    def find(self, query: str) -> PointMatch:
        """The point this query names, or up to three close suggestions."""
        key = _canonical_code_key(normalize(query[: MAX_QUERY_LENGTH * 2]))
        if not key or len(key) > MAX_QUERY_LENGTH:
            return PointMatch(None)
        point = self._by_name.get(key)
        if point:
            return PointMatch(point)
        return PointMatch(None, self._suggest(key))

    def find_in_text(self, text: str) -> Point | None:
        """A point named somewhere in free text ("where is weizhong?"), if exactly one."""
        whole = self.find(text).point
        if whole:
            return whole
        words = _WORD.findall(text[:500])
        found = {
            point.code: point
            for size in (1, 2, 3)
            for start in range(len(words) - size + 1)
            if (
                point := self._by_name.get(
                    _canonical_code_key(normalize("".join(words[start : start + size])))
                )
            )
        }
        return next(iter(found.values())) if len(found) == 1 else None

    def find_meridian(self, query: str) -> Meridian | None:
        """The meridian this query names ("UB", "bladder", "Du Mai")."""
        return self._meridians.get(normalize(query[:MAX_QUERY_LENGTH]))

    def find_channel(self, query: str) -> str | None:
        """The code of the channel this query names, described in full or not ("SI", "extra")."""
        return self._channels.get(normalize(query[:MAX_QUERY_LENGTH]))

    def _suggest(self, key: str) -> tuple[Point, ...]:
        close = difflib.get_close_matches(key, self._names, n=12, cutoff=0.6)
        suggestions: dict[str, Point] = {}
        for name in close:
            point = self._by_name[name]
            suggestions.setdefault(point.code, point)
        return tuple(suggestions.values())[:MAX_SUGGESTIONS]
