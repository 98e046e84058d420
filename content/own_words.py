"""Reads a free-text message in the patient's own words, in English, Spanish or Chinese.

`OwnWords.understand(text)` returns what the message asks for: a point's
card ("kidney 3", "riñón 3", "肾经3", "where is BL23", "委中在哪里"), the
points for a symptom ("sciatica", "me duele la espalda baja", "腰很痛"),
pregnancy, a reminder at a time ("remind me at 7:30 pm", "recuérdame a las
8", "每天早上八点提醒我"), an intent ("thanks", "gracias", "谢谢"), or
nothing. It reads all three languages whatever the patient's setting, and
the same request gives the same `Understood` in each.

English words are in content/data/own_words.yaml; Spanish and Chinese ones
in content/data/es/own_words.yaml and content/data/zh/own_words.yaml, which
also hold each symptom's title, note and per-point reasons in that language
(`OwnWords.symptom_text(symptom, language)`). Everything is validated and
compiled once at start-up. Latin text (English, Spanish) is compared as
words without case or accents, with a one-letter typo forgiven in longer
words; Chinese as character sequences, spaces dropped and full-width
punctuation normalised. Point names go through the catalogue's own lookup
(content.lookup). The red-flag screen (content.triage) has already run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from content.catalogue import Catalogue, ContentError
from content.chinese import to_simplified
from content.languages import DEFAULT_LANGUAGE, LANGUAGES, Language
from content.lookup import PointIndex
from content.names import normalize
from content.own_words_times import chinese_number, chinese_time, english_time, spanish_time
from content.schema import AvoidedPoint, Point

OTHER_LANGUAGES: tuple[Language, ...] = tuple(x for x in LANGUAGES if x != DEFAULT_LANGUAGE)
DATA_DIR = Path(__file__).with_name("data")
OWN_WORDS_FILE = DATA_DIR / "own_words.yaml"
MAX_UNDERSTOOD_CHARS = 500
FUZZY_MIN_LENGTH = 5
FUZZY_CUTOFF = 85
HAN_GAP = 3  # "腰 痛" in the Chinese data: up to three characters between ("腰很痛", "腰非常痛")

T = TypeVar("T")


def overlay_file(language: Language) -> Path:
    return DATA_DIR / language / "own_words.yaml"


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
    """Everything in own_words.yaml (English)."""

    channel_names: dict[str, str]
    pregnant_statements: list[str] = Field(min_length=1)
    pregnancy_words: list[str] = Field(min_length=1)
    symptoms: list[Symptom] = Field(min_length=1)
    intents: dict[Intent, IntentWords]
    filler: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _phrases_are_plain(self) -> OwnWordsData:
        for _, phrase in _all_phrases(self):
            if words(phrase) != phrase.split():
                raise ValueError(f"phrase {phrase!r}: lower-case words only, no punctuation")
        ids = [s.id for s in self.symptoms]
        if len(set(ids)) != len(ids):
            raise ValueError("two symptoms share an id")
        return self


class SymptomWords(_Strict):
    """One symptom in another language: its words, and what the patient is shown."""

    title: str = Field(min_length=3, max_length=60)
    phrases: list[str] = Field(min_length=1)
    points: dict[str, str] = Field(min_length=1, description="The same codes as in English.")
    note: str | None = Field(default=None, max_length=200)


class OwnWordsOverlay(_Strict):
    """Everything in <language>/own_words.yaml; symptoms keyed by the English id."""

    channel_names: dict[str, str] = Field(default_factory=dict)
    avoided_names: dict[str, str] = Field(default_factory=dict)
    pregnant_statements: list[str] = Field(min_length=1)
    pregnancy_words: list[str] = Field(min_length=1)
    symptoms: dict[str, SymptomWords]
    intents: dict[Intent, IntentWords]
    filler: list[str] = Field(default_factory=list)


def _all_phrases(data: OwnWordsData | OwnWordsOverlay) -> list[tuple[str, str]]:
    """(where, phrase) for every phrase a message is compared with."""
    found = [("channel_names", p) for p in data.channel_names]
    phrases: dict[str, list[str]]
    if isinstance(data, OwnWordsOverlay):
        found += [("avoided_names", p) for p in data.avoided_names]
        phrases = {key: entry.phrases for key, entry in data.symptoms.items()}
    else:
        phrases = {symptom.id: symptom.phrases for symptom in data.symptoms}
    found += [("pregnant_statements", p) for p in data.pregnant_statements]
    found += [("pregnancy_words", p) for p in data.pregnancy_words]
    for symptom_id, symptom_phrases in phrases.items():
        found += [(f"symptoms.{symptom_id}.phrases", p) for p in symptom_phrases]
    for intent, known in data.intents.items():
        found += [(f"intents.{intent}.exact", p) for p in known.exact]
        found += [(f"intents.{intent}.contains", p) for p in known.contains]
    found += [("filler", p) for p in data.filler]
    return found


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


@dataclass(frozen=True, slots=True)
class SymptomText:
    """A symptom as shown to the patient in one language: title, note, (point, why)."""

    title: str
    note: str | None
    points: tuple[tuple[Point, str], ...]


NOTHING = Understood(Kind.NONE)
_NON_WORD = re.compile(r"[^a-z0-9: ]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HAN_NOT_KEPT = re.compile(r"[^\u3400-\u9fff\uf900-\ufaffa-z0-9:]+")
_HAN_PHRASE = re.compile(r"[\u3400-\u9fff]+(?: [\u3400-\u9fff]+)*")
_NEGATIONS = frozenset({"no", "not", "nunca", "tampoco", "ni"})
_HAN_NEGATIONS = ("没", "不", "未", "非", "无")


def words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation; "I'm" -> "im"; "7:30" stays."""
    text = unicodedata.normalize("NFKD", text.casefold()[:MAX_UNDERSTOOD_CHARS])
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"['’`´]", "", text)
    text = re.sub(r"(?<!\d):|:(?!\d)", " ", text)  # a colon only inside 7:30
    return _NON_WORD.sub(" ", text).split()


def typed_time(text: str) -> str | None:
    """A time typed on its own in Spanish or Chinese words, as the English reader reads it.

    The answer to "what time?" in /remind: "a las ocho y media de la noche" ->
    "8:30 pm", "晚上7点半" -> "7:30 pm"; None when it names no time. The same
    grammar as "recuérdame a las 8" and "每天早上八点提醒我", with the request implied.
    """
    if not re.search(r"[^\d\s:.apm]", text.casefold()):
        return None  # digits and am/pm only ("13 pm"): the clock reader's to accept or refuse
    joined = " ".join(words(text))
    han = han_text(text)
    return spanish_time(f"recuerdame {joined}") or (chinese_time(han + "提醒") if han else None)


def han_text(text: str) -> str:
    """Chinese text as compared: full-width forms folded (NFKC), no spaces, punctuation -> " "."""
    text = text[:MAX_UNDERSTOOD_CHARS]
    if not _HAN.search(text):
        return ""
    text = "".join(unicodedata.normalize("NFKC", to_simplified(text)).casefold().split())
    text = re.sub(r"(?<!\d):|:(?!\d)", " ", text)
    return " ".join(_HAN_NOT_KEPT.sub(" ", text).split())


def _unaccented(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text if not unicodedata.combining(char))


@dataclass(frozen=True, slots=True)
class _Found(Generic[T]):
    value: T
    length: int  # words, or Chinese characters
    start: int


class _WordPhrases(Generic[T]):
    """Phrases of words indexed by their first word: a message is scanned once."""

    def __init__(self, items: Iterable[tuple[Sequence[str], T]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        for phrase, value in items:
            if phrase:
                self._by_first.setdefault(phrase[0], []).append((tuple(phrase), value))

    def find(self, said: Sequence[str]) -> list[_Found[T]]:
        found: list[_Found[T]] = []
        for start, word in enumerate(said):
            for phrase, value in self._by_first.get(word, ()):
                if tuple(said[start : start + len(phrase)]) == phrase:
                    found.append(_Found(value, len(phrase), start))
        return found


class _HanPhrases(Generic[T]):
    """Chinese phrases indexed by their first character; "腰 痛" allows a short gap."""

    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        self._by_first: dict[str, list[tuple[str | re.Pattern[str], int, T]]] = {}
        for phrase, value in items:
            pieces = phrase.split()
            matcher: str | re.Pattern[str] = "".join(pieces)
            if len(pieces) > 1:
                matcher = re.compile(f"[^ ]{{0,{HAN_GAP}}}".join(map(re.escape, pieces)))
            self._by_first.setdefault(phrase[0], []).append((matcher, sum(map(len, pieces)), value))

    def find(self, han: str) -> list[_Found[T]]:
        found: list[_Found[T]] = []
        for start, char in enumerate(han):
            for matcher, length, value in self._by_first.get(char, ()):
                if isinstance(matcher, str):
                    hit = han.startswith(matcher, start)
                else:
                    hit = matcher.match(han, start) is not None
                if hit:
                    found.append(_Found(value, length, start))
        return found


def _without_filler_han(text: str, filler: Sequence[str]) -> str:
    for word in filler:  # longest first
        text = text.replace(word, "")
    return text.replace(" ", "")


class OwnWords:
    """The matcher, built once at start-up from the catalogue and the own_words files."""

    def __init__(
        self,
        data: OwnWordsData,
        catalogue: Catalogue,
        index: PointIndex,
        overlays: dict[Language, OwnWordsOverlay] | None = None,
    ) -> None:
        self.data = data
        self.catalogue = catalogue
        self.index = index
        self.overlays: dict[Language, OwnWordsOverlay] = dict(overlays or {})
        self._check(data, catalogue)
        es = self.overlays.get("es")
        zh = self.overlays.get("zh")
        latin: list[OwnWordsData | OwnWordsOverlay] = [data, *([es] if es else [])]
        self._avoided = {
            key: avoided
            for avoided in catalogue.safety.avoided_in_pregnancy
            for key in (normalize(avoided.code), normalize(avoided.name))
        }
        order = {symptom.id: number for number, symptom in enumerate(data.symptoms)}
        self._filler = frozenset(w for source in latin for w in map(_latin, source.filler))
        self._han_filler = sorted(zh.filler if zh else (), key=len, reverse=True)

        # Channel names before a number: "kidney 3", "rinon 3", "肾经3".
        channel_codes = {_latin(n): c for source in latin for n, c in source.channel_names.items()}
        names = sorted(channel_codes, key=len, reverse=True)
        self._channel_codes = channel_codes
        self._channel = re.compile(rf"\b({'|'.join(map(re.escape, names))}) ?0*(\d{{1,2}})\b")
        han_channels = dict(zh.channel_names) if zh else {}
        han_names = "|".join(map(re.escape, sorted(han_channels, key=len, reverse=True)))
        self._han_channel_codes = han_channels
        self._han_channel = (
            re.compile(
                rf"({han_names})(?:穴位|穴)?(?:的)?(?:第)?0*(\d{{1,2}}|[零一二两三四五六七八九十]{{1,3}})"
            )
            if han_channels
            else None
        )
        # Names of points avoided in pregnancy in other languages ("合谷").
        by_code = {a.code: a for a in catalogue.safety.avoided_in_pregnancy}
        self._avoided_latin = _WordPhrases(
            (words(name), by_code[code])
            for source in latin
            if isinstance(source, OwnWordsOverlay)
            for name, code in source.avoided_names.items()
        )
        self._avoided_han = _HanPhrases(
            (name, by_code[code]) for name, code in (zh.avoided_names.items() if zh else ())
        )

        # Pregnancy: a statement ("estoy embarazada", "我怀孕了") or a question word.
        self._statements_latin = _WordPhrases(
            (words(p), True) for source in latin for p in source.pregnant_statements
        )
        self._pregnancy_latin = _WordPhrases(
            (words(p), True) for source in latin for p in source.pregnancy_words
        )
        statements, questions = (zh.pregnant_statements, zh.pregnancy_words) if zh else ([], [])
        self._statements_han = _HanPhrases((p, True) for p in statements)
        self._pregnancy_han = _HanPhrases((p, True) for p in questions)

        # Symptoms: every language's phrases point at the English symptom.
        symptom_phrases: list[tuple[Sequence[str], Symptom]] = [
            (words(phrase), symptom) for symptom in data.symptoms for phrase in symptom.phrases
        ]
        if es:
            symptom_phrases += [
                (words(phrase), data.symptoms[order[key]])
                for key, entry in es.symptoms.items()
                for phrase in entry.phrases
            ]
        self._symptoms_latin = _WordPhrases(symptom_phrases)
        self._symptoms_han = _HanPhrases(
            (phrase, data.symptoms[order[key]])
            for key, entry in (zh.symptoms.items() if zh else ())
            for phrase in entry.phrases
        )
        self._order = {symptom.id: number for number, symptom in enumerate(data.symptoms)}
        self._single_words = {
            phrase: symptom
            for symptom in data.symptoms
            for phrase in symptom.phrases
            if " " not in phrase and len(phrase) >= FUZZY_MIN_LENGTH
        }
        self._single_word_list = list(self._single_words)

        # Intents: a short message that is exactly one ("thanks"), or contains one.
        intent_order = {intent: number for number, intent in enumerate(data.intents)}
        self._intent_order = intent_order
        self._exact: dict[tuple[str, ...], Intent] = {}
        for source in latin:
            for intent, known in source.intents.items():
                for phrase in known.exact:
                    key = tuple(w for w in words(phrase) if w not in self._filler)
                    self._exact.setdefault(key, intent)
        self._contains_latin = _WordPhrases(
            (words(phrase), intent)
            for source in latin
            for intent, known in source.intents.items()
            for phrase in known.contains
        )
        self._exact_han: dict[str, Intent] = {}
        for intent, known in zh.intents.items() if zh else ():
            for phrase in known.exact:
                self._exact_han.setdefault(_without_filler_han(phrase, self._han_filler), intent)
        self._contains_han = _HanPhrases(
            (phrase, intent)
            for intent, known in (zh.intents.items() if zh else ())
            for phrase in known.contains
        )

        # Typos in longer Latin words ("embarasada", "rijida"): the known words by first letter.
        known_words = {w for source in latin for _, p in _all_phrases(source) for w in words(p)}
        self._known_words = frozenset(known_words)
        self._long_words: dict[str, list[str]] = {}
        for word in sorted(known_words):
            if len(word) >= FUZZY_MIN_LENGTH and word.isalpha():
                self._long_words.setdefault(word[0], []).append(word)

        # What the patient is shown, per language.
        self._texts: dict[Language, dict[str, SymptomText]] = {
            "en": {s.id: self._text(s.title, s.note, s.points) for s in data.symptoms}
        }
        for language, overlay in self.overlays.items():
            self._texts[language] = {
                key: self._text(entry.title, entry.note, entry.points)
                for key, entry in overlay.symptoms.items()
            }

    def _text(self, title: str, note: str | None, reasons: dict[str, str]) -> SymptomText:
        points = tuple(
            (point, why)
            for code, why in reasons.items()
            if (point := self.catalogue.point(code)) is not None
        )
        return SymptomText(title, note, points)

    def _check(self, data: OwnWordsData, catalogue: Catalogue) -> None:
        avoided = {a.code for a in catalogue.safety.avoided_in_pregnancy}
        channels = {p.meridian for p in catalogue.points} | {
            re.sub(r"\d+$", "", code) for code in avoided
        }
        for symptom in data.symptoms:
            for code in symptom.points:
                if catalogue.point(code) is None:
                    raise ContentError(
                        f"own_words.yaml: symptom {symptom.id}: no point {code!r} in points.yaml"
                    )
        for name, code in data.channel_names.items():
            if code not in channels:
                raise ContentError(f"own_words.yaml: channel_names: {name}: unknown code {code}")
        for language, overlay in self.overlays.items():
            _check_overlay(language, overlay, data, channels, avoided)

    @classmethod
    def load(
        cls,
        catalogue: Catalogue,
        index: PointIndex,
        path: Path = OWN_WORDS_FILE,
        overlay_paths: dict[Language, Path] | None = None,
    ) -> OwnWords:
        """Read and validate the own_words files; a mistake raises ContentError naming it.

        `overlay_paths` defaults to content/data/<es|zh>/own_words.yaml next to `path`.
        """
        try:
            data = OwnWordsData.model_validate(_read(path, path.name, None))
        except ValidationError as error:
            problem = error.errors()[0]
            field = ".".join(str(part) for part in problem["loc"]) or "(file)"
            message = problem["msg"].removeprefix("Value error, ")
            raise ContentError(f"{path.name}: field '{field}': {message}") from None
        if overlay_paths is None:
            overlay_paths = {lang: path.parent / lang / path.name for lang in OTHER_LANGUAGES}
        overlays = {
            language: _overlay(overlay_path, language)
            for language, overlay_path in overlay_paths.items()
        }
        return cls(data, catalogue, index, overlays)

    # ---- what a message means --------------------------------------------------------

    def understand(self, text: str) -> Understood:
        """What this message asks for, in the order the issue gives; NOTHING if unclear."""
        said = words(text)
        han = han_text(text)
        named = self.named_point(text, said, han)
        if isinstance(named, Point):
            return Understood(Kind.POINT, point=named)
        if named is not None:
            return Understood(Kind.AVOIDED, avoided=named)
        if not said and not han:
            return NOTHING
        if avoided := self.avoided_point(text):
            return Understood(Kind.AVOIDED, avoided=avoided)
        understood = self._meaning(said, han)
        # A typo ("embarasada", "espalda rijida"): when nothing, or only the general symptom
        # ("espalda"), matched, the corrected words may say more.
        general = understood.symptom is not None and understood.symptom.general
        if (understood is NOTHING or general) and (fixed := self._corrected(said)) != said:
            corrected = self._meaning(fixed, han)
            understood = corrected if corrected is not NOTHING else understood
        return understood

    def find_point(self, text: str, said: list[str]) -> Point | None:
        """A point named in the message: by the lookup, or as "kidney 3" / "肾经3"."""
        named = self.named_point(text, said, han_text(text))
        return named if isinstance(named, Point) else None

    def named_point(self, text: str, said: list[str], han: str) -> Point | AvoidedPoint | None:
        """A catalogue point, or a point avoided in pregnancy ("vesícula biliar 21")."""
        point = self.index.find_in_text(text)
        if point is not None:
            return point
        code: str | None = None
        if found := self._channel.search(" ".join(said)):
            code = f"{self._channel_codes[found[1]]}{int(found[2])}"
        elif self._han_channel and (found := self._han_channel.search(han)):
            number = chinese_number(found[2])
            if number is not None:
                code = f"{self._han_channel_codes[found[1]]}{number}"
        if code is None:
            return None
        return self.index.find(code).point or self._avoided.get(normalize(code))

    def avoided_point(self, text: str) -> AvoidedPoint | None:
        """LI4, SP6, GB21, BL67, 合谷...: named in the text, though not in the catalogue."""
        pieces = text[:MAX_UNDERSTOOD_CHARS].split()
        for size in (1, 2):
            for start in range(len(pieces) - size + 1):
                key = normalize("".join(pieces[start : start + size]))
                key = re.sub(r"^([a-z]+)0+(\d)", r"\1\2", key)  # "li04" -> "li4"
                if key in self._avoided:
                    return self._avoided[key]
        if found := self._avoided_latin.find(words(text)):
            return found[0].value
        if found := self._avoided_han.find(han_text(text)):
            return found[0].value
        return None

    def symptom_text(self, symptom: Symptom | str, language: Language) -> SymptomText:
        """The title, note and reasons to show for this symptom in `language` (else English)."""
        key = symptom if isinstance(symptom, str) else symptom.id
        texts = self._texts.get(language, self._texts["en"])
        return texts.get(key) or self._texts["en"][key]

    def _meaning(self, said: list[str], han: str) -> Understood:
        if pregnancy := self._pregnancy(said, han):
            return Understood(Kind.INTENT, intent=pregnancy)
        joined = " ".join(said)
        time_text = english_time(joined) or spanish_time(joined) or chinese_time(han)
        if time_text:
            return Understood(Kind.INTENT, intent=Intent.REMIND, time_text=time_text)
        if symptom := self._symptom(said, han):
            points = self._texts["en"][symptom.id].points
            return Understood(Kind.SYMPTOM, symptom=symptom, points=points)
        if intent := self._intent(said, han):
            return Understood(Kind.INTENT, intent=intent)
        return NOTHING

    def _pregnancy(self, said: list[str], han: str) -> Intent | None:
        for found in self._statements_latin.find(said):
            if not (found.start and said[found.start - 1] in _NEGATIONS):
                return Intent.PREGNANT
        for found in self._statements_han.find(han):
            if not any(n in han[max(0, found.start - 2) : found.start] for n in _HAN_NEGATIONS):
                return Intent.PREGNANT
        if self._pregnancy_latin.find(said) or self._pregnancy_han.find(han):
            return Intent.PREGNANCY_QUESTION
        return None

    def _symptom(self, said: list[str], han: str) -> Symptom | None:
        # The longest phrase wins ("stiff neck" over "stiff"); general symptoms come last.
        found = [*self._symptoms_latin.find(said), *self._symptoms_han.find(han)]
        if found:
            best = max(
                found,
                key=lambda f: (not f.value.general, f.length, -self._order[f.value.id]),
            )
            return best.value
        long_words = [word for word in said if len(word) >= FUZZY_MIN_LENGTH and word.isalpha()]
        for word in long_words:
            close = process.extractOne(
                word, self._single_word_list, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if close is not None:
                return self._single_words[close[0]]
        return None

    def _intent(self, said: list[str], han: str) -> Intent | None:
        core = [word for word in said if word not in self._filler] or said
        if said and (intent := self._exact.get(tuple(core))):
            return intent
        if han and (intent := self._exact_han.get(_without_filler_han(han, self._han_filler))):
            return intent
        found = [*self._contains_latin.find(said), *self._contains_han.find(han)]
        if found:
            return min((f.value for f in found), key=self._intent_order.__getitem__)
        return None

    def _corrected(self, said: list[str]) -> list[str]:
        """Words a letter off a known longer word, corrected ("embarasada" -> "embarazada")."""
        fixed = []
        for word in said:
            if word not in self._known_words and len(word) >= FUZZY_MIN_LENGTH and word.isalpha():
                limit = 1 if len(word) <= 8 else 2
                close = process.extractOne(
                    word,
                    self._long_words.get(word[0], ()),
                    scorer=Levenshtein.distance,
                    score_cutoff=limit,
                )
                if close is not None:
                    word = close[0]
            fixed.append(word)
        return fixed


def _latin(phrase: str) -> str:
    return " ".join(words(phrase))


def _read(path: Path, name: str, language: Language | None) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        where = f" (language {language})" if language else ""
        raise ContentError(f"{name}{where}: cannot be read: {error}") from None


def _overlay(path: Path, language: Language) -> OwnWordsOverlay:
    name = f"{language}/{path.name}"
    try:
        return OwnWordsOverlay.model_validate(_read(path, name, language))
    except ValidationError as error:
        problem = error.errors()[0]
        loc = [str(part) for part in problem["loc"]]
        entry = ".".join(loc[:-1]) or "(file)"
        field = loc[-1] if loc else "(file)"
        message = problem["msg"].removeprefix("Value error, ")
        raise ContentError(
            f"{name} (language {language}): entry '{entry}': field '{field}': {message}"
        ) from None


def _check_overlay(
    language: Language,
    overlay: OwnWordsOverlay,
    english: OwnWordsData,
    channels: set[str],
    avoided: set[str],
) -> None:
    """Every English symptom and intent is there, with the same point codes and notes."""

    def fail(entry: str, field: str, message: str) -> ContentError:
        return ContentError(
            f"{language}/own_words.yaml (language {language}): entry '{entry}': "
            f"field '{field}': {message}"
        )

    for where, phrase in _all_phrases(overlay):
        entry, _, field = where.rpartition(".")
        entry, field = (entry, field) if entry else (where, where)
        if language == "zh" and where != "filler":
            if not _HAN_PHRASE.fullmatch(phrase):
                raise fail(entry, field, f"{phrase!r}: Chinese characters only (a space = a gap)")
        elif language == "zh":
            if not _HAN_PHRASE.fullmatch(phrase) or " " in phrase:
                raise fail(entry, field, f"{phrase!r}: Chinese characters only")
        elif words(phrase) != _unaccented(phrase).split() or phrase != phrase.casefold():
            raise fail(entry, field, f"{phrase!r}: lower-case words only, no punctuation")
    ids = [symptom.id for symptom in english.symptoms]
    for symptom in english.symptoms:
        entry = f"symptoms.{symptom.id}"
        translated = overlay.symptoms.get(symptom.id)
        if translated is None:
            raise fail(entry, "(entry)", "missing; every English symptom needs one")
        if list(translated.points) != list(symptom.points):
            raise fail(entry, "points", f"the codes must be {list(symptom.points)}, in that order")
        if (translated.note is None) != (symptom.note is None):
            raise fail(entry, "note", "present here exactly when it is present in English")
    for key in overlay.symptoms:
        if key not in ids:
            raise fail(f"symptoms.{key}", "(entry)", "no such symptom in English")
    for intent in english.intents:
        if intent not in overlay.intents:
            raise fail(f"intents.{intent}", "(entry)", "missing; every English intent needs one")
        known = overlay.intents[intent]
        if not known.exact and not known.contains:
            raise fail(f"intents.{intent}", "exact", "no words at all")
    for name, code in overlay.channel_names.items():
        if code not in channels:
            raise fail(f"channel_names.{name}", "code", f"unknown channel {code}")
    for name, code in overlay.avoided_names.items():
        if code not in avoided:
            raise fail(f"avoided_names.{name}", "code", f"{code} is not in avoided_in_pregnancy")
