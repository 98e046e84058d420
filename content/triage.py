"""The red-flag screen: does a message describe an emergency or a reason to see a doctor?

`screen(text)` is pure and deterministic: the same text always gives the
same answer. The signs, their levels and the English phrases, misspellings
and negations live in `content/data/triage.yaml`; the Spanish and Chinese
phrases and each sign's plain words in those languages in
`content/data/es/triage.yaml` and `content/data/zh/triage.yaml` (same sign
ids). All are validated when the bot starts, and every message is read with
every language's tables. The matching itself is in content/triage_match.py. The screen errs
on the side of caution: a false alarm costs the patient a sentence, a miss
can cost them far more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from content.catalogue import ContentError
from content.languages import DEFAULT_LANGUAGE, LANGUAGES, Language
from content.triage_match import (
    MAX_SCREENED_CHARS,
    CharacterMatcher,
    SignPhrases,
    SignState,
    WordAges,
    WordMatcher,
    char_normalise,
    fold,
    is_cjk_free,
    tokens,
)

TRIAGE_FILE = Path(__file__).with_name("data") / "triage.yaml"


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
        _check_together(self.together)
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


_Phrases = list[str]
_Together = list[list[list[str]]]


def _check_together(together: _Together) -> None:
    for combination in together:
        if len(combination) < 2 or any(not group for group in combination):
            raise ValueError("each 'together' entry needs two or more non-empty groups")


def _check_word_phrase(phrase: str) -> str:
    """Spanish and the like: accents are allowed and ignored ("orína" reads as "orina")."""
    _check_phrase(fold(phrase))
    return phrase


_CHARACTER_PHRASE = re.compile(r"[^\W_]+(?:\*[^\W_]+)*")


def _check_character_phrase(phrase: str) -> str:
    parts = phrase.split("*")
    if any(char_normalise(part) != part for part in parts) or not _CHARACTER_PHRASE.fullmatch(
        phrase
    ):
        raise ValueError(
            f"phrase {phrase!r}: use characters without spaces or punctuation, "
            "half-width letters and digits, '*' between characters for a short gap"
        )
    return phrase


class _LanguageSign(_Strict):
    """A sign's words in one language; its level comes from triage.yaml."""

    phrases: _Phrases = Field(default_factory=list)
    together: _Together = Field(default_factory=list)

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, phrases: _Phrases) -> _Phrases:
        return [cls.check_phrase(phrase) for phrase in phrases]

    @field_validator("together")
    @classmethod
    def _together(cls, together: _Together) -> _Together:
        _check_together(together)
        for combination in together:
            for group in combination:
                for phrase in group:
                    cls.check_phrase(phrase)
        return together

    @model_validator(mode="after")
    def _has_a_way_to_match(self) -> Self:
        if not self.phrases and not self.together:
            raise ValueError("a sign needs 'phrases' or 'together'")
        return self

    @staticmethod
    def check_phrase(phrase: str) -> str:
        """A phrase as this language writes it, or ValueError."""
        raise NotImplementedError


class WordSign(_LanguageSign):
    """A sign's words in a language written with spaces."""

    says: str = Field(min_length=5, max_length=120)

    @staticmethod
    def check_phrase(phrase: str) -> str:
        return _check_word_phrase(phrase)


class CharacterSign(_LanguageSign):
    """A sign's characters in Chinese."""

    says: str = Field(min_length=2, max_length=60)

    @staticmethod
    def check_phrase(phrase: str) -> str:
        return _check_character_phrase(phrase)


class WordAgeRule(_Strict):
    says: str = Field(min_length=5, max_length=120)
    patterns: list[str] = Field(min_length=1)
    numbers: dict[str, int] = Field(default_factory=dict)
    not_after: list[str] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _one_hole(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            words = fold(pattern).split()
            if words.count("#") != 1 or any(
                not re.fullmatch(r"[a-z0-9]+|#", word) for word in words
            ):
                raise ValueError(f"age pattern {pattern!r}: plain words and one '#'")
        return patterns


class CharacterAgeRule(_Strict):
    says: str = Field(min_length=2, max_length=60)
    units: list[str] = Field(min_length=1)
    others: list[str] = Field(default_factory=list)


class WordLanguageRules(_Strict):
    """<lang>/triage.yaml for a language written with spaces (Spanish)."""

    script: Literal["words"] = "words"
    language: str = Field(pattern=r"^[a-z]{2}$")
    negations: list[str] = Field(min_length=1)
    clause_words: list[str] = Field(default_factory=list)
    negation_gap: int = Field(ge=0, le=6)
    negative_forms: dict[str, list[str]] = Field(default_factory=dict)
    ignore: list[str] = Field(default_factory=list)
    misspellings: dict[str, str] = Field(default_factory=dict)
    fuzzy_targets: list[str] = Field(default_factory=list)
    protected: list[str] = Field(default_factory=list)
    signs: dict[str, WordSign] = Field(min_length=1)
    age: WordAgeRule

    @field_validator("ignore")
    @classmethod
    def _ignore(cls, phrases: list[str]) -> list[str]:
        return [_check_word_phrase(phrase) for phrase in phrases]

    @field_validator("misspellings")
    @classmethod
    def _misspellings(cls, misspellings: dict[str, str]) -> dict[str, str]:
        for wrong, right in misspellings.items():
            if not re.fullmatch(r"[a-z0-9]+", fold(wrong)) or not re.fullmatch(
                r"[a-z0-9]+", fold(right)
            ):
                raise ValueError(f"misspelling {wrong!r}: {right!r} must be single plain words")
        return misspellings

    @model_validator(mode="after")
    def _consistent(self) -> WordLanguageRules:
        clash = {fold(w) for w in self.protected} & {fold(w) for w in self.fuzzy_targets}
        if clash:
            raise ValueError(f"{sorted(clash)[0]!r} is both protected and a fuzzy target")
        return self


class CharacterLanguageRules(_Strict):
    """<lang>/triage.yaml for a language written without spaces (Chinese)."""

    script: Literal["characters"]
    language: str = Field(pattern=r"^[a-z]{2}$")
    negations: list[str] = Field(min_length=1)
    not_negations: list[str] = Field(default_factory=list)
    clause_words: list[str] = Field(default_factory=list)
    negation_gap: int = Field(ge=0, le=6)
    wildcard_span: int = Field(ge=1, le=8)
    ignore: list[str] = Field(default_factory=list)
    signs: dict[str, CharacterSign] = Field(min_length=1)
    age: CharacterAgeRule

    @field_validator("negations", "not_negations", "clause_words", "ignore")
    @classmethod
    def _plain(cls, words: list[str]) -> list[str]:
        for word in words:
            if "*" in word:
                raise ValueError(f"{word!r}: no '*' here")
            _check_character_phrase(word)
        return words


LanguageRules = WordLanguageRules | CharacterLanguageRules


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


# A negation does not reach past these ("no fever but I can't pee").
_CLAUSE_WORDS = ("but", "and", "though", "although", "however", "yet", "except")


def _english_ages(words: list[str]) -> list[int]:
    """ "I'm 62", "aged 17", "55 years old", "16 yo"; not "I'm 8 weeks pregnant"."""
    ages: list[int] = []
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
        ages.append(int(word))
    return ages


# A number followed by these is a quantity or a score, not an age ("I'm 8 weeks pregnant").
_NOT_AN_AGE = frozenset(
    {
        *("weeks", "week", "months", "month", "days", "day", "hours", "hour", "minutes"),
        *("minute", "mins", "min", "kg", "kilos", "lbs", "pounds", "stone", "cm", "foot"),
        *("feet", "ft", "inches", "out", "of", "am", "pm", "oclock", "percent", "times", "x"),
    }
)


class Screen:
    """The compiled rules of every language; `screen()` uses one built from the data files.

    A message is read with every language's tables (a patient may write
    Spanish with an English Telegram setting): the most urgent sign found in
    any of them wins, in the order of triage.yaml.
    """

    def __init__(self, rules: TriageRules, languages: Sequence[LanguageRules] = ()) -> None:
        self.rules = rules
        self.languages = {"en": rules, **{overlay.language: overlay for overlay in languages}}
        self._signs = sorted(rules.signs, key=lambda s: Level(s.level) is not Level.EMERGENCY)
        self._levels = {sign.id: Level(sign.level) for sign in rules.signs}
        self._says: dict[str, dict[str, str]] = {
            "en": {sign.id: sign.says for sign in rules.signs} | {rules.age.id: rules.age.says}
        }
        word_overlays = [o for o in languages if isinstance(o, WordLanguageRules)]
        # A negation or clause word of any word-based language counts in all of them:
        # "sin fractura" must not raise "fracture" through the English table.
        negations = {*rules.negations, *(w for o in word_overlays for w in o.negations)}
        clauses = {*_CLAUSE_WORDS, *(w for o in word_overlays for w in o.clause_words)}
        # A real word of one language is not a misspelling in another ("injection").
        protected = {*rules.protected, *(w for o in word_overlays for w in o.protected)}
        self._english = WordMatcher(
            signs=[SignPhrases(s.id, s.phrases, s.together) for s in rules.signs],
            negations=negations,
            clause_words=clauses,
            negation_gap=rules.negation_gap,
            ignore=rules.ignore,
            misspellings=rules.misspellings,
            fuzzy_targets=rules.fuzzy_targets,
            protected=protected,
            ages=_english_ages,
        )
        self._words: list[WordMatcher] = [self._english]
        self._characters: list[CharacterMatcher] = []
        for overlay in languages:
            self._says[overlay.language] = {
                sign_id: sign.says for sign_id, sign in overlay.signs.items()
            } | {rules.age.id: overlay.age.says}
            phrases = [
                SignPhrases(sign_id, sign.phrases, sign.together)
                for sign_id, sign in overlay.signs.items()
            ]
            if isinstance(overlay, WordLanguageRules):
                self._words.append(
                    WordMatcher(
                        signs=phrases,
                        negations=negations,
                        clause_words=clauses,
                        negation_gap=overlay.negation_gap,
                        ignore=overlay.ignore,
                        misspellings=overlay.misspellings,
                        fuzzy_targets=overlay.fuzzy_targets,
                        protected=protected,
                        negative_forms=overlay.negative_forms,
                        ages=WordAges(
                            overlay.age.patterns, overlay.age.numbers, overlay.age.not_after
                        ),
                    )
                )
            else:
                self._characters.append(
                    CharacterMatcher(
                        signs=phrases,
                        negations=overlay.negations,
                        not_negations=overlay.not_negations,
                        clause_words=overlay.clause_words,
                        negation_gap=overlay.negation_gap,
                        wildcard_span=overlay.wildcard_span,
                        ignore=overlay.ignore,
                        age_units=overlay.age.units,
                        age_others=overlay.age.others,
                    )
                )

    def normalise(self, text: str) -> list[str]:
        """The message's words as the English table reads them."""
        return self._english.normalise(tokens(text[:MAX_SCREENED_CHARS]))

    def screen(self, text: str, language: Language = DEFAULT_LANGUAGE) -> Triage:
        """Emergency, see a doctor, or none, with the sign that matched.

        `language` only chooses the language of `Triage.says`; the message is
        read with every language's tables whatever it is.
        """
        words = tokens(text[:MAX_SCREENED_CHARS])
        states: list[dict[str, SignState]] = []
        ages: list[int] = []
        for matcher in self._words:
            normalised = matcher.normalise(words)
            states.append(matcher.states(normalised))
            ages.extend(matcher.ages(normalised))
        if self._characters and not is_cjk_free(text[:MAX_SCREENED_CHARS]):
            for characters in self._characters:
                chars, view = characters.prepare(text)
                states.append(characters.states(chars, view))
                ages.extend(characters.ages(chars))
        affirmed = {sign for state in states for sign, found in state.items() if found.affirmed}
        denied = {sign for state in states for sign, found in state.items() if found.denied}
        negated: list[str] = []
        for sign in self._signs:
            if sign.id in affirmed:
                return Triage(
                    self._levels[sign.id], sign.id, self.says(sign.id, language), tuple(negated)
                )
            if sign.id in denied:
                negated.append(sign.id)
        age = self.rules.age
        if any(years < age.below or years > age.above for years in ages):
            return Triage(Level.SEE_DOCTOR, age.id, self.says(age.id, language), tuple(negated))
        return Triage(Level.NONE, negated=tuple(negated))

    def says(self, sign_id: str, language: Language = DEFAULT_LANGUAGE) -> str:
        """A sign's plain words in that language (English if the language has no tables)."""
        return self._says.get(language, self._says["en"])[sign_id]


def load_rules(path: Path = TRIAGE_FILE) -> TriageRules:
    """Read and validate triage.yaml; a mistake raises TriageError naming the field."""
    raw = _read(path, path.name)
    try:
        return TriageRules.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "(file)"
        message = problem["msg"].removeprefix("Value error, ")
        raise TriageError(f"{path.name}: field '{field}': {message}") from None


def _read(path: Path, name: str) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TriageError(f"{name}: cannot be read: {error}") from None


def load_language_rules(
    language: Language, english: TriageRules, path: Path | None = None
) -> LanguageRules:
    """Read and validate <language>/triage.yaml against the English signs.

    A mistake raises TriageError naming the file, the language, the entry and the field.
    """
    path = path or TRIAGE_FILE.parent / language / "triage.yaml"
    name = f"{language}/{path.name}"
    raw = _read(path, name)
    where = f"{name} (language {language!r})"
    if not isinstance(raw, dict):
        raise TriageError(f"{where}: the file must be a mapping")
    model: type[WordLanguageRules] | type[CharacterLanguageRules]
    model = CharacterLanguageRules if raw.get("script") == "characters" else WordLanguageRules
    try:
        rules = model.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        loc = [str(part) for part in problem["loc"]]
        message = problem["msg"].removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] == "signs":
            field = ".".join(loc[2:]) or "(entry)"
            raise TriageError(f"{where}: entry {loc[1]!r}: field {field!r}: {message}") from None
        raise TriageError(f"{where}: field {'.'.join(loc) or '(file)'!r}: {message}") from None
    if rules.language != language:
        raise TriageError(f"{where}: field 'language' is {rules.language!r}")
    wanted = [sign.id for sign in english.signs]
    missing = [sign_id for sign_id in wanted if sign_id not in rules.signs]
    if missing:
        raise TriageError(f"{where}: entry {missing[0]!r}: missing (every sign of triage.yaml)")
    extra = [sign_id for sign_id in rules.signs if sign_id not in wanted]
    if extra:
        raise TriageError(f"{where}: entry {extra[0]!r}: not a sign of triage.yaml")
    return rules


OTHER_LANGUAGES: tuple[Language, ...] = tuple(code for code in LANGUAGES if code != "en")


@lru_cache(maxsize=1)
def default_screen() -> Screen:
    """The screen built from content/data/triage.yaml and its es and zh tables (loaded once)."""
    english = load_rules()
    return Screen(english, [load_language_rules(code, english) for code in OTHER_LANGUAGES])


def screen(text: str, language: Language = DEFAULT_LANGUAGE) -> Triage:
    """Screens one message with the clinic's rules, in every language."""
    return default_screen().screen(text, language)
