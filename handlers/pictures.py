"""Sending catalogue pictures: uploaded once, then reused by Telegram file_id.

The file ids live in memory (loaded at start, `Services.file_ids`) so a card
never waits for the database; a new id is saved to the database beside the
reply, and saved again later if the database was away.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
from datetime import datetime
from pathlib import Path

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, RetryAfter, TelegramError

from content.catalogue import PICTURES_DIR
from handlers.context import AcubotContext, Services
from handlers.reply import reply_html
from handlers.update_parts import chat_of
from scheduler.send_errors import certainly_not_delivered
from storage.database import is_unavailable
from storage.files import save_file_id

log = logging.getLogger(__name__)


@functools.cache
def _picture(path: Path) -> tuple[bytes, str]:
    """The file's bytes and its cache key (where it is + content hash), read once.

    The place is the path under content/pictures/ ("points/BL23.png",
    "es/points/BL23.png"), so each language's picture has its own file id and
    a Spanish card never shows the English picture (nor the other way round).
    """
    data = path.read_bytes()
    try:
        place = path.relative_to(PICTURES_DIR).as_posix()
    except ValueError:
        place = f"{path.parent.name}/{path.name}"
    return data, f"{place}:{hashlib.sha256(data).hexdigest()[:16]}"


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
    file_id = services.file_ids.get(key)
    if file_id is not None:
        try:
            message = await context.bot.send_photo(
                chat_id, file_id, caption=caption, reply_markup=keyboard
            )
        except BadRequest as error:  # the id is no longer valid: upload again
            log.info("Stored file id for %s was refused (%s); uploading again", key, error)
            services.file_ids.pop(key, None)
        else:
            if key in services.unsaved_file_ids:
                _save_beside(context, key, file_id)
            return message
    message = await context.bot.send_photo(
        chat_id,
        InputFile(data, filename=path.name),
        caption=caption,
        reply_markup=keyboard,
    )
    if message.photo:
        services.file_ids[key] = message.photo[-1].file_id
        services.unsaved_file_ids.add(key)
        _save_beside(context, key, message.photo[-1].file_id)
    return message


def _save_beside(context: AcubotContext, key: str, file_id: str) -> None:
    """Saves the id without holding up the reply; kept as unsaved if the database is away."""
    services = context.services
    # One save at a time per picture: the cards sent while it runs would
    # otherwise each start another.
    if services.gate.available and key not in services.saving_file_ids:
        services.saving_file_ids.add(key)
        context.application.create_task(
            _save(services, key, file_id, services.now()), name=f"file-id-{key}"
        )


async def _save(services: Services, key: str, file_id: str, now: datetime) -> None:
    try:
        async with services.sessions.begin() as session:
            await save_file_id(session=session, key=key, file_id=file_id, now=now)
    except Exception as error:
        if not is_unavailable(error):
            log.error("Could not save a picture's file id", exc_info=error)
        return
    finally:
        services.saving_file_ids.discard(key)
    if services.file_ids.get(key) == file_id:
        services.unsaved_file_ids.discard(key)


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
