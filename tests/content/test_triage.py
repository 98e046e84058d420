"""The red-flag screen as a pure function: the tables, negation, validation.

The Spanish and Chinese tables reach the same targets as the English ones:
every red flag at its level, no ordinary message alarmed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.languages import Language
from content.triage import (
    OTHER_LANGUAGES,
    Level,
    Screen,
    TriageError,
    default_screen,
    load_language_rules,
    load_rules,
    screen,
)
from content.triage_match import chinese_number
from tests.triage_tables import (
    NEGATED,
    NEGATED_ES,
    NEGATED_ZH,
    ORDINARY,
    ORDINARY_ES,
    ORDINARY_ZH,
    RED_FLAGS,
    RED_FLAGS_ES,
    RED_FLAGS_ZH,
    rate,
)

TABLES = {
    "en": (RED_FLAGS, ORDINARY),
    "es": (RED_FLAGS_ES, ORDINARY_ES),
    "zh": (RED_FLAGS_ZH, ORDINARY_ZH),
}


@pytest.mark.parametrize("language", TABLES)
def test_tables_are_big_enough(language: str) -> None:
    red_flags, ordinary = TABLES[language]
    assert len(red_flags) >= 60 and len(ordinary) >= 60
    emergencies = {text for text, level in red_flags if level == "emergency"}
    assert len(emergencies) >= 30


@pytest.mark.parametrize("language", TABLES)
def test_sensitivity_and_specificity(language: str, capsys: pytest.CaptureFixture[str]) -> None:
    red_flags, ordinary = TABLES[language]
    missed = [(text, want, screen(text).level) for text, want in red_flags]
    missed = [row for row in missed if row[2] != Level(row[1])]
    alarms = [(text, screen(text)) for text in ordinary]
    alarms = [(text, result.sign) for text, result in alarms if result.level is not Level.NONE]
    with capsys.disabled():
        print(
            f"\nred-flag screen ({language}): sensitivity "
            f"{rate(len(red_flags) - len(missed), len(red_flags))} (right level), "
            f"specificity {rate(len(ordinary) - len(alarms), len(ordinary))}"
        )
    assert not missed, missed
    assert not alarms, alarms


@pytest.mark.parametrize("text", NEGATED + NEGATED_ES + NEGATED_ZH)
def test_a_denied_red_flag_is_noted_but_not_an_alarm(text: str) -> None:
    result = screen(text)
    assert result.level is Level.NONE and result.negated, result


def test_an_english_setting_patient_writing_spanish_or_chinese_is_caught() -> None:
    """The language setting only picks the reply's words: every table reads every message."""
    spanish = screen("no tengo fiebre pero no siento las piernas", "en")
    assert spanish.level is Level.EMERGENCY and spanish.sign == "both_legs"
    assert spanish.says == "numbness, tingling or weakness in both legs"
    chinese = screen("没有发烧，但是尿不出来", "en")
    assert chinese.level is Level.EMERGENCY and chinese.sign == "bladder_bowel"
    english = screen("I can't pee", "zh")
    assert english.level is Level.EMERGENCY and english.says == "新出现的排尿困难，或大小便控制不住"


def test_chinese_with_full_width_punctuation_and_digits() -> None:
    assert screen("我没有发烧，但是双腿发麻！").sign == "both_legs"
    assert screen("我没有发烧。双腿发麻。").sign == "both_legs"
    assert screen("我　５５岁，腰疼？").sign == "age"
    assert screen("ＢＬ２３在哪里？").level is Level.NONE
    assert screen("我没有发烧！").negated == ("fever_infection",)


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("我發燒了，腰很痛", "我发烧了，腰很痛"),
        ("尿不出來", "尿不出来"),
        ("兩條腿都發麻", "两条腿都发麻"),
        ("摔倒以後腰痛", "摔倒以后腰痛"),
        ("沒有發燒！", "没有发烧！"),
    ],
)
def test_traditional_chinese_is_screened_like_simplified(traditional: str, simplified: str) -> None:
    """zh-TW and zh-HK patients type Traditional characters: the same answer, not a miss."""
    assert screen(traditional) == screen(simplified)
    found = screen(traditional)
    assert found.is_red_flag or found.negated, traditional


def test_a_chinese_negation_stays_in_its_clause_and_close() -> None:
    assert screen("没有发烧但腿麻").sign == "one_leg_numb_weak"
    assert screen("没有发烧；腿麻").sign == "one_leg_numb_weak"
    assert screen("不知道为什么腿麻").sign == "one_leg_numb_weak"  # 不知道 denies nothing
    assert screen("腿不麻").level is Level.NONE
    assert screen("会阴没有感觉").sign == "saddle_numbness"  # 没有感觉 is the sign itself


def test_spanish_accents_and_misspellings_do_not_matter() -> None:
    for text in ("no puedo orinar", "No puedo orínar", "NO PUEDO ORINAR!!", "no puedo horinar"):
        assert screen(text).sign == "bladder_bowel", text
    for text in (
        "entumecimiento en la ingle",
        "entumesimiento en la ingle",
        "ENTUMECIMIENTO INGLE",
    ):
        assert screen(text).sign == "saddle_numbness", text
    assert screen("sin sensibilidad en la ingle").sign == "saddle_numbness"
    assert screen("tampoco puedo orinar").sign == "bladder_bowel"


def test_a_negation_in_one_language_counts_in_the_others() -> None:
    """ "fractura" also reads as the English "fracture": the Spanish "sin" still denies it."""
    assert screen("sin fractura").level is Level.NONE
    assert screen("me pusieron una inyección").level is Level.NONE  # not "infection"


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("tengo 55 años", "age"),
        ("Tengo cincuenta y cinco años", "age"),
        ("edad: 17", "age"),
        ("a mis 60 años me duele", "age"),
        ("tengo 35 años", None),
        ("tengo 2 años con este dolor", None),
        ("我55岁", "age"),
        ("五十五岁", "age"),
        ("我今年七十多岁了", "age"),
        ("我35岁", None),
        ("我儿子16岁", None),
    ],
)
def test_stated_ages_in_spanish_and_chinese(text: str, sign: str | None) -> None:
    assert screen(text).sign == sign


def test_chinese_numbers() -> None:
    assert [chinese_number(t) for t in ("五十五", "十六", "二十", "一百零二", "72", "x")] == [
        55,
        16,
        20,
        102,
        72,
        None,
    ]


@pytest.mark.parametrize("language", ["en", *OTHER_LANGUAGES])
def test_every_sign_has_plain_words_in_every_language(language: Language) -> None:
    rules = load_rules()
    for sign_id in [*(sign.id for sign in rules.signs), rules.age.id]:
        words = default_screen().says(sign_id, language)
        assert words and (language == "en" or words != default_screen().says(sign_id, "en"))
    assert screen("no puedo orinar", language).says == default_screen().says(
        "bladder_bowel", language
    )


def test_the_matched_sign_is_named() -> None:
    result = screen("I have numbness in my groin and cannot pee")
    assert result.level is Level.EMERGENCY and result.sign == "saddle_numbness"
    assert "groin" in (result.says or "")


def test_emergency_wins_over_see_a_doctor() -> None:
    assert screen("I have a fever and I can't pee").level is Level.EMERGENCY


def test_a_negation_does_not_reach_past_but() -> None:
    assert screen("no fever but I can't pee").level is Level.EMERGENCY


@given(st.text(max_size=300))
def test_any_text_gets_an_answer(text: str) -> None:
    assert screen(text).level in set(Level)


def test_it_is_deterministic() -> None:
    assert [screen(t) for t, _ in RED_FLAGS] == [screen(t) for t, _ in RED_FLAGS]


def test_very_long_text_is_screened_quickly() -> None:
    assert screen("my back hurts " * 2000 + "cant pee").level in set(Level)


def test_the_rules_are_validated(tmp_path: Path) -> None:
    good = Path("content/data/triage.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "triage.yaml"
    broken.write_text(good.replace("      - saddle numb*", "      - Saddle, numb!"), "utf-8")
    with pytest.raises(TriageError, match="lower-case words"):
        load_rules(broken)
    broken.write_text(good.replace("level: emergency", "level: urgent", 1), "utf-8")
    with pytest.raises(TriageError, match="level"):
        load_rules(broken)
    broken.write_text("signs: [", "utf-8")
    with pytest.raises(TriageError, match="cannot be read"):
        load_rules(broken)


def _broken_overlay(tmp_path: Path, language: str, old: str, new: str) -> Path:
    good = Path(f"content/data/{language}/triage.yaml").read_text(encoding="utf-8")
    assert old in good
    broken = tmp_path / language / "triage.yaml"
    broken.parent.mkdir(exist_ok=True)
    broken.write_text(good.replace(old, new, 1), "utf-8")
    return broken


@pytest.mark.parametrize(
    ("language", "old", "new", "error"),
    [
        (
            "es",
            "  upper_back:\n",
            "  upper_bak:\n",
            "es/triage.yaml (language 'es'): entry 'upper_back': missing",
        ),
        (
            "es",
            "      - no puedo orinar\n",
            "      - no puedo, orinar\n",
            "entry 'bladder_bowel': field 'phrases'",
        ),
        ("es", "    says: fiebre,", "    sayz: fiebre,", "entry 'fever_infection': field 'says'"),
        ("es", "language: es", "language: zh", "field 'language' is 'zh'"),
        (
            "zh",
            "[尿不出,",
            "[尿 不出,",
            "zh/triage.yaml (language 'zh'): entry 'bladder_bowel': field 'phrases'",
        ),
        ("zh", "[胸痛,", "[胸痛。,", "entry 'chest_pain': field 'phrases'"),
        ("zh", "wildcard_span: 4", "wildcard_span: 40", "field 'wildcard_span'"),
        ("zh", "  cancer:\n", "  cancer:\n    level: emergency\n", "entry 'cancer': field 'level'"),
    ],
)
def test_the_language_tables_are_validated(
    tmp_path: Path, language: Language, old: str, new: str, error: str
) -> None:
    broken = _broken_overlay(tmp_path, language, old, new)
    with pytest.raises(TriageError) as raised:
        load_language_rules(language, load_rules(), broken)
    assert error in str(raised.value)


def test_an_unreadable_language_table_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "triage.yaml"
    broken.write_text("signs: [", "utf-8")
    with pytest.raises(TriageError, match=r"es/triage\.yaml: cannot be read"):
        load_language_rules("es", load_rules(), broken)


def test_default_screen_is_built_once() -> None:
    assert default_screen() is default_screen()
    assert isinstance(default_screen(), Screen)
