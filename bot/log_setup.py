"""Logging that never contains the bot token.

httpx logs every request URL, and Bot API URLs contain the token
(`/bot<token>/sendMessage`). Redaction happens where each log record is
born (a record factory), so no handler, formatter or test capture ever sees
the token, whichever library logged it.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_secrets: set[str] = set()
_install_lock = threading.Lock()
_installed = False
_exception_formatter = logging.Formatter()


def redact(text: str) -> str:
    """The text with known tokens, and anything shaped like one, replaced."""
    for secret in _secrets:
        text = text.replace(secret, "<token>")
    return _TOKEN_SHAPE.sub("<token>", text)


def protect_token(token: str | None) -> None:
    """Make sure `token` never appears in any log record from now on."""
    global _installed
    if token:
        _secrets.add(token)
    with _install_lock:
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            message = record.getMessage()
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, None
            if record.exc_info and record.exc_info[0] is not None:
                # Tracebacks of HTTP errors can quote the URL too.
                record.exc_text = redact(_exception_formatter.formatException(record.exc_info))
            return record

        logging.setLogRecordFactory(redacting_factory)
        _installed = True


def configure_logging(level: str, token: str | None, *, file: Path | None = None) -> None:
    """Root logging to stderr (or `file`) at `level`, token-redacted, quiet HTTP libraries.

    The file is created only when the first record arrives.
    """
    protect_token(token)
    handler: logging.Handler = (
        logging.FileHandler(file, encoding="utf-8", delay=True)
        if file is not None
        else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Request URLs are noise at INFO; redaction is the safety net, this keeps
    # them out in the first place unless someone asks for DEBUG.
    if level != "DEBUG":
        for noisy in ("httpx", "httpcore", "apscheduler", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        # A long dispatch makes the next tick skip ("maximum number of running
        # instances reached"): expected, by design (max_instances=1), not news.
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
