"""The red-flag screen: does a message describe an emergency or a reason to see a doctor?

`screen(text)` is pure and deterministic: the same text always gives the
same answer. The signs, phrases, misspellings and negations live in
`content/data/triage.yaml`, validated when the bot starts. The screen errs
on the side of caution: a false alarm costs the patient a sentence, a miss
can cost them far more.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from rapidfuzz.distance import OSA

from content.catalogue import ContentError

TRIAGE_FILE = Path(__file__).with_name("data") / "triage.yaml"
MAX_SCREENED_CHARS = 4000  # Telegram's own limit is 4096


class Level(StrEnum):
    """How urgent a message sounds."""

    EMERGENCY = "emergency"
    SEE_DOCTOR = "see_doctor"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Triage:
    """The screen's answer: the level, the sign that matched and its plain words.

    `negated` lists signs mentioned only as absent ("no numbness"): they do
    not raise the level, but deserve a short reminder.
    """

    level: Level
    sign: str | None = None
    says: str | None = None
    negated: tuple[str, ...] = ()

    @property
    def is_red_flag(self) -> bool:
        return self.level is not Level.NONE


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Sign(_Strict):
    """One red flag and the ways patients describe it."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    level: Literal["emergency", "see_doctor"]
    says: str = Field(min_length=5, max_length=120)
    phrases: list[str] = Field(default_factory=list)
    together: list[list[list[str]]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_a_way_to_match(self) -> Sign:
        if not self.phrases and not self.together:
            raise ValueError("a sign needs 'phrases' or 'together'")
        for combination in self.together:
            if len(combination) < 2 or any(not group for group in combination):
                raise ValueError("each 'together' entry needs two or more non-empty groups")
        for phrase in self.all_phrases():
            _check_phrase(phrase)
        return self

    def all_phrases(self) -> list[str]:
        return [*self.phrases, *(p for combo in self.together for group in combo for p in group)]


class AgeRule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    says: str = Field(min_length=5, max_length=120)
    below: int = Field(ge=1, le=120)
    above: int = Field(ge=1, le=120)


class TriageRules(_Strict):
    """Everything in triage.yaml."""

    negations: list[str] = Field(min_length=1)
    negation_gap: int = Field(ge=0, le=6)
    ignore: list[str] = Field(default_factory=list)
    misspellings: dict[str, str] = Field(default_factory=dict)
    fuzzy_targets: list[str] = Field(default_factory=list)
    protected: list[str] = Field(default_factory=list)
    signs: list[Sign] = Field(min_length=1)
    age: AgeRule

    @model_validator(mode="after")
    def _consistent(self) -> TriageRules:
        ids = [sign.id for sign in self.signs] + [self.age.id]
        if len(set(ids)) != len(ids):
            raise ValueError("two signs share an id")
        for wrong, right in self.misspellings.items():
            if not re.fullmatch(r"[a-z0-9]+", wrong) or not re.fullmatch(r"[a-z0-9]+", right):
                raise ValueError(f"misspelling {wrong!r}: {right!r} must be single plain words")
        clash = set(self.protected) & set(self.fuzzy_targets)
        if clash:
            raise ValueError(f"{sorted(clash)[0]!r} is both protected and a fuzzy target")
        if self.age.below >= self.age.above:
            raise ValueError("age: 'below' must be lower than 'above'")
        return self


class TriageError(ContentError):
    """triage.yaml is broken; the message says where."""


def _check_phrase(phrase: str) -> None:
    words = phrase.split()
    if not words or any(not re.fullmatch(r"[a-z0-9]+\*?|_", word) for word in words):
        raise ValueError(
            f"phrase {phrase!r}: use lower-case words without punctuation "
            "('cant' not \"can't\"); 'word*' for a prefix, '_' for any one word"
        )
    if words[0] == "_" or words[-1] == "_":
        raise ValueError(f"phrase {phrase!r}: '_' only goes between words")


_NON_WORD = re.compile(r"[^a-z0-9|]+")
_APOSTROPHES = re.compile(r"['’`´]")
_CLAUSE_END = re.compile(r"[.,;:!?()\n|]+")
BREAK = "|"
# A negation does not reach past these ("no fever but I can't pee").
_CLAUSE_WORDS = frozenset({BREAK, "but", "and", "though", "although", "however", "yet", "except"})


def _tokens(text: str) -> list[str]:
    """Lower-case words and numbers, "|" at clause ends: "Can't PEE!!" -> ["cant", "pee", "|"]."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _CLAUSE_END.sub(f" {BREAK} ", _APOSTROPHES.sub("", text))
    return _NON_WORD.sub(" ", text).split()


Pattern = tuple[str, ...]


def _matches_at(words: list[str], start: int, pattern: Pattern) -> bool:
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


class _Patterns:
    """Phrases as word patterns, found by their first word.

    A pattern can only match where the message has its first word (or, for
    `word*`, a word with that beginning; a phrase never starts with `_`), so
    each word of the message is tried against the few patterns that start
    with it rather than against all of them: the same answers, in a fraction
    of the time (the screen runs on every text message).
    """

    def __init__(self, phrases: list[str]) -> None:
        self._exact: dict[str, list[Pattern]] = {}
        self._prefixed: dict[str, list[Pattern]] = {}
        for phrase in phrases:
            pattern = tuple(phrase.split())
            first = pattern[0]
            if first.endswith("*"):
                self._prefixed.setdefault(first[:-1], []).append(pattern)
            else:
                self._exact.setdefault(first, []).append(pattern)

    def starting_with(self, word: str) -> list[Pattern]:
        found = self._exact.get(word, [])
        for prefix, patterns in self._prefixed.items():
            if word.startswith(prefix):
                found = [*found, *patterns]
        return found


class Screen:
    """The compiled rules; `screen()` uses one built from triage.yaml."""

    def __init__(self, rules: TriageRules) -> None:
        self.rules = rules
        self._negations = frozenset(rules.negations)
        self._ignore = [tuple(phrase.split()) for phrase in rules.ignore]
        self._protected = frozenset(rules.protected)
        self._targets = tuple(rules.fuzzy_targets)
        self._signs = sorted(rules.signs, key=lambda s: Level(s.level) is not Level.EMERGENCY)
        self._compiled = {
            sign.id: (
                _Patterns(sign.phrases),
                [[_Patterns(group) for group in combo] for combo in sign.together],
            )
            for sign in rules.signs
        }

    def normalise(self, text: str) -> list[str]:
        """The message's words, misspellings corrected, ordinary phrases blanked."""
        words = [self._correct(word) for word in _tokens(text[:MAX_SCREENED_CHARS])]
        for pattern in self._ignore:
            for start in range(len(words)):
                if _matches_at(words, start, pattern):
                    words[start : start + len(pattern)] = ["·"] * len(pattern)
        return words

    def _correct(self, word: str) -> str:
        fixed = self.rules.misspellings.get(word)
        if fixed is not None:
            return fixed
        if len(word) < 6 or word in self._protected or not word.isalpha():
            return word
        allowed = 1 if len(word) <= 8 else 2
        best = min(
            self._targets,
            key=lambda target: (OSA.distance(word, target), target),
            default=None,
        )
        if best is not None and 0 < OSA.distance(word, best) <= allowed:
            return best
        return word

    def _find(self, words: list[str], patterns: _Patterns) -> tuple[bool, bool]:
        """(found affirmed, found only negated) for any of these patterns."""
        negated = False
        for start, word in enumerate(words):
            for pattern in patterns.starting_with(word):
                if _matches_at(words, start, pattern):
                    if self._is_negated(words, start):
                        negated = True
                    else:
                        return True, False
        return False, negated

    def _is_negated(self, words: list[str], start: int) -> bool:
        for word in reversed(words[max(0, start - 1 - self.rules.negation_gap) : start]):
            if word in _CLAUSE_WORDS:
                return False
            if word in self._negations:
                return True
        return False

    def _sign_state(self, sign: Sign, words: list[str]) -> tuple[bool, bool]:
        phrases, together = self._compiled[sign.id]
        affirmed, negated = self._find(words, phrases)
        if affirmed:
            return True, False
        for combination in together:
            results = [self._find(words, group) for group in combination]
            if all(found for found, _ in results):
                return True, False
            # "No numbness" names half a sign, denied: still worth a reminder.
            if any(neg for _, neg in results):
                negated = True
        return False, negated

    def _age_outside_range(self, words: list[str]) -> bool:
        rule = self.rules.age
        for index, word in enumerate(words):
            if not word.isdigit() or len(word) > 3:
                continue
            before = words[max(0, index - 2) : index]
            after = words[index + 1 : index + 3]
            stated = (
                before[-1:] in (["im"], ["aged"], ["age"])
                or before == ["i", "am"]
                or after[:2] in (["years", "old"], ["year", "old"], ["yrs", "old"])
                or after[:1] in (["yo"], ["yrs"], ["y"])
            )
            if not stated or (after and (after[0] in _NOT_AN_AGE or after[0].isdigit())):
                continue
            if int(word) < rule.below or int(word) > rule.above:
                return True
        return False

    def screen(self, text: str) -> Triage:
        """Emergency, see a doctor, or none, with the sign that matched."""
        words = self.normalise(text)
        negated: list[str] = []
        for sign in self._signs:
            affirmed, only_negated = self._sign_state(sign, words)
            if affirmed:
                return Triage(Level(sign.level), sign.id, sign.says, tuple(negated))
            if only_negated:
                negated.append(sign.id)
        if self._age_outside_range(words):
            age = self.rules.age
            return Triage(Level.SEE_DOCTOR, age.id, age.says, tuple(negated))
        return Triage(Level.NONE, negated=tuple(negated))

    def says(self, sign_id: str) -> str:
        """A sign's plain words."""
        if sign_id == self.rules.age.id:
            return self.rules.age.says
        return next(sign.says for sign in self.rules.signs if sign.id == sign_id)


# A number followed by these is a quantity or a score, not an age ("I'm 8 weeks pregnant").
_NOT_AN_AGE = frozenset(
    {
        *("weeks", "week", "months", "month", "days", "day", "hours", "hour", "minutes"),
        *("minute", "mins", "min", "kg", "kilos", "lbs", "pounds", "stone", "cm", "foot"),
        *("feet", "ft", "inches", "out", "of", "am", "pm", "oclock", "percent", "times", "x"),
    }
)


def load_rules(path: Path = TRIAGE_FILE) -> TriageRules:
    """Read and validate triage.yaml; a mistake raises TriageError naming the field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TriageError(f"{path.name}: cannot be read: {error}") from None
    try:
        return TriageRules.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "(file)"
        message = problem["msg"].removeprefix("Value error, ")
        raise TriageError(f"{path.name}: field '{field}': {message}") from None


@lru_cache(maxsize=1)
def default_screen() -> Screen:
    """The screen built from content/data/triage.yaml (loaded once)."""
    return Screen(load_rules())


def screen(text: str) -> Triage:
    """Screens one message with the clinic's rules."""
    return default_screen().screen(text)
