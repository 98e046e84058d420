"""Draws the point and meridian pictures from `content/data/placements.yaml`.

Every picture comes from data: each view (a body region close-up, or a
whole-body outline for the meridians) describes its outlines and landmarks
once, and each point is placed from a landmark by offsets in cun. This module
turns that into PNGs with matplotlib's Agg renderer, without pyplot and so
without global figure state:

    python -m content.pictures           # render every picture, in every language
    python -m content.pictures --check   # exit 1 if a committed picture is stale
    python -m content.pictures --subset-font NotoSansCJK-Regular.ttc NotoSansCJK-Bold.ttc

Each language has its own pictures, drawn from the same geometry with the
words of its overlay (content/data/<lang>/placements.yaml): English in
content/pictures/{points,meridians}/, the others in content/pictures/<lang>/.

Output is deterministic: fixed size and dpi, no timestamp or software name in
the PNG, and fonts that ship with the package: DejaVu Sans (bundled with
matplotlib) for English and Spanish, and for Chinese a subset of Noto Sans CJK
SC (SIL OFL) in content/pictures/fonts/ holding just the characters the
Chinese pictures use. When a Chinese label changes, `--subset-font` cuts a new
subset from the full font; every render (and `--check`) refuses a picture
whose text needs a character its font lacks, naming the label and character.
"""

from __future__ import annotations

import argparse
import functools
import io
import math
import re
import sys
import textwrap
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib import font_manager, patheffects, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, FancyBboxPatch, Polygon
from matplotlib.text import Text
from PIL import Image

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

from content.catalogue import PICTURES_DIR, Catalogue, load_catalogue
from content.font_subset import rename_subset
from content.i18n import N_, Translator, translator
from content.languages import LANGUAGES, Language
from content.schema import (
    XY,
    Landmark,
    MeridianPicture,
    Note,
    PointPlacement,
    Position,
    Shape,
    View,
)

# ---- Style -------------------------------------------------------------------
# Okabe-Ito colours, told apart with every common colour-vision deficiency.
VERMILLION = "#D55E00"  # the point
BLUE = "#0072B2"  # landmarks
GREEN = "#009E73"  # a meridian's course
INK = "#1A1A1A"
GREY = "#5F5F5F"
SKIN = "#F6EEE6"
SKIN_EDGE = "#8A8A8A"
BONE = "#D9E8F4"
TENDON = "#ECE4CC"
TENDON_EDGE = "#8C8270"
GUIDE = "#9C9C9C"

DPI = 100
POINT_PICTURE_PX = (1080, 1080)
MERIDIAN_PICTURE_PX = (1080, 1440)
FONT = "DejaVu Sans"  # ships with matplotlib, so every machine draws the same letters

# Chinese: a subset of Noto Sans CJK SC (SIL OFL 1.1, see fonts/OFL.txt), renamed
# so that a full Noto font installed on a machine is never picked instead.
FONTS_DIR = PICTURES_DIR / "fonts"
CJK_FAMILY = "Acubot Noto Sans SC Subset"
CJK_FONT_FILES = {
    "regular": FONTS_DIR / "AcubotNotoSansSC-Regular.otf",
    "bold": FONTS_DIR / "AcubotNotoSansSC-Bold.otf",
}
# Always in the subset, whatever the labels say today.
SUBSET_BASE = (
    "".join(chr(c) for c in range(0x20, 0x7F)) + "\u00a0·≈×–—‘’“”…、。，：；？！（）【】《》「」～"
)

RC: dict[RcKeyType, Any] = {
    "font.family": FONT,
    "font.size": 20,
    "text.antialiased": True,
    "lines.solid_capstyle": "round",
    "lines.dash_capstyle": "round",
    "path.simplify": False,
}

# Font sizes in points (at DPI 100, 1 pt ≈ 1.4 px).
TITLE_PT = 30
FIND_PT = 21
HINT_PT = 18
CODE_PT = 25
LABEL_PT = 19
NOTE_PT = 17
SMALL_PT = 15

HALO = [patheffects.withStroke(linewidth=6, foreground="white")]
THIN_HALO = [patheffects.withStroke(linewidth=4, foreground="white")]

# Within a view, what is drawn over what.
LAYERS = ("guide", "body_line", "tendon", "bone", "hole", "bone_line", "crease")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# The words the renderer itself writes (the rest comes from placements.yaml).
HOW_TO_FIND = N_("How to find it: {find}")
CUN_DISTANCE = N_("{number} cun")
CUN_SCALE = N_("1 cun ≈ your thumb's width")
THE_CHANNEL = N_("the channel")


# ---- Fonts per language ------------------------------------------------------


class MissingGlyph(Exception):
    """A picture's text needs a character its language's font cannot draw."""


def font_files(language: Language) -> dict[str, Path]:
    """The font files a language's pictures are drawn with, by weight."""
    if language == "zh":
        return dict(CJK_FONT_FILES)
    data = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {"regular": data / "DejaVuSans.ttf", "bold": data / "DejaVuSans-Bold.ttf"}


SUBSET_COMMAND = (
    "python -m content.pictures --subset-font NotoSansCJK-Regular.ttc NotoSansCJK-Bold.ttc"
)
_registered: set[Path] = set()


def _register_cjk_font() -> None:
    """Tells matplotlib about the shipped Chinese font (by path: nothing is installed)."""
    for path in CJK_FONT_FILES.values():
        if not path.is_file():
            raise MissingGlyph(f"the Chinese font {_shown(path)} is missing — {SUBSET_COMMAND}")
        if path not in _registered:
            font_manager.fontManager.addfont(str(path))
            _registered.add(path)


def _rc(language: Language) -> dict[RcKeyType, Any]:
    if language != "zh":
        return RC
    _register_cjk_font()
    return {**RC, "font.family": [CJK_FAMILY]}


@functools.cache
def _characters(path: Path) -> frozenset[str]:
    """The characters a font file has glyphs for."""
    from matplotlib.ft2font import FT2Font

    return frozenset(chr(code) for code in FT2Font(str(path)).get_charmap())


def missing_characters(text: str, language: Language) -> list[tuple[str, Path]]:
    """Each character of `text` that a font of the language lacks, with that font."""
    missing: list[tuple[str, Path]] = []
    for path in font_files(language).values():
        have = _characters(path) if path.is_file() else frozenset()
        for char in dict.fromkeys(text):
            if not char.isspace() and char not in have:
                missing.append((char, path))
    return missing


def _check_glyphs(figure: Figure, language: Language, name: str) -> None:
    for text in figure_texts(figure):
        for char, path in missing_characters(text, language):
            raise MissingGlyph(
                f"{language} picture {name}: the label {text!r} needs {char!r} "
                f"(U+{ord(char):04X}, {unicodedata.name(char, 'unnamed')}), which "
                f"{_shown(path)} lacks"
                + (f" — cut a new subset: {SUBSET_COMMAND}" if language == "zh" else "")
            )


def figure_texts(figure: Figure) -> list[str]:
    """Every text drawn on a figure (labels, notes, titles), in drawing order."""
    return [item.get_text() for item in figure.findobj(Text) if item.get_text()]


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PICTURES_DIR.parent.parent))
    except ValueError:
        return str(path)


# ---- Text --------------------------------------------------------------------


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


_NO_LINE_START = set("，。：；？！）、”’》」…·")


_NUMBER_AND_UNIT = re.compile(r"(\d) (cun)\b")


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most about `width` Latin letters, never breaking "1.5 cun";
    Chinese, with no spaces between words, breaks between characters (each
    about two letters wide), in lines of even length."""
    text = _NUMBER_AND_UNIT.sub("\\1\u00a0\\2", text)
    if not any(_wide(char) for char in text):
        return textwrap.wrap(text, width)
    lines = _wrap_wide(text, width)
    if len(lines) > 1:  # the same number of lines, evenly filled: no lone last character
        total = sum(_width(line) for line in lines)
        even = math.ceil(total / len(lines)) + 1
        balanced = _wrap_wide(text, even)
        if len(balanced) == len(lines):
            return balanced
    return lines


def _width(token: str) -> float:
    return sum(1.8 if _wide(char) else 1.0 for char in token)


def _wrap_wide(text: str, width: float) -> list[str]:
    # Tokens: one wide character, or a run of other characters (a word, "L4", "1.5").
    tokens: list[str] = []
    for char in text:
        if _wide(char) or char == " " or not tokens or _wide(tokens[-1][-1]) or tokens[-1] == " ":
            tokens.append(char)
        else:
            tokens[-1] += char
    lines: list[str] = []
    line, used = "", 0.0
    for token in tokens:
        size = _width(token)
        if line and used + size > width and token not in _NO_LINE_START and token != " ":
            lines.append(line.rstrip())
            line, used = "", 0.0
            if token == " ":
                continue
        line += token
        used += size
    if line.strip():
        lines.append(line.rstrip())
    return lines


# ---- Geometry ----------------------------------------------------------------


def _smooth(points: Sequence[XY], closed: bool, samples: int = 12) -> np.ndarray:
    """A Catmull-Rom curve through the points (so few points make soft outlines)."""
    pts = np.asarray(points, dtype=float)
    if len(pts) < 3:
        return pts
    if closed:
        ext = np.vstack([pts[-1], pts, pts[0], pts[1]])
    else:
        ext = np.vstack([2 * pts[0] - pts[1], pts, 2 * pts[-1] - pts[-2]])
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None]
    pieces = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        pieces.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
        )
    if not closed:
        pieces.append(pts[-1:])
    return np.vstack(pieces)


def _mirror(xy: XY) -> XY:
    return (-xy[0], xy[1])


def _capsule(a: XY, b: XY, width: float) -> np.ndarray:
    """The outline of a rounded bar from a to b (a finger, a bone shaft)."""
    (ax_, ay), (bx, by) = a, b
    angle = math.atan2(by - ay, bx - ax_)
    r = width / 2
    arc1 = np.linspace(angle + math.pi / 2, angle + 3 * math.pi / 2, 16)
    arc2 = np.linspace(angle - math.pi / 2, angle + math.pi / 2, 16)
    return np.vstack(
        [
            np.column_stack([ax_ + r * np.cos(arc1), ay + r * np.sin(arc1)]),
            np.column_stack([bx + r * np.cos(arc2), by + r * np.sin(arc2)]),
        ]
    )


@dataclass(frozen=True)
class _Outline:
    """A shape resolved to vertices, ready to draw."""

    style: str
    vertices: np.ndarray | None  # None for ellipses
    closed: bool
    ellipse: tuple[XY, XY, float] | None = None


def _resolve(shape: Shape, mirrored: bool = True) -> list[_Outline]:
    """A shape and, unless it is on the midline, its mirror image."""
    if not mirrored:
        shape = shape.model_copy(update={"mirror": False})
    if shape.kind == "ellipse":
        assert shape.center is not None and shape.size is not None
        found = [_Outline(shape.style, None, True, (shape.center, shape.size, shape.angle))]
        if shape.mirror:
            found.append(
                _Outline(shape.style, None, True, (_mirror(shape.center), shape.size, -shape.angle))
            )
        return found
    if shape.kind == "capsule":
        vertices = _capsule(shape.points[0], shape.points[1], shape.width or 1.0)
        closed = True
    elif shape.join_mirror:
        half = _smooth(shape.points, closed=False) if shape.smooth else np.asarray(shape.points)
        other = half[::-1] * np.array([-1.0, 1.0])
        vertices = np.vstack([half, other])
        return [_Outline(shape.style, vertices, True)]
    else:
        closed = shape.kind == "area"
        vertices = (
            _smooth(shape.points, closed=closed) if shape.smooth else np.asarray(shape.points)
        )
    found = [_Outline(shape.style, vertices, closed)]
    if shape.mirror:
        found.append(_Outline(shape.style, vertices * np.array([-1.0, 1.0]), closed))
    return found


# ---- Drawing a view ----------------------------------------------------------


def _cun(tr: Translator, value: float) -> str:
    """A distance in cun, with the number as written in English ("1.5", never "1,5")."""
    return tr._(CUN_DISTANCE, number=_fmt(value))


def _measure_label(ax: Axes, text: str, xy: XY, offset: XY, ha: str) -> None:
    """A measurement ("2 cun", "1/3"), `offset` points from `xy`, in bold ink."""
    ax.annotate(
        text,
        xy=xy,
        xytext=offset,
        textcoords="offset points",
        ha=ha,
        va="center",
        fontsize=NOTE_PT,
        fontweight="bold",
        color=INK,
        path_effects=HALO,
        zorder=19,
    )


def _text(ax: Axes, xy: XY, text: str, **kwargs: object) -> None:
    options: dict[str, object] = {
        "fontsize": LABEL_PT,
        "color": BLUE,
        "ha": "center",
        "va": "center",
        "zorder": 20,
        "path_effects": HALO,
        "linespacing": 1.1,
    }
    options.update(kwargs)
    ax.text(xy[0], xy[1], text, **options)  # type: ignore[arg-type]


def _label(ax: Axes, spot: XY, text: str, pointers: Sequence[XY], **kwargs: object) -> None:
    """A label with thin leader lines from its edge to each pointer."""
    colour = kwargs.get("color", BLUE)
    _text(ax, spot, text, **kwargs)
    for pointer in pointers:
        ax.annotate(
            text,
            xy=pointer,
            xytext=spot,
            alpha=0.0,  # the text is drawn above; this only clips the leader to its box
            fontsize=kwargs.get("fontsize", LABEL_PT),
            fontweight=kwargs.get("fontweight", "normal"),
            ha=kwargs.get("ha", "center"),
            va="center",
            linespacing=1.1,
            zorder=14,
            arrowprops={
                "arrowstyle": "-",
                "color": colour,
                "lw": 1.6,
                "shrinkA": 3,
                "shrinkB": 0,
                "alpha": 1.0,
            },
        )


def _draw_outline(ax: Axes, outline: _Outline, zorder: float) -> None:
    style = outline.style
    if outline.ellipse is not None:
        (cx, cy), (w, h), angle = outline.ellipse
        face, edge, lw = {
            "bone": (BONE, BLUE, 2.2),
            "body": (SKIN, SKIN_EDGE, 2.5),
            "tendon": (TENDON, TENDON_EDGE, 1.8),
            "hole": ("white", BLUE, 1.6),
        }.get(style, ("none", SKIN_EDGE, 1.8))
        ax.add_patch(
            Ellipse(
                (cx, cy), w, h, angle=angle, facecolor=face, edgecolor=edge, lw=lw, zorder=zorder
            )
        )
        return
    assert outline.vertices is not None
    xs, ys = outline.vertices[:, 0], outline.vertices[:, 1]
    if style == "bone":
        if outline.closed:
            ax.add_patch(
                Polygon(outline.vertices, closed=True, fc=BONE, ec=BLUE, lw=2.2, zorder=zorder)
            )
        else:
            ax.plot(xs, ys, color=BLUE, lw=2.2, zorder=zorder)
    elif style == "tendon":
        if outline.closed:
            ax.add_patch(
                Polygon(
                    outline.vertices, closed=True, fc=TENDON, ec=TENDON_EDGE, lw=1.8, zorder=zorder
                )
            )
        else:
            ax.plot(xs, ys, color=TENDON_EDGE, lw=5, zorder=zorder, alpha=0.7)
    elif style == "bone_line":
        ax.plot(xs, ys, color=BLUE, lw=3.2, zorder=zorder)
    elif style == "crease":
        ax.plot(xs, ys, color=BLUE, lw=3.5, zorder=zorder)
    elif style == "guide":
        ax.plot(xs, ys, color=GUIDE, lw=1.6, ls=(0, (5, 5)), zorder=zorder)
    elif style == "body_line":
        if outline.closed:
            xs, ys = np.append(xs, xs[0]), np.append(ys, ys[0])
        ax.plot(xs, ys, color=SKIN_EDGE, lw=2.0, zorder=zorder)
    else:  # a body outline inside the union, drawn closed
        ax.add_patch(
            Polygon(outline.vertices, closed=outline.closed, fc="none", ec=SKIN_EDGE, lw=2.0)
        )


def _draw_body(ax: Axes, outlines: list[_Outline]) -> None:
    """Skin shapes drawn as one silhouette: all edges first, then all fills over them."""
    for outline in outlines:
        if outline.ellipse is not None:
            (cx, cy), (w, h), angle = outline.ellipse
            ax.add_patch(
                Ellipse((cx, cy), w, h, angle=angle, fc=SKIN, ec=SKIN_EDGE, lw=5, zorder=1)
            )
        elif outline.vertices is not None:
            ax.add_patch(
                Polygon(outline.vertices, closed=True, fc=SKIN, ec=SKIN_EDGE, lw=5, zorder=1)
            )
    for outline in outlines:
        if outline.ellipse is not None:
            (cx, cy), (w, h), angle = outline.ellipse
            ax.add_patch(Ellipse((cx, cy), w, h, angle=angle, fc=SKIN, ec="none", zorder=2))
        elif outline.vertices is not None:
            ax.add_patch(Polygon(outline.vertices, closed=True, fc=SKIN, ec="none", zorder=2))


def _draw_view(ax: Axes, view: View, labelled: Iterable[str]) -> None:
    """The view's outlines and landmarks; labels only for the landmarks named."""
    shapes = list(view.shapes)
    for landmark in view.landmarks.values():
        shapes.extend(landmark.shapes)
    outlines = [outline for shape in shapes for outline in _resolve(shape, view.mirrored)]
    _draw_body(ax, [o for o in outlines if o.style == "body"])
    for depth, layer in enumerate(LAYERS):
        for outline in outlines:
            if outline.style == layer:
                _draw_outline(ax, outline, zorder=3 + depth)
    if view.spine and view.spine.draw_processes:
        width, height = view.spine.process_size
        for y in view.spine.levels().values():
            centre = y + view.spine.spacing / 2
            ax.add_patch(
                FancyBboxPatch(
                    (view.spine.x - width / 2, centre - height / 2),
                    width,
                    height,
                    boxstyle=f"round,pad=0,rounding_size={min(width, height) * 0.4}",
                    fc=BONE,
                    ec=BLUE,
                    lw=2.0,
                    zorder=9,
                )
            )
    for name in labelled:
        _label_landmark(ax, view, name)
    for note in view.notes:
        _draw_note(ax, note)
    if view.sides:
        x, y = view.sides_at
        _text(ax, (-x, y), view.sides[0], color=GREY, fontsize=SMALL_PT, path_effects=THIN_HALO)
        _text(ax, (x, y), view.sides[1], color=GREY, fontsize=SMALL_PT, path_effects=THIN_HALO)


def _label_landmark(ax: Axes, view: View, name: str) -> None:
    if view.spine and name in view.spine.vertebrae:
        y = view.spine.levels()[name]
        text = view.spine.labels.get(name, name)
        x0, x1 = view.xlim
        _text(ax, (view.spine.label_x, y), text, ha="left", fontweight="bold")
        ax.add_line(
            Line2D(
                [view.spine.label_x + 0.09 * (x1 - x0), x1],
                [y, y],
                color=BLUE,
                lw=1.8,
                ls=(0, (1.5, 3)),
                zorder=8,
                alpha=0.9,
            )
        )
        return
    landmark: Landmark = view.landmarks[name]
    spot = landmark.label_at or landmark.at
    ha = {"left": "left", "right": "right", "center": "center"}[landmark.align]
    pointers = []
    if landmark.label_at is not None and landmark.leader:
        pointers.append(landmark.pointer or landmark.at)
    _label(ax, spot, landmark.label, pointers, ha=ha)
    if landmark.level_line:
        x0, x1 = view.xlim
        ax.add_line(
            Line2D(
                [x0, x1],
                [landmark.at[1]] * 2,
                color=BLUE,
                lw=1.8,
                ls=(0, (1.5, 3)),
                zorder=8,
                alpha=0.9,
            )
        )


def _draw_note(ax: Axes, note: Note) -> None:
    size = NOTE_PT if note.size == "normal" else SMALL_PT
    ha = {"left": "left", "right": "right", "center": "center"}[note.align]
    if note.arrow_to is not None:
        ax.annotate(
            note.text,
            xy=note.arrow_to,
            xytext=note.at,
            ha=ha,
            va="center",
            fontsize=size,
            color=INK,
            zorder=20,
            path_effects=HALO,
            linespacing=1.1,
            arrowprops={
                "arrowstyle": "-|>,head_length=0.6,head_width=0.3",
                "color": INK,
                "lw": 1.8,
                "shrinkA": 4,
                "shrinkB": 6,
            },
        )
    else:
        _text(ax, note.at, note.text, ha=ha, fontsize=size, color=INK)


# ---- Points ------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:g}"


def _sides(spots: list[XY], bilateral: bool) -> list[list[XY]]:
    """The spots on the x >= 0 side and, for a point on both sides, their mirror."""
    sides = [spots]
    if bilateral and any(abs(x) > 1e-9 for x, _ in spots):
        sides.append([_mirror(spot) for spot in spots])
    return sides


def _marker(ax: Axes, spots: list[XY], size: float) -> None:
    xs, ys = [x for x, _ in spots], [y for _, y in spots]
    ax.plot(xs, ys, "o", ms=size + 8, mfc="white", mec="white", zorder=24)
    ax.plot(xs, ys, "o", ms=size, mfc=VERMILLION, mec=INK, mew=2.6, zorder=25)


def _code_label(ax: Axes, xy: XY, code: str, ha: str, size: float = CODE_PT) -> None:
    _text(ax, xy, code, ha=ha, color=VERMILLION, fontsize=size, fontweight="bold", zorder=26)


def _measure(
    ax: Axes, view: View, placement: PointPlacement, spot: XY, sign: float, tr: Translator
) -> None:
    """Arrows showing the placement's offsets from its landmark, labelled in cun."""
    if placement.between is not None or len(placement.anchors()) != 1:
        return
    anchor = view.anchor(placement.anchors()[0])
    if sign < 0:
        anchor = _mirror(anchor)
    dx, dy = placement.offset
    wanted: Sequence[str] | None = placement.measure
    if wanted is None:
        wanted = [axis for axis, value in (("x", dx), ("y", dy)) if value]
    arrow = {"arrowstyle": "<|-|>,head_length=0.5,head_width=0.25", "color": INK, "lw": 2.0}
    if "x" in wanted and dx:
        ax.annotate(
            "", xy=(spot[0], spot[1]), xytext=(anchor[0], spot[1]), arrowprops=arrow, zorder=18
        )
        offset = {"above": (0, 17), "below": (0, -21), "left": (0, 17), "right": (0, -21)}[
            placement.measure_label
        ]
        # Starts just off the anchor, so it clears a spine drawn there.
        _measure_label(
            ax,
            _cun(tr, abs(dx)),
            (anchor[0] + sign * 0.45 * view.cun, spot[1]),
            offset,
            "left" if sign > 0 else "right",
        )
    if "y" in wanted and dy:
        ax.plot([anchor[0], spot[0]], [anchor[1]] * 2, color=INK, lw=1.6, ls=(0, (2, 3)), zorder=17)
        ax.annotate(
            "", xy=(spot[0], spot[1]), xytext=(spot[0], anchor[1]), arrowprops=arrow, zorder=18
        )
        side = sign * (1 if placement.measure_label != "left" else -1)
        _measure_label(
            ax,
            _cun(tr, abs(dy)),
            (spot[0], (spot[1] + anchor[1]) / 2),
            (14 * side, 0),
            "left" if side > 0 else "right",
        )


def _between_line(ax: Axes, view: View, placement: PointPlacement, sign: float) -> None:
    """The line a point is measured along, with ticks at each step of its fraction."""
    assert placement.between is not None and placement.fraction is not None
    a, b = (view.anchor(name) for name in placement.between)
    if sign < 0:
        a, b = _mirror(a), _mirror(b)
    ax.plot([a[0], b[0]], [a[1], b[1]], color=INK, lw=2.0, ls=(0, (6, 4)), zorder=17)
    steps = round(1 / placement.fraction)
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    nx, ny = -(b[1] - a[1]) / length, (b[0] - a[0]) / length
    tick = 0.35 * view.cun
    for i in range(1, steps):
        share = i / steps
        x, y = a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share
        ax.plot(
            [x - nx * tick, x + nx * tick],
            [y - ny * tick, y + ny * tick],
            color=INK,
            lw=2.4,
            zorder=17,
        )
    if abs(steps * placement.fraction - 1) < 1e-6 and steps > 1:
        for i in range(steps):
            share = (i + 0.5) / steps
            x, y = a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share
            _measure_label(ax, f"1/{steps}" if i == 0 else "", (x, y), (0, -20), "center")


def _draw_point(
    ax: Axes, view: View, code: str, placement: PointPlacement, bilateral: bool, tr: Translator
) -> None:
    spots = placement.spots(view)
    size = 22 if len(spots) == 1 else 15
    for index, side in enumerate(_sides(spots, bilateral)):
        sign = -1.0 if index else 1.0
        if placement.between is not None and placement.measure is None:
            _between_line(ax, view, placement, sign)
        elif index == 0 and len(side) == 1:
            _measure(ax, view, placement, side[0], sign, tr)
        _marker(ax, side, size)
        lx, ly = placement.label_offset[0] * view.cun, placement.label_offset[1] * view.cun
        on_midline = all(abs(x) < 1e-9 for x, _ in side)
        ha = "left" if sign > 0 or on_midline else "right"
        if placement.label_style == "beside":
            for x, y in side:
                _code_label(ax, (x + sign * lx, y + ly), code, ha)
        elif placement.label_style == "joint":
            mx = sum(x for x, _ in side) / len(side)
            my = sum(y for _, y in side) / len(side)
            spot = (mx + sign * lx, my + ly)
            _label(
                ax,
                spot,
                code,
                side,
                color=VERMILLION,
                fontsize=CODE_PT,
                fontweight="bold",
                zorder=26,
            )
        else:  # bracket beside a column of markers
            xs = [x for x, _ in side]
            ys = [y for _, y in side]
            bx = (max(xs) if sign > 0 else min(xs)) + sign * 0.45 * view.cun
            tick = sign * 0.2 * view.cun
            ax.plot(
                [bx - tick, bx, bx, bx - tick],
                [max(ys), max(ys), min(ys), min(ys)],
                color=VERMILLION,
                lw=2.6,
                zorder=22,
            )
            _code_label(ax, (bx + sign * lx, (max(ys) + min(ys)) / 2 + ly), code, ha)
    for note in placement.notes:
        _draw_note(ax, note)


# ---- Figures -----------------------------------------------------------------


def _new_figure(size_px: tuple[int, int]) -> Figure:
    figure = Figure(figsize=(size_px[0] / DPI, size_px[1] / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _fit_text(
    figure: Figure, x: float, y: float, text: str, size: float, width: float, **kwargs: object
) -> None:
    """Figure text shrunk, if need be, to fit the given share of the figure's width."""
    item = figure.text(x, y, text, fontsize=size, **kwargs)  # type: ignore[arg-type]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    limit = width * figure.bbox.width
    while item.get_window_extent(renderer).width > limit and size > 10:
        size -= 1
        item.set_fontsize(size)


def _view_axes(figure: Figure, view: View, rect: tuple[float, float, float, float]) -> Axes:
    ax = figure.add_axes(rect)
    ax.set_xlim(*view.xlim)
    ax.set_ylim(*view.ylim)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.set_axis_off()
    ax.apply_aspect()
    return ax


def _scale_bar(figure: Figure, ax: Axes, view: View, y: float, tr: Translator) -> None:
    """A bar one cun long, in the view's scale, with what a cun is."""
    box = ax.get_position()
    per_unit = box.width * figure.bbox.width / (view.xlim[1] - view.xlim[0])
    length = view.cun * per_unit / figure.bbox.width  # figure fraction
    x0 = 0.04
    figure.add_artist(
        Line2D(
            [x0, x0 + length],
            [y, y],
            transform=figure.transFigure,
            color=INK,
            lw=6,
            solid_capstyle="butt",
        )
    )
    for x in (x0, x0 + length):
        figure.add_artist(
            Line2D([x, x], [y - 0.008, y + 0.008], transform=figure.transFigure, color=INK, lw=2)
        )
    figure.text(
        x0 + length + 0.015,
        y,
        tr._(CUN_SCALE),
        fontsize=SMALL_PT,
        color=INK,
        va="center",
        ha="left",
    )


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _title(figure: Figure, title: str, lines: Sequence[tuple[str, float, str]]) -> float:
    """The title and caption lines at the top; returns where they end (figure fraction)."""
    px = 1 / figure.bbox.height
    y = 1 - 48 * px
    _fit_text(
        figure,
        0.5,
        y,
        title,
        TITLE_PT,
        0.94,
        ha="center",
        va="center",
        fontweight="bold",
        color=INK,
    )
    y -= 30 * px
    for text, size, colour in lines:
        for line in _wrap(text, int(1000 / (size * DPI / 72 * 0.55))):
            y -= 0.9 * size * DPI / 72 * px
            _fit_text(figure, 0.5, y, line, size, 0.94, ha="center", va="center", color=colour)
            y -= 0.75 * size * DPI / 72 * px
        y -= 6 * px
    return y - 6 * px


def render_point(code: str, catalogue: Catalogue) -> bytes:
    """The PNG for one point: its region, its landmarks, the point on both sides."""
    with rc_context(_rc(catalogue.language)):
        figure = _point_figure(code, catalogue)
        _check_glyphs(figure, catalogue.language, f"points/{code}")
        return _png(figure)


def _point_title(code: str, catalogue: Catalogue) -> str:
    point = catalogue.point(code)
    assert point is not None
    if catalogue.language == "zh":  # the point's own name, then how it sounds
        return f"{code} · {point.hanzi_simplified} · {point.pinyin}"
    return f"{code} · {point.pinyin} · {point.english}"


def _point_figure(code: str, catalogue: Catalogue) -> Figure:
    point = catalogue.point(code)
    if point is None or catalogue.placements is None:
        raise KeyError(f"no point {code!r} with a placement in the catalogue")
    tr = translator(catalogue.language)
    placement = catalogue.placements.points[code]
    view = catalogue.placements.regions[placement.region]
    figure = _new_figure(POINT_PICTURE_PX)
    lines = [(tr._(HOW_TO_FIND, find=placement.find), FIND_PT, INK)]
    if placement.hint:
        lines.append((placement.hint, HINT_PT, GREY))
    top = _title(figure, _point_title(code, catalogue), lines)
    ax = _view_axes(figure, view, (0.02, 0.075, 0.96, top - 0.075))
    _draw_view(ax, view, placement.show)
    _draw_point(ax, view, code, placement, point.bilateral, tr)
    uses_cun = placement.between is None and any(placement.offset)
    if uses_cun:
        _scale_bar(figure, ax, view, 0.04, tr)
    figure.text(0.96, 0.04, view.title, fontsize=SMALL_PT, color=GREY, ha="right", va="center")
    return figure


def render_meridian(code: str, catalogue: Catalogue) -> bytes:
    """The PNG for one meridian: its course over a whole-body outline, with its points."""
    with rc_context(_rc(catalogue.language)):
        figure = _meridian_figure(code, catalogue)
        _check_glyphs(figure, catalogue.language, f"meridians/{code}")
        return _png(figure)


def _meridian_figure(code: str, catalogue: Catalogue) -> Figure:
    meridian = catalogue.meridian(code)
    if meridian is None or catalogue.placements is None:
        raise KeyError(f"no meridian {code!r} with a course in the catalogue")
    tr = translator(catalogue.language)
    picture: MeridianPicture = catalogue.placements.meridians[code]
    view = catalogue.placements.bodies[picture.view]
    figure = _new_figure(MERIDIAN_PICTURE_PX)
    top = _title(figure, f"{code} · {meridian.name}", [(picture.caption, FIND_PT, INK)])
    ax = _view_axes(figure, view, (0.02, 0.05, 0.96, top - 0.05))
    _draw_view(ax, view, ())
    for shape in picture.course:
        for outline in _resolve(shape, picture.bilateral and view.mirrored):
            assert outline.vertices is not None
            ax.plot(
                outline.vertices[:, 0],
                outline.vertices[:, 1],
                color=GREEN,
                lw=6,
                zorder=15,
                solid_capstyle="round",
                path_effects=THIN_HALO,
            )
    for point in catalogue.points_on(code):
        given = picture.points.get(point.code)
        position: Position = (
            given
            if given is not None and given.is_given()
            else catalogue.placements.points[point.code]
        )
        spots = position.spots(view)
        sides = _sides(spots, point.bilateral and picture.bilateral)
        for side in sides:
            _marker(ax, side, 12)
        label_at = given.label_at if given is not None else None
        if label_at is None:
            x, y = spots[0]
            label_at = (x + 1.2 * view.cun, y)
        near = min(
            (spot for side in sides for spot in side),
            key=lambda s: (s[0] - label_at[0]) ** 2 + (s[1] - label_at[1]) ** 2,
        )
        ha = "left" if label_at[0] >= near[0] else "right"
        pointers = [near] if math.dist(label_at, near) > 2.0 * view.cun else []
        _label(
            ax,
            label_at,
            point.code,
            pointers,
            ha=ha,
            color=VERMILLION,
            fontsize=CODE_PT - 4,
            fontweight="bold",
            zorder=26,
        )
    for note in picture.notes:
        _draw_note(ax, note)
    figure.text(0.96, 0.03, view.title, fontsize=SMALL_PT, color=GREY, ha="right", va="center")
    figure.add_artist(
        Line2D([0.04, 0.1], [0.03, 0.03], transform=figure.transFigure, color=GREEN, lw=6)
    )
    figure.text(0.115, 0.03, tr._(THE_CHANNEL), fontsize=SMALL_PT, color=INK, va="center")
    return figure


# ---- Files -------------------------------------------------------------------


def expected_pictures(catalogue: Catalogue) -> dict[Path, tuple[str, str]]:
    """Every picture the catalogue needs: path -> (kind, code)."""
    wanted: dict[Path, tuple[str, str]] = {}
    for point in catalogue.points:
        wanted[catalogue.point_picture_path(point.code)] = ("point", point.code)
    for meridian in catalogue.meridians:
        wanted[catalogue.meridian_picture_path(meridian.code)] = ("meridian", meridian.code)
    return wanted


def render(kind: str, code: str, catalogue: Catalogue) -> bytes:
    return render_point(code, catalogue) if kind == "point" else render_meridian(code, catalogue)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header; ValueError if it is not a PNG."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def pictures_match(first: bytes, second: bytes, tolerance: float = 0.005) -> bool:
    """The same picture: equal bytes, or at most `tolerance` of the pixels differ
    (font rasterisation can shift a little between matplotlib patch releases)."""
    if first == second:
        return True
    a = np.asarray(Image.open(io.BytesIO(first)).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(io.BytesIO(second)).convert("RGB"), dtype=np.int16)
    if a.shape != b.shape:
        return False
    differing = np.any(np.abs(a - b) > 8, axis=2).mean()
    return bool(differing <= tolerance)


def picture_texts(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    """(picture, text) for every text drawn on the catalogue's pictures.

    Laid out in the English font: the texts do not depend on it, and the
    Chinese subset may not exist yet (it is cut from these texts)."""
    with rc_context(RC), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the missing glyphs are what we are looking for
        for path, (kind, code) in expected_pictures(catalogue).items():
            build = _point_figure if kind == "point" else _meridian_figure
            name = f"{path.parent.name}/{path.stem}"
            for text in figure_texts(build(code, catalogue)):
                yield name, text


# The progress chart (/progress) draws its words with the same font: its Chinese
# translations, and dates as Babel writes them (12月2日).
CHART_CATALOG = "scheduler.progress_chart.po"
CHART_DATE_CHARACTERS = "0123456789年月日周一二三四五六七"


def chart_characters() -> str:
    """Every character the Chinese progress chart can draw."""
    from content.i18n import language_dir, read_po_file

    path = language_dir("zh") / CHART_CATALOG
    texts = [str(message.string) for message in read_po_file(path, "zh") if message.id]
    return "".join(sorted(set("".join(texts) + CHART_DATE_CHARACTERS) - set(" \n")))


def subset_font(sources: Sequence[Path], catalogue: Catalogue | None = None) -> list[Path]:
    """Cut the Chinese font subset from full Noto Sans CJK SC fonts (a .ttc holding
    the SC face, or an .otf): the characters the Chinese pictures draw, plus
    SUBSET_BASE. One source per weight (Regular, Bold); returns the files written."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    catalogue = catalogue or load_catalogue(language="zh")
    wanted = set(SUBSET_BASE) | set(chart_characters())
    for _, text in picture_texts(catalogue):
        wanted.update(char for char in text if not char.isspace())
    written: list[Path] = []
    for source in sources:
        if source.suffix.lower() in (".ttc", ".otc"):
            faces = TTCollection(str(source)).fonts
            font = next((f for f in faces if f["name"].getDebugName(1) in _SC_FAMILIES), None)
            if font is None:
                raise SystemExit(
                    f"{source}: no Simplified Chinese face ({', '.join(_SC_FAMILIES)})"
                )
        else:
            font = TTFont(str(source))
        weight = "bold" if font["OS/2"].usWeightClass >= 600 else "regular"
        lacking = sorted(char for char in wanted if ord(char) not in font.getBestCmap())
        if lacking:
            raise SystemExit(f"{source}: has no glyph for {''.join(lacking)!r}")
        options = subset.Options()
        options.name_IDs = ["*"]
        options.name_languages = [0x409]
        options.notdef_outline = True
        options.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]
        options.layout_features = ["kern", "liga", "locl", "ccmp", "palt", "halt"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(char) for char in wanted))
        subsetter.subset(font)
        rename_subset(
            font,
            family=CJK_FAMILY,
            weight=weight,
            description="subset of Noto Sans CJK SC for Acubot",
        )
        target = CJK_FONT_FILES[weight]
        target.parent.mkdir(parents=True, exist_ok=True)
        font.recalcTimestamp = False
        font.save(str(target))
        written.append(target)
    _characters.cache_clear()
    return written


_SC_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC")


def _orphans(language: Language, wanted: dict[Path, tuple[str, str]]) -> list[Path]:
    """Committed pictures of a language that the catalogue no longer has."""
    base = PICTURES_DIR if language == "en" else PICTURES_DIR / language
    return [
        path
        for folder in ("points", "meridians")
        for path in sorted((base / folder).glob("*.png"))
        if path not in wanted
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m content.pictures",
        description="Render the point and meridian pictures from placements.yaml, "
        "in every language.",
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if a picture is missing or stale"
    )
    parser.add_argument(
        "--subset-font",
        nargs="+",
        type=Path,
        metavar="SOURCE",
        help="cut the Chinese font subset (content/pictures/fonts/) from the full Noto Sans "
        "CJK SC fonts, Regular and Bold (.ttc or .otf; Debian's fonts-noto-cjk has them), "
        "then render",
    )
    args = parser.parse_args(argv)
    if args.subset_font:
        for path in subset_font(args.subset_font):
            print(f"wrote {_shown(path)} ({path.stat().st_size // 1024} KB)")
    problems: list[str] = []
    count = 0
    for language in LANGUAGES:
        catalogue = load_catalogue(language=language)
        wanted = expected_pictures(catalogue)
        count += len(wanted)
        for path, (kind, code) in wanted.items():
            shown = path.relative_to(PICTURES_DIR.parent)
            try:
                fresh = render(kind, code, catalogue)
            except MissingGlyph as error:
                problems.append(f"cannot draw: {error}")
                continue
            if args.check:
                if not path.exists():
                    problems.append(f"missing: {shown}")
                elif not pictures_match(path.read_bytes(), fresh):
                    problems.append(f"stale: {shown}")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists() or path.read_bytes() != fresh:
                    path.write_bytes(fresh)
                    print(f"wrote {shown}")
        for path in _orphans(language, wanted):
            if args.check:
                problems.append(f"not in the catalogue: {path.relative_to(PICTURES_DIR.parent)}")
            else:
                path.unlink()
                print(f"removed {path.relative_to(PICTURES_DIR.parent)}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print("Run: python -m content.pictures", file=sys.stderr)
        return 1
    if args.check:
        print(f"{count} pictures up to date ({', '.join(LANGUAGES)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
