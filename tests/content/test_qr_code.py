"""The QR picture decodes back to its link and is made to print well."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image

from content.qr_code import qr_png
from scheduler.programme_codes import LinkCode, link_for, sign

SIGNED = sign(LinkCode(4_294_967_295, datetime(2099, 12, 31, tzinfo=UTC), True), b"s" * 32)
LINKS = [
    link_for("acubot_clinic_bot", SIGNED),
    link_for("a" * 29 + "bot", SIGNED),  # the longest username Telegram allows
    link_for("acubot_clinic_bot", "p" + "-_aZ09" * 10 + "xyz"),  # a 64-character parameter
    "https://t.me/b?start=p",
]


def picture(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("L")


@pytest.mark.parametrize("url", LINKS)
def test_decodes_back_to_the_link(url: str) -> None:
    (found,) = zxingcpp.read_barcodes(picture(qr_png(url)))
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == url
    assert found.ec_level == "Q"


def test_the_64_character_parameter_is_really_that_long() -> None:
    assert len(LINKS[2].split("start=", 1)[1]) == 64


@pytest.mark.parametrize("url", LINKS)
def test_prints_well_dark_on_white_big_modules_and_a_quiet_zone(url: str) -> None:
    image = picture(qr_png(url))
    width, height = image.size
    assert width == height >= 400
    assert {colour for _, colour in image.getcolors()} == {0, 255}  # black on white only
    # The top-left finder pattern: its first row is 7 dark modules after the quiet zone.
    rows = [[image.getpixel((x, y)) for x in range(width)] for y in range(height)]
    top = next(y for y, row in enumerate(rows) if 0 in row)
    line = rows[top]
    left = line.index(0)
    run = line[left:].index(255)
    module = run / 7
    assert module == int(module) and module >= 8
    assert left == top == 4 * module  # a quiet zone of 4 modules, top and left
    assert width % module == 0
    quiet = int(4 * module)
    assert all(set(row[-quiet:]) == {255} for row in rows)  # right
    assert all(set(row) == {255} for row in rows[-quiet:])  # bottom


def test_nothing_or_too_much_is_refused() -> None:
    with pytest.raises(ValueError):
        qr_png("")
    with pytest.raises(ValueError):
        qr_png("https://t.me/x?start=" + "a" * 5000)
