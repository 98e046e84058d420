"""Sending catalogue pictures: uploaded once, then reused by Telegram file_id."""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest

from handlers.context import AcubotContext
from handlers.update_parts import chat_of
from storage.files import get_file_id, save_file_id

log = logging.getLogger(__name__)


@functools.cache
def _picture(path: Path) -> tuple[bytes, str]:
    """The file's bytes and its cache key (name + content hash), read once."""
    data = path.read_bytes()
    return data, f"{path.parent.name}/{path.name}:{hashlib.sha256(data).hexdigest()[:16]}"


async def send_picture(
    update: Update,
    context: AcubotContext,
    path: Path,
    caption: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message:
    """A photo with an HTML caption; the first send uploads, later ones reuse the file_id."""
    services = context.services
    data, picture_key = _picture(path)
    # File ids belong to one bot: another bot (a new token, or `acubot chat` on
    # the same database) must neither reuse nor overwrite this bot's ids.
    key = f"{context.bot.id}/{picture_key}"
    chat_id = chat_of(update).id
    async with services.sessions() as session:
        file_id = await get_file_id(session=session, key=key)
    if file_id is not None:
        try:
            return await context.bot.send_photo(
                chat_id, file_id, caption=caption, reply_markup=keyboard
            )
        except BadRequest as error:  # the id is no longer valid: upload again
            log.info("Stored file id for %s was refused (%s); uploading again", key, error)
    message = await context.bot.send_photo(
        chat_id,
        InputFile(data, filename=path.name),
        caption=caption,
        reply_markup=keyboard,
    )
    if message.photo:
        async with services.sessions.begin() as session:
            await save_file_id(
                session=session, key=key, file_id=message.photo[-1].file_id, now=services.now()
            )
    return message
