"""Point and meridian pictures: drawn from placements.yaml, committed, and faithful."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image

from content import pictures
from content.catalogue import DATA_DIR, PICTURES_DIR, Catalogue, ContentError, load_catalogue

CATALOGUE = load_catalogue()
ALL_PICTURES = sorted(
    (str(path.relative_to(PICTURES_DIR)), kind, code)
    for path, (kind, code) in pictures.expected_pictures(CATALOGUE).items()
)
TELEGRAM_MAX_BYTES = 10 * 1024 * 1024


# ---- Every point and meridian has its picture -----------------------------------


def test_every_point_and_meridian_has_a_picture_file() -> None:
    missing = [str(CATALOGUE.point_picture_path(p.code)) for p in CATALOGUE.points] + [
        str(CATALOGUE.meridian_picture_path(m.code)) for m in CATALOGUE.meridians
    ]
    missing = [path for path in missing if not Path(path).is_file()]
    assert not missing, f"run `python -m content.pictures`; missing: {missing}"
    assert {m.code for m in CATALOGUE.meridians} >= {"BL", "KI", "GB", "GV"}


def test_picture_paths_follow_the_documented_layout() -> None:
    assert CATALOGUE.point_picture_path("BL23") == PICTURES_DIR / "points" / "BL23.png"
    assert CATALOGUE.point_picture_path("EX-B2") == PICTURES_DIR / "points" / "EX-B2.png"
    assert CATALOGUE.meridian_picture_path("GV") == PICTURES_DIR / "meridians" / "GV.png"
    with pytest.raises(KeyError):
        CATALOGUE.point_picture_path("XX99")
    with pytest.raises(KeyError):
        CATALOGUE.meridian_picture_path("LU")


@pytest.mark.parametrize(("name", "kind", "code"), ALL_PICTURES)
def test_picture_is_a_png_telegram_accepts(name: str, kind: str, code: str) -> None:
    data = (PICTURES_DIR / name).read_bytes()
    assert data[:8] == pictures.PNG_SIGNATURE
    width, height = pictures.png_size(data)
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    assert (width, height) == (
        pictures.POINT_PICTURE_PX if kind == "point" else pictures.MERIDIAN_PICTURE_PX
    )
    # Telegram photos: at most 10 MB, width + height at most 10000, ratio at most 20.
    assert len(data) < TELEGRAM_MAX_BYTES and width + height <= 10_000
    assert max(width, height) / min(width, height) <= 20
    # And sensible for a phone: sharp but light.
    assert min(width, height) >= 600 and max(width, height) <= 2000
    assert len(data) < 1024 * 1024


@pytest.mark.parametrize(("name", "kind", "code"), ALL_PICTURES)
def test_rendering_reproduces_the_committed_picture(name: str, kind: str, code: str) -> None:
    committed = (PICTURES_DIR / name).read_bytes()
    fresh = pictures.render(kind, code, CATALOGUE)
    assert pictures.pictures_match(committed, fresh), (
        f"{name} is stale: run `python -m content.pictures` and commit content/pictures/"
    )


def test_rendering_is_deterministic() -> None:
    assert pictures.render_point("GV4", CATALOGUE) == pictures.render_point("GV4", CATALOGUE)


def test_pictures_match_tolerates_only_tiny_differences() -> None:
    committed = (PICTURES_DIR / "points" / "BL23.png").read_bytes()
    with Image.open(io.BytesIO(committed)) as image:
        pixels = image.convert("RGB")
    speck = pixels.copy()
    speck.putpixel((5, 5), (0, 0, 0))
    blotch = pixels.copy()
    blotch.paste((0, 0, 0), (0, 0, 200, 200))  # about 3% of the picture

    def png(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, format="png")
        return buffer.getvalue()

    assert pictures.pictures_match(committed, png(speck))
    assert not pictures.pictures_match(committed, png(blotch))


def test_check_mode_reports_a_stale_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "pictures"
    shutil.copytree(PICTURES_DIR, folder)
    monkeypatch.setattr("content.catalogue.PICTURES_DIR", folder)
    monkeypatch.setattr(pictures, "PICTURES_DIR", folder)

    def committed(kind: str, code: str, catalogue: Catalogue) -> bytes:
        path = (
            catalogue.point_picture_path(code)
            if kind == "point"
            else catalogue.meridian_picture_path(code)
        )
        return path.read_bytes()

    # Skip the drawing: "fresh" renders are the committed files, in every language.
    monkeypatch.setattr(pictures, "render", committed)
    assert pictures.main(["--check"]) == 0
    blank = io.BytesIO()
    Image.new("RGB", pictures.POINT_PICTURE_PX, "white").save(blank, format="png")
    monkeypatch.setattr(
        pictures,
        "render",
        lambda kind, code, catalogue: (
            blank.getvalue()
            if code == "BL40" and catalogue.language in ("en", "zh")
            else committed(kind, code, catalogue)
        ),
    )
    assert pictures.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "stale: pictures/points/BL40.png" in err
    assert "stale: pictures/zh/points/BL40.png" in err
    assert "pictures/es/points/BL40.png" not in err


# ---- Faithful to the WHO locations ------------------------------------------------


def _spot(code: str) -> tuple[float, float]:
    placements = CATALOGUE.placements
    assert placements is not None
    placement = placements.points[code]
    (spot,) = placement.spots(placements.regions[placement.region])
    return spot


def test_bl23_gv4_bl52_are_level_at_midline_1_5_and_3_cun() -> None:
    placements = CATALOGUE.placements
    assert placements is not None
    view = placements.regions["lower_back"]
    bl23, gv4, bl52 = _spot("BL23"), _spot("GV4"), _spot("BL52")
    assert bl23[1] == gv4[1] == bl52[1] == view.anchor("L2")[1]
    midline = view.spine.x if view.spine else 0.0
    assert gv4[0] == midline
    assert bl23[0] - midline == pytest.approx(1.5 * view.cun)
    assert bl52[0] - midline == pytest.approx(3.0 * view.cun)
    # 1.5 cun is visibly closer to the spine than 3 cun: half the distance.
    assert bl52[0] - midline == pytest.approx(2 * (bl23[0] - midline))
    # Same frame, so the three pictures show the same height and scale.
    assert {placements.points[c].region for c in ("BL23", "GV4", "BL52")} == {"lower_back"}


def test_l2_is_drawn_above_l4_and_the_hip_bone_tops_at_l4() -> None:
    placements = CATALOGUE.placements
    assert placements is not None
    for view in (placements.regions["lower_back"], placements.bodies["back"]):
        assert view.spine is not None
        levels = view.spine.levels()
        assert levels["L2"] > levels["L3"] > levels["L4"] > levels["L5"]
    lower_back = placements.regions["lower_back"]
    assert lower_back.landmarks["iliac_crest"].at[1] == lower_back.anchor("L4")[1]
    assert _spot("GV3") == lower_back.anchor("L4")
    assert _spot("BL25")[1] == _spot("EX-B7")[1] == _spot("GV3")[1]
    assert _spot("BL25")[0] < _spot("EX-B7")[0]


def test_point_pictures_use_their_catalogue_region_and_show_its_landmarks() -> None:
    placements = CATALOGUE.placements
    assert placements is not None
    for point in CATALOGUE.points:
        placement = placements.points[point.code]
        assert placement.region == point.region
        assert placement.show, f"{point.code} labels no landmark"
        view = placements.regions[point.region]
        assert set(placement.anchors()) <= set(view.landmark_names())


def test_limb_points_sit_where_the_who_says() -> None:
    placements = CATALOGUE.placements
    assert placements is not None
    knee = placements.regions["back_of_knee"]
    assert _spot("BL40") == knee.landmarks["popliteal_crease"].at
    ankle = placements.regions["inner_ankle"]
    malleolus = ankle.anchor("medial_malleolus")
    ki3, ki7 = _spot("KI3"), _spot("KI7")
    assert ki3[1] == malleolus[1]  # level with the tip of the ankle bone
    assert ki7[1] - malleolus[1] == pytest.approx(2 * ankle.cun)  # 2 cun above it
    hip = placements.regions["buttock_hip"]
    trochanter, hiatus = hip.anchor("greater_trochanter"), hip.anchor("sacral_hiatus")
    gb30 = _spot("GB30")
    share = (gb30[0] - trochanter[0]) / (hiatus[0] - trochanter[0])
    assert share == pytest.approx(1 / 3, abs=1e-6)
    assert _spot("BL54")[1] == hip.anchor("S4")[1]


def test_every_meridian_point_can_be_placed_on_its_body_view() -> None:
    placements = CATALOGUE.placements
    assert placements is not None
    for meridian in CATALOGUE.meridians:
        picture = placements.meridians[meridian.code]
        view = placements.bodies[picture.view]
        for point in CATALOGUE.points_on(meridian.code):
            given = picture.points.get(point.code)
            position = given if given and given.is_given() else placements.points[point.code]
            x, y = position.spots(view)[0]
            assert view.xlim[0] <= x <= view.xlim[1] and view.ylim[0] <= y <= view.ylim[1]


# ---- Content validation -------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


# libyaml when present: placements.yaml is long, and these tests rewrite it.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _edit(data_dir: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    path = data_dir / name
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    change(document)
    text = yaml.dump(document, Dumper=_DUMPER, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def test_a_point_without_a_placement_fails_with_a_clear_message(data_copy: Path) -> None:
    _edit(data_copy, "placements.yaml", lambda doc: doc["points"].pop("BL40"))
    with pytest.raises(ContentError) as error:
        load_catalogue(data_copy)
    assert str(error.value).startswith(
        "placements.yaml: no placement for point BL40 — add one under 'points:'"
    )


def test_a_new_catalogue_point_needs_placement_data(data_copy: Path) -> None:
    def add_point(doc: dict) -> None:  # type: ignore[type-arg]
        new = dict(next(p for p in doc["points"] if p["code"] == "BL57"))
        new.update(
            code="BL58",
            pinyin="Fēiyáng",
            hanzi_traditional="飛揚",
            hanzi_simplified="飞扬",
            english="Taking Flight",
            aliases=[],
            technique=None,
        )
        doc["points"].append(new)

    _edit(data_copy, "points.yaml", add_point)
    with pytest.raises(
        ContentError, match=r"no placement for point BL58 — add one under 'points:'"
    ):
        load_catalogue(data_copy)


def test_a_placement_must_anchor_on_a_landmark_of_its_region(data_copy: Path) -> None:
    _edit(data_copy, "placements.yaml", lambda doc: doc["points"]["BL23"].update(anchor="L9"))
    with pytest.raises(
        ContentError, match=r"points: BL23: field 'anchor': 'L9' is not a landmark of 'lower_back'"
    ):
        load_catalogue(data_copy)


def test_a_placement_region_must_match_the_point(data_copy: Path) -> None:
    _edit(data_copy, "placements.yaml", lambda doc: doc["points"]["KI3"].update(region="hand"))
    with pytest.raises(ContentError, match=r"KI3: field 'region': 'hand' does not match"):
        load_catalogue(data_copy)


def test_a_meridian_without_a_course_fails(data_copy: Path) -> None:
    _edit(data_copy, "placements.yaml", lambda doc: doc["meridians"].pop("KI"))
    with pytest.raises(
        ContentError, match=r"no course for meridian KI — add one under 'meridians:'"
    ):
        load_catalogue(data_copy)


def test_a_misspelt_placement_field_is_refused(data_copy: Path) -> None:
    _edit(data_copy, "placements.yaml", lambda doc: doc["points"]["GV4"].update(ofset=[1, 0]))
    with pytest.raises(ContentError, match=r"placements.yaml: field 'points.GV4.ofset'"):
        load_catalogue(data_copy)


def test_placements_file_is_required(data_copy: Path) -> None:
    (data_copy / "placements.yaml").unlink()
    with pytest.raises(ContentError, match=r"placements.yaml: file is missing"):
        load_catalogue(data_copy)


def test_catalogue_carries_its_placements() -> None:
    assert isinstance(CATALOGUE, Catalogue) and CATALOGUE.placements is not None
