"""The pictures in every language: Spanish and Chinese labels, their own files, a shipped
Chinese font that has every glyph the labels need."""

from __future__ import annotations

import io
import shutil
import warnings
from pathlib import Path

import pytest
import yaml
from PIL import Image

from content import pictures
from content.catalogue import DATA_DIR, PICTURES_DIR, Catalogue, load_catalogue
from content.languages import LANGUAGES

CATALOGUES = {language: load_catalogue(language=language) for language in LANGUAGES}
OTHER = ("es", "zh")
TRANSLATED_PICTURES = sorted(
    (language, str(path.relative_to(PICTURES_DIR)), kind, code)
    for language in OTHER
    for path, (kind, code) in pictures.expected_pictures(CATALOGUES[language]).items()
)


# ---- The overlays are read --------------------------------------------------------


@pytest.mark.parametrize("language", OTHER)
def test_the_overlay_gives_every_picture_its_own_words(language: str) -> None:
    english, translated = CATALOGUES["en"].placements, CATALOGUES[language].placements
    assert english is not None and translated is not None
    for code, placement in english.points.items():
        assert translated.points[code].find != placement.find, code
        assert translated.points[code].hint != placement.hint, code
    for code, picture in english.meridians.items():
        assert translated.meridians[code].caption != picture.caption, code
    for name, view in {**english.regions, **english.bodies}.items():
        other = {**translated.regions, **translated.bodies}[name]
        assert other.title != view.title, name
        assert other.sides != view.sides or view.sides is None, name
    # Only words change: the geometry is English's.
    assert translated.points["BL23"].offset == english.points["BL23"].offset
    assert translated.regions["lower_back"].landmarks["iliac_crest"].at == (12.5, 0)
    assert translated.regions["lower_back"].spine is not None
    assert translated.regions["lower_back"].spine.labels == {"L4": "L4"}


def test_spanish_and_chinese_labels_read_as_expected() -> None:
    es, zh = CATALOGUES["es"].placements, CATALOGUES["zh"].placements
    assert es is not None and zh is not None
    assert es.regions["lower_back"].sides == ("tu izquierda", "tu derecha")
    assert es.regions["calf"].landmarks["achilles_tendon"].label == "tendón de Aquiles"
    assert zh.regions["lower_back"].landmarks["line_1_5"].label == "1.5寸"
    assert zh.regions["calf"].landmarks["achilles_tendon"].label == "跟腱"


# ---- Files per language -------------------------------------------------------------


def test_each_language_has_its_own_picture_paths() -> None:
    assert CATALOGUES["en"].point_picture_path("BL23") == PICTURES_DIR / "points" / "BL23.png"
    assert CATALOGUES["es"].point_picture_path("BL23") == PICTURES_DIR / "es/points/BL23.png"
    assert CATALOGUES["zh"].point_picture_path("EX-B2") == PICTURES_DIR / "zh/points/EX-B2.png"
    assert CATALOGUES["zh"].meridian_picture_path("GV") == PICTURES_DIR / "zh/meridians/GV.png"
    with pytest.raises(KeyError):
        CATALOGUES["es"].point_picture_path("XX99")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_point_and_meridian_has_a_picture_in_every_language(language: str) -> None:
    catalogue = CATALOGUES[language]
    paths = [catalogue.point_picture_path(p.code) for p in catalogue.points] + [
        catalogue.meridian_picture_path(m.code) for m in catalogue.meridians
    ]
    missing = [str(path) for path in paths if not path.is_file()]
    assert not missing, f"run `python -m content.pictures`; missing: {missing}"
    assert len(paths) == len(CATALOGUES["en"].points) + len(CATALOGUES["en"].meridians)


@pytest.mark.parametrize(("language", "name", "kind", "code"), TRANSLATED_PICTURES)
def test_translated_picture_is_committed_fresh_and_differs_from_english(
    language: str, name: str, kind: str, code: str
) -> None:
    committed = (PICTURES_DIR / name).read_bytes()
    english = (PICTURES_DIR / name.removeprefix(f"{language}/")).read_bytes()
    assert pictures.png_size(committed) == pictures.png_size(english)
    assert len(committed) < 1024 * 1024
    assert not pictures.pictures_match(committed, english), f"{name} looks like the English one"
    fresh = pictures.render(kind, code, CATALOGUES[language])
    assert pictures.pictures_match(committed, fresh), (
        f"{name} is stale: run `python -m content.pictures` and commit content/pictures/"
    )


@pytest.mark.parametrize("language", OTHER)
def test_rendering_is_deterministic_in_every_language(language: str) -> None:
    catalogue = CATALOGUES[language]
    assert pictures.render_point("BL52", catalogue) == pictures.render_point("BL52", catalogue)
    assert pictures.render_meridian("KI", catalogue) == pictures.render_meridian("KI", catalogue)


# ---- Fonts ----------------------------------------------------------------------------


def test_the_chinese_font_ships_small_with_its_licence() -> None:
    for path in pictures.CJK_FONT_FILES.values():
        assert path.is_file() and path.stat().st_size < 200 * 1024, path
    licence = (pictures.FONTS_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Noto Sans CJK SC" in licence


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_label_has_its_glyphs_in_the_languages_font(language: str) -> None:
    """zh: the shipped subset; en and es (accents, ñ, º): matplotlib's DejaVu Sans."""
    lacking = sorted(
        {
            f"{name}: {text!r} needs {char!r}"
            for name, text in pictures.picture_texts(CATALOGUES[language])
            for char, _ in pictures.missing_characters(text, language)
        }
    )
    assert not lacking, "\n".join(lacking)


def test_chinese_and_spanish_draw_without_a_missing_glyph_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pictures.render_point("BL23", CATALOGUES["zh"])
        pictures.render_point("EX-UE7", CATALOGUES["es"])  # muñeca, índice, meñique


def test_chinese_pictures_are_drawn_in_the_shipped_font() -> None:
    from matplotlib import font_manager, rc_context

    with rc_context(pictures._rc("zh")):
        found = font_manager.findfont(
            font_manager.FontProperties(family=pictures.CJK_FAMILY), fallback_to_default=False
        )
        bold = font_manager.findfont(
            font_manager.FontProperties(family=pictures.CJK_FAMILY, weight="bold"),
            fallback_to_default=False,
        )
    assert Path(found) == pictures.CJK_FONT_FILES["regular"]
    assert Path(bold) == pictures.CJK_FONT_FILES["bold"]


# ---- A label the font cannot draw ------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _with_zh_label(data_dir: Path, label: str) -> Catalogue:
    path = data_dir / "zh" / "placements.yaml"
    overlay = yaml.safe_load(path.read_text(encoding="utf-8"))
    overlay["regions"]["lower_back"]["landmarks"]["sacrum"]["label"] = label
    path.write_text(yaml.safe_dump(overlay, allow_unicode=True), encoding="utf-8")
    return load_catalogue(data_dir, "zh")


def test_a_chinese_label_with_a_glyph_the_font_lacks_fails_naming_label_and_character(
    data_copy: Path,
) -> None:
    catalogue = _with_zh_label(data_copy, "骶骨龘")
    with pytest.raises(pictures.MissingGlyph) as failure:
        pictures.render_point("BL26", catalogue)  # shows the sacrum
    message = str(failure.value)
    assert "zh picture points/BL26" in message
    assert "'骶骨龘'" in message and "'龘'" in message and "U+9F98" in message
    assert "--subset-font" in message
    # Pictures without that label still draw.
    pictures.render_point("BL23", catalogue)


def test_check_fails_when_a_chinese_label_needs_a_new_glyph(
    data_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue = _with_zh_label(data_copy, "骶骨龘")
    real_render = pictures.render

    def render(kind: str, code: str, given: Catalogue) -> bytes:
        if given.language == "zh" and code == "BL26":
            return real_render(kind, code, catalogue)
        path = given.point_picture_path(code) if kind == "point" else None
        return (path or given.meridian_picture_path(code)).read_bytes()

    monkeypatch.setattr(pictures, "render", render)
    assert pictures.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "cannot draw: zh picture points/BL26" in err and "'龘'" in err


def test_the_subset_is_cut_from_the_labels() -> None:
    """--subset-font keeps exactly the characters the Chinese pictures and chart draw, plus the base."""
    texts = "".join(text for _, text in pictures.picture_texts(CATALOGUES["zh"]))
    texts += pictures.chart_characters()
    have = pictures._characters(pictures.CJK_FONT_FILES["regular"])
    wanted = {char for char in texts + pictures.SUBSET_BASE if not char.isspace()}
    assert wanted <= have
    assert len(have - wanted - {" ", "\u00a0"}) < 20  # nothing much beyond (.notdef mapping)


# ---- Wrapping Chinese ----------------------------------------------------------------


def test_chinese_lines_wrap_between_characters_evenly() -> None:
    text = "脊柱两旁的一排穴位，离脊柱0.5寸（半个拇指宽），在每个突起下方"
    lines = pictures._wrap(text, 40)
    assert "".join(lines) == text and len(lines) == 2
    assert abs(len(lines[0]) - len(lines[1])) <= 4
    assert not lines[1].startswith(("，", "。", "）"))
    # A distance is never split from its unit: "a 3" / "cun de la línea".
    assert pictures._wrap("a la altura de L2, a 3 cun de la línea", 23) == [
        "a la altura de L2, a",
        "3\u00a0cun de la línea",
    ]


def test_a_chinese_picture_shows_chinese_words() -> None:
    figure_texts = {text for _, text in pictures.picture_texts(CATALOGUES["zh"])}
    assert "BL23 · 肾俞 · Shènshū" in figure_texts  # the point's own name, then its pinyin
    assert "1寸 ≈ 您拇指的宽度" in figure_texts
    assert "1.5寸" in figure_texts
    es_texts = {text for _, text in pictures.picture_texts(CATALOGUES["es"])}
    assert "1 cun ≈ el ancho de tu pulgar" in es_texts and "el canal" in es_texts


def test_translated_png_opens() -> None:
    data = (PICTURES_DIR / "zh" / "meridians" / "GB.png").read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        image.verify()


def test_the_chinese_font_has_every_character_of_the_progress_chart() -> None:
    """/progress draws its Chinese words with the shipped subset: none may be a box."""
    from fontTools.ttLib import TTFont

    from content.pictures import CJK_FONT_FILES, chart_characters

    characters = chart_characters()
    assert "疼" in characters and "月" in characters
    cmap = TTFont(str(CJK_FONT_FILES["regular"])).getBestCmap()
    missing = [char for char in characters if ord(char) not in cmap]
    assert not missing, f"cut a new subset (python -m content.pictures --subset-font): {missing}"
