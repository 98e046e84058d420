"""What the font subsets cut from Noto Sans CJK SC share: their own names.

content/pictures.py cuts the pictures' Chinese subset, content/report_font.py
the /report PDF's; each renames its subset with `rename_subset`.
"""

from __future__ import annotations

from typing import Any


def rename_subset(font: Any, *, family: str, weight: str, description: str) -> None:
    """A subset is a Modified Version (OFL): it gets its own name, so neither it
    nor a full Noto font installed on the machine is ever taken for the other.

    `family` is the subset's family name, `weight` "regular" or "bold", and
    `description` follows the PostScript name in its unique identifier (name ID 3).
    """
    style = "Bold" if weight == "bold" else "Regular"
    postscript = f"{family.replace(' ', '')}-{style}"
    table = font["name"]
    for record in list(table.names):
        if record.nameID in (16, 17, 21, 22):
            table.removeNames(nameID=record.nameID)
    for name_id, value in {
        1: family,
        2: style,
        3: f"{postscript};{description}",
        4: f"{family} {style}",
        6: postscript,
    }.items():
        table.setName(value, name_id, 3, 1, 0x409)
        table.setName(value, name_id, 1, 0, 0)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
