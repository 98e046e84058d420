"""Sending catalogue pictures: uploaded once, then reused by Telegram file_id."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
from pathlib import Path

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, RetryAfter, TelegramError

from handlers.context import AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import chat_of
from scheduler.send_errors import certainly_not_delivered
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
    data, key = _picture(path)
    chat_id = chat_of(update).id
    # Telegram's file ids do not expire: once known, kept in memory (no database read).
    file_id = services.file_ids.get(key)
    if file_id is None:
        async with services.sessions() as session:
            file_id = await get_file_id(session=session, key=key)
    if file_id is not None:
        try:
            sent = await context.bot.send_photo(
                chat_id, file_id, caption=caption, reply_markup=keyboard
            )
            services.file_ids[key] = file_id
            return sent
        except BadRequest as error:  # the id is no longer valid: upload again
            log.info("Stored file id for %s was refused (%s); uploading again", key, error)
            services.file_ids.pop(key, None)
    message = await context.bot.send_photo(
        chat_id,
        InputFile(data, filename=path.name),
        caption=caption,
        reply_markup=keyboard,
    )
    if message.photo:
        services.file_ids[key] = message.photo[-1].file_id
        async with services.sessions.begin() as session:
            await save_file_id(
                session=session, key=key, file_id=message.photo[-1].file_id, now=services.now()
            )
    return message


async def send_card(
    update: Update,
    context: AcubotContext,
    path: Path,
    caption: str,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """A picture card: the photo, then its text with the buttons; both arrive, or neither.

    If the text fails in a way that surely did not deliver it (after the
    limiter's own retry), the lone photo is taken back and the whole card is
    sent again once, so a patient never keeps half a card.
    """
    for attempt in (1, 2):
        photo = await send_picture(update, context, path, caption)
        try:
            await reply_html(update, context, text, keyboard)
            return
        except TelegramError as error:
            retriable = isinstance(error, RetryAfter) or certainly_not_delivered(error)
            if attempt == 2 or not retriable:
                raise
            log.info("A card's text failed (%s); sending the whole card again", error)
            with contextlib.suppress(TelegramError):
                await context.bot.delete_message(photo.chat_id, photo.message_id)
