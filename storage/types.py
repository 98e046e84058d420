"""Column types shared by the models."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    SQLite has no time zones: we store naive UTC there (so `<=` comparisons
    in SQL stay correct) and hand back aware UTC values. PostgreSQL keeps
    `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# What PostgreSQL refuses in text (NUL) or cannot encode at all (a lone
# surrogate, which SQLite's UTF-8 cannot hold either).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def has_unstorable(text: str) -> bool:
    """Whether `text` holds characters the databases refuse (NUL, lone surrogates)."""
    return _UNSTORABLE.search(text) is not None


def storable(text: str) -> str:
    """`text` without NUL characters, lone surrogates replaced by U+FFFD."""
    return _UNSTORABLE.sub(lambda match: "" if match.group() == "\x00" else "\ufffd", text)


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(str(key)): _storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_json(item) for item in value]
    return value


class CleanString(TypeDecorator[str]):
    """A VARCHAR for text from outside (Telegram, people): never refused for its characters.

    The safety net under the handlers' own checks: NUL is removed and lone
    surrogates replaced, on both databases. `truncate` cuts what is too long
    (for diagnostic text such as Telegram's error descriptions).
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int | None = None, *, truncate: bool = False) -> None:
        super().__init__(length)
        self.truncate = truncate

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        value = storable(value)
        length: int | None = getattr(self.impl, "length", None)
        if self.truncate and length is not None and len(value) > length:
            value = value[: length - 1] + "…"
        return value


class CleanText(TypeDecorator[str]):
    """TEXT for text from outside: NUL removed, lone surrogates replaced."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else storable(value)


class CleanJSON(TypeDecorator[Any]):
    """JSON whose strings are cleaned like CleanText (PostgreSQL's JSON refuses \\u0000)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return _storable_json(value)
