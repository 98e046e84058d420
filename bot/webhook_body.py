"""What a webhook body must look like before it becomes an Update.

Telegram sends well-formed JSON of a known shape; anything else (not JSON,
nested deeper than any update, strings no database can store, a field of the
wrong type) is refused with 400 before anything is processed, rather than
crashing a handler later or answering 500 (which Telegram would retry).
Only the fields the bot reads are checked; unknown fields are allowed, as
Telegram adds new ones.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

# Updates nest a few levels (a callback's message, its keyboard, a reply);
# far deeper is never Telegram.
MAX_DEPTH = 32
MAX_NODES = 50_000


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _User(_Shape):
    id: StrictInt
    is_bot: StrictBool
    first_name: StrictStr
    last_name: StrictStr | None = None
    username: StrictStr | None = None
    language_code: StrictStr | None = None


class _Chat(_Shape):
    id: StrictInt
    type: StrictStr


class _Entity(_Shape):
    type: StrictStr
    offset: StrictInt
    length: StrictInt


Coordinate = Annotated[float, Field(allow_inf_nan=False)]


class _Location(_Shape):
    latitude: Annotated[Coordinate, Field(ge=-90, le=90)]
    longitude: Annotated[Coordinate, Field(ge=-180, le=180)]


class _PhotoSize(_Shape):
    file_id: StrictStr
    file_unique_id: StrictStr
    width: StrictInt
    height: StrictInt


class _Message(_Shape):
    message_id: StrictInt
    date: StrictInt
    chat: _Chat
    from_: _User | None = Field(default=None, alias="from")
    text: StrictStr | None = None
    caption: StrictStr | None = None
    entities: list[_Entity] | None = None
    caption_entities: list[_Entity] | None = None
    location: _Location | None = None
    photo: list[_PhotoSize] | None = None
    reply_to_message: _Message | None = None


class _CallbackQuery(_Shape):
    id: StrictStr
    from_: _User = Field(alias="from")
    chat_instance: StrictStr
    data: StrictStr | None = None
    message: _Message | None = None


class _Update(_Shape):
    update_id: StrictInt
    message: _Message | None = None
    edited_message: _Message | None = None
    callback_query: _CallbackQuery | None = None


def _shape_problem(data: Any) -> str | None:
    """Why a parsed body cannot be an update's JSON: too deep, too big, bad text."""
    todo: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while todo:
        value, depth = todo.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            return "nested too deeply"
        if nodes > MAX_NODES:
            return "too many values"
        if isinstance(value, str):
            if "\x00" in value:
                return "a NUL character"
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "a lone surrogate"
        elif isinstance(value, dict):
            todo += [(key, depth + 1) for key in value]
            todo += [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            todo += [(item, depth + 1) for item in value]
    return None


def update_data(body: bytes) -> dict[str, Any] | None:
    """The body as an update's JSON object, or None when it cannot be one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON (or not UTF-8), or nested past Python's limit
        return None
    if not isinstance(data, dict) or _shape_problem(data) is not None:
        return None
    try:
        _Update.model_validate(data)
    except ValidationError:
        return None
    return data
