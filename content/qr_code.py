"""The QR picture of a programme's link, to print or show on a screen at the visit.

Made with segno. What makes it scan from paper or a phone held at arm's
length: error correction level Q (a quarter of the symbol may be smudged,
folded or glared), the standard quiet zone of 4 modules, black on white, and
whole-pixel modules of at least 8 px (the picture is about 600 px wide, so
Telegram's recompression does not blur module edges together).
"""

from __future__ import annotations

import io

import segno

ERROR_CORRECTION = "q"
QUIET_ZONE_MODULES = 4
MIN_MODULE_PX = 8
# About this wide in all; a larger symbol keeps MIN_MODULE_PX and grows.
TARGET_SIDE_PX = 600


def qr_png(url: str) -> bytes:
    """A PNG of the QR code for `url`: dark on white, with its quiet zone."""
    if not url:
        raise ValueError("nothing to encode")
    # boost_error=False: always level Q, so every picture prints alike.
    symbol = segno.make_qr(url, error=ERROR_CORRECTION, boost_error=False)
    modules, _ = symbol.symbol_size(scale=1, border=QUIET_ZONE_MODULES)
    scale = max(MIN_MODULE_PX, -(-TARGET_SIDE_PX // modules))
    picture = io.BytesIO()
    symbol.save(
        picture,
        kind="png",
        scale=scale,
        border=QUIET_ZONE_MODULES,
        dark="black",
        light="white",
    )
    return picture.getvalue()
