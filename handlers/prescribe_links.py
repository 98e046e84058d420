"""/programmes, and the deep link and QR picture of a programme (staff only).

/programmes lists programmes newest first with how many patients started
each and follow it now; each has 🔗 New link (one patient or reusable) and
✏️ Edit (the /prescribe questions, prefilled, saved as a new version). A
link is a `programme_links` row named by a signed code
(scheduler/programme_codes.py); only the row's id is ever logged.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator
from content.qr_code import qr_png
from handlers.admin import require_role
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import remove_buttons
from handlers.prescribe_steps import ONE_PATIENT, REUSABLE, ask_title, link_days
from handlers.render import fit
from handlers.reply import reply_html
from handlers.update_parts import chat_of, query_of, sender_of
from scheduler import callback_data as cb
from scheduler.prescription import Draft
from scheduler.programme_codes import LinkCode, link_for, sign
from storage import programmes
from storage.programmes import Link
from storage.staff import Permission

log = logging.getLogger(__name__)

GONE = N_("That programme is no longer there. See /programmes.")
LIST_LIMIT = 20  # programmes shown by /programmes (two buttons each)


def programme_button_for(label: str, action: str, programme_id: int) -> InlineKeyboardButton:
    """A /programmes button: a new link, its kind, or edit."""
    return InlineKeyboardButton(
        label, callback_data=cb.encode(cb.ProgrammeButton(action, programme_id))
    )


def _link_caption(tr: Translator, context: AcubotContext, title: str, link: Link, url: str) -> str:
    zone = context.services.settings.zone
    local = link.expires_at.astimezone(zone)
    who = (
        tr._("🔗 A link for <b>one patient</b> to start “{title}”:", title=escape(title))
        if link.single_use
        else tr._("🔗 A <b>reusable</b> link to start “{title}”:", title=escape(title))
    )
    return "\n".join(
        [
            who,
            url,
            tr._(
                "It can be opened until {date}, {time} ({zone}).",
                date=tr.date(local.date(), "long"),
                time=tr.time(local),
                zone=escape(zone.key),
            ),
            tr._(
                "Print the QR code or show it on a screen; the patient scans it with their phone."
            ),
        ]
    )


async def send_link(
    update: Update, context: AcubotContext, programme_id: int, title: str, link: Link
) -> None:
    """The deep link and its QR picture (caption: the link and until when it works)."""
    code = sign(
        LinkCode(link_id=link.id, expires_at=link.expires_at, single_use=link.single_use),
        context.services.link_secret,
    )
    url = link_for(context.bot.username, code)
    log.info("Programme %s: link %s made by staff %s", programme_id, link.id, link.created_by)
    await context.bot.send_photo(
        chat_id=chat_of(update).id,
        # A named PNG: saved by the staff member's app (and by `acubot chat`) as a picture.
        photo=InputFile(qr_png(url), filename=f"programme-{programme_id}-link-{link.id}.png"),
        caption=_link_caption(context.tr, context, title, link, url),
    )


async def _new_link(
    update: Update, context: AcubotContext, programme_id: int, *, single_use: bool
) -> Link:
    services = context.services
    now = services.now()
    async with services.sessions.begin() as session:
        return await programmes.create_link(
            session=session,
            programme_id=programme_id,
            single_use=single_use,
            expires_at=now + timedelta(days=services.settings.programme_link_days),
            created_by=sender_of(update).id,
            now=now,
        )


async def list_command(update: Update, context: AcubotContext) -> None:
    """/programmes: newest first, with how many started each and follow it now."""
    if not await require_role(update, context, Permission.PROGRAMMES, "/programmes"):
        return
    tr = context.tr
    async with context.services.sessions() as session:
        summaries = await programmes.list_programmes(session=session, limit=LIST_LIMIT)
    if not summaries:
        await reply_html(update, context, tr._("No programmes yet. Write one with /prescribe."))
        return
    lines = [tr._("📋 <b>Home programmes</b>, newest first"), ""]
    rows = []
    for summary in summaries:
        lines.append(
            tr._(
                "<b>#{number} {title}</b> · version {version} · {name}",
                number=tr.number(summary.programme_id),
                title=escape(summary.title),
                version=tr.number(summary.current_version),
                name=escape(summary.practitioner_name),
            )
        )
        lines.append(
            "   "
            + tr.n_("{n} patient started it", "{n} patients started it", summary.started)
            + " · "
            + tr.n_("{n} follows it now", "{n} follow it now", summary.active)
        )
        number = tr.number(summary.programme_id)
        rows.append(
            [
                programme_button_for(
                    tr._("🔗 #{number} New link", number=number), "link", summary.programme_id
                ),
                programme_button_for(
                    tr._("✏️ #{number} Edit", number=number), "edit", summary.programme_id
                ),
            ]
        )
    await reply_html(update, context, fit("\n".join(lines)), InlineKeyboardMarkup(rows))


async def programme_button(update: Update, context: AcubotContext) -> None:
    """/programmes' buttons: a new link (one patient or reusable), or edit as a new version."""
    query = query_of(update)
    if not await require_role(update, context, Permission.PROGRAMMES, "programme button"):
        return
    tr = context.tr
    button = cb.decode_as(query.data, cb.ProgrammeButton)
    if button is None:
        await query.answer(tr._(GONE), show_alert=True)
        return
    async with context.services.sessions() as session:
        record = await programmes.get_version(session=session, programme_id=button.programme_id)
    if record is None:
        await query.answer(tr._(GONE), show_alert=True)
        await remove_buttons(update)
        return
    await query.answer()
    programme_id, title = record.programme_id, record.spec.title
    if button.action == "link":
        keyboard = InlineKeyboardMarkup(
            [
                [programme_button_for(tr._(ONE_PATIENT), "one", programme_id)],
                [programme_button_for(tr._(REUSABLE), "many", programme_id)],
            ]
        )
        text = tr._(
            "🔗 A new link for “{title}” (version {version}). Who is it for? "
            "It can be opened for {days}.",
            title=escape(title),
            version=tr.number(record.version),
            days=link_days(tr, context),
        )
        await reply_html(update, context, text, keyboard)
    elif button.action in {"one", "many"}:
        await remove_buttons(update)
        link = await _new_link(update, context, programme_id, single_use=button.action == "one")
        await send_link(update, context, programme_id, title, link)
    else:  # edit: the /prescribe questions, prefilled with the current version
        await ask_title(update, context, Draft.from_spec(record.spec, programme_id))


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("programmes", list_command))
    app.add_handler(CallbackQueryHandler(programme_button, pattern=cb.pattern(cb.ProgrammeButton)))
