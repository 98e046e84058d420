"""The /report PDF's Chinese font has every character its Chinese words use."""

from __future__ import annotations

import pytest

from content.report_font import REPORT_FONT_FILES, font_characters, report_characters


@pytest.mark.parametrize("weight", sorted(REPORT_FONT_FILES))
def test_the_chinese_report_font_has_every_character(weight: str) -> None:
    path = REPORT_FONT_FILES[weight]
    assert path.is_file(), (
        f"{path} is missing: python -m content.report_font ... (see its docstring)"
    )
    lacking = sorted(set(report_characters()) - font_characters(path))
    assert not lacking, (
        f"{path.name} lacks {''.join(lacking)!r}: a Chinese report string changed; cut the "
        "subset again with `python -m content.report_font NotoSansCJK-Regular.ttc "
        "NotoSansCJK-Bold.ttc`"
    )


def test_the_report_font_is_truetype_and_renamed() -> None:
    """TrueType outlines (a CFF font's text does not read back cleanly), under its own name."""
    from fontTools.ttLib import TTFont

    for path in REPORT_FONT_FILES.values():
        font = TTFont(str(path))
        assert "glyf" in font and "CFF " not in font
        assert font["name"].getDebugName(1) == "Acubot Noto Sans SC Report"
