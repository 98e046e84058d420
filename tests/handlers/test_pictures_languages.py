"""Each patient sees the picture labelled in their own language, and the stored Telegram
file ids never hand one language's picture to another."""

from __future__ import annotations

from bot.local_api import BotCall, InProcessBotAPI
from content.catalogue import PICTURES_DIR
from handlers.context import AcubotApp
from tests.harness import Patient


def _photo(api: InProcessBotAPI, calls: list[BotCall]) -> bytes:
    shown = [call for call in calls if call.method == "sendPhoto"][-1]
    return api.file_content(shown)


async def test_point_and_meridian_pictures_follow_the_patients_language(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    english = Patient(app, api, user_id=501, language_code="en")
    spanish = Patient(app, api, user_id=502, language_code="es-MX")
    chinese = Patient(app, api, user_id=503, language_code="zh-CN")
    # Twice each, in turns: the second send reuses a file id, which must be that language's.
    for _ in range(2):
        for patient, folder in ((english, ""), (spanish, "es/"), (chinese, "zh/")):
            calls = await patient.send("/point BL23")
            expected = (PICTURES_DIR / f"{folder}points/BL23.png").read_bytes()
            assert _photo(api, calls) == expected, folder or "en"
            calls = await patient.send("/meridian GB")
            expected = (PICTURES_DIR / f"{folder}meridians/GB.png").read_bytes()
            assert _photo(api, calls) == expected, folder or "en"
    ids = app.bot_data.file_ids
    assert any(key.split("/", 1)[1].startswith("points/BL23.png:") for key in ids)
    assert any(key.split("/", 1)[1].startswith("es/points/BL23.png:") for key in ids)
    assert any(key.split("/", 1)[1].startswith("zh/meridians/GB.png:") for key in ids)
    assert len(set(ids.values())) == len(ids)  # one Telegram photo per language's picture
