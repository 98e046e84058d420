"""The fact audit of issue 12, item 6, and one pressure rule everywhere."""

from __future__ import annotations

from html import unescape

import pytest

from content.catalogue import Catalogue, load_catalogue
from content.i18n import translator
from handlers import render
from handlers.routine import step_text

ENGLISH = translator("en")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_every_routine_step_shows_its_points_cautions(catalogue: Catalogue) -> None:
    for routine in catalogue.routines:
        steps = catalogue.routine_steps(routine.id)
        for number, technique in enumerate(steps):
            point = catalogue.point(technique.point)
            assert point is not None
            text = unescape(step_text(ENGLISH, technique, number, len(steps), point.cautions))
            for caution in point.cautions:
                assert caution in text, (routine.id, technique.id)
            if point.bilateral:
                assert "other side" in text or "Both sides" in text


def test_no_press_gently_where_the_technique_says_firmly(catalogue: Catalogue) -> None:
    for technique in catalogue.techniques:
        point = catalogue.point(technique.point)
        assert point is not None
        said = " ".join(technique.steps).lower()
        assert ("firm" in said) == (technique.pressure == "firm"), technique.id
        if technique.pressure != "firm":
            continue
        for text in (
            step_text(ENGLISH, technique, 0, 1, point.cautions),
            point.how_to_press,
            render.point_details(point, catalogue, ENGLISH),
        ):
            assert "press gently" not in text.lower(), technique.id
            assert "mild pressure only" not in text.lower(), technique.id


def test_one_pressure_rule(catalogue: Catalogue) -> None:
    rule = catalogue.safety.pressure_rule
    assert "slowly" in rule and "never hurt" in rule and "firm" in rule
    for point in catalogue.points:
        assert rule in unescape(render.point_details(point, catalogue, ENGLISH))


def test_safety_lists_are_grammatical_under_their_headings(catalogue: Catalogue) -> None:
    safety = catalogue.safety
    text = render.safety_text(safety, "911", ENGLISH)
    assert "same day" not in text and "now" in text.splitlines()[0]
    assert not any(item.lower().startswith("back pain with") for item in safety.see_doctor_soon)
    assert not any(item.lower().startswith("over ") for item in safety.do_not_press)
    assert all(item.endswith(".") and item[0].isupper() for item in safety.emergency)


def test_cautions_from_the_audit(catalogue: Catalogue) -> None:
    def cautions(code: str) -> str:
        point = catalogue.point(code)
        assert point is not None
        return " ".join(point.cautions).lower()

    assert "osteoporosis" in cautions("BL23") and "osteoporosis" in cautions("GB30")
    assert "bony knob" in cautions("GB30")
    assert "blood clot" in cautions("BL57") and "urgent" in cautions("BL57")
    general = " ".join(catalogue.safety.do_not_press).lower()
    for words in ("osteoporosis", "numb", "surgery", "blood clot", "blood thinners"):
        assert words in general


def test_locations_from_the_audit(catalogue: Catalogue) -> None:
    def where(code: str) -> str:
        point = catalogue.point(code)
        assert point is not None
        return unescape(render.point_caption(point, catalogue, ENGLISH))

    assert "two on each hand" in where("EX-UE7") and "one on each side" not in where("EX-UE7")
    assert "17 on each side" in where("EX-B2") and "one on each side" not in where("EX-B2")
    assert "palm crease nearest the fingers" in where("SI3")
    assert "two thumb-widths" in where("KI7") and "three finger" not in where("KI7")
    assert "knee and the outer ankle bone" in where("BL57")
    assert "Gate of Vitality" in where("GV4")
    assert "Sciatic Nerve Release Point" in where("GB30")


def test_points_on_the_pregnancy_lists_are_flagged(catalogue: Catalogue) -> None:
    lumbosacral = {"BL23", "BL24", "BL25", "BL26", "BL52", "BL54", "GV3", "GV4", "BL60"}
    for code in lumbosacral | {"EX-B7", "EX-B2", "KI3"}:
        point = catalogue.point(code)
        assert point is not None and point.pregnancy_caution, code
        assert any("pregnan" in caution for caution in point.cautions), code
    avoided = {a.code for a in catalogue.safety.avoided_in_pregnancy}
    assert {"LI4", "SP6", "GB21", "BL67"} <= avoided
    assert not avoided & {p.code for p in catalogue.points}


def test_unchecked_content_is_called_general_guidance() -> None:
    assert "general guidance" in render.SOURCE_NAMES["GK"]
    assert "references" not in render.SOURCE_NAMES["GK"]


def test_routine_descriptions_do_not_state_a_length(catalogue: Catalogue) -> None:
    # The length is computed (both sides' holds) where it is shown.
    for routine in catalogue.routines:
        assert "minute" not in routine.description
