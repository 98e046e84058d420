"""The Chinese font of the /report PDF: a TrueType subset of Noto Sans CJK SC.

The pictures' Chinese subset (content/pictures/fonts) holds the pictures'
and the chart's words, not the report's, and its outlines are CFF: fpdf2
embeds those, but the text read back from such a PDF comes out with stray
NUL characters, so a patient's copy-paste (and our tests) would get garbage.
This subset is cut from the full font with fontTools, like content/pictures.py
cuts its own, to the characters of the report's Chinese translations
(catalog scheduler.visit_report.po, and the chart label it shares), the clinic's default name, the
characters Babel writes Chinese dates with, and ASCII; its cubic outlines are
turned into TrueType's quadratic ones. When a Chinese report string changes,
cut it again (tests/content/test_report_font.py fails until then):

    python -m content.report_font NotoSansCJK-Regular.ttc NotoSansCJK-Bold.ttc

(Debian's fonts-noto-cjk has the .ttc files: `apt-get download fonts-noto-cjk`
and `dpkg-deb -x` it if it is not installed.) Text a practitioner typed (a
programme's title) is not in the catalogs: Chinese characters outside the
subset in it would print as empty boxes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from content.font_subset import rename_subset

FONTS_DIR = Path(__file__).with_name("fonts")
REPORT_FAMILY = "Acubot Noto Sans SC Report"
REPORT_FONT_FILES = {
    "regular": FONTS_DIR / "AcubotNotoSansSCReport-Regular.ttf",
    "bold": FONTS_DIR / "AcubotNotoSansSCReport-Bold.ttf",
}
REPORT_CATALOGS = ("scheduler.visit_report.po", "scheduler.progress_chart.po", "bot.settings.po")
# Babel's Chinese dates and numbers ("2026年12月2日", "75%"), and punctuation.
DATE_CHARACTERS = "0123456789年月日周一二三四五六七%"
BASE_CHARACTERS = (
    "".join(chr(c) for c in range(0x20, 0x7F)) + "\u00a0·–—‘’“”…、。，：；？！（）【】《》「」～"
)
_SC_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC")


def report_characters() -> str:
    """Every character the Chinese report's own words can use."""
    from content.i18n import language_dir, read_po_file

    texts: list[str] = []
    for name in REPORT_CATALOGS:
        path = language_dir("zh") / name
        if path.is_file():
            texts += [str(message.string) for message in read_po_file(path, "zh") if message.id]
    wanted = set("".join(texts) + DATE_CHARACTERS + BASE_CHARACTERS) - set("\n\t")
    return "".join(sorted(wanted))


def font_characters(path: Path) -> frozenset[str]:
    """The characters a font file has glyphs for."""
    from fontTools.ttLib import TTFont

    return frozenset(chr(code) for code in TTFont(str(path)).getBestCmap())


def cut_report_font(sources: Sequence[Path]) -> list[Path]:
    """Cuts the subset from full Noto Sans CJK SC fonts (one per weight); returns the files."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    wanted = report_characters()
    written: list[Path] = []
    for source in sources:
        if source.suffix.lower() in (".ttc", ".otc"):
            faces = TTCollection(str(source)).fonts
            font = next((f for f in faces if f["name"].getDebugName(1) in _SC_FAMILIES), None)
            if font is None:
                raise SystemExit(f"{source}: no Simplified Chinese face")
        else:
            font = TTFont(str(source))
        lacking = sorted(char for char in wanted if ord(char) not in font.getBestCmap())
        if lacking:
            raise SystemExit(f"{source}: has no glyph for {''.join(lacking)!r}")
        weight = "bold" if font["OS/2"].usWeightClass >= 600 else "regular"
        options = subset.Options()
        options.name_IDs = ["*"]
        options.name_languages = [0x409]
        options.notdef_outline = True
        options.drop_tables += ["vhea", "vmtx", "VORG", "BASE", "GPOS", "GSUB"]
        options.layout_features = []
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(char) for char in wanted))
        subsetter.subset(font)
        if "CFF " in font:
            _to_truetype(font)
        rename_subset(
            font,
            family=REPORT_FAMILY,
            weight=weight,
            description="subset of Noto Sans CJK SC for Acubot's report",
        )
        target = REPORT_FONT_FILES[weight]
        target.parent.mkdir(parents=True, exist_ok=True)
        font.recalcTimestamp = False
        font.save(str(target))
        written.append(target)
    return written


def _to_truetype(font: Any) -> None:
    """CFF (cubic) outlines to glyf (quadratic), as fontTools' otf2ttf snippet does."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        advance = hmtx.metrics[name][0]
        hmtx.metrics[name] = (advance, getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m content.report_font",
        description="Cut the /report PDF's Chinese font subset (content/fonts/) from the full "
        "Noto Sans CJK SC fonts, Regular and Bold (.ttc or .otf).",
    )
    parser.add_argument("fonts", nargs="+", type=Path)
    for path in cut_report_font(parser.parse_args(argv).fonts):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
