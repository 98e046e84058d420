"""Whatever a patient types for a point finds it."""

from __future__ import annotations

import pytest

from content.catalogue import load_catalogue
from content.lookup import PointIndex, normalize

INDEX = PointIndex(load_catalogue())


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("UB40", "BL40"), ("ub 40", "BL40"), ("BL-40", "BL40"), ("bl040", "BL40"),
        ("B40", "BL40"), ("weizhong", "BL40"), ("Wěizhōng", "BL40"), ("Wei Zhong", "BL40"),
        ("委中", "BL40"), ("middle of the crook", "BL40"),
        ("UB23", "BL23"), ("shenshu", "BL23"), ("腎俞", "BL23"), ("肾俞", "BL23"),
        ("GB30", "GB30"), ("G 30", "GB30"), ("huantiao", "GB30"), ("環跳", "GB30"), ("环跳", "GB30"),
        ("DU4", "GV4"), ("du-4", "GV4"), ("GV 4", "GV4"), ("mingmen", "GV4"),
        ("命門", "GV4"), ("命门", "GV4"),
        ("KI3", "KI3"), ("KID3", "KI3"), ("K3", "KI3"), ("ki-03", "KI3"), ("Tai Xi", "KI3"),
        ("太谿", "KI3"), ("太溪", "KI3"),
        ("ex-b2", "EX-B2"), ("EXB2", "EX-B2"), ("huatuojiaji", "EX-B2"),
        ("SI-3", "SI3"), ("houxi", "SI3"), ("kunlun", "BL60"), ("崑崙", "BL60"), ("昆仑", "BL60"),
        ("kidney 3", "KI3"), ("kidney3", "KI3"), ("bladder 40", "BL40"), ("gallbladder 30", "GB30"),
        ("governing vessel 4", "GV4"), ("Gall Bladder 34", "GB34"), ("small intestine 3", "SI3"),
    ],
)  # fmt: skip
def test_every_spelling_finds_the_point(query: str, code: str) -> None:
    match = INDEX.find(query)
    assert match.point is not None and match.point.code == code


def test_a_typo_suggests_the_closest_points() -> None:
    match = INDEX.find("weizong")
    assert match.point is None
    assert match.suggestions[0].code == "BL40"
    assert len(match.suggestions) <= 3


@pytest.mark.parametrize("query", ["UB99", "", "   ", "x" * 5000, "🙂🙂", "'; DROP TABLE users;--"])
def test_unknown_input_finds_nothing(query: str) -> None:
    assert INDEX.find(query).point is None


def test_free_text_finds_one_named_point() -> None:
    assert INDEX.find_in_text("where is weizhong exactly?").code == "BL40"
    assert INDEX.find_in_text("how do I press ub 23").code == "BL23"
    assert INDEX.find_in_text("my back hurts") is None
    assert INDEX.find_in_text("ub40 or ki3?") is None  # two points: ask, don't guess


def test_meridians_by_any_name() -> None:
    for query, code in [
        ("UB", "BL"),
        ("bladder", "BL"),
        ("du mai", "GV"),
        ("KID", "KI"),
        ("gb", "GB"),
    ]:
        assert INDEX.find_meridian(query).code == code
    assert INDEX.find_meridian("liver") is None


def test_every_channel_with_points_is_found() -> None:
    for point in INDEX.catalogue.points:
        assert INDEX.find_channel(point.meridian) == point.meridian
    assert INDEX.find_channel("small intestine") == "SI"
    assert INDEX.find_channel("BL40") is None and INDEX.find_channel("liver") is None


def test_channel_names_are_not_shown_as_other_codes() -> None:
    from content.names import other_codes

    assert other_codes(INDEX.catalogue.point("KI3")) == ["KID3", "K3"]


def test_normalize_drops_case_tones_spaces_hyphens() -> None:
    assert normalize("Wěi-Zhōng ") == "weizhong"


def test_chinese_names_are_found_inside_a_sentence() -> None:
    assert INDEX.find_in_text("委中在哪里？").code == "BL40"
    assert INDEX.find_in_text("肾俞穴怎么按").code == "BL23"
    assert INDEX.find_in_text("腎俞在哪").code == "BL23"  # traditional characters
    assert INDEX.find_in_text("BL40在哪").code == "BL40"  # a code touching Chinese
    assert INDEX.find_in_text("委中和肾俞哪个好") is None  # two points: ask, don't guess
    assert INDEX.find_in_text("腰很痛") is None
