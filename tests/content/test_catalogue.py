"""The catalogue loads, holds the clinic's article faithfully, and fails loudly when broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from content.catalogue import DATA_DIR, ContentError, load_catalogue

ARTICLE_POINTS = {"BL23", "BL40", "GB30", "GV4", "KI3"}
MORE_POINTS = {
    "BL24", "BL25", "BL26", "BL52", "BL54", "BL57", "BL60", "BL62",
    "GV3", "GB34", "KI7", "SI3", "EX-UE7", "EX-B7", "EX-B2",
}  # fmt: skip
# The article's four home techniques and their hold times, in seconds.
ARTICLE_TECHNIQUES = {"BL23": (30, 60), "BL40": (30, 30), "KI3": (30, 60), "GB30": (30, 60)}


def test_catalogue_holds_the_article_and_the_extra_points() -> None:
    catalogue = load_catalogue()
    codes = {point.code for point in catalogue.points}
    assert codes >= ARTICLE_POINTS | MORE_POINTS
    assert {p.code for p in catalogue.points if p.from_clinic_article} == ARTICLE_POINTS
    assert {m.code for m in catalogue.meridians} >= {"BL", "KI", "GB", "GV"}
    assert {m.code for m in catalogue.meridians if m.from_clinic_article} == {"BL", "KI", "GB"}


def test_article_techniques_keep_the_article_timings() -> None:
    catalogue = load_catalogue()
    assert [t.point for t in catalogue.techniques] == ["BL23", "BL40", "KI3", "GB30"]
    for technique in catalogue.techniques:
        expected = ARTICLE_TECHNIQUES[technique.point]
        assert (technique.hold_seconds_min, technique.hold_seconds_max) == expected
        assert catalogue.point(technique.point).technique == technique.id


def test_article_landmarks_are_on_the_cards() -> None:
    catalogue = load_catalogue()
    assert "L2" in catalogue.point("BL23").location
    assert "crease" in catalogue.point("BL40").location.lower()
    assert "ankle" in catalogue.point("KI3").location.lower()
    assert "L2" in catalogue.point("GV4").location


def test_pregnancy_flags_follow_the_facts() -> None:
    catalogue = load_catalogue()
    for code in ("BL23", "BL24", "BL25", "BL26", "GV3", "GV4", "BL60", "KI3"):
        assert catalogue.point(code).pregnancy_caution, code
    assert any("pregnan" in c.lower() for c in catalogue.point("BL60").cautions)


def test_every_point_names_its_sources_and_a_region() -> None:
    for point in load_catalogue().points:
        assert point.sources and point.region


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit_points(data_dir: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = data_dir / "points.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document["points"])
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def test_a_missing_field_names_file_entry_and_field(data_copy: Path) -> None:
    _edit_points(data_copy, lambda points: points[1].pop("location"))
    with pytest.raises(ContentError) as error:
        load_catalogue(data_copy)
    message = str(error.value)
    assert "points.yaml" in message and "entry 2" in message and "'location'" in message


def test_a_misspelt_field_is_refused(data_copy: Path) -> None:
    _edit_points(data_copy, lambda points: points[0].update(locaton="typo"))
    with pytest.raises(ContentError, match=r"points.yaml: entry 1 \(\w+\): field 'locaton'"):
        load_catalogue(data_copy)


def test_a_bad_code_is_refused(data_copy: Path) -> None:
    _edit_points(data_copy, lambda points: points[0].update(code="bladder 40"))
    with pytest.raises(ContentError, match=r"field 'code'.*not a WHO point code"):
        load_catalogue(data_copy)


def test_a_duplicate_point_is_refused(data_copy: Path) -> None:
    _edit_points(data_copy, lambda points: points.append(dict(points[0])))
    with pytest.raises(ContentError, match="duplicate code"):
        load_catalogue(data_copy)


def test_an_unknown_technique_is_refused(data_copy: Path) -> None:
    _edit_points(data_copy, lambda points: points[0].update(technique="no_such_technique"))
    with pytest.raises(ContentError, match="field 'technique'"):
        load_catalogue(data_copy)


def test_broken_yaml_and_missing_files_are_named(data_copy: Path) -> None:
    (data_copy / "safety.yaml").write_text("emergency: [unclosed", encoding="utf-8")
    with pytest.raises(ContentError, match=r"safety.yaml: not valid YAML"):
        load_catalogue(data_copy)
    (data_copy / "safety.yaml").unlink()
    with pytest.raises(ContentError, match=r"safety.yaml: file is missing"):
        load_catalogue(data_copy)
