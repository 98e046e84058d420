"""/start, /help and the main menu."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import Translator
from handlers import programme, render
from handlers.admin import staff_role
from handlers.commands import help_text
from handlers.context import AcubotApp, AcubotContext
from handlers.groups import is_private, private_chat_button
from handlers.language import TRADITIONAL_NOTE, store_person
from handlers.reply import reply_html
from handlers.safety import booking_reply
from handlers.update_parts import query_of
from scheduler import callback_data as cb
from scheduler import subscriptions
from storage.database import is_unavailable
from storage.staff import Role


def main_menu(context: AcubotContext) -> InlineKeyboardMarkup:
    """The buttons under /start and /help."""
    settings, tr = context.services.settings, context.tr
    rows = [
        [render.points_button(tr), meridians_button(tr)],
        [reminder_button(tr)],
        [render.safety_button(tr)],
    ]
    book = tr._("📅 Book a visit")
    if settings.booking_url:
        rows[2].append(InlineKeyboardButton(book, url=settings.booking_url))
    elif settings.has_booking_info:  # a phone number or an address: /book shows them
        rows[2].append(InlineKeyboardButton(book, callback_data=cb.encode(cb.MenuButton("book"))))
    return InlineKeyboardMarkup(rows)


def meridians_button(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        tr._("🧭 Meridians"), callback_data=cb.encode(cb.MenuButton("meridians"))
    )


def reminder_button(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        tr._("⏰ Daily reminder"), callback_data=cb.encode(cb.SubscribeButton("begin"))
    )


async def start(update: Update, context: AcubotContext) -> None:
    """Greets, explains the bot, shows the safety notice and the menu."""
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    if not is_private(update):
        await group_start(update, context)
        return
    if context.args:  # a deep link: a practitioner's programme (t.me/<bot>?start=<code>)
        await programme.open_link(update, context, " ".join(context.args))
        return
    resumed = None
    if user and chat:
        # /start always writes: it is how a person who blocked the bot, or
        # deleted their data, says they want to hear from it again.
        async with services.sessions.begin() as session:
            await store_person(session, services, user, chat.id, unblock=True)
            resumed = await subscriptions.resume_after_block(
                session=session, user_id=user.id, now=services.now()
            )
    tr = context.tr
    clinic = escape(context.tr._(services.settings.clinic_name))
    if user:
        hello = tr._(
            "Hello, {name}! 👋 I'm the acupressure helper of {clinic}.",
            name=escape(user.first_name),
            clinic=clinic,
        )
    else:
        hello = tr._("Hello! 👋 I'm the acupressure helper of {clinic}.", clinic=clinic)
    text = (
        hello
        + "\n\n"
        + tr._(
            "I can show you acupressure points that are often used for low back pain: "
            "where each one is, what it is used for and how to press it safely at home."
        )
        + "\n\n"
        + tr._(
            "Try <code>/point UB40</code>, or just type a point's name, such as "
            "<i>weizhong</i> or <i>委中</i>."
        )
        + "\n\n"
        + tr._(
            "I can also send you a daily reminder for a few minutes of home acupressure: /remind."
        )
        + f"\n\n⚠️ {escape(context.catalogue.safety.short_notice)}"
    )
    if resumed:
        text += "\n\n" + tr._("🔔 Welcome back! Your daily reminders are on again.")
    if context.reads_traditional_chinese:
        text += "\n\n" + tr._(TRADITIONAL_NOTE)
    await reply_html(update, context, text, main_menu(context))


async def group_start(update: Update, context: AcubotContext) -> None:
    """/start in a group: what the bot does, nothing stored, personal things in private."""
    tr = context.tr
    clinic = escape(context.tr._(context.services.settings.clinic_name))
    text = (
        tr._("Hello! 👋 I'm the acupressure helper of {clinic}.", clinic=clinic)
        + "\n\n"
        + tr._(
            "Here I can show everyone point cards for low back pain (<code>/point UB40</code>, "
            "/points), the meridians (/meridian) and when to get medical help (/safety)."
        )
        + "\n\n"
        + tr._(
            "Daily reminders, your progress and your data are personal: message me privately "
            "for those."
        )
        + f"\n\n⚠️ {escape(context.catalogue.safety.short_notice)}"
    )
    await reply_html(update, context, text, group_menu(context))


def group_menu(context: AcubotContext) -> InlineKeyboardMarkup:
    """The general buttons, and one that opens a private chat."""
    tr = context.tr
    rows = [
        [render.points_button(tr), meridians_button(tr)],
        [render.safety_button(tr)],
    ]
    private = private_chat_button(context.bot.username, tr)
    if private is not None:
        rows += [list(row) for row in private.inline_keyboard]
    return InlineKeyboardMarkup(rows)


async def help_command(update: Update, context: AcubotContext) -> None:
    """What the bot can do, command by command."""
    user = update.effective_user
    settings = context.services.settings
    role = await _role_for_help(context, user.id) if user is not None else None
    text = help_text(context.tr, role=role, booking=settings.has_booking_info)
    keyboard = main_menu(context) if is_private(update) else group_menu(context)
    await reply_html(update, context, text, keyboard)


async def _role_for_help(context: AcubotContext, user_id: int) -> Role | None:
    # /help answers while the database is away: then it lists the patients' commands
    # (and an owner's, from ADMIN_IDS); staff added in the chat see theirs once it is back.
    if user_id in context.services.settings.admin_ids:
        return Role.OWNER
    if not context.services.gate.available:
        return None
    try:
        return await staff_role(context, user_id)
    except Exception as error:
        if not is_unavailable(error):
            raise
        return None


async def menu_button(update: Update, context: AcubotContext) -> None:
    """The main-menu buttons: points, meridians, safety."""
    query = query_of(update)
    await query.answer()
    catalogue, tr = context.catalogue, context.tr
    button = cb.decode_as(query.data, cb.MenuButton)
    choice = button.choice if button else ""
    if choice == "points":
        text, keyboard = render.points_menu(catalogue, tr)
    elif choice == "meridians":
        text, keyboard = render.meridians_menu(catalogue, tr)
    elif choice == "safety":
        number = context.services.settings.emergency_number
        text, keyboard = render.safety_text(catalogue.safety, number, tr), None
    elif choice == "book":
        text, keyboard = booking_reply(context.services.settings, tr)
    else:
        text = tr._("That button is no longer in use. Send /help to see what I can do.")
        keyboard = None
    await reply_html(update, context, text, keyboard)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CallbackQueryHandler(menu_button, pattern=cb.pattern(cb.MenuButton)))
