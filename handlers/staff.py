"""Owners manage the clinic's staff in the chat (/staff); staff read the audit log (/audit).

`/staff` lists everyone with their role. `/staff add <user id>` (or `/staff
add`, then their contact or a message forwarded from them) offers the roles
as buttons; `/staff remove <user id>` asks to confirm. The buttons carry the
user id and the role, so no step is stored for them; each press checks again
that the presser is an owner. Owners from ADMIN_IDS cannot be changed here.
Every change is written to the audit log with it (storage.staff).
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageOriginUser, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator
from handlers.admin import require_role, set_staff_menu
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import Flow, register_flow, save_step, show_step, stop_pending
from handlers.reply import reply_html
from handlers.update_parts import message_of, query_of, sender_of
from scheduler import callback_data as cb
from scheduler.numbers import ascii_int
from storage import staff
from storage.audit import AuditAction, AuditRecord, recent_audit
from storage.pending import PendingRecord
from storage.staff import Permission, Role, StaffChange

log = logging.getLogger(__name__)

FLOW = "staff"
STOPPED = N_("I stopped adding a staff member. Nothing was changed.")
ROLE_NAMES = {
    Role.OWNER: N_("owner"),
    Role.PRACTITIONER: N_("practitioner"),
    Role.FRONT_DESK: N_("front desk"),
}
ROLE_HINTS = {
    Role.OWNER: N_("everything, including adding and removing staff"),
    Role.PRACTITIONER: N_("home programmes, and the progress of patients who share it"),
    Role.FRONT_DESK: N_(
        "broadcasts, the clinic-wide numbers, and visits: /today and patients' answers "
        "to their reminders (no health data)"
    ),
}
USAGE = N_(
    "<code>/staff</code> lists the staff. <code>/staff add 123456789</code> adds someone "
    "by their Telegram user id (or send <code>/staff add</code>, then share their contact "
    "or forward a message from them). <code>/staff remove 123456789</code> removes someone."
)
NOT_AN_ID = N_(
    "That is not a Telegram user id. Send the number, for example "
    "<code>/staff add 123456789</code>, share their contact, or forward a message from them."
)
SETTINGS_OWNER = N_(
    "{user} is an owner from the bot's settings (ADMIN_IDS). That can only be changed in "
    "the settings, not in the chat."
)
MAX_USER_ID = 2**63 - 1


def role_name(tr: Translator, role: Role) -> str:
    return tr._(ROLE_NAMES[role])


def _user_id(text: str) -> int | None:
    number = ascii_int(text.strip(), leading_zeros=False)
    return number if number is not None and 0 < number <= MAX_USER_ID else None


async def staff_command(update: Update, context: AcubotContext) -> None:
    """/staff, /staff add <id>, /staff remove <id>."""
    if not await require_role(update, context, Permission.STAFF, "/staff"):
        return
    tr = context.tr
    words = (context.args or [])[:3]
    match words:
        case []:
            await _list(update, context)
        case ["add"]:
            await save_step(update, context, FLOW, "add", {})
            await reply_html(
                update,
                context,
                tr._(
                    "Who should I add? Send their Telegram user id, share their contact, or "
                    "forward me a message they wrote. /cancel stops."
                ),
            )
        case ["add", number]:
            await _offer_roles(update, context, number)
        case ["remove", number]:
            await _confirm_remove(update, context, number)
        case _:
            await reply_html(update, context, tr._(USAGE))


async def _list(update: Update, context: AcubotContext) -> None:
    tr, services = context.tr, context.services
    async with services.sessions() as session:
        members = await staff.list_staff(session=session, owner_ids=services.settings.admin_ids)
    lines = ["👥 <b>" + tr._("Clinic staff") + "</b>", ""]
    for member in members:
        name = role_name(tr, member.role)
        if member.from_settings:
            lines.append(tr._("• {user}: {role} (from the settings)", user=member.user_id,
                              role=name))  # fmt: skip
        else:
            lines.append(
                tr._(
                    "• {user}: {role}, added by {by} on {date}",
                    user=member.user_id,
                    role=name,
                    by=member.added_by,
                    date=tr.date(member.added_at.astimezone(services.settings.zone).date())
                    if member.added_at
                    else "",
                )
            )
    lines += ["", tr._(USAGE)]
    await reply_html(update, context, "\n".join(lines))


async def _changeable_staff(
    update: Update, context: AcubotContext, number: str
) -> tuple[int, Role | None] | None:
    """The user id in `number` and their role now (None: not on the staff).

    None, after saying why, when `number` is not a user id or names an owner
    from the settings, who cannot be changed in the chat.
    """
    tr, services = context.tr, context.services
    user_id = _user_id(number)
    if user_id is None:
        await reply_html(update, context, tr._(NOT_AN_ID))
        return None
    if user_id in services.settings.admin_ids:
        await reply_html(update, context, tr._(SETTINGS_OWNER, user=user_id))
        return None
    async with services.sessions() as session:
        current = await staff.role_of(
            session=session, user_id=user_id, owner_ids=services.settings.admin_ids
        )
    return user_id, current


async def _offer_roles(update: Update, context: AcubotContext, number: str) -> None:
    tr = context.tr
    member = await _changeable_staff(update, context, number)
    if member is None:
        return
    user_id, current = member
    lines = [tr._("Which role for <b>{user}</b>?", user=user_id)]
    if current is not None:
        lines.append(tr._("Their role now: {role}.", role=role_name(tr, current)))
    lines += ["", *(f"• <b>{role_name(tr, r)}</b>: {tr._(ROLE_HINTS[r])}" for r in Role)]
    rows = [
        [
            InlineKeyboardButton(
                role_name(tr, role).capitalize(),
                callback_data=cb.encode(cb.StaffButton("add", user_id, role)),
            )
        ]
        for role in Role
    ]
    rows.append(
        [InlineKeyboardButton(tr._("✖ Cancel"), callback_data=cb.encode(cb.StaffButton("cancel")))]
    )
    await reply_html(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def _confirm_remove(update: Update, context: AcubotContext, number: str) -> None:
    tr = context.tr
    member = await _changeable_staff(update, context, number)
    if member is None:
        return
    user_id, current = member
    if current is None:
        await reply_html(update, context, tr._("{user} is not on the staff.", user=user_id))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("Yes, remove"), callback_data=cb.encode(cb.StaffButton("rm", user_id))
                ),
                InlineKeyboardButton(
                    tr._("✖ Cancel"), callback_data=cb.encode(cb.StaffButton("cancel"))
                ),
            ]
        ]
    )
    await reply_html(
        update,
        context,
        tr._(
            "Remove <b>{user}</b> ({role}) from the staff? They lose every staff command at once.",
            user=user_id,
            role=role_name(tr, current),
        ),
        keyboard,
    )


async def answer(update: Update, context: AcubotContext, pending: PendingRecord) -> None:
    """After `/staff add`: a typed id, a shared contact or a forwarded message."""
    user = sender_of(update)
    if not await require_role(update, context, Permission.STAFF, "staff add"):
        await stop_pending(context, user.id)
        return
    message = message_of(update)
    tr = context.tr
    origin = message.forward_origin
    if message.contact is not None:
        if message.contact.user_id is None:
            await reply_html(
                update, context, tr._("That contact has no Telegram account I can see.")
            )
            return
        number = str(message.contact.user_id)
    elif isinstance(origin, MessageOriginUser):
        number = str(origin.sender_user.id)
    elif origin is not None:
        await reply_html(
            update,
            context,
            tr._(
                "Their privacy settings hide who wrote that message. Ask them for their "
                "Telegram user id, or share their contact."
            ),
        )
        return
    else:
        number = message.text or ""
    if _user_id(number) is None:
        await reply_html(update, context, tr._(NOT_AN_ID))
        return
    await stop_pending(context, user.id)
    await _offer_roles(update, context, number)


async def staff_button(update: Update, context: AcubotContext) -> None:
    """A role chosen, a removal confirmed, or Cancel: checked again, then stored and audited."""
    query = query_of(update)
    if not await require_role(update, context, Permission.STAFF, "staff button"):
        return
    tr, services = context.tr, context.services
    button = cb.decode_as(query.data, cb.StaffButton)
    if button is None:
        await query.answer(tr._("That button is not valid. Send /staff again."), show_alert=True)
        return
    await query.answer()
    if button.action == "cancel":
        await show_step(update, context, tr._("Nothing was changed."), replace=True)
        return
    owners = services.settings.admin_ids
    actor, now = sender_of(update).id, services.now()
    async with services.sessions.begin() as session:
        if button.action == "add" and button.role is not None:
            change = await staff.add_staff(
                session=session, user_id=button.user_id, role=button.role, added_by=actor,
                owner_ids=owners, now=now,
            )  # fmt: skip
        else:
            change = await staff.remove_staff(
                session=session, user_id=button.user_id, removed_by=actor, owner_ids=owners,
                now=now,
            )  # fmt: skip
    await show_step(update, context, _said(tr, change, button), replace=True)
    if change in {StaffChange.ADDED, StaffChange.CHANGED, StaffChange.REMOVED}:
        log.info("Staff change %s by %s", change.value, actor)
        role = button.role if change is not StaffChange.REMOVED else None
        await set_staff_menu(context.bot, button.user_id, role, owners,
                             booking=services.settings.has_booking_info)  # fmt: skip


def _said(tr: Translator, change: StaffChange, button: cb.StaffButton) -> str:
    user = button.user_id
    role = role_name(tr, button.role) if button.role is not None else ""
    match change:
        case StaffChange.ADDED:
            return tr._("✅ {user} is now on the staff as {role}.", user=user, role=role)
        case StaffChange.CHANGED:
            return tr._("✅ {user}'s role is now {role}.", user=user, role=role)
        case StaffChange.UNCHANGED:
            return tr._("{user} already has that role. Nothing was changed.", user=user)
        case StaffChange.REMOVED:
            return tr._("✅ {user} is no longer on the staff.", user=user)
        case StaffChange.NOT_STAFF:
            return tr._("{user} is not on the staff. Nothing was changed.", user=user)
        case StaffChange.SETTINGS_OWNER:
            return tr._(SETTINGS_OWNER, user=user)


ACTION_NAMES = {
    AuditAction.STAFF_ADDED: N_("added to the staff"),
    AuditAction.STAFF_REMOVED: N_("removed from the staff"),
    AuditAction.ROLE_CHANGED: N_("role changed"),
    AuditAction.VIEWED_PATIENT_LIST: N_("saw the patient in /patients"),
    AuditAction.VIEWED_PATIENT: N_("viewed the patient's progress"),
    AuditAction.PATIENT_REPORT: N_("made the patient's report"),
}


async def audit_command(update: Update, context: AcubotContext) -> None:
    """/audit: the last 30 rows: who, when (clinic time), what, which patient."""
    if not await require_role(update, context, Permission.AUDIT, "/audit"):
        return
    tr, services = context.tr, context.services
    async with services.sessions() as session:
        rows = await recent_audit(session=session)
    if not rows:
        await reply_html(update, context, tr._("The audit log is empty."))
        return
    zone = services.settings.zone
    lines = [
        "🧾 <b>" + tr._("Audit log, newest first") + "</b>",
        "<i>" + tr._("Times in {zone}.", zone=escape(zone.key)) + "</i>",
        "",
    ]
    lines += [_audit_line(tr, row, zone) for row in rows]
    await reply_html(update, context, "\n".join(lines))


def _audit_line(tr: Translator, row: AuditRecord, zone: Any) -> str:
    local = row.at.astimezone(zone)
    when = f"{tr.date(local.date(), 'short')} {tr.time(local)}"
    try:
        action = tr._(ACTION_NAMES[AuditAction(row.action)])
    except ValueError:  # written by a newer version of the bot
        action = escape(row.action)
    parts = [when, tr._("staff {user}", user=row.actor_id), action]
    if row.patient_id is not None:
        parts.append(tr._("patient {user}", user=row.patient_id))
    if row.detail and row.action in {a.value for a in ROLE_CHANGES}:
        target, _, role = row.detail.partition(":")
        shown = role_name(tr, Role(role)) if role in set(Role) else escape(role)
        parts.append(tr._("{user} ({role})", user=escape(target), role=shown))
    return " · ".join(parts)


ROLE_CHANGES = (AuditAction.STAFF_ADDED, AuditAction.STAFF_REMOVED, AuditAction.ROLE_CHANGED)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("staff", staff_command))
    app.add_handler(CommandHandler("audit", audit_command))
    app.add_handler(CallbackQueryHandler(staff_button, pattern=cb.pattern(cb.StaffButton)))
    register_flow(app, Flow(FLOW, answer, STOPPED, frozenset({"staff"})))
