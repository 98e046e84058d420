"""Finds points and meridians from whatever a patient types.

"UB40", "bl-40", "bl040", "B 40", "bladder 40", "weizhong", "Wěi Zhōng", "委中"
and "Middle of the Crook" all name BL40. Case, spaces, hyphens, tone marks and
leading zeros do not matter (the keys are made in content/names.py).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from content.catalogue import Catalogue
from content.names import canonical_code_key, names_of, normalize
from content.schema import Meridian, Point

# A run of Latin (or other) letters and digits, or a run of Chinese: "BL40在哪" is two words.
_WORD = re.compile(r"[^\W\u3400-\u9fff]+|[\u3400-\u9fff]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MAX_QUERY_LENGTH = 64  # nothing in the catalogue is longer; longer input is not a name
MAX_SUGGESTIONS = 3
# Channels with catalogue points beyond the meridians it describes in full.
OTHER_CHANNEL_NAMES = {
    "SI": ("si", "smallintestine", "smallintestinemeridian", "handtaiyang"),
    "EX": ("ex", "extra", "extrapoints", "extrapoint"),
}


@dataclass(frozen=True, slots=True)
class PointMatch:
    """The answer to a lookup: the point, or the closest ones as suggestions."""

    point: Point | None
    suggestions: tuple[Point, ...] = ()


class PointIndex:
    """An index over the catalogue's names, built once at start-up."""

    def __init__(self, catalogue: Catalogue, translations: Iterable[Catalogue] = ()) -> None:
        """`translations`: the catalogue in other languages, whose names find the same points.

        Matches are the English catalogue's records; show them in the patient's
        language by code. A name two languages share keeps its English owner.
        """
        self.catalogue = catalogue
        self._by_name: dict[str, Point] = {}
        self._meridians: dict[str, Meridian] = {}
        for source in (catalogue, *translations):
            for translated in source.points:
                point = catalogue.point(translated.code) or translated
                for name in names_of(translated):
                    self._by_name.setdefault(name, point)
            for translated_meridian in source.meridians:
                meridian = catalogue.meridian(translated_meridian.code) or translated_meridian
                m = translated_meridian
                for name in (m.code, m.name, *m.aliases, m.name.removesuffix(" meridian")):
                    self._meridians.setdefault(normalize(name), meridian)
        self._names = sorted(self._by_name)
        # Chinese names are found inside a sentence too ("委中在哪里"): no spaces to split on.
        han_names = sorted((n for n in self._by_name if _HAN.search(n)), key=len, reverse=True)
        self._han_names = re.compile("|".join(map(re.escape, han_names))) if han_names else None
        self._channels = {name: meridian.code for name, meridian in self._meridians.items()}
        with_points = {point.meridian for point in catalogue.points}
        for code, names in OTHER_CHANNEL_NAMES.items():
            if code in with_points and catalogue.meridian(code) is None:
                self._channels.update(dict.fromkeys(names, code))

    def find(self, query: str) -> PointMatch:
        """The point this query names, or up to three close suggestions."""
        key = canonical_code_key(normalize(query[: MAX_QUERY_LENGTH * 2]))
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
                    canonical_code_key(normalize("".join(words[start : start + size])))
                )
            )
        }
        if self._han_names is not None and _HAN.search(text[:500]):
            han = unicodedata.normalize("NFKC", "".join(text[:500].split()))
            for name in self._han_names.findall(han):
                point = self._by_name[name]
                found[point.code] = point
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
