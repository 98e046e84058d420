"""The token must not appear in any log record, even at DEBUG.

The bot talks real HTTP (httpx, which logs request URLs containing the
token) to a loopback Bot API, so this tests what production would log.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.application import build_application, running
from bot.loopback_server import serving
from tests.conftest import make_settings
from tests.harness import Patient

FAKE_TOKEN = "4839574812:AAF-very-secret-token-value-for-tests_x"


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_token_is_never_logged(tmp_path: Path) -> None:
    catcher = Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(catcher)
    root.setLevel(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram", "apscheduler"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        async with serving() as loopback:
            settings = make_settings(
                tmp_path / "t.sqlite3",
                telegram_bot_token=FAKE_TOKEN,
                telegram_api_base_url=loopback.base_url,
                log_level="DEBUG",
            )
            app = build_application(settings)  # the real HTTPXRequest
            async with running(app):
                patient = Patient(app, loopback.api)
                await patient.send("/start")
                await patient.send("/point UB40")
                loopback.api.fail(500, "Internal Server Error", method="sendMessage")
                await patient.send("/point UB23")  # an error with a traceback
    finally:
        root.removeHandler(catcher)
        root.setLevel(old_level)
    joined = "\n".join(catcher.lines)
    assert "HTTP Request: POST" in joined  # httpx did log its URLs...
    assert "sendMessage" in joined
    assert FAKE_TOKEN not in joined  # ...without the token
    assert FAKE_TOKEN.split(":")[1] not in joined
    assert len(loopback.api.sent()) >= 2
