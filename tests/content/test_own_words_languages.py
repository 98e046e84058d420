"""Patients' own words in Spanish and Chinese (issue 13 item 2), read whatever the setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from content.catalogue import ContentError, load_catalogue
from content.lookup import PointIndex
from content.own_words import (
    OWN_WORDS_FILE,
    Intent,
    Kind,
    OwnWords,
    Understood,
    han_text,
    overlay_file,
)
from content.own_words_times import chinese_number

CATALOGUE = load_catalogue()
INDEX = PointIndex(CATALOGUE)
OWN_WORDS = OwnWords.load(CATALOGUE, INDEX)


def meaning(understood: Understood) -> tuple[str, str | None]:
    """A short, comparable form: ("point", "KI3"), ("symptom", "low_back"), ("remind", "8")."""
    if understood.kind is Kind.POINT:
        assert understood.point is not None
        return ("point", understood.point.code)
    if understood.kind is Kind.AVOIDED:
        assert understood.avoided is not None
        return ("avoided", understood.avoided.code)
    if understood.kind is Kind.SYMPTOM:
        assert understood.symptom is not None
        return ("symptom", understood.symptom.id)
    if understood.kind is Kind.INTENT:
        assert understood.intent is not None
        return (str(understood.intent), understood.time_text)
    return ("none", None)


SPANISH = [
    # symptoms
    ("me duele la espalda baja", ("symptom", "low_back")),
    ("Me duele mucho la espalda", ("symptom", "low_back")),
    ("tengo dolor de espalda desde ayer", ("symptom", "low_back")),
    ("tengo lumbalgia", ("symptom", "low_back")),
    ("me duele la cintura", ("symptom", "low_back")),
    ("tengo la espalda rígida", ("symptom", "stiff_back")),
    ("tengo la espalda rigida", ("symptom", "stiff_back")),  # no accent
    ("tengo la espalda rijida", ("symptom", "stiff_back")),  # typo
    ("no me puedo agachar", ("symptom", "stiff_back")),
    ("siento la espalda cansada", ("symptom", "tired_back")),
    ("¿Qué punto sirve para la ciática?", ("symptom", "sciatica")),
    ("ciatica", ("symptom", "sciatica")),
    ("el dolor baja por la pierna", ("symptom", "sciatica")),
    ("me duele la cadera", ("symptom", "hip")),
    ("me duele detrás de la rodilla", ("symptom", "knee")),
    ("me di un tirón levantando una caja", ("symptom", "sudden_strain")),
    ("tengo calambres en la pantorrilla", ("symptom", "calf")),
    ("tengo calambres en la pantorila", ("symptom", "calf")),  # typo
    ("me duele entre los omóplatos", ("symptom", "upper_back")),
    ("tengo tortícolis", ("symptom", "neck")),
    ("me duele la espalada", ("symptom", "low_back")),  # typo
    # points
    ("riñón 3", ("point", "KI3")),
    ("rinon 3", ("point", "KI3")),
    ("¿dónde está vejiga 40?", ("point", "BL40")),
    ("vesícula biliar 30", ("point", "GB30")),
    ("vesicula biliar 34", ("point", "GB34")),
    ("vaso gobernador 4", ("point", "GV4")),
    ("intestino delgado 3", ("point", "SI3")),
    ("VB30", ("point", "GB30")),
    ("¿cómo presiono weizhong?", ("point", "BL40")),
    ("intestino grueso 4", ("avoided", "LI4")),
    ("¿puedo presionar el IG4?", ("avoided", "LI4")),
    # pregnancy
    ("estoy embarazada", ("pregnant", None)),
    ("Estoy embarazada de 3 meses", ("pregnant", None)),
    ("estoy embarasada", ("pregnant", None)),  # typo
    ("tengo 20 semanas de embarazo", ("pregnant", None)),
    ("estamos esperando un bebé", ("pregnant", None)),
    ("no estoy embarazada", ("pregnancy_question", None)),
    ("¿se puede hacer durante el embarazo?", ("pregnancy_question", None)),
    # reminders at a time
    ("recuérdame a las 8", ("remind", "8")),
    ("recuerdame a las 8", ("remind", "8")),
    ("Recuérdame todos los días a las 7:30 de la tarde", ("remind", "7:30 pm")),
    ("recuérdame a las ocho y media de la mañana", ("remind", "8:30 am")),
    ("avísame a las 20:00", ("remind", "20")),
    ("recuérdame a las 12 de la noche", ("remind", "12 am")),
    ("recuérdame al mediodía", ("remind", "noon")),
    # intents
    ("hola", ("greeting", None)),
    ("Buenos días", ("greeting", None)),
    ("¡Muchas gracias!", ("thanks", None)),
    ("gracias por la ayuda", ("thanks", None)),
    ("ayuda", ("help", None)),
    ("menú", ("help", None)),
    ("¿qué puedes hacer?", ("help", None)),
    ("deja de recordarme", ("stop", None)),
    ("pausa", ("pause", None)),
    ("reanudar recordatorios", ("resume", None)),
    ("quiero pedir una cita", ("book", None)),
    ("recuérdame", ("remind", None)),
    ("empezar la rutina", ("routine", None)),
    ("muéstrame los puntos", ("points", None)),
    ("¿es seguro?", ("safety", None)),
    ("¿la acupresión funciona?", ("evidence", None)),
    ("mi progreso", ("progress", None)),
    ("configuración", ("settings", None)),
    ("elefantes morados bailando", ("none", None)),
]

CHINESE = [
    # symptoms
    ("腰很痛", ("symptom", "low_back")),
    ("我腰疼", ("symptom", "low_back")),
    ("我 的 腰 很 痛 ！", ("symptom", "low_back")),  # spaces and full-width punctuation
    ("腰痛怎么办？", ("symptom", "low_back")),
    ("后背疼", ("symptom", "low_back")),
    ("早上起床腰很僵", ("symptom", "stiff_back")),
    ("弯腰很困难", ("symptom", "stiff_back")),
    ("腰酸，没力气", ("symptom", "tired_back")),
    ("腰膝酸软", ("symptom", "tired_back")),
    ("坐骨神经痛怎么按？", ("symptom", "sciatica")),
    ("腰痛，一直痛到脚", ("symptom", "sciatica")),
    ("屁股疼", ("symptom", "hip")),
    ("膝盖后面疼", ("symptom", "knee")),
    ("搬东西闪了腰", ("symptom", "sudden_strain")),
    ("小腿抽筋", ("symptom", "calf")),
    ("肩胛骨中间痛", ("symptom", "upper_back")),
    ("落枕了", ("symptom", "neck")),
    # points
    ("肾经3", ("point", "KI3")),
    ("肾经３", ("point", "KI3")),  # full-width digit
    ("膀胱经40", ("point", "BL40")),
    ("膀胱经四十", ("point", "BL40")),
    ("胆经30", ("point", "GB30")),
    ("督脉4", ("point", "GV4")),
    ("小肠经3", ("point", "SI3")),
    ("委中", ("point", "BL40")),
    ("委中在哪里？", ("point", "BL40")),
    ("肾俞穴怎么按", ("point", "BL23")),
    ("腎俞在哪", ("point", "BL23")),  # traditional characters
    ("BL40在哪", ("point", "BL40")),
    ("合谷能按吗？", ("avoided", "LI4")),
    ("三阴交", ("avoided", "SP6")),
    # pregnancy
    ("我怀孕了", ("pregnant", None)),
    ("我怀孕三个月了", ("pregnant", None)),
    ("怀孕8周", ("pregnant", None)),
    ("我是孕妇", ("pregnant", None)),
    ("我没怀孕", ("pregnancy_question", None)),
    ("孕期可以按吗？", ("pregnancy_question", None)),
    # reminders at a time
    ("每天早上八点提醒我", ("remind", "8 am")),
    ("晚上7点半提醒我", ("remind", "7:30 pm")),
    ("提醒我下午3点15分", ("remind", "3:15 pm")),
    ("８：３０提醒我", ("remind", "8:30")),
    ("每天20点提醒我", ("remind", "20")),
    ("中午12点提醒我", ("remind", "12 pm")),
    # intents
    ("你好", ("greeting", None)),
    ("您好！", ("greeting", None)),
    ("谢谢！", ("thanks", None)),
    ("非常感谢你的帮助", ("thanks", None)),
    ("帮助", ("help", None)),
    ("菜单", ("help", None)),
    ("停止提醒", ("stop", None)),
    ("以后不要每天提醒我了", ("stop", None)),
    ("不要八点提醒我", ("stop", None)),
    ("暂停", ("pause", None)),
    ("恢复提醒", ("resume", None)),
    ("我要预约", ("book", None)),
    ("请提醒我", ("remind", None)),
    ("开始练习", ("routine", None)),
    ("有哪些穴位？", ("points", None)),
    ("安全吗？", ("safety", None)),
    ("指压有用吗", ("evidence", None)),
    ("我的进度", ("progress", None)),
    ("设置", ("settings", None)),
    ("紫色的大象在跳舞", ("none", None)),
]


@pytest.mark.parametrize(("text", "expected"), SPANISH)
def test_spanish_messages(text: str, expected: tuple[str, str | None]) -> None:
    assert meaning(OWN_WORDS.understand(text)) == expected


@pytest.mark.parametrize(("text", "expected"), CHINESE)
def test_chinese_messages(text: str, expected: tuple[str, str | None]) -> None:
    assert meaning(OWN_WORDS.understand(text)) == expected


def test_the_tables_are_big_enough() -> None:
    assert len(SPANISH) >= 25 and len(CHINESE) >= 25


@pytest.mark.parametrize(
    "same",
    [
        ("my lower back hurts", "me duele la espalda baja", "腰很痛"),
        ("my back is stiff", "tengo la espalda rígida", "腰很僵"),
        ("sciatica", "ciática", "坐骨神经痛"),
        ("kidney 3", "riñón 3", "肾经3"),
        ("bladder 40", "vejiga 40", "膀胱经40"),
        ("gallbladder 30", "vesícula biliar 30", "胆经30"),
        ("governing vessel 4", "vaso gobernador 4", "督脉4"),
        ("remind me at 8", "recuérdame a las 8", "8点提醒我"),
        ("remind me at 8 am", "recuérdame a las 8 de la mañana", "每天早上八点提醒我"),
        ("remind me at 7:30 pm", "recuérdame a las 7:30 de la tarde", "晚上7点半提醒我"),
        ("I'm pregnant", "estoy embarazada", "我怀孕了"),
        ("thanks", "gracias", "谢谢"),
        ("book", "cita", "预约"),
        ("LI4", "intestino grueso 4", "合谷"),
    ],
)
def test_the_same_request_gives_the_same_understood(same: tuple[str, str, str]) -> None:
    english, spanish, chinese = (OWN_WORDS.understand(text) for text in same)
    assert english.kind is not Kind.NONE
    assert english == spanish == chinese


def test_english_is_unchanged_by_the_other_languages() -> None:
    english_only = OwnWords.load(CATALOGUE, INDEX, overlay_paths={})
    for text in [
        "my lower back hurts",
        "stiff lower back",
        "sciatca",
        "thanks so much!",
        "remind me at 7:30 pm",
        "I'm pregnant",
        "can I do this while pregnant?",
        "kidney 3",
        "where is weizhong?",
        "purple elephants dancing",
        "I'd like to make an appointment",
        "menu",
    ]:
        assert english_only.understand(text) == OWN_WORDS.understand(text), text


def test_han_text_folds_full_width_forms_and_drops_spaces() -> None:
    assert han_text("我 的 腰，很痛！！") == "我的腰 很痛"
    assert han_text("８：３０提醒我。") == "8:30提醒我"
    assert han_text("no chinese here") == ""


@pytest.mark.parametrize(
    ("text", "value"), [("八", 8), ("十", 10), ("十二", 12), ("四十", 40), ("三十四", 34)]
)
def test_chinese_numbers(text: str, value: int) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize("text", ["百", "十十", "", "三四"])
def test_chinese_numbers_refuse_nonsense(text: str) -> None:
    assert chinese_number(text) is None


@pytest.mark.parametrize(
    "text",
    ["", "   ", "？？？", "。。。", "🙂🙂", "x" * 5000, "腰" * 5000, "提醒" * 300, "a las " * 200],
)
def test_odd_input_never_raises(text: str) -> None:
    OWN_WORDS.understand(text)


# ---- what the patient is shown, in each language ---------------------------------------


@pytest.mark.parametrize("language", ["en", "es", "zh"])
def test_every_symptom_has_its_title_note_and_reasons(language: str) -> None:
    for symptom in OWN_WORDS.data.symptoms:
        shown = OWN_WORDS.symptom_text(symptom, language)  # type: ignore[arg-type]
        assert shown.title and len(shown.title) <= 60
        assert (shown.note is None) == (symptom.note is None)
        assert [p.code for p, _ in shown.points] == list(symptom.points)
        assert all(why.strip() for _, why in shown.points)
        if language != "en":
            assert shown.title != symptom.title


def test_symptom_text_in_spanish_and_chinese() -> None:
    assert OWN_WORDS.symptom_text("low_back", "es").title == "Dolor en la espalda baja"
    assert OWN_WORDS.symptom_text("low_back", "zh").title == "腰部疼痛"
    english = OWN_WORDS.symptom_text("sciatica", "en")
    assert english.title == "Sciatica or pain down the leg"


_FACT = re.compile(r"/[a-z_]+|[A-Z]{2}(?:-[A-Z]+)?\d+|\d+(?:\.\d+)?")


@pytest.mark.parametrize("language", ["es", "zh"])
def test_codes_numbers_and_commands_survive_translation(language: str) -> None:
    for symptom in OWN_WORDS.data.symptoms:
        english = OWN_WORDS.symptom_text(symptom, "en")
        shown = OWN_WORDS.symptom_text(symptom, language)  # type: ignore[arg-type]
        pairs = [(english.note or "", shown.note or "")]
        pairs += [(a, b) for (_, a), (_, b) in zip(english.points, shown.points, strict=True)]
        for source, translated in pairs:
            where = (language, symptom.id, source)
            assert sorted(_FACT.findall(source)) == sorted(_FACT.findall(translated)), where


def test_chinese_texts_use_full_width_punctuation() -> None:
    for symptom in OWN_WORDS.data.symptoms:
        shown = OWN_WORDS.symptom_text(symptom, "zh")
        for text in [shown.title, shown.note or "", *(why for _, why in shown.points)]:
            assert not re.search(r"[,;:!?]|\.(?!\d)", text), text


# ---- the files are checked at start-up ----------------------------------------------


def write_overlays(tmp_path: Path, change) -> dict:  # type: ignore[no-untyped-def,type-arg]
    paths = {}
    for language in ("es", "zh"):
        raw = yaml.safe_load(overlay_file(language).read_text(encoding="utf-8"))
        if language == "es":
            change(raw)
        path = tmp_path / language / "own_words.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths[language] = path
    return paths


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda raw: raw["symptoms"].pop("knee"), ["symptoms.knee", "missing", "es"]),
        (lambda raw: raw["symptoms"]["knee"].pop("title"), ["symptoms.knee", "title", "es"]),
        (lambda raw: raw["symptoms"]["knee"].pop("note"), ["symptoms.knee", "note", "es"]),
        (lambda raw: raw["symptoms"]["calf"]["points"].pop("BL57"), ["calf", "points", "es"]),
        (
            lambda raw: raw["symptoms"]["hip"]["points"].update({"BL99": "x"}),
            ["hip", "points", "es"],
        ),
        (lambda raw: raw["symptoms"].update({"elbow": raw["symptoms"]["knee"]}), ["elbow"]),
        (lambda raw: raw["intents"].pop("thanks"), ["intents.thanks", "missing", "es"]),
        (lambda raw: raw["pregnant_statements"].append("¿estoy?"), ["pregnant_statements"]),
        (lambda raw: raw["channel_names"].update({"hígado": "LR"}), ["hígado", "LR"]),
        (lambda raw: raw["symptoms"]["neck"].update({"title": "x"}), ["neck", "title"]),
        (lambda raw: raw.update({"colour": "red"}), ["colour"]),
    ],
)
def test_a_mistake_names_file_entry_field_and_language(  # type: ignore[no-untyped-def]
    tmp_path: Path, change, words: list[str]
) -> None:
    paths = write_overlays(tmp_path, change)
    with pytest.raises(ContentError) as raised:
        OwnWords.load(CATALOGUE, INDEX, OWN_WORDS_FILE, paths)
    message = str(raised.value)
    assert message.startswith("es/own_words.yaml (language es)"), message
    for word in words:
        assert word in message, message


def test_a_chinese_phrase_must_be_chinese(tmp_path: Path) -> None:
    raw = yaml.safe_load(overlay_file("zh").read_text(encoding="utf-8"))
    raw["symptoms"]["neck"]["phrases"].append("neck")
    path = tmp_path / "zh.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContentError, match=r"zh/own_words.yaml \(language zh\).*neck"):
        OwnWords.load(CATALOGUE, INDEX, OWN_WORDS_FILE, {"zh": path})


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"es/nothing.yaml \(language es\): cannot be read"):
        OwnWords.load(CATALOGUE, INDEX, OWN_WORDS_FILE, {"es": tmp_path / "nothing.yaml"})


def test_no_two_intents_share_an_exact_phrase() -> None:
    """After filler words are dropped, an exact phrase means one intent in every language."""
    from content.own_words import _without_filler_han, words

    english = OWN_WORDS.data
    spanish = OWN_WORDS.overlays["es"]
    chinese = OWN_WORDS.overlays["zh"]
    filler = {w for source in (english, spanish) for f in source.filler for w in words(f)}
    seen: dict[object, Intent] = {}
    for source in (english, spanish):
        for intent, known in source.intents.items():
            for phrase in known.exact:
                key = tuple(w for w in words(phrase) if w not in filler)
                assert seen.setdefault(key, intent) is intent, (phrase, seen[key], intent)
    han_filler = sorted(chinese.filler, key=len, reverse=True)
    for intent, known in chinese.intents.items():
        for phrase in known.exact:
            key = _without_filler_han(phrase, han_filler)
            assert seen.setdefault(key, intent) is intent, (phrase, seen[key], intent)
