"""/safety, /evidence and /book."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler

from handlers import render
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html


async def safety(update: Update, context: AcubotContext) -> None:
    """Red flags, when to see a doctor, and how to press safely."""
    await reply_html(
        update,
        context,
        render.safety_text(
            context.services.catalogue.safety, context.services.settings.emergency_number
        ),
    )


async def evidence(update: Update, context: AcubotContext) -> None:
    """What the research says about acupuncture and acupressure, with sources."""
    await reply_html(update, context, render.evidence_text(context.services.catalogue.safety))


async def book(update: Update, context: AcubotContext) -> None:
    """The clinic's booking link as a button."""
    settings = context.services.settings
    clinic = escape(settings.clinic_name)
    if not settings.booking_url:
        await reply_html(
            update,
            context,
            f"Online booking is not set up in this bot yet. Please contact {clinic} "
            "directly to make an appointment.",
        )
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("📅 Book an appointment", url=settings.booking_url)]]
    )
    await reply_html(
        update, context, f"Book a visit with {clinic} using the button below.", keyboard
    )


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("safety", safety))
    app.add_handler(CommandHandler("evidence", evidence))
    app.add_handler(CommandHandler(["book", "booking"], book))
