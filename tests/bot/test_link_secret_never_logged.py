"""LINK_SECRET never reaches a log record, even at DEBUG, even when code logs it by mistake."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.application import build_application, running
from bot.local_api import InProcessBotAPI
from scheduler.programme_codes import BadLinkCode, LinkCode, describe, sign, verify
from tests.conftest import make_settings
from tests.harness import FakeClock, Patient

LINK_SECRET = "Sx7-never-in-a-log-line_0123456789abcdefXYZ"


async def test_link_secret_is_never_logged_at_debug(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("telegram", "apscheduler", "sqlalchemy", "httpx"):
        caplog.set_level(logging.DEBUG, logger=name)
    api, clock = InProcessBotAPI(), FakeClock()
    settings = make_settings(tmp_path / "s.sqlite3", link_secret=LINK_SECRET, log_level="DEBUG")
    app = build_application(settings, request=api, clock=clock, dispatch_interval=None)
    async with running(app):
        patient = Patient(app, api)
        await patient.send("/start")
        await patient.send("/point BL23")
        secret = app.bot_data.link_secret
        code = sign(LinkCode(8, clock() + timedelta(days=14), single_use=True), secret)
        tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
        log = logging.getLogger(__name__)
        # What a /start handler logs about a refused code: the reason and the link id.
        try:
            verify(tampered, secret, clock())
        except BadLinkCode as refused:
            log.info("Refused %s: %s", describe(tampered), refused)
        # Mistakes the redaction still catches: the settings, the secret itself.
        log.debug("settings %r", settings)
        log.debug("secret %s bytes %r", LINK_SECRET, secret)
        log.warning(f"oops {LINK_SECRET}")
    text = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert "Refused a code for link 8: programme link code is forged" in text
    assert any(r.levelno == logging.DEBUG and r.name.startswith("telegram") for r in caplog.records)
    assert text.count("<token>") >= 3  # the three mistakes, redacted
    assert LINK_SECRET not in text
    assert LINK_SECRET[:12] not in text and LINK_SECRET[-12:] not in text
    assert code[8:] not in text and tampered[8:] not in text  # never a code's tag
