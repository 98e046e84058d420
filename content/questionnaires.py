"""The validated questionnaires (PEG, RMDQ): their data, checked at start, and their scoring.

`content/data/questionnaires.yaml` holds each instrument's published wording,
source, terms, scoring and threshold for a meaningful change (see its
header); `content/data/<language>/questionnaires.yaml` gives the other
languages' words (the clinic's own: the English file's `validated` marks
them false). Scoring is pure: a list of answers (None for a skipped item)
in, a score or None out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from content.languages import LANGUAGES, Language

DATA_DIR = Path(__file__).with_name("data")
FILE = "questionnaires.yaml"


class Instrument(StrEnum):
    PEG = "peg"
    RMDQ = "rmdq"


class QuestionnaireError(ValueError):
    """The questionnaire data is wrong: the bot refuses to start with it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    text: str = Field(min_length=5)
    low: str | None = None  # a 0-10 item's anchors
    high: str | None = None


class Threshold(_Strict):
    """A published minimal important change: either of the two counts."""

    points: int = Field(gt=0)
    percent_of_baseline: int = Field(gt=0, le=100)
    source: str = Field(min_length=5)


# Follows a score staff see that is not from a validated version (ASCII: the PDF's fonts).
NOT_VALIDATED_MARK = "*"


class Questionnaire(_Strict):
    id: Instrument
    name: str
    # Per language: whether the words are a validated version (English: the published one).
    validated: dict[Language, bool]
    source: str = Field(min_length=5)
    terms: str = Field(min_length=5)
    kind: Literal["scale", "yes_no"]
    scale_min: int = 0
    scale_max: int = 1
    scoring: Literal["mean", "count_yes"]
    decimals: int = Field(ge=0, le=2)
    lower_is_better: bool
    threshold: Threshold | None
    intro: str = Field(min_length=5)
    items: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        if self.kind == "scale":
            if self.scoring != "mean" or not 0 <= self.scale_min < self.scale_max <= 10:
                raise ValueError("a scale is scored by its mean, on a range within 0-10")
            if any(item.low is None or item.high is None for item in self.items):
                raise ValueError("every scale item names its two anchors")
        else:
            if self.scoring != "count_yes" or (self.scale_min, self.scale_max) != (0, 1):
                raise ValueError("a yes/no questionnaire counts its yes answers")
            if any(item.low is not None or item.high is not None for item in self.items):
                raise ValueError("a yes/no item has no anchors")
        if set(self.validated) != set(LANGUAGES) or not self.validated["en"]:
            raise ValueError("`validated` names every language, and English is the published")
        expected = {Instrument.PEG: 3, Instrument.RMDQ: 24}[self.id]
        if len(self.items) != expected:
            raise ValueError(f"{self.id} has {expected} items, not {len(self.items)}")
        return self

    @property
    def answers(self) -> range:
        """The answers an item takes: 0-10 for a scale, 0 (no) or 1 (yes)."""
        return range(self.scale_min, self.scale_max + 1)

    @property
    def best_score(self) -> int:
        return 0

    @property
    def worst_score(self) -> int:
        return self.scale_max if self.scoring == "mean" else len(self.items)

    def validated_in(self, wording: str) -> bool:
        """Whether answers given in `wording` (a language, or storage's "mixed" or
        "unknown") are answers to a validated version of this questionnaire."""
        return bool(self.validated.get(wording, False))  # type: ignore[call-overload]

    def mark(self, wording: str | None) -> str:
        """NOT_VALIDATED_MARK after a score answered in `wording` if that is not a
        validated version ("" for a validated one, or None: not a questionnaire's)."""
        if wording is None or self.validated_in(wording):
            return ""
        return NOT_VALIDATED_MARK


class _LanguageItem(_Strict):
    text: str = Field(min_length=2)
    low: str | None = None
    high: str | None = None


class _LanguageWords(_Strict):
    intro: str = Field(min_length=2)
    items: list[_LanguageItem]


@dataclass(frozen=True, slots=True)
class Words:
    """One questionnaire in one language: what the patient reads."""

    validated: bool
    intro: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Questionnaires:
    """Every instrument, and its words in every language."""

    instruments: dict[Instrument, Questionnaire]
    words: dict[tuple[Instrument, Language], Words]

    def get(self, instrument: Instrument) -> Questionnaire:
        return self.instruments[instrument]

    def in_language(self, instrument: Instrument, language: Language) -> Words:
        return self.words[(instrument, language)]


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise QuestionnaireError(f"{path}: missing") from error
    except yaml.YAMLError as error:
        raise QuestionnaireError(f"{path}: not valid YAML: {error}") from error


def _list(raw: Any, where: Path) -> list[Any]:
    if not isinstance(raw, dict) or set(raw) != {"questionnaires"}:
        raise QuestionnaireError(f"{where}: one top-level key, 'questionnaires'")
    entries = raw["questionnaires"]
    if not isinstance(entries, list):
        raise QuestionnaireError(f"{where}: 'questionnaires' is a list")
    return entries


def load_questionnaires(data_dir: Path = DATA_DIR) -> Questionnaires:
    """Reads and checks the instruments and every language's words; raises QuestionnaireError."""
    where = data_dir / FILE
    instruments: dict[Instrument, Questionnaire] = {}
    for raw in _list(_read(where), where):
        try:
            questionnaire = Questionnaire.model_validate(raw)
        except ValidationError as error:
            raise QuestionnaireError(f"{where}: {error}") from error
        if questionnaire.id in instruments:
            raise QuestionnaireError(f"{where}: {questionnaire.id} twice")
        instruments[questionnaire.id] = questionnaire
    if set(instruments) != set(Instrument):
        raise QuestionnaireError(f"{where}: needs exactly {', '.join(Instrument)}")
    words: dict[tuple[Instrument, Language], Words] = {}
    for instrument, questionnaire in instruments.items():
        words[(instrument, "en")] = Words(True, questionnaire.intro, tuple(questionnaire.items))
    for language in LANGUAGES:
        if language == "en":
            continue
        path = data_dir / language / FILE
        raw = _read(path)
        if not isinstance(raw, dict) or set(raw) != {"questionnaires"}:
            raise QuestionnaireError(f"{path}: one top-level key, 'questionnaires'")
        entries = raw["questionnaires"]
        if not isinstance(entries, dict):
            raise QuestionnaireError(f"{path}: 'questionnaires' is a mapping keyed by id")
        seen: set[Instrument] = set()
        for key, value in entries.items():
            if key not in set(Instrument):
                raise QuestionnaireError(f"{path}: {key}: no such questionnaire")
            instrument = Instrument(key)
            try:
                entry = _LanguageWords.model_validate(value)
            except ValidationError as error:
                raise QuestionnaireError(f"{path}: {key}: {error}") from error
            english = instruments[instrument]
            seen.add(instrument)
            if len(entry.items) != len(english.items):
                raise QuestionnaireError(
                    f"{path}: {key} has {len(english.items)} items, not {len(entry.items)}"
                )
            for number, (ours, theirs) in enumerate(
                zip(entry.items, english.items, strict=True), 1
            ):
                if (ours.low is None) != (theirs.low is None) or (ours.high is None) != (
                    theirs.high is None
                ):
                    raise QuestionnaireError(f"{path}: {key} item {number}: anchors differ")
            items = tuple(Item(text=i.text, low=i.low, high=i.high) for i in entry.items)
            words[(instrument, language)] = Words(english.validated[language], entry.intro, items)
        if seen != set(Instrument):
            raise QuestionnaireError(f"{path}: needs exactly {', '.join(Instrument)}")
    return Questionnaires(instruments, words)


@functools.cache
def questionnaires() -> Questionnaires:
    """The shipped data, read once (and checked at start-up by the application)."""
    return load_questionnaires()


# ---- scoring ----------------------------------------------------------------


def score(questionnaire: Questionnaire, answers: list[int | None]) -> Decimal | None:
    """The published score, or None when an item is unanswered (see the data file's header).

    PEG: the mean of the three items, rounded half up to `decimals` (6, 7, 5 -> 6.0;
    7, 8, 8 -> 7.7). RMDQ: the number of yes answers (1), 0-24.
    """
    if len(answers) != len(questionnaire.items):
        raise ValueError(f"{questionnaire.id}: {len(questionnaire.items)} answers expected")
    for answer in answers:
        if answer is not None and answer not in questionnaire.answers:
            raise ValueError(f"{questionnaire.id}: {answer} is not an answer")
    given = [answer for answer in answers if answer is not None]
    if len(given) != len(answers):
        return None
    if questionnaire.scoring == "count_yes":
        return Decimal(sum(given))
    mean = Decimal(sum(given)) / Decimal(len(given))
    return mean.quantize(Decimal(1).scaleb(-questionnaire.decimals), rounding=ROUND_HALF_UP)


class Verdict(StrEnum):
    """Whether a change passes the published threshold for a meaningful change."""

    BETTER = "better"  # improved by at least the threshold
    WORSE = "worse"  # worse by at least the threshold
    WITHIN = "within"  # a smaller change either way
    NO_THRESHOLD = "no_threshold"  # the instrument has no published threshold in our facts


@dataclass(frozen=True, slots=True)
class Change:
    """A score against the patient's first one of the same instrument."""

    first: Decimal
    latest: Decimal
    difference: Decimal  # latest - first (negative: lower, which is better for both)
    verdict: Verdict


def change(questionnaire: Questionnaire, first: Decimal, latest: Decimal) -> Change:
    """The change since the first score, judged by the threshold in the data, if any.

    RMDQ (Ostelo 2008): an improvement of at least 5 points OR at least 30% of
    the first score counts as meaningful. Ostelo's consensus is about
    improvement, and the smallest detectable change is about 4-5 points, so
    a worsening counts only from the points alone (a rise of 1 from a first
    score of 3 is 33% but may be noise). A first score of 0 has no
    percentage: only the points count then.
    """
    difference = latest - first
    threshold = questionnaire.threshold
    if threshold is None:
        return Change(first, latest, difference, Verdict.NO_THRESHOLD)
    size = abs(difference)
    better = difference != 0 and (difference < 0) == questionnaire.lower_is_better
    if better:
        meaningful = size >= threshold.points or (
            first > 0 and size * 100 >= first * threshold.percent_of_baseline
        )
    else:
        meaningful = size >= threshold.points
    if not meaningful or difference == 0:
        verdict = Verdict.WITHIN
    elif better:
        verdict = Verdict.BETTER
    else:
        verdict = Verdict.WORSE
    return Change(first, latest, difference, verdict)
