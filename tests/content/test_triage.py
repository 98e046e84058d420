"""The red-flag screen as a pure function: the tables, negation, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.triage import Level, Screen, TriageError, default_screen, load_rules, screen
from tests.triage_tables import NEGATED, ORDINARY, RED_FLAGS, rate


def test_tables_are_big_enough() -> None:
    assert len(RED_FLAGS) >= 60 and len(ORDINARY) >= 60


def test_sensitivity_and_specificity(capsys: pytest.CaptureFixture[str]) -> None:
    missed = [(text, want, screen(text).level) for text, want in RED_FLAGS]
    missed = [row for row in missed if row[2] != Level(row[1])]
    alarms = [(text, screen(text)) for text in ORDINARY]
    alarms = [(text, result.sign) for text, result in alarms if result.level is not Level.NONE]
    with capsys.disabled():
        print(
            f"\nred-flag screen: sensitivity {rate(len(RED_FLAGS) - len(missed), len(RED_FLAGS))}"
            f" (right level), specificity {rate(len(ORDINARY) - len(alarms), len(ORDINARY))}"
        )
    assert not missed, missed
    assert not alarms, alarms


@pytest.mark.parametrize("text", NEGATED)
def test_a_denied_red_flag_is_noted_but_not_an_alarm(text: str) -> None:
    result = screen(text)
    assert result.level is Level.NONE and result.negated, result


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


def test_default_screen_is_built_once() -> None:
    assert default_screen() is default_screen()
    assert isinstance(default_screen(), Screen)


def _naive_find(screen_: Screen, words: list[str], phrases: list[str]) -> tuple[bool, bool]:
    """Every phrase at every position: what the screen's first-word index must agree with."""
    from content.triage import _matches_at

    negated = False
    for phrase in phrases:
        pattern = tuple(phrase.split())
        for start in range(len(words)):
            if _matches_at(words, start, pattern):
                if screen_._is_negated(words, start):
                    negated = True
                else:
                    return True, False
    return False, negated


_RULES = load_rules()
_VOCABULARY = sorted(
    {
        word.rstrip("*") + suffix
        for sign in _RULES.signs
        for phrase in sign.all_phrases()
        for word in phrase.split()
        if word != "_"
        for suffix in ("", "ed")
    }
    | set(_RULES.negations)
    | {"|", "but", "my", "back", "the"}
)


@given(st.lists(st.sampled_from(_VOCABULARY), max_size=12))
def test_the_first_word_index_finds_what_a_full_search_finds(words: list[str]) -> None:
    fast = default_screen()
    for sign in _RULES.signs:
        phrases, together = fast._compiled[sign.id]
        assert fast._find(words, phrases) == _naive_find(fast, words, sign.phrases)
        for compiled, raw in zip(together, sign.together, strict=True):
            for group, raw_group in zip(compiled, raw, strict=True):
                assert fast._find(words, group) == _naive_find(fast, words, raw_group)
