"""Translations keep the facts: every overlay says what the English says, entry by entry.

Each language other than English has overlay files content/data/<lang>/<file>.yaml with the
structure of the English file restricted to its translated fields (I18N.md). This test walks
every overlay that exists next to its English file, in parallel, and for every translated
text checks that the facts of the English text survive in the translation:

- numbers: digits as written in English, each at least as often as in English. Ranges
  ("30 to 60", "2-3") are checked as their two ends, so "30 a 60 segundos" and "30至60秒"
  pass. Ordinals written with digits count ("4th" -> "4.º", "第4"); numbers English spells
  out in words ("two finger-widths") are not checked.
  The rule for decimals: a decimal keeps its point in every language, exactly as in English
  ("1.5 cun", "0.5 cun", "3.8 points", never "1,5"), because the same values are printed on
  the pictures and the cards, and Latin-American Spanish writes the point too. A negative
  number keeps its sign (a hyphen-minus or U+2212). Only a thousands separator may change: English
  "2,400" may be written 2,400 / 2.400 / 2 400 / 2400.
  Digits are ASCII digits; full-width digits (U+FF10 to U+FF19) do not count.
- point and other codes (BL23, EX-B2, EX-UE7, UB40, NG59), each at least as often;
- vertebra levels (L2, T12, S1, C7), each at least as often;
- {placeholders}: exactly the same set (an extra or missing one breaks str.format);
- units after a number (cun, seconds, minutes, hours, days, weeks, months, years, %):
  the language's word for the unit appears (es "cun", "segundos"; zh "寸", "秒", "分钟").

The walk follows I18N.md: a list of records with `code` or `id` is a mapping keyed by that
value in the overlay (same keys, none missing, none extra); any other list keeps its
length and order; mappings keep their keys; a field null in English is absent in the
overlay; `aliases` are extra names and are not compared. The lead's loader
(content/catalogue.py) checks that every translated field is present; this test also checks
it within a list of records (a field one entry translates, every entry with that field in
English must translate), and for points.yaml against the point's translated fields.

A failure names the file, the language, the entry, the field and the missing fact.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA_DIR = Path(__file__).resolve().parents[2] / "content" / "data"
LANGUAGES = ("es", "zh")
RECORD_KEYS = ("code", "id")
EXTRA_NAME_FIELDS = frozenset({"aliases"})  # extra names in that language, not translations

# The point fields that are translated (I18N.md); used when content.schema.Point does not
# declare them itself in a `translated` ClassVar.
POINT_TRANSLATED = (
    "english",
    "aliases",
    "location",
    "uses",
    "how_to_press",
    "cautions",
    "count_note",
    "article_name",
)

# ---- Facts --------------------------------------------------------------------------------

_NOT_BEFORE = r"(?<![A-Za-z0-9.,])"  # a number does not continue a word, code or number
_NOT_AFTER = r"(?![0-9]|[.,][0-9])"  # ... and is not followed by more of a number
NUMBER = re.compile(
    r"(?:(?<![\w.,)\]])[-−](?=[0-9]))?"  # a minus sign, not a hyphen after a word ("2-3")
    + _NOT_BEFORE
    + r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
    + _NOT_AFTER
)
CODE = re.compile(r"(?<![A-Za-z0-9])(?:EX-[A-Z]{1,2}[0-9]{1,2}|[A-Z]{2,}[0-9]+)(?![A-Za-z0-9])")
VERTEBRA = re.compile(r"(?<![A-Za-z0-9])[CTLS][0-9]{1,2}(?![A-Za-z0-9])")
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")

# Units that follow a number in English, and how each language writes them.
ENGLISH_UNITS = {
    "cun": r"cun",
    "second": r"seconds?|secs?",
    "minute": r"minutes?|mins?",
    "hour": r"hours?|hrs?",
    "day": r"days?",
    "week": r"weeks?",
    "month": r"months?",
    "year": r"years?",
    "percent": r"%|per ?cent",
}
UNIT_AFTER_NUMBER = {
    unit: re.compile(r"[0-9]\s*(?:" + words + r")(?![A-Za-z])", re.IGNORECASE)
    for unit, words in ENGLISH_UNITS.items()
}
TRANSLATED_UNITS: dict[str, dict[str, str]] = {
    "es": {
        "cun": r"\bcun\b",
        "second": r"\bsegundos?\b|\bs\b",
        "minute": r"\bminutos?\b|\bmin\b",
        "hour": r"\bhoras?\b|\bh\b",
        "day": r"\bd[ií]as?\b",
        "week": r"\bsemanas?\b",
        "month": r"\bmes(?:es)?\b",
        "year": r"\baños?\b",
        "percent": r"%|por ciento",
    },
    "zh": {
        "cun": r"寸",
        "second": r"秒",
        "minute": r"分钟|分",
        "hour": r"小时|钟头",
        "day": r"天|日",
        "week": r"周|星期|礼拜",
        "month": r"月",
        "year": r"年|岁",
        "percent": r"%|％|百分之",
    },
}
_THOUSANDS = (",", ".", " ", "\u00a0", "\u202f", "")


def _number_pattern(number: str) -> re.Pattern[str]:
    """How an English number may be written in a translation (see the module docstring)."""
    sign = ""
    if number[0] in "-−":
        sign, number = "[-−]", number[1:]
    whole, _, decimals = number.partition(".")
    groups = whole.split(",")
    if len(groups) > 1:
        spelled = "(?:" + "|".join(re.escape(sep).join(groups) for sep in _THOUSANDS) + ")"
    else:
        spelled = whole
    if decimals:
        spelled += r"\." + decimals
    before = "" if sign else _NOT_BEFORE
    return re.compile(before + sign + spelled + _NOT_AFTER)


def numbers(text: str) -> Counter[str]:
    return Counter(match.group() for match in NUMBER.finditer(text))


def missing_facts(english: str, translation: str, language: str) -> list[str]:
    """The facts of the English text the translation lacks, in words."""
    missing: list[str] = []
    for number, count in sorted(numbers(english).items()):
        found = len(_number_pattern(number).findall(translation))
        if found < count:
            missing.append(_shortfall("number", number, count, found))
    for kind, pattern in (("code", CODE), ("vertebra level", VERTEBRA)):
        want = Counter(pattern.findall(english))
        have = Counter(pattern.findall(translation))
        for token, count in sorted(want.items()):
            if have[token] < count:
                missing.append(_shortfall(kind, token, count, have[token]))
    want_placeholders = set(PLACEHOLDER.findall(english))
    have_placeholders = set(PLACEHOLDER.findall(translation))
    for placeholder in sorted(want_placeholders - have_placeholders):
        missing.append(f"placeholder {placeholder} is missing")
    for placeholder in sorted(have_placeholders - want_placeholders):
        missing.append(f"placeholder {placeholder} is not in the English text")
    unit_words = TRANSLATED_UNITS.get(language, {})
    for unit, after_number in UNIT_AFTER_NUMBER.items():
        if (
            unit in unit_words
            and after_number.search(english)
            and not re.search(unit_words[unit], translation, re.IGNORECASE)
        ):
            missing.append(f"unit '{unit}' is missing (write it as {unit_words[unit]!r})")
    return missing


def _shortfall(kind: str, token: str, count: int, found: int) -> str:
    if found == 0:
        return f"{kind} '{token}' is missing"
    return f"{kind} '{token}' appears {found} time(s), English has it {count} time(s)"


# ---- The parallel walk ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    language: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file} [{self.language}] entry {self.entry or '(top)'!r}, "
            f"field {self.field or '(whole entry)'!r}: {self.message}"
        )


@dataclass(frozen=True)
class Where:
    file: str
    language: str
    entry: str = ""
    field: str = ""

    def into_entry(self, key: str) -> Where:
        # A record inside a field names its whole path: points.BL23, regions.hand.landmarks.x
        entry = ".".join(part for part in (self.entry, self.field, key) if part)
        return Where(self.file, self.language, entry, "")

    def into_field(self, key: str) -> Where:
        field = f"{self.field}.{key}" if self.field else key
        return Where(self.file, self.language, self.entry, field)

    def at(self, index: int) -> Where:
        return Where(self.file, self.language, self.entry, f"{self.field}[{index}]")

    def problem(self, message: str) -> Problem:
        return Problem(self.file, self.language, self.entry, self.field, message)


def _record_key(items: list[Any]) -> str | None:
    """`code` or `id`, when every item of an English list is a record carrying it."""
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in RECORD_KEYS:
        if all(key in item for item in items):
            return key
    return None


def _is_record_list(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(item, dict) for item in items)


def _blank(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


def walk(english: Any, translation: Any, where: Where) -> Iterator[Problem]:
    if isinstance(english, str):
        if not isinstance(translation, str) or not translation.strip():
            yield where.problem(f"must be a non-empty text, got {translation!r}")
            return
        for fact in missing_facts(english, translation, where.language):
            yield where.problem(f"{fact}. English: {english!r}; translation: {translation!r}")
    elif isinstance(english, dict):
        yield from _walk_mapping(english, translation, where)
    elif isinstance(english, list):
        yield from _walk_list(english, translation, where)
    else:
        yield where.problem(
            f"English has {english!r} here, which is not text: leave it out of the overlay"
        )


def _walk_mapping(english: dict[str, Any], translation: Any, where: Where) -> Iterator[Problem]:
    if not isinstance(translation, dict):
        yield where.problem(f"must be a mapping like the English one, got {translation!r}")
        return
    for key, value in translation.items():
        key = str(key)
        child = (
            where.into_entry(key) if isinstance(english.get(key), dict) else where.into_field(key)
        )
        if key not in english:
            yield child.problem("is not in the English file (an extra entry or field)")
        elif key in EXTRA_NAME_FIELDS:
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(a, str) and a for a in value)
            ):
                yield child.problem(f"must be a list of names, got {value!r}")
        elif english[key] is None:
            yield child.problem("is absent (null) in English, so it must be absent here")
        else:
            yield from walk(english[key], value, child)


def _walk_list(english: list[Any], translation: Any, where: Where) -> Iterator[Problem]:
    key = _record_key(english)
    if key is not None:
        if not isinstance(translation, dict):
            yield where.problem(
                f"the English list of records with '{key}' must be a mapping keyed by {key}"
            )
            return
        records = {str(record[key]): record for record in english}
        keys = [str(k) for k in translation]
        for missing in (k for k in records if k not in translation):
            yield where.into_entry(missing).problem(f"has no entry in the {where.language} overlay")
        for extra in (k for k in keys if k not in records):
            yield where.into_entry(extra).problem(f"no English entry has {key} {extra!r}")
        pairs = [(k, records[k], translation[k]) for k in keys if k in records]
        yield from _same_fields(pairs, where)
        for k, record, overlay in pairs:
            yield from walk(record, overlay, where.into_entry(k))
        return
    if not isinstance(translation, list) or len(translation) != len(english):
        yield where.problem(
            f"must be a list of {len(english)} item(s) in the English order, got {translation!r}"
        )
        return
    if _is_record_list(english):
        yield from _same_fields(
            [
                (str(i), record, overlay)
                for i, (record, overlay) in enumerate(zip(english, translation, strict=True))
            ],
            where,
            indexed=True,
        )
    for index, (item, overlay) in enumerate(zip(english, translation, strict=True)):
        yield from walk(item, overlay, where.at(index))


def _same_fields(
    pairs: list[tuple[str, Any, Any]], where: Where, *, indexed: bool = False
) -> Iterator[Problem]:
    """Records of one list translate the same fields: the union over the overlay's entries."""
    used: set[str] = set()
    for _, _, overlay in pairs:
        if isinstance(overlay, dict):
            used |= {str(field) for field in overlay} - EXTRA_NAME_FIELDS
    for name, record, overlay in pairs:
        if not isinstance(overlay, dict):
            continue
        entry = where.at(int(name)) if indexed else where.into_entry(name)
        for field in sorted(used):
            if field not in overlay and field in record and not _blank(record[field]):
                yield entry.into_field(field).problem(
                    "is translated in other entries of this list but missing here"
                )


# ---- The files -----------------------------------------------------------------------------


# The catalogue's translation overlays; own_words.yaml and triage.yaml in a language's
# folder are that language's own phrase tables, not translations of the English file.
OWN_TABLES = {"own_words.yaml", "triage.yaml"}


def overlay_files() -> list[tuple[str, Path]]:
    return [
        (language, path)
        for language in LANGUAGES
        for path in sorted((DATA_DIR / language).glob("*.yaml"))
        if path.name not in OWN_TABLES
    ]


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _report(problems: list[Problem]) -> str:
    shown = "\n".join(f"  - {problem}" for problem in problems[:60])
    more = f"\n  ... and {len(problems) - 60} more" if len(problems) > 60 else ""
    return f"{len(problems)} translation problem(s):\n{shown}{more}"


def _relative(path: Path) -> str:
    return str(path.relative_to(DATA_DIR.parents[1]))


@pytest.mark.parametrize(
    ("language", "path"),
    [
        pytest.param(language, path, id=f"{language}/{path.name}")
        for language, path in overlay_files()
    ],
)
def test_overlay_keeps_every_fact_of_the_english(language: str, path: Path) -> None:
    english_path = DATA_DIR / path.name
    assert english_path.exists(), (
        f"{_relative(path)} [{language}] has no English file {_relative(english_path)}"
    )
    where = Where(_relative(path), language)
    problems = list(walk(_load(english_path), _load(path), where))
    assert not problems, _report(problems)


def _point_translated_fields() -> tuple[str, ...]:
    from content.schema import Point

    declared = getattr(Point, "translated", None)
    if isinstance(declared, (tuple, list, set, frozenset)) and all(
        isinstance(name, str) for name in declared
    ):
        return tuple(declared)
    return POINT_TRANSLATED


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_point_has_exactly_one_translated_entry(language: str) -> None:
    path = DATA_DIR / language / "points.yaml"
    assert path.exists(), f"{_relative(path)} [{language}] is missing"
    english = {point["code"]: point for point in _load(DATA_DIR / "points.yaml")["points"]}
    overlay = _load(path)
    assert isinstance(overlay, dict) and set(overlay) == {"points"}, (
        f"{_relative(path)} [{language}]: the file holds one mapping, 'points:'"
    )
    points = overlay["points"]
    assert isinstance(points, dict), f"{_relative(path)} [{language}]: 'points' is keyed by code"
    problems = [
        f"entry {code!r}: no {language} translation" for code in english if code not in points
    ]
    problems += [f"entry {code!r}: not an English point" for code in points if code not in english]
    fields = [field for field in _point_translated_fields() if field not in EXTRA_NAME_FIELDS]
    for code, point in english.items():
        entry = points.get(code)
        if not isinstance(entry, dict):
            continue
        for field in fields:
            if point.get(field) is not None and field not in entry:
                problems.append(f"entry {code!r}, field {field!r}: missing")
        if len(entry.get("cautions") or []) != len(point.get("cautions") or []):
            problems.append(
                f"entry {code!r}, field 'cautions': {len(point.get('cautions') or [])} in English,"
                f" {len(entry.get('cautions') or [])} here (same number, same order)"
            )
    assert not problems, f"{_relative(path)} [{language}]:\n  " + "\n  ".join(problems)


# Chinese text uses full-width punctuation (I18N.md): an ASCII , ; : ? ! ( ) next to a
# Chinese character, or an ASCII full stop right after one, is a slip.
_CJK = r"[\u3400-\u9fff]"
HALF_WIDTH_IN_CHINESE = re.compile(rf"{_CJK}[,;:?!()]|[,;:?!()]{_CJK}|{_CJK}\.(?![0-9])")


def _texts(node: Any, trail: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield trail, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, f"{trail}.{key}" if trail else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{trail}[{index}]")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(path, id=f"zh/{path.name}")
        for language, path in overlay_files()
        if language == "zh"
    ],
)
def test_chinese_overlay_uses_full_width_punctuation(path: Path) -> None:
    slips = [
        f"{trail}: {match.group()!r} in {text!r}"
        for trail, text in _texts(_load(path))
        for match in HALF_WIDTH_IN_CHINESE.finditer(text)
    ]
    assert not slips, f"{_relative(path)} [zh] half-width punctuation:\n  " + "\n  ".join(slips)


# ---- The checker itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("english", "translation", "language"),
    [
        ("1.5 cun out from the middle line", "a 1.5 cun de la línea media", "es"),
        ("hold for 30 to 60 seconds", "mantén de 30 a 60 segundos", "es"),
        ("hold for 30 to 60 seconds", "保持30至60秒", "zh"),
        ("level with L2, at the same level as BL23", "与L2平齐，与BL23同高", "zh"),
        ("17 pairs from T1 to L5 (EX-B2)", "17 pares de T1 a L5 (EX-B2)", "es"),
        ("a trial of 2,400 people", "un ensayo con 2400 personas", "es"),
        ("a trial of 2,400 people", "一项2,400人的试验", "zh"),
        ("pain fell (SMD -0.88)", "el dolor bajó (DME −0.88)", "es"),
        ("call {number} now", "llama ahora al {number}", "es"),
        ("between metacarpals 2-3 and 4-5", "entre los metacarpianos 2-3 y 4-5", "es"),
        ("the 4th hole of the sacrum (S4)", "骶骨第4孔（S4）", "zh"),
        ("about two finger-widths", "unos dos dedos de ancho", "es"),
    ],
)
def test_facts_that_survive_pass(english: str, translation: str, language: str) -> None:
    assert missing_facts(english, translation, language) == []


@pytest.mark.parametrize(
    ("english", "translation", "language", "says"),
    [
        ("1.5 cun out", "a 1,5 cun", "es", "number '1.5' is missing"),
        ("1.5 cun out", "a 15 cun", "es", "number '1.5' is missing"),
        ("hold for 30 to 60 seconds", "mantén de 30 a 90 segundos", "es", "number '60' is missing"),
        ("hold for 30 to 60 seconds", "保持30至60分钟", "zh", "unit 'second' is missing"),
        (
            "hold for 30 to 60 seconds",
            "mantén de 30 a 60 minutos",
            "es",
            "unit 'second' is missing",
        ),
        ("1.5 cun out", "距离1.5", "zh", "unit 'cun' is missing"),
        (
            "level with L2",
            "a la altura de la segunda vértebra",
            "es",
            "vertebra level 'L2' is missing",
        ),
        ("level with BL23", "a la altura de BL32", "es", "code 'BL23' is missing"),
        ("see EX-B2", "ver EX-B7", "es", "code 'EX-B2' is missing"),
        (
            "30 seconds, then 30 more",
            "30 segundos y luego más",
            "es",
            "number '30' appears 1 time(s)",
        ),
        ("call {number}", "llama al {numero}", "es", "placeholder {number} is missing"),
        ("call {number}", "llama al {number} {sign}", "es", "placeholder {sign} is not in"),
        ("pain fell (SMD -0.88)", "el dolor bajó (0.88)", "es", "number '-0.88' is missing"),
        ("3.8 points", "３.8分", "zh", "number '3.8' is missing"),
    ],
)
def test_facts_that_are_lost_fail(english: str, translation: str, language: str, says: str) -> None:
    missing = missing_facts(english, translation, language)
    assert any(says in fact for fact in missing), missing


def test_the_walk_names_file_entry_field_and_language() -> None:
    english = {
        "points": [
            {"code": "BL23", "location": "1.5 cun out, level with L2", "cautions": ["a", "b"]},
            {"code": "KI3", "location": "behind the ankle bone", "count_note": None},
        ]
    }
    overlay = {
        "points": {
            "BL23": {"location": "a 1,5 cun de L2", "cautions": ["a"]},
            "GV4": {"location": "en la línea media"},
            "KI3": {"count_note": "dos"},
        }
    }
    messages = [str(p) for p in walk(english, overlay, Where("content/data/es/points.yaml", "es"))]
    assert any(
        m.startswith(
            "content/data/es/points.yaml [es] entry 'points.BL23', field 'location': number '1.5' is missing"
        )
        for m in messages
    ), messages
    assert any("'points.BL23', field 'cautions': must be a list of 2" in m for m in messages)
    assert any("'points.GV4'" in m and "no English entry" in m for m in messages)
    assert any(
        "'points.KI3', field 'count_note': is absent (null) in English" in m for m in messages
    )
    assert any(
        "'points.KI3', field 'location': is translated in other entries" in m for m in messages
    )
