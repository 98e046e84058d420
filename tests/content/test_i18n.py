"""The translator, the language a Telegram tag means, the overlay loader and the catalog check."""

from __future__ import annotations

import asyncio
import shutil
from datetime import date, time
from pathlib import Path

import pytest
import yaml

from content.catalogue import DATA_DIR, ContentError, load_catalogue, load_catalogues
from content.i18n import LOCALES_DIR, facts, problems, read_language, translator
from content.languages import LANGUAGES, language_from_tag


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("ES_es", "es"),
        ("zh", "zh"),
        ("zh-hans", "zh"),
        ("zh-CN", "zh"),
        ("zh-hant", "zh"),
        ("zh-TW", "zh"),
        ("en", "en"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("pt-BR", "en"),
        ("", "en"),
        (None, "en"),
        ("-", "en"),
    ],
)
def test_telegram_language_tags(tag: str | None, language: str) -> None:
    assert language_from_tag(tag) == language


def test_plural_forms_follow_each_language() -> None:
    en, es, zh = (translator(language) for language in ("en", "es", "zh"))
    assert en.n_("{n} day", "{n} days", 1) == "1 day"
    assert en.n_("{n} day", "{n} days", 2) == "2 days"
    # Chinese has one form; Babel's plural rules come from CLDR.
    assert read_language("zh").num_plurals == 1
    assert read_language("es").num_plurals >= 2
    assert es.number(1.5) == "1,5" and en.number(1.5) == "1.5" and zh.number(1.5) == "1.5"


def test_dates_and_times_per_locale() -> None:
    en, es, zh = (translator(language) for language in ("en", "es", "zh"))
    assert en.time(time(19, 30)) == "7:30\u202fPM" or en.time(time(19, 30)) == "7:30 PM"
    assert es.time(time(19, 30)) == "19:30"
    assert zh.time(time(19, 30)) == "19:30"
    day = date(2026, 12, 2)
    assert "dic" in es.date(day) and "2026" in es.date(day)
    assert zh.date(day) == "2026年12月2日"
    assert es.weekday(day) == "miércoles"
    assert es.list(["a", "b", "c"]) == "a, b y c"
    assert zh.list(["a", "b", "c"]) == "a、b和c"


async def test_translators_are_chosen_per_task_not_per_process() -> None:
    """Two patients at the same moment: each task keeps its own language."""
    seen: dict[str, list[str]] = {"es": [], "zh": []}

    async def patient(language: str) -> None:
        tr = translator(language)  # type: ignore[arg-type]
        for _ in range(20):
            await asyncio.sleep(0)
            seen[language].append(tr.language)

    await asyncio.gather(patient("es"), patient("zh"))
    assert set(seen["es"]) == {"es"} and set(seen["zh"]) == {"zh"}


def test_every_language_loads_with_the_same_codes_and_order() -> None:
    catalogues = load_catalogues()
    english = catalogues["en"]
    for language in LANGUAGES:
        other = catalogues[language]
        assert other.language == language
        assert [p.code for p in other.points] == [p.code for p in english.points]
        assert [t.id for t in other.techniques] == [t.id for t in english.techniques]
        for mine, theirs in zip(other.points, english.points, strict=True):
            assert (mine.pinyin, mine.hanzi_simplified) == (theirs.pinyin, theirs.hanzi_simplified)
            assert mine.pregnancy_caution == theirs.pregnancy_caution
        if language != "en":
            assert other.safety.emergency_reply != english.safety.emergency_reply


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def test_a_missing_translation_names_file_entry_field_and_language(data_dir: Path) -> None:
    _edit(data_dir / "es" / "safety.yaml", lambda d: d.pop("keep_active"))
    with pytest.raises(ContentError, match=r"es/safety\.yaml: keep_active: missing in es"):
        load_catalogue(data_dir, "es")


def test_a_list_of_another_length_is_refused(data_dir: Path) -> None:
    _edit(data_dir / "zh" / "safety.yaml", lambda d: d["emergency"].pop())
    with pytest.raises(ContentError, match=r"zh/safety\.yaml: emergency: 5 items in zh"):
        load_catalogue(data_dir, "zh")


def test_an_entry_english_does_not_have_is_refused(data_dir: Path) -> None:
    _edit(data_dir / "es" / "techniques.yaml", lambda d: d["techniques"].update(made_up={}))
    with pytest.raises(ContentError, match=r"techniques → made_up: no such id in English"):
        load_catalogue(data_dir, "es")


def test_untranslatable_fields_cannot_be_overridden(data_dir: Path) -> None:
    def change(document: dict) -> None:  # type: ignore[type-arg]
        next(iter(document["techniques"].values()))["hold_seconds_max"] = 999

    _edit(data_dir / "es" / "techniques.yaml", change)
    with pytest.raises(ContentError, match=r"field 'hold_seconds_max' is not translated text"):
        load_catalogue(data_dir, "es")


def test_translations_keep_length_limits(data_dir: Path) -> None:
    def change(document: dict) -> None:  # type: ignore[type-arg]
        next(iter(document["routines"].values()))["title"] = "x" * 80

    _edit(data_dir / "es" / "routines.yaml", change)
    with pytest.raises(ContentError, match=r"es/routines\.yaml: entry 1 .*title"):
        load_catalogue(data_dir, "es")


def test_a_missing_overlay_file_stops_start_up(data_dir: Path) -> None:
    (data_dir / "zh" / "glossary.yaml").unlink()
    with pytest.raises(ContentError, match=r"zh/glossary\.yaml: file is missing"):
        load_catalogue(data_dir, "zh")


def test_facts_are_what_a_translation_must_keep() -> None:
    assert facts("Hold 30 to 60 seconds on UB40, 1.5 cun beside L2, at 8:00; /remind") == [
        "30",
        "60",
        "UB40",
        "1.5",
        "L2",
        "8:00",
        "/remind",
    ]
    assert facts("按压30至60秒（UB40），L2旁开1.5寸") == ["30", "60", "UB40", "L2", "1.5"]
    assert facts("{n} days, <b>bold</b>") == []


def _catalogs(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, target)
    return target


def _set(po: Path, msgid: str, msgstr: str, *, fuzzy: bool = False) -> None:
    text = po.read_text(encoding="utf-8")
    escaped = msgid.replace('"', '\\"')
    head = f'msgid "{escaped}"\nmsgstr "'
    start = text.index(head)
    end = text.index("\n", start + len(head))
    entry = f'{head}{msgstr}"'
    if fuzzy:
        entry = "#, fuzzy\n" + entry
    po.write_text(text[:start] + entry + text[end:], encoding="utf-8")


def test_the_check_finds_empty_fuzzy_stale_and_broken_entries(tmp_path: Path) -> None:
    locales = _catalogs(tmp_path)
    po = locales / "es" / "LC_MESSAGES" / "handlers.language.po"
    _set(po, "That button is no longer available.", "")
    _set(po, "🌐 Which language should I use with you?", "¿En qué idioma?", fuzzy=True)
    po.write_text(
        po.read_text(encoding="utf-8") + '\nmsgid "Gone from the code"\nmsgstr "Ya no"\n',
        encoding="utf-8",
    )
    found = "\n".join(problems(locales=locales))
    assert "'That button is no longer available.': not translated yet" in found
    assert "marked fuzzy" in found
    assert "'Gone from the code': stale" in found
    (locales / "zh" / "LC_MESSAGES" / "handlers.language.po").unlink()
    found = "\n".join(problems(locales=locales))
    assert "zh: missing 'That button is no longer available.'" in found


def test_the_check_finds_lost_placeholders_and_facts(tmp_path: Path) -> None:
    locales = _catalogs(tmp_path)
    po = locales / "zh" / "LC_MESSAGES" / "handlers.commands.po"
    _set(po, "Look up a point: /point UB40", "查找穴位")
    _set(po, "{clinic}'s acupressure helper for low back pain.", "腰痛穴位按压助手")
    found = "\n".join(problems(locales=locales))
    assert "'Look up a point: /point UB40': the translation lost /point, UB40" in found
    assert "placeholders [] differ from the English ['clinic']" in found
