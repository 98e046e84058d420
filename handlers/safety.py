"""/safety, /evidence and /book."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler

from content.i18n import Translator
from handlers import render
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html

if TYPE_CHECKING:
    from bot.settings import Settings


async def safety(update: Update, context: AcubotContext) -> None:
    """Red flags, when to see a doctor, and how to press safely."""
    await reply_html(
        update,
        context,
        render.safety_text(
            context.catalogue.safety, context.services.settings.emergency_number, context.tr
        ),
    )


async def evidence(update: Update, context: AcubotContext) -> None:
    """What the research says about acupuncture and acupressure, with sources."""
    await reply_html(update, context, render.evidence_text(context.catalogue.safety, context.tr))


def booking_reply(settings: Settings, tr: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """How to book: the link as a button, and the clinic's phone and address when set."""
    clinic = escape(tr._(settings.clinic_name))
    if not settings.has_booking_info:
        return (
            tr._("Please contact {clinic} directly to make an appointment.", clinic=clinic),
            None,
        )
    lines = [tr._("📅 <b>Book a visit with {clinic}</b>", clinic=clinic)]
    keyboard = None
    if settings.booking_url:
        lines.append(tr._("Tap the button below to book online."))
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(tr._("📅 Book an appointment"), url=settings.booking_url)]]
        )
    if settings.clinic_phone:
        phone = escape(settings.clinic_phone)
        if settings.booking_url:
            lines.append(tr._("📞 Or call us: {phone}", phone=phone))
        else:
            lines.append(tr._("📞 Call us to book: {phone}", phone=phone))
    if settings.clinic_address:
        lines.append(f"📍 {escape(settings.clinic_address)}")
    return "\n".join(lines), keyboard


async def book(update: Update, context: AcubotContext) -> None:
    """The clinic's booking link as a button, its phone number and address."""
    text, keyboard = booking_reply(context.services.settings, context.tr)
    await reply_html(update, context, text, keyboard)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("safety", safety))
    app.add_handler(CommandHandler("evidence", evidence))
    app.add_handler(CommandHandler(["book", "booking"], book))
