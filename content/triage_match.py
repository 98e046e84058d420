"""The red-flag screen's two matchers, compiled once from the phrase tables.

`WordMatcher` reads languages written with spaces (English, Spanish): the
message becomes lower-case words without accents, misspellings corrected,
and phrases are word sequences. `CharacterMatcher` reads Chinese, which has
no spaces: the message becomes one string of characters (full-width forms
made half-width, spaces dropped, punctuation a clause break) and phrases are
character sequences.

Both answer the same question for every sign of their table: is it
affirmed somewhere in the message, or only mentioned as absent? A phrase is
denied when a negation comes shortly before it in the same clause. A
negation inside a phrase that matched ("no feeling", "sin sensibilidad",
"没感觉") belongs to that phrase and denies nothing after it.

Every phrase is indexed by its first word (or first character), so a message
costs a few dictionary look-ups per word, not one comparison per phrase.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from content.chinese import to_simplified

MAX_SCREENED_CHARS = 4000  # Telegram's own limit is 4096
BREAK = "|"
BLANK = "·"  # a word or character removed by an 'ignore' phrase

Pattern = tuple[str, ...]
# A state per slot: nothing found, found only as denied, found affirmed.
NOTHING, DENIED, AFFIRMED = 0, 1, 2


@dataclass(frozen=True, slots=True)
class SignPhrases:
    """One sign's phrases in one language, as written in the tables."""

    id: str
    phrases: Sequence[str]
    together: Sequence[Sequence[Sequence[str]]]


@dataclass(frozen=True, slots=True)
class SignState:
    affirmed: bool
    denied: bool


class _Slots:
    """Numbers each sign's phrase list and each group of its 'together' lists."""

    def __init__(self, signs: Sequence[SignPhrases]) -> None:
        self.count = 0
        self.layout: list[tuple[str, int | None, list[list[int]]]] = []
        self.members: list[tuple[str, int]] = []  # (phrase, slot) in table order
        for sign in signs:
            phrase_slot = self._add(sign.phrases) if sign.phrases else None
            combos = [[self._add(group) for group in combo] for combo in sign.together]
            self.layout.append((sign.id, phrase_slot, combos))

    def _add(self, phrases: Sequence[str]) -> int:
        slot = self.count
        self.count += 1
        self.members.extend((phrase, slot) for phrase in phrases)
        return slot

    def states(self, found: list[int]) -> dict[str, SignState]:
        result: dict[str, SignState] = {}
        for sign_id, phrase_slot, combos in self.layout:
            phrases = found[phrase_slot] if phrase_slot is not None else NOTHING
            if phrases == AFFIRMED:
                result[sign_id] = SignState(True, False)
                continue
            denied = phrases == DENIED
            affirmed = False
            for combo in combos:
                groups = [found[slot] for slot in combo]
                if all(state == AFFIRMED for state in groups):
                    affirmed = True
                    break
                # "No numbness" names half a sign, denied: still worth a reminder.
                denied = denied or DENIED in groups
            if affirmed:
                result[sign_id] = SignState(True, False)
            elif denied:
                result[sign_id] = SignState(False, True)
        return result


# ---- Words: English, Spanish ----------------------------------------------

_NON_WORD = re.compile(r"[^a-z0-9|]+")
_APOSTROPHES = re.compile(r"['’`´]")
_CLAUSE_END = re.compile(r"[.,;:!?()\n|¿¡]+")


def fold(text: str) -> str:
    """Lower case without accents: "Orína" -> "orina", "años" -> "anos"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in text if not unicodedata.combining(char))


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers, "|" at clause ends: "Can't PEE!!" -> ["cant", "pee", "|"]."""
    text = _CLAUSE_END.sub(f" {BREAK} ", _APOSTROPHES.sub("", fold(text)))
    return _NON_WORD.sub(" ", text).split()


def matches_at(words: Sequence[str], start: int, pattern: Pattern) -> bool:
    """Does the pattern ("numb*" a prefix, "_" any one word) match at words[start]?"""
    if start + len(pattern) > len(words):
        return False
    for word, part in zip(words[start:], pattern, strict=False):
        if word == BREAK:
            return False
        if part == "_":
            continue
        if part.endswith("*"):
            if not word.startswith(part[:-1]):
                return False
        elif word != part:
            return False
    return True


class _WordIndex:
    """Patterns by their first word; prefix patterns ("numb*") by their prefix."""

    def __init__(self, entries: Iterable[tuple[Pattern, int]]) -> None:
        exact: dict[str, dict[Pattern, list[int]]] = {}
        prefix: dict[str, dict[Pattern, list[int]]] = {}
        for pattern, slot in entries:
            first = pattern[0]
            table = prefix if first.endswith("*") else exact
            key = first.removesuffix("*")
            slots = table.setdefault(key, {}).setdefault(pattern, [])
            if slot not in slots:
                slots.append(slot)
        self.exact = {k: [(p, tuple(s)) for p, s in v.items()] for k, v in exact.items()}
        self.prefix = {k: [(p, tuple(s)) for p, s in v.items()] for k, v in prefix.items()}
        self.shortest_prefix = min((len(k) for k in self.prefix), default=0)

    def matches(self, words: Sequence[str]) -> list[tuple[int, Pattern, tuple[int, ...]]]:
        found: list[tuple[int, Pattern, tuple[int, ...]]] = []
        exact, prefix, shortest = self.exact, self.prefix, self.shortest_prefix
        for start, word in enumerate(words):
            candidates = exact.get(word)
            if candidates:
                found.extend(
                    (start, pattern, slots)
                    for pattern, slots in candidates
                    if matches_at(words, start, pattern)
                )
            if prefix and len(word) >= shortest:
                for size in range(shortest, len(word) + 1):
                    candidates = prefix.get(word[:size])
                    if candidates:
                        found.extend(
                            (start, pattern, slots)
                            for pattern, slots in candidates
                            if matches_at(words, start, pattern)
                        )
        return found


def word_pattern(phrase: str) -> Pattern:
    return tuple(fold(phrase).split())


class WordMatcher:
    """One word-based language's compiled tables."""

    def __init__(
        self,
        *,
        signs: Sequence[SignPhrases],
        negations: Iterable[str],
        clause_words: Iterable[str],
        negation_gap: int,
        ignore: Iterable[str] = (),
        misspellings: Mapping[str, str] | None = None,
        fuzzy_targets: Iterable[str] = (),
        protected: Iterable[str] = (),
        negative_forms: Mapping[str, Sequence[str]] | None = None,
        ages: Callable[[list[str]], Iterable[int]] | None = None,
    ) -> None:
        self._negations = frozenset(fold(word) for word in negations)
        self._clause_words = frozenset({BREAK, *(fold(word) for word in clause_words)})
        self._gap = negation_gap
        self._misspellings = {fold(k): fold(v) for k, v in (misspellings or {}).items()}
        self._targets = tuple(sorted(fold(word) for word in fuzzy_targets))
        self._protected = frozenset(fold(word) for word in protected)
        self._corrections: dict[str, str] = {}
        self._ignore = _WordIndex((word_pattern(phrase), 0) for phrase in ignore)
        self._slots = _Slots(signs)
        forms = {fold(k): [fold(v) for v in vs] for k, vs in (negative_forms or {}).items()}
        entries: list[tuple[Pattern, int]] = []
        for phrase, slot in self._slots.members:
            pattern = word_pattern(phrase)
            entries.append((pattern, slot))
            # "no puedo orinar" also as "tampoco puedo orinar", "ni siquiera puedo orinar".
            for variant in forms.get(pattern[0], ()):
                entries.append((tuple(variant.split()) + pattern[1:], slot))
        self._index = _WordIndex(entries)
        self._ages = ages

    def normalise(self, words: Sequence[str]) -> list[str]:
        """The message's words, misspellings corrected, ordinary phrases blanked."""
        corrected = [self._correct(word) for word in words]
        for start, pattern, _ in self._ignore.matches(corrected):
            corrected[start : start + len(pattern)] = [BLANK] * len(pattern)
        return corrected

    def _correct(self, word: str) -> str:
        fixed = self._misspellings.get(word)
        if fixed is not None:
            return fixed
        if len(word) < 6 or word in self._protected or not word.isalpha():
            return word
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        allowed = 1 if len(word) <= 8 else 2
        best, best_distance = word, allowed + 1
        for target in self._targets:  # sorted: the first of equally close targets wins
            distance = OSA.distance(word, target, score_cutoff=allowed)
            if distance < best_distance:
                best, best_distance = target, distance
        result = best if 0 < best_distance <= allowed else word
        if len(self._corrections) < 20_000:
            self._corrections[word] = result
        return result

    def states(self, words: list[str]) -> dict[str, SignState]:
        """Each sign found in these (normalised) words: affirmed, or only denied."""
        found = self._index.matches(words)
        if not found:
            return {}
        owned: set[int] = set()  # negation words that belong to a matched phrase
        for start, pattern, _ in found:
            for offset, part in enumerate(pattern):
                if part in self._negations:
                    owned.add(start + offset)
        slots = [NOTHING] * self._slots.count
        for start, _, pattern_slots in found:
            state = DENIED if self._is_denied(words, start, owned) else AFFIRMED
            for slot in pattern_slots:
                slots[slot] = max(slots[slot], state)
        return self._slots.states(slots)

    def _is_denied(self, words: list[str], start: int, owned: set[int]) -> bool:
        for index in range(start - 1, max(-1, start - 2 - self._gap), -1):
            word = words[index]
            if word in self._clause_words:
                return False
            if word in self._negations and index not in owned:
                return True
        return False

    def ages(self, words: list[str]) -> Iterable[int]:
        """Ages the patient states ("I'm 62", "tengo 72 años")."""
        return self._ages(words) if self._ages else ()


class WordAges:
    """Stated ages from templates: "tengo # anos" ("#" a number, in digits or words)."""

    def __init__(
        self, templates: Iterable[str], numbers: Mapping[str, int], not_after: Iterable[str] = ()
    ) -> None:
        self._templates = [word_pattern(t) for t in templates]
        self._numbers = {fold(k): v for k, v in numbers.items()}
        # "tengo 2 años con este dolor" is how long, not how old.
        self._not_after = frozenset(fold(word) for word in not_after)

    def _number(self, words: Sequence[str], start: int) -> tuple[int, int] | None:
        """(value, words used) of the number at words[start], or None."""
        word = words[start]
        if word.isdigit():
            return (int(word), 1) if len(word) <= 3 else None
        value = self._numbers.get(word)
        if value is None:
            return None
        # "cincuenta y cinco"
        if start + 2 < len(words) and words[start + 1] == "y" and value % 10 == 0 < value:
            unit = self._numbers.get(words[start + 2])
            if unit is not None and 0 < unit < 10:
                return value + unit, 3
        return value, 1

    def __call__(self, words: list[str]) -> list[int]:
        words = [word for word in words if word != BREAK]  # "edad: 17"
        numbers = [(start, self._number(words, start)) for start in range(len(words))]
        numbers = [(start, number) for start, number in numbers if number is not None]
        ages: list[int] = []
        for template in self._templates:
            hole = template.index("#")
            before, after = template[:hole], template[hole + 1 :]
            for start, number in numbers:
                if start < len(before) or number is None:
                    continue
                value, used = number
                end = start + used + len(after)
                if (
                    tuple(words[start - len(before) : start]) == before
                    and matches_at(words, start + used, after)
                    and (end >= len(words) or words[end] not in self._not_after)
                ):
                    ages.append(value)
        return ages


# ---- Characters: Chinese ------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def is_cjk_free(text: str) -> bool:
    return _HAN.search(text) is None


def char_normalise(text: str) -> str:
    """Full-width to half-width, lower case, spaces dropped, punctuation -> "|"."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", to_simplified(text).casefold()):
        if char.isspace() and char != "\n":
            continue
        if char.isalnum():
            out.append(char)
        else:
            out.append(BREAK)
    return "".join(out)


_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_NUMERALS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_number(text: str) -> int | None:
    """ "五十五" -> 55, "十六" -> 16, "一百零二" -> 102, "72" -> 72; None if not a number."""
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _NUMERALS:
            digit = _NUMERALS[char]
        elif char == "十":
            total += (digit if digit is not None else 1) * 10
            digit = None
        elif char == "百":
            total += (digit if digit is not None else 1) * 100
            digit = None
        else:
            return None
    return total + (digit or 0)


@dataclass(frozen=True, slots=True)
class _CharPattern:
    text: str  # literal characters, or a regular expression when 'regex'
    regex: re.Pattern[str] | None
    slots: tuple[int, ...]
    owned_negations: tuple[int, ...]  # offsets of negation words inside the phrase


class CharacterMatcher:
    """Chinese: phrases are character sequences, "*" up to a few characters."""

    def __init__(
        self,
        *,
        signs: Sequence[SignPhrases],
        negations: Iterable[str],
        not_negations: Iterable[str],
        clause_words: Iterable[str],
        negation_gap: int,
        wildcard_span: int,
        ignore: Iterable[str] = (),
        age_units: Iterable[str] = (),
        age_others: Iterable[str] = (),
    ) -> None:
        negations = sorted({char_normalise(n) for n in negations}, key=len, reverse=True)
        self._negation = re.compile(
            "(?:" + "|".join(map(re.escape, negations)) + f")[^{BREAK}]{{0,{negation_gap}}}$"
        )
        self._negation_at = re.compile("|".join(map(re.escape, negations)))
        self._masks = self._alternation([*not_negations])
        self._clauses = self._alternation(clause_words)
        self._ignore = self._alternation(ignore)
        self._gap = negation_gap
        self._reach = negation_gap + max(len(n) for n in negations)
        self._slots = _Slots(signs)
        grouped: dict[str, list[int]] = {}
        for phrase, slot in self._slots.members:
            key = "\0".join(char_normalise(part) for part in phrase.split("*"))
            slots = grouped.setdefault(key, [])
            if slot not in slots:
                slots.append(slot)
        # By first character: a message costs one look-up per character.
        self._by_first: dict[str, list[_CharPattern]] = {}
        for phrase, slots in grouped.items():
            owned = tuple(m.start() for m in self._negation_at.finditer(phrase))
            if "\0" in phrase:
                gap = f"[^{BREAK}]{{0,{wildcard_span}}}"
                source = gap.join(re.escape(part) for part in phrase.split("\0"))
                pattern = _CharPattern(phrase, re.compile(source), tuple(slots), ())
            else:
                pattern = _CharPattern(phrase, None, tuple(slots), owned)
            self._by_first.setdefault(phrase[0], []).append(pattern)
        units = "|".join(map(re.escape, age_units)) or "(?!)"
        numerals = "零〇一二两三四五六七八九十百"
        self._age = re.compile(f"([0-9]{{1,3}}|[{numerals}]{{1,5}})(多|来)?(?:{units})")
        self._age_others = tuple(age_others)

    @staticmethod
    def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
        words = sorted({char_normalise(w) for w in words}, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, words))) if words else None

    def prepare(self, text: str) -> tuple[str, str]:
        """(text to match phrases in, the same with clause words as breaks for negations)."""
        text = char_normalise(text[:MAX_SCREENED_CHARS])
        if self._ignore is not None:
            text = self._ignore.sub(lambda m: BLANK * len(m.group()), text)
        view = text
        if self._masks is not None:
            view = self._masks.sub(lambda m: BLANK * len(m.group()), view)
        if self._clauses is not None:
            view = self._clauses.sub(lambda m: BREAK * len(m.group()), view)
        return text, view

    def states(self, text: str, view: str) -> dict[str, SignState]:
        found: list[tuple[int, _CharPattern]] = []
        by_first = self._by_first
        for start, char in enumerate(text):
            for pattern in by_first.get(char, ()):
                if pattern.regex is None:
                    if text.startswith(pattern.text, start):
                        found.append((start, pattern))
                elif pattern.regex.match(text, start):
                    found.append((start, pattern))
        if not found:
            return {}
        chars = list(view)
        for start, pattern in found:  # "没感觉": its 没 denies nothing after it
            for offset in pattern.owned_negations:
                chars[start + offset] = BLANK
        view = "".join(chars)
        slots = [NOTHING] * self._slots.count
        for start, pattern in found:
            before = view[max(0, start - self._reach) : start]
            state = DENIED if self._negation.search(before) else AFFIRMED
            for slot in pattern.slots:
                slots[slot] = max(slots[slot], state)
        return self._slots.states(slots)

    def ages(self, text: str) -> list[int]:
        """Ages the patient states: "我55岁", "五十五岁", "我今年七十多岁"."""
        ages: list[int] = []
        for match in self._age.finditer(text):
            clause = text[: match.start()].rsplit(BREAK, 1)[-1]
            clause += text[match.end() :].split(BREAK, 1)[0]
            if any(other in clause for other in self._age_others):
                continue  # "我儿子16岁": someone else's age
            value = chinese_number(match.group(1))
            if value is None:
                continue
            ages.append(value + 1 if match.group(2) == "多" else value)
        return ages
