"""The questionnaire data and scoring: worked examples, and bad data refused."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from content.questionnaires import (
    DATA_DIR,
    Instrument,
    QuestionnaireError,
    Verdict,
    change,
    load_questionnaires,
    questionnaires,
    score,
)

PEG = questionnaires().get(Instrument.PEG)
RMDQ = questionnaires().get(Instrument.RMDQ)


def test_the_shipped_data_has_both_instruments_in_every_language() -> None:
    data = questionnaires()
    assert len(PEG.items) == 3 and len(RMDQ.items) == 24
    assert PEG.items[0].text.startswith("What number best describes your pain on average")
    assert PEG.items[0].low == "No pain" and PEG.items[0].high == "Pain as bad as you can imagine"
    assert RMDQ.items[0].text == "I stay at home most of the time because of my back."
    assert RMDQ.items[23].text == "I stay in bed most of the time because of my back."
    assert PEG.threshold is None  # none in our checked facts: none invented
    assert RMDQ.threshold is not None
    assert (RMDQ.threshold.points, RMDQ.threshold.percent_of_baseline) == (5, 30)
    assert "Ostelo" in RMDQ.threshold.source
    for instrument in Instrument:
        assert data.in_language(instrument, "en").validated
        for language in ("es", "zh"):
            words = data.in_language(instrument, language)
            assert not words.validated
            assert len(words.items) == len(data.get(instrument).items)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([6, 7, 5], Decimal("6.0")),
        ([7, 8, 8], Decimal("7.7")),
        ([0, 0, 0], Decimal("0.0")),
        ([10, 10, 10], Decimal("10.0")),
        ([1, 2, 2], Decimal("1.7")),  # 1.666... rounds half up to one decimal
        ([5, 5, 6], Decimal("5.3")),
    ],
)
def test_peg_is_the_mean_to_one_decimal(answers: list[int | None], expected: Decimal) -> None:
    assert score(PEG, answers) == expected
    assert str(score(PEG, answers)) == str(expected)


def test_peg_needs_all_three() -> None:
    assert score(PEG, [6, None, 5]) is None


def test_rmdq_counts_the_yes_answers() -> None:
    odd_yes = [1 if number % 2 == 1 else 0 for number in range(1, 25)]  # items 1, 3, 5, ... 23
    assert score(RMDQ, odd_yes) == 12  # type: ignore[arg-type]
    assert score(RMDQ, [0] * 24) == 0  # type: ignore[arg-type]
    assert score(RMDQ, [1] * 24) == 24  # type: ignore[arg-type]
    assert score(RMDQ, [1, 1, 1] + [0] * 21) == 3  # type: ignore[arg-type]
    assert score(RMDQ, [1] * 23 + [None]) is None  # every statement answered, or no score


def test_scoring_refuses_answers_that_do_not_fit() -> None:
    with pytest.raises(ValueError):
        score(PEG, [6, 7])
    with pytest.raises(ValueError):
        score(PEG, [6, 7, 11])
    with pytest.raises(ValueError):
        score(RMDQ, [2] + [0] * 23)


def test_rmdq_change_against_ostelo_2008() -> None:
    # 5 points either way counts.
    assert change(RMDQ, Decimal(14), Decimal(9)).verdict == Verdict.BETTER
    assert change(RMDQ, Decimal(9), Decimal(14)).verdict == Verdict.WORSE
    # 30% of the baseline counts too: from 10, 3 points (30%) is meaningful, 2 is not.
    assert change(RMDQ, Decimal(10), Decimal(7)).verdict == Verdict.BETTER
    assert change(RMDQ, Decimal(10), Decimal(8)).verdict == Verdict.WITHIN
    # ...for an improvement only: a rise counts from 5 points (the percentage of a
    # small first score is within measurement noise, about 4-5 points).
    assert change(RMDQ, Decimal(10), Decimal(13)).verdict == Verdict.WITHIN
    assert change(RMDQ, Decimal(3), Decimal(4)).verdict == Verdict.WITHIN
    assert change(RMDQ, Decimal(3), Decimal(8)).verdict == Verdict.WORSE
    # From 20, 4 points is 20% and under 5: not meaningful.
    assert change(RMDQ, Decimal(20), Decimal(16)).verdict == Verdict.WITHIN
    assert change(RMDQ, Decimal(20), Decimal(16)).difference == -4
    assert change(RMDQ, Decimal(0), Decimal(0)).verdict == Verdict.WITHIN
    assert change(RMDQ, Decimal(0), Decimal(4)).verdict == Verdict.WITHIN  # no % of 0
    assert change(RMDQ, Decimal(0), Decimal(5)).verdict == Verdict.WORSE


def test_peg_change_has_no_verdict() -> None:
    result = change(PEG, Decimal("7.7"), Decimal("6.0"))
    assert result.verdict == Verdict.NO_THRESHOLD and result.difference == Decimal("-1.7")


def _copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA_DIR / "questionnaires.yaml", data)
    for language in ("es", "zh"):
        (data / language).mkdir()
        shutil.copy(DATA_DIR / language / "questionnaires.yaml", data / language)
    return data


def _edit(path: Path, change: Any) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_a_copy_of_the_data_loads(tmp_path: Path) -> None:
    assert load_questionnaires(_copy(tmp_path)).get(Instrument.RMDQ) == RMDQ


@pytest.mark.parametrize(
    "bad",
    [
        lambda d: d["questionnaires"][1]["items"].pop(),  # 23 RMDQ statements
        lambda d: d["questionnaires"][0]["items"][0].pop("low"),  # a scale item without anchor
        lambda d: d["questionnaires"][0].update(scoring="count_yes"),
        lambda d: d["questionnaires"][1].update(threshold={"points": 0}),
        lambda d: d["questionnaires"][1].update(made_up=1),  # an unknown key
        lambda d: d["questionnaires"].pop(),  # RMDQ missing
        lambda d: d["questionnaires"].append(d["questionnaires"][0]),  # PEG twice
        lambda d: d["questionnaires"][0].update(source=""),
        lambda d: d["questionnaires"][0]["validated"].update(en=False),  # English is published
        lambda d: d["questionnaires"][0]["validated"].pop("zh"),  # every language says
    ],
)
def test_bad_english_data_is_refused(tmp_path: Path, bad: Any) -> None:
    data = _copy(tmp_path)
    _edit(data / "questionnaires.yaml", bad)
    with pytest.raises(QuestionnaireError):
        load_questionnaires(data)


@pytest.mark.parametrize(
    "bad",
    [
        lambda d: d["questionnaires"]["rmdq"]["items"].pop(),  # a statement missing
        lambda d: d["questionnaires"]["peg"]["items"][1].pop("high"),
        lambda d: d["questionnaires"].pop("peg"),
        lambda d: d["questionnaires"].update(odi={}),  # not one of ours
    ],
)
def test_bad_translations_are_refused(tmp_path: Path, bad: Any) -> None:
    data = _copy(tmp_path)
    _edit(data / "zh" / "questionnaires.yaml", bad)
    with pytest.raises(QuestionnaireError):
        load_questionnaires(data)


def test_a_missing_translation_is_refused(tmp_path: Path) -> None:
    data = _copy(tmp_path)
    (data / "es" / "questionnaires.yaml").unlink()
    with pytest.raises(QuestionnaireError):
        load_questionnaires(data)
