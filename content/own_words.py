"""Reads a free-text message in the patient's own words.

`OwnWords.understand(text)` returns what the message asks for: a point's
card ("kidney 3", "where is BL23"), the points for a symptom ("sciatica",
"pain down my leg"), pregnancy, a reminder at a time ("remind me at 7:30
pm"), an intent ("thanks", "menu", "book"), or nothing. Point names go
through the catalogue's own lookup (content.lookup); the words for
symptoms and intents are in content/data/own_words.yaml, validated at
start. The red-flag screen (content.triage) has already run.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from rapidfuzz import fuzz, process

from content.catalogue import Catalogue, ContentError
from content.lookup import PointIndex
from content.names import normalize
from content.schema import AvoidedPoint, Point

OWN_WORDS_FILE = Path(__file__).with_name("data") / "own_words.yaml"
MAX_UNDERSTOOD_CHARS = 500
FUZZY_MIN_LENGTH = 5
FUZZY_CUTOFF = 85


class Intent(StrEnum):
    """What a short message asks for; each has a command that answers it."""

    GREETING = "greeting"
    THANKS = "thanks"
    HELP = "help"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    BOOK = "book"
    REMIND = "remind"
    ROUTINE = "routine"
    POINTS = "points"
    SAFETY = "safety"
    EVIDENCE = "evidence"
    PROGRESS = "progress"
    SETTINGS = "settings"
    PREGNANT = "pregnant"  # "I'm pregnant": ask to confirm, then turn pregnancy on
    PREGNANCY_QUESTION = "pregnancy_question"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Symptom(_Strict):
    """A symptom or body region and the catalogue points traditionally used for it."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str = Field(min_length=3, max_length=60)
    phrases: list[str] = Field(min_length=1)
    points: dict[str, str] = Field(min_length=1, description="Point code -> one line on why.")
    note: str | None = Field(default=None, max_length=200)
    general: bool = Field(default=False, description="Only when no specific symptom matches.")


class IntentWords(_Strict):
    exact: list[str] = Field(default_factory=list)
    contains: list[str] = Field(default_factory=list)


class OwnWordsData(_Strict):
    """Everything in own_words.yaml."""

    channel_names: dict[str, str]
    pregnant_statements: list[str] = Field(min_length=1)
    pregnancy_words: list[str] = Field(min_length=1)
    symptoms: list[Symptom] = Field(min_length=1)
    intents: dict[Intent, IntentWords]
    filler: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _phrases_are_plain(self) -> OwnWordsData:
        phrases = [
            *self.channel_names,
            *self.pregnant_statements,
            *self.pregnancy_words,
            *(p for s in self.symptoms for p in s.phrases),
            *(p for i in self.intents.values() for p in (*i.exact, *i.contains)),
        ]
        for phrase in phrases:
            if words(phrase) != phrase.split():
                raise ValueError(f"phrase {phrase!r}: lower-case words only, no punctuation")
        ids = [s.id for s in self.symptoms]
        if len(set(ids)) != len(ids):
            raise ValueError("two symptoms share an id")
        return self


class Kind(StrEnum):
    POINT = "point"
    AVOIDED = "avoided"  # a point traditionally avoided in pregnancy, not in the catalogue
    SYMPTOM = "symptom"
    INTENT = "intent"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Understood:
    """What a message means. `time_text` is the time in "remind me at 7:30 pm"."""

    kind: Kind
    point: Point | None = None
    avoided: AvoidedPoint | None = None
    symptom: Symptom | None = None
    points: tuple[tuple[Point, str], ...] = ()
    intent: Intent | None = None
    time_text: str | None = None


NOTHING = Understood(Kind.NONE)
_NON_WORD = re.compile(r"[^a-z0-9: ]+")
_REMIND_AT = re.compile(r"\bremind(?: me)?(?: daily| every day| each day)?(?: at| for)? (.+)$")


def words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation; "I'm" -> "im"; "7:30" stays."""
    text = unicodedata.normalize("NFKD", text.casefold()[:MAX_UNDERSTOOD_CHARS])
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"['’`´]", "", text)
    text = re.sub(r"(?<!\d):|:(?!\d)", " ", text)  # a colon only inside 7:30
    return _NON_WORD.sub(" ", text).split()


def _contains(haystack: list[str], phrase: list[str]) -> bool:
    size = len(phrase)
    return any(haystack[i : i + size] == phrase for i in range(len(haystack) - size + 1))


class OwnWords:
    """The matcher, built once at start-up from the catalogue and own_words.yaml."""

    def __init__(self, data: OwnWordsData, catalogue: Catalogue, index: PointIndex) -> None:
        self.data = data
        self.catalogue = catalogue
        self.index = index
        self._filler = frozenset(data.filler)
        for symptom in data.symptoms:
            for code in symptom.points:
                if catalogue.point(code) is None:
                    raise ContentError(
                        f"own_words.yaml: symptom {symptom.id}: no point {code!r} in points.yaml"
                    )
        for name, code in data.channel_names.items():
            if code not in {p.meridian for p in catalogue.points}:
                raise ContentError(f"own_words.yaml: channel_names: {name}: unknown code {code}")
        self._avoided = {
            key: avoided
            for avoided in catalogue.safety.avoided_in_pregnancy
            for key in (normalize(avoided.code), normalize(avoided.name))
        }
        self._single_words = {
            phrase: symptom
            for symptom in data.symptoms
            for phrase in symptom.phrases
            if " " not in phrase and len(phrase) >= FUZZY_MIN_LENGTH
        }

    @classmethod
    def load(cls, catalogue: Catalogue, index: PointIndex, path: Path = OWN_WORDS_FILE) -> OwnWords:
        """Read and validate own_words.yaml; a mistake raises ContentError naming the field."""
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            data = OwnWordsData.model_validate(raw)
        except (OSError, yaml.YAMLError) as error:
            raise ContentError(f"{path.name}: cannot be read: {error}") from None
        except ValidationError as error:
            problem = error.errors()[0]
            field = ".".join(str(part) for part in problem["loc"]) or "(file)"
            message = problem["msg"].removeprefix("Value error, ")
            raise ContentError(f"{path.name}: field '{field}': {message}") from None
        return cls(data, catalogue, index)

    def understand(self, text: str) -> Understood:
        """What this message asks for, in the order the issue gives; NOTHING if unclear."""
        said = words(text)
        point = self.find_point(text, said)  # also Chinese names, which have no latin words
        if point is not None:
            return Understood(Kind.POINT, point=point)
        if not said:
            return NOTHING
        if avoided := self.avoided_point(text):
            return Understood(Kind.AVOIDED, avoided=avoided)
        if pregnancy := self._pregnancy(said):
            return Understood(Kind.INTENT, intent=pregnancy)
        if (match := _REMIND_AT.search(" ".join(said))) and any(c.isdigit() for c in match[1]):
            return Understood(Kind.INTENT, intent=Intent.REMIND, time_text=match[1])
        if symptom := self._symptom(said):
            points = tuple(
                (found, why)
                for code, why in symptom.points.items()
                if (found := self.catalogue.point(code)) is not None
            )
            return Understood(Kind.SYMPTOM, symptom=symptom, points=points)
        if intent := self._intent(said):
            return Understood(Kind.INTENT, intent=intent)
        return NOTHING

    def find_point(self, text: str, said: list[str]) -> Point | None:
        """A point named in the message: by the lookup, or as "kidney 3"."""
        point = self.index.find_in_text(text)
        if point is not None:
            return point
        joined = " ".join(said)
        for name, code in sorted(self.data.channel_names.items(), key=lambda i: -len(i[0])):
            found = re.search(rf"\b{re.escape(name)} ?(\d{{1,2}})\b", joined)
            if found:
                return self.index.find(f"{code}{found[1]}").point
        return None

    def avoided_point(self, text: str) -> AvoidedPoint | None:
        """LI4, SP6, GB21, BL67...: named in the text, though not in the catalogue."""
        pieces = text[:MAX_UNDERSTOOD_CHARS].split()
        for size in (1, 2):
            for start in range(len(pieces) - size + 1):
                key = normalize("".join(pieces[start : start + size]))
                key = re.sub(r"^([a-z]+)0+(\d)", r"\1\2", key)  # "li04" -> "li4"
                if key in self._avoided:
                    return self._avoided[key]
        return None

    def _pregnancy(self, said: list[str]) -> Intent | None:
        if any(_contains(said, p.split()) for p in self.data.pregnant_statements):
            return Intent.PREGNANT
        if any(_contains(said, p.split()) for p in self.data.pregnancy_words):
            return Intent.PREGNANCY_QUESTION
        return None

    def _symptom(self, said: list[str]) -> Symptom | None:
        # The longest phrase wins ("stiff neck" over "stiff"); general symptoms come last.
        best: tuple[int, int, int] | None = None
        for order, symptom in enumerate(self.data.symptoms):
            lengths = [
                len(phrase.split()) for phrase in symptom.phrases if _contains(said, phrase.split())
            ]
            if lengths:
                rank = (0 if symptom.general else 1, max(lengths), -order)
                best = max(best, rank) if best else rank
        if best is not None:
            return self.data.symptoms[-best[2]]
        long_words = [word for word in said if len(word) >= FUZZY_MIN_LENGTH and word.isalpha()]
        for word in long_words:
            close = process.extractOne(
                word, list(self._single_words), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if close is not None:
                return self._single_words[close[0]]
        return None

    def _intent(self, said: list[str]) -> Intent | None:
        core = [word for word in said if word not in self._filler] or said
        for intent, known in self.data.intents.items():
            exact = {tuple(w for w in p.split() if w not in self._filler) for p in known.exact}
            if tuple(core) in exact:
                return intent
        for intent, known in self.data.intents.items():
            if any(_contains(said, phrase.split()) for phrase in known.contains):
                return intent
        return None
