"""Logging that never contains the bot token, nor anything a patient wrote or is.

httpx logs every request URL, and Bot API URLs contain the token
(`/bot<token>/sendMessage`). At DEBUG, python-telegram-bot logs every update
it processes and every Bot API call's parameters and answer: patients' text,
names, usernames, locations. Both are handled where each log record is born
(a record factory), so no handler, formatter or test capture ever sees them,
whichever library logged them: the token is replaced, and Telegram objects
and payloads are reduced to their shape (ids, dates, types and field names
stay; every text, name and coordinate becomes "…").
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from pathlib import Path

_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_secrets: set[str] = set()
_install_lock = threading.Lock()
_installed = False
_exception_formatter = logging.Formatter()


# Values kept when scrubbing a payload: numbers that identify or date things.
_KEPT_NUMBERS = frozenset(
    {"update_id", "message_id", "chat_id", "id", "date", "edit_date", "offset", "length",
     "limit", "timeout", "error_code", "retry_after", "width", "height", "file_size",
     "migrate_to_chat_id", "is_bot", "ok"}
)  # fmt: skip
_KEPT_WORDS = frozenset({"type", "parse_mode", "method"})
_WORD = re.compile(r"[A-Za-z0-9_.\-]{0,64}")
HIDDEN = "…"


def scrub(value: object, depth: int = 0) -> object:
    """A payload with every text, name and coordinate replaced by "…"."""
    if hasattr(value, "to_dict") and callable(value.to_dict):  # a TelegramObject
        try:
            value = value.to_dict()
        except Exception:
            return HIDDEN
    if depth > 12:
        return HIDDEN
    if isinstance(value, dict):
        return {str(key): _scrub_field(str(key), item, depth) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item, depth + 1) for item in value]
    if value is None or isinstance(value, bool):
        return value
    return HIDDEN


def _scrub_field(key: str, value: object, depth: int) -> object:
    if key in _KEPT_NUMBERS and isinstance(value, int):
        return value
    if key in _KEPT_WORDS and isinstance(value, str) and _WORD.fullmatch(value):
        return value
    return scrub(value, depth + 1)


def _scrub_arg(arg: object) -> object:
    """A log argument from python-telegram-bot: method names stay, payloads are scrubbed."""
    if isinstance(arg, str) and _WORD.fullmatch(arg):
        return arg
    if isinstance(arg, int | float) and not isinstance(arg, bool):
        return arg
    return scrub(arg)


def _call_name(arg: object) -> object:
    """`functools.partial(cursor.execute, sql, parameters)` as `execute(…)`."""
    if isinstance(arg, functools.partial):
        return f"{getattr(arg.func, '__name__', 'call')}(…)"
    return arg


def _keep_patients_out(record: logging.LogRecord) -> None:
    """python-telegram-bot's records (updates, call parameters, answers) reduced to their shape."""
    from_ptb = record.name == "telegram" or record.name.startswith("telegram.")
    args = record.args
    if isinstance(args, dict):
        args = (args,)
    if from_ptb:
        if args:
            record.args = tuple(_scrub_arg(arg) for arg in args)
        if not isinstance(record.msg, str):
            record.msg = str(scrub(record.msg))
    elif record.name == "aiosqlite" and args:
        # aiosqlite logs every call at DEBUG with its SQL and bound parameters
        # (a first name, a note, a score): the call's name only.
        record.args = tuple(_call_name(arg) for arg in args)
    elif args and any(hasattr(arg, "to_dict") for arg in args):
        record.args = tuple(scrub(arg) if hasattr(arg, "to_dict") else arg for arg in args)


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
            _keep_patients_out(record)
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
