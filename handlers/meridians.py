"""/meridian and the meridian buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.schema import Meridian
from handlers import render
from handlers.context import AcubotApp, AcubotContext
from handlers.pictures import send_card
from handlers.reply import reply_html
from handlers.update_parts import query_of
from scheduler import callback_data as cb


async def send_meridian(update: Update, context: AcubotContext, meridian: Meridian) -> None:
    """The channel's course drawn with its points, then its card and point buttons."""
    catalogue, tr = context.catalogue, context.tr
    meridian = catalogue.meridian(meridian.code) or meridian  # in the patient's language
    text, keyboard = render.meridian_card(meridian, catalogue, tr)
    await send_card(
        update,
        context,
        catalogue.meridian_picture_path(meridian.code),  # labelled in their language
        render.meridian_caption(meridian, tr),
        text,
        keyboard,
    )


async def send_channel(update: Update, context: AcubotContext, code: str) -> None:
    """A described meridian with its picture, or a short card for a channel with a few points."""
    catalogue = context.catalogue
    meridian = catalogue.meridian(code)
    if meridian is not None:
        await send_meridian(update, context, meridian)
        return
    text, keyboard = render.channel_card(code, catalogue, context.tr)
    await reply_html(update, context, text, keyboard)


async def meridian_command(update: Update, context: AcubotContext) -> None:
    """`/meridian BL`: the meridian and its points; no argument: the list."""
    services, tr = context.services, context.tr
    query = " ".join(context.args or []).strip()
    if not query:
        text, keyboard = render.meridians_menu(context.catalogue, tr)
        await reply_html(update, context, text, keyboard)
        return
    code = services.index.find_channel(query)
    if code:
        await send_channel(update, context, code)
        return
    text, keyboard = render.meridians_menu(context.catalogue, tr)
    not_one = tr._("“{query}” is not one of the meridians I describe.", query=render.short(query))
    await reply_html(update, context, f"{not_one}\n\n{text}", keyboard)


async def meridian_button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    button = cb.decode_as(query.data, cb.MeridianButton)
    code = button.code if button else ""
    catalogue = context.services.catalogue
    if catalogue.meridian(code) is None and not catalogue.points_on(code):
        await query.answer(
            context.tr._("That meridian is no longer in the catalogue."), show_alert=True
        )
        return
    await query.answer()
    await send_channel(update, context, code)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler(["meridian", "meridians"], meridian_command))
    app.add_handler(CallbackQueryHandler(meridian_button, pattern=cb.pattern(cb.MeridianButton)))
