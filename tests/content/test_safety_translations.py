"""The Spanish and Chinese safety texts (issue 13): as complete and as firm as the English.

The overlays (content/data/<lang>/safety.yaml) are read directly and laid over
the English file, so the English schema's rules (placeholders, length limits)
are checked on every translation too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from content.catalogue import DATA_DIR
from content.schema import Routine, Safety

TRANSLATED = ("es", "zh")
LISTS = ("emergency", "see_doctor_soon", "do_not_press", "stop_rules")
# How each language tells the patient to phone the emergency number, and to do it now.
CALL = {"es": ("llama al {number}",), "zh": ("拨打{number}",)}
NOW = {"es": ("ahora", "de inmediato"), "zh": ("立即",)}
EMERGENCY_DEPARTMENT = {"es": "urgencias", "zh": "急诊"}
SENTENCE_END = {"es": ".", "zh": "。"}
# Chinese text uses full-width punctuation; citations (sources) keep their own.
ASCII_PUNCTUATION = re.compile(r"[,.;:?!]")


def _read(path: Any) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), path
    return document


@pytest.fixture(scope="module")
def english() -> dict[str, Any]:
    return _read(DATA_DIR / "safety.yaml")


@pytest.fixture(scope="module", params=TRANSLATED)
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def overlay(language: str) -> dict[str, Any]:
    return _read(DATA_DIR / language / "safety.yaml")


def _merged(english: dict[str, Any], overlay: dict[str, Any]) -> Safety:
    merged = {**english, **overlay}
    merged["avoided_in_pregnancy"] = [
        {**entry, **overlay["avoided_in_pregnancy"][entry["code"]]}
        for entry in english["avoided_in_pregnancy"]
    ]
    return Safety.model_validate(merged)


def test_every_field_is_translated(english: dict[str, Any], overlay: dict[str, Any]) -> None:
    assert set(overlay) == set(english)
    assert set(overlay["avoided_in_pregnancy"]) == {
        entry["code"] for entry in english["avoided_in_pregnancy"]
    }
    for code, entry in overlay["avoided_in_pregnancy"].items():
        assert set(entry) == {"name", "where"}, code
    for finding in overlay["evidence"]:
        assert set(finding) == {"says", "source"}


def test_lists_keep_the_english_length(english: dict[str, Any], overlay: dict[str, Any]) -> None:
    for name in (*LISTS, "evidence"):
        assert len(overlay[name]) == len(english[name]), name
        assert all(overlay[name]), name


def test_the_english_schema_holds_for_the_translation(
    english: dict[str, Any], overlay: dict[str, Any]
) -> None:
    # Placeholders ({number}, {sign}), minimum and maximum lengths.
    safety = _merged(english, overlay)
    assert len(safety.short_notice) <= 400 and len(safety.pressure_rule) <= 400


def test_the_replies_keep_their_placeholders(overlay: dict[str, Any]) -> None:
    for name in ("emergency_reply", "see_doctor_reply"):
        assert "{number}" in overlay[name] and "{sign}" in overlay[name], name
    assert "{number}" in overlay["negated_reminder"]
    for name, text in overlay.items():
        if isinstance(text, str) and name not in {"emergency_reply", "see_doctor_reply"}:
            assert "{sign}" not in text, name


def test_the_emergency_reply_says_call_the_number_now(
    english: dict[str, Any], overlay: dict[str, Any], language: str
) -> None:
    reply = overlay["emergency_reply"]
    assert any(words in reply for words in CALL[language]), reply
    assert any(word in reply for word in NOW[language]), reply
    assert EMERGENCY_DEPARTMENT[language] in reply
    # As in English: the number is named twice (now, and "if you are not sure").
    assert reply.count("{number}") == english["emergency_reply"].count("{number}") == 2
    # Calling comes first, before anything else the reply says.
    first_call = min(reply.find(words) for words in CALL[language] if words in reply)
    assert first_call < reply.find("{sign}")


def test_the_other_replies_say_call_the_number(overlay: dict[str, Any], language: str) -> None:
    for name in ("see_doctor_reply", "negated_reminder"):
        assert any(words in overlay[name] for words in CALL[language]), name


def test_list_items_are_sentences(overlay: dict[str, Any], language: str) -> None:
    for name in LISTS:
        for item in overlay[name]:
            assert item.endswith(SENTENCE_END[language]), (name, item)


def test_chinese_uses_full_width_punctuation() -> None:
    overlay = _read(DATA_DIR / "zh" / "safety.yaml")
    texts: list[tuple[str, str]] = []
    for name, value in overlay.items():
        if isinstance(value, str):
            texts.append((name, value))
        elif name in LISTS:
            texts += [(name, item) for item in value]
    texts += [("evidence", finding["says"]) for finding in overlay["evidence"]]
    for code, entry in overlay["avoided_in_pregnancy"].items():
        texts += [(code, entry["name"]), (code, entry["where"])]
    for name, text in texts:
        assert not ASCII_PUNCTUATION.search(text.replace("/safety", "")), (name, text)


# The pressure rule in each language: the English schema checks the word "firm"
# in the steps, which a translation cannot keep, so each language has its words.
FIRM = {"es": ("firme", "firmeza"), "zh": ("用力",)}
GENTLE = {"es": ("suave", "ligero", "ligera"), "zh": ("轻",)}


def _by_id(path: Any, top_key: str) -> dict[str, dict[str, Any]]:
    document = _read(path)[top_key]
    if isinstance(document, list):
        return {entry["id"]: entry for entry in document}
    assert isinstance(document, dict), path
    return document


def test_steps_say_firm_exactly_where_english_does(language: str) -> None:
    english = _by_id(DATA_DIR / "techniques.yaml", "techniques")
    overlay = _by_id(DATA_DIR / language / "techniques.yaml", "techniques")
    assert set(overlay) == set(english)
    for technique_id, technique in overlay.items():
        assert len(technique["steps"]) == len(english[technique_id]["steps"]), technique_id
        said = " ".join(technique["steps"]).lower()
        firm = english[technique_id]["pressure"] == "firm"
        assert any(word in said for word in FIRM[language]) == firm, technique_id
        if firm:
            assert not any(word in said for word in GENTLE[language]), technique_id


def test_the_pressure_rule_names_firm_pressure(overlay: dict[str, Any], language: str) -> None:
    assert any(word in overlay["pressure_rule"] for word in FIRM[language])


def test_routine_titles_fit(language: str) -> None:
    english = _by_id(DATA_DIR / "routines.yaml", "routines")
    overlay = _by_id(DATA_DIR / language / "routines.yaml", "routines")
    assert set(overlay) == set(english)
    for routine_id, routine in overlay.items():
        assert set(routine) == {"title", "description"}, routine_id
        Routine.model_validate({**english[routine_id], **routine})
