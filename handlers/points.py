"""/point, /points, point buttons, and point names typed as free text."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.lookup import MAX_QUERY_LENGTH
from content.schema import Point
from handlers import render
from handlers.context import AcubotApp, AcubotContext
from handlers.meridians import send_channel
from handlers.pictures import send_card
from handlers.reply import reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from storage.database import is_unavailable


async def send_point_card(update: Update, context: AcubotContext, point: Point) -> None:
    """The picture with where to find the point, then the rest of the card and its buttons."""
    services = context.services
    catalogue, tr = context.catalogue, context.tr
    point = catalogue.point(point.code) or point  # the card in the patient's language
    # The caution leads the card while pregnancy is on: such a card is rendered
    # for that patient; every other card is rendered once per point (the
    # catalogue does not change while running).
    parts: tuple[Any, str, str, Any] | None
    if point.pregnancy_caution and await _pregnant(update, context):
        parts = (
            catalogue.point_picture_path(point.code),
            render.point_caption(point, catalogue, tr, pregnant=True),
            render.point_details(point, catalogue, tr, pregnant=True),
            render.point_keyboard(point, catalogue, tr),
        )
    elif (parts := services.cards.get((point.code, context.language))) is None:
        parts = services.cards[point.code, context.language] = (
            catalogue.point_picture_path(point.code),
            render.point_caption(point, catalogue, tr),
            render.point_details(point, catalogue, tr),
            render.point_keyboard(point, catalogue, tr),
        )
    await send_card(update, context, *parts)


async def _pregnant(update: Update, context: AcubotContext) -> bool:
    """The patient's pregnancy flag, from the process's `PregnantSet` (read at most once a
    second for everyone); while the database is away, assumed on (safety first)."""
    services = context.services
    known = services.pregnant

    async def read() -> None:
        async with services.sessions() as session:
            await known.refresh(session=session)

    try:
        await known.refresh_if_due(read)
    except Exception as error:
        if not is_unavailable(error):
            raise
        return True  # a card must not wait for the database: lead with the caution
    return sender_of(update).id in known


async def send_points_menu(update: Update, context: AcubotContext) -> None:
    text, keyboard = render.points_menu(context.catalogue, context.tr)
    await reply_html(update, context, text, keyboard)


async def point_command(update: Update, context: AcubotContext) -> None:
    """`/point UB40`: the card; no argument: the menu; unknown: suggestions."""
    query = " ".join(context.args or []).strip()
    if not query:
        await send_points_menu(update, context)
        return
    if len(query) > MAX_QUERY_LENGTH:
        await reply_html(
            update,
            context,
            context.tr._(
                "That is longer than any point name I know. Try a code such as "
                "<code>/point BL40</code> or a name such as <code>/point weizhong</code>."
            ),
        )
        return
    index = context.services.index
    match = index.find(query)
    if match.point:
        await send_point_card(update, context, match.point)
    elif channel := index.find_channel(query):
        # "/point BL": the Bladder meridian's points, not three look-alike names.
        await send_channel(update, context, channel)
    elif avoided := context.services.own_words.avoided_point(query):
        await reply_html(
            update, context, render.avoided_point_text(avoided, context.catalogue, context.tr)
        )
    else:
        await send_not_found(update, context, query, match.suggestions)


async def send_not_found(
    update: Update, context: AcubotContext, query: str, suggestions: tuple[Point, ...]
) -> None:
    tr = context.tr
    text = tr._("“{query}” is not in our catalogue of points.", query=render.short(query))
    keyboard = None
    if suggestions:
        text += "\n" + tr._("Did you mean one of these?")
        keyboard = render.suggestions_keyboard(
            [context.catalogue.point(p.code) or p for p in suggestions]
        )
    else:
        text += "\n" + tr._("Send /points to browse them all.")
    await reply_html(update, context, text, keyboard)


async def point_button(update: Update, context: AcubotContext) -> None:
    """A point button from a menu, a suggestion or a meridian."""
    query = query_of(update)
    button = cb.decode_as(query.data, cb.PointButton)
    point = context.services.catalogue.point(button.code) if button else None
    if point is None:
        await query.answer(
            context.tr._("That point is no longer in the catalogue."), show_alert=True
        )
        return
    await query.answer()
    await send_point_card(update, context, point)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("point", point_command))
    app.add_handler(CommandHandler("points", send_points_menu))
    app.add_handler(CallbackQueryHandler(point_button, pattern=cb.pattern(cb.PointButton)))
