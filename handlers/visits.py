"""Entering a visit at the clinic: /visit, by the patient or by staff for a patient.

A patient types the day and time of a visit (in their own zone: their
reminder's, else the clinic's), sees it back in words and saves it; the
reminders (scheduler.visit_reminders) come the day before and a few hours
before. Staff whose role allows visits enter one for a patient who has
started the bot (/visit <user id>, or a recent patient's button), in clinic
time; the patient is told and asked to confirm. Answers, /visits and
/today: handlers.visit_answers.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, translator
from content.languages import language_from_tag
from handlers.admin import require_role, staff_role
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import (
    Flow,
    pending_for_button,
    register_flow,
    save_step,
    show_step,
    stop_pending,
)
from handlers.reply import edit_or_reply, reply_html
from handlers.update_parts import message_of, query_of, sender_of
from handlers.visit_answers import GONE, clinic_name, send_calendar
from scheduler import callback_data as cb
from scheduler import patient_days, visit_message
from scheduler.numbers import ascii_int
from scheduler.time_input import zone_label
from scheduler.visit_rules import (
    VISIT_EMPTY,
    VISIT_IN_GAP,
    VISIT_UNREADABLE,
    PlannedReminder,
    parse_visit_time,
    reminder_plan,
    visit_mention,
)
from storage import reminders, users, visits
from storage.pending import PendingRecord
from storage.staff import Permission, allows, list_staff
from storage.visits import VisitRecord

log = logging.getLogger(__name__)

FLOW = "visit"
STOPPED = N_("I stopped entering a visit. Nothing was saved.")
EXPIRED = N_("That question has expired. Send /visit to enter a visit.")
NOT_STARTED = N_(
    "User {user} has not started the bot (or has deleted their data), so I cannot tell "
    "them about a visit. Ask them to send /start first."
)
EXAMPLES = N_("like <i>friday 3pm</i>, <i>tomorrow 15:00</i> or <i>2027-03-15 15:00</i>")
RECENT_PATIENTS = 8
MAX_USER_ID = 2**63 - 1


async def _zone_of(context: AcubotContext, user_id: int) -> ZoneInfo:
    """A patient's zone: their reminder's, else the clinic's."""
    async with context.services.sessions() as session:
        sub = await reminders.get_subscription(session=session, user_id=user_id)
    return patient_days.patient_zone(sub, context.services.settings.clinic_timezone)


# ---------------------------------------------------------------------------
# Entering a visit
# ---------------------------------------------------------------------------


async def visit_command(update: Update, context: AcubotContext) -> None:
    """/visit: the patient's own visit; staff: /visit <user id>, or recent patients' buttons."""
    sender = sender_of(update)
    settings = context.services.settings
    role = await staff_role(context, sender.id)
    args = context.args or []
    if not allows(role, Permission.VISITS):
        await _ask_when(update, context, None)
        return
    if args:
        number = ascii_int(args[0].strip(), leading_zeros=False)
        if number is None or not 0 < number <= MAX_USER_ID:
            await reply_html(
                update,
                context,
                context.tr._(
                    "That is not a Telegram user id. Send, for example, "
                    "<code>/visit 123456789</code>."
                ),
            )
            return
        await _for_patient(update, context, number)
        return
    async with context.services.sessions() as session:
        members = await list_staff(session=session, owner_ids=settings.admin_ids)
        # Staff are seen often too: ask for enough to fill the list with patients.
        recent = await visits.recent_patients(
            session=session, limit=RECENT_PATIENTS + len(members) + 1
        )
    staff_ids = {member.user_id for member in members}
    tr = context.tr
    rows = [
        [
            InlineKeyboardButton(
                name or tr._("patient {user}", user=user_id),
                callback_data=cb.encode(cb.VisitPatientButton(user_id)),
            )
        ]
        for user_id, name in recent
        if user_id != sender.id and user_id not in staff_ids
    ][:RECENT_PATIENTS]
    rows.append(
        [
            InlineKeyboardButton(
                tr._("🙋 A visit of my own"),
                callback_data=cb.encode(cb.VisitPatientButton(sender.id)),
            )
        ]
    )
    await reply_html(
        update,
        context,
        tr._(
            "Whose visit is it? Choose a patient who used the bot recently, or send "
            "<code>/visit 123456789</code> with their Telegram user id."
        ),
        InlineKeyboardMarkup(rows),
    )


async def on_patient_button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    button = cb.decode_as(query.data, cb.VisitPatientButton)
    sender = sender_of(update)
    if button is None:
        await query.answer(context.tr._(GONE), show_alert=True)
        return
    if button.user_id == sender.id:
        await query.answer()
        await _ask_when(update, context, None)
        return
    if not await require_role(update, context, Permission.VISITS, "visit for a patient"):
        return
    await query.answer()
    await _for_patient(update, context, button.user_id)


async def _for_patient(update: Update, context: AcubotContext, patient_id: int) -> None:
    async with context.services.sessions() as session:
        known = await users.get_user(session=session, user_id=patient_id)
    if known is None:
        await reply_html(update, context, context.tr._(NOT_STARTED, user=patient_id))
        return
    await _ask_when(update, context, patient_id)


async def _ask_when(update: Update, context: AcubotContext, patient_id: int | None) -> None:
    tr = context.tr
    await save_step(update, context, FLOW, "when", {"for": patient_id})
    if patient_id is None:
        zone = await _zone_of(context, sender_of(update).id)
        text = tr._(
            "🗓 When is your visit? Type the day and time, {examples}. Your time zone: {zone}. "
            "/cancel stops.",
            examples=tr._(EXAMPLES),
            zone=zone_label(str(zone)),
        )
    else:
        text = tr._(
            "🗓 When is the visit of patient {user}? Type the day and time in clinic time "
            "({zone}), {examples}. /cancel stops.",
            user=patient_id,
            zone=zone_label(context.services.settings.clinic_timezone),
            examples=tr._(EXAMPLES),
        )
    await show_step(update, context, text, replace=update.callback_query is not None)


async def answer(update: Update, context: AcubotContext, pending: PendingRecord) -> None:
    """The typed day and time (at either step: a new time replaces the one shown)."""
    await _read_time(update, context, pending.data.get("for"), message_of(update).text or "")


async def visit_in_own_words(update: Update, context: AcubotContext, text: str) -> bool:
    """ "My next appointment is friday 3pm": /visit with that time read; False if it is none.

    The day and time must at least look like one (a past or impossible one is
    then answered as in /visit); anything else is left to the own-words matcher.
    """
    said = visit_mention(text)
    if said is None:
        return False
    zone = await _zone_of(context, sender_of(update).id)
    parsed = parse_visit_time(said, zone, context.services.now())
    if parsed.problem in (VISIT_UNREADABLE, VISIT_EMPTY):
        return False
    await save_step(update, context, FLOW, "when", {"for": None})
    await _read_time(update, context, None, said)
    return True


async def _read_time(
    update: Update, context: AcubotContext, patient_id: int | None, typed: str
) -> None:
    tr, services = context.tr, context.services
    if patient_id is None:
        zone = await _zone_of(context, sender_of(update).id)
    else:
        zone = services.settings.zone  # staff type clinic time
    parsed = parse_visit_time(typed, zone, services.now())
    if parsed.starts_at is None:
        assert parsed.problem is not None
        if parsed.problem == VISIT_IN_GAP and parsed.suggestion is not None:
            text = tr._(VISIT_IN_GAP, suggestion=visit_message.when(tr, parsed.suggestion, zone))
        else:
            text = tr._(parsed.problem)
        await reply_html(update, context, text)
        return
    await save_step(
        update, context, FLOW, "confirm", {"for": patient_id, "at": parsed.starts_at.isoformat()}
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("✅ Save it"), callback_data=cb.encode(cb.VisitEntryButton("save"))
                ),
                InlineKeyboardButton(
                    tr._("✏️ Change it"), callback_data=cb.encode(cb.VisitEntryButton("again"))
                ),
            ]
        ]
    )
    await reply_html(
        update,
        context,
        tr._(
            "The visit: <b>{when}</b> ({zone}). Shall I save it?",
            when=visit_message.when(tr, parsed.starts_at, zone),
            zone=zone_label(str(zone)),
        ),
        keyboard,
    )


async def on_entry_button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    button = cb.decode_as(query.data, cb.VisitEntryButton)
    if button is None:
        await query.answer(context.tr._(EXPIRED), show_alert=True)
        return
    pending = await pending_for_button(update, context, FLOW, EXPIRED)
    if pending is None:
        return
    patient_id = pending.data.get("for")
    if patient_id is not None and not await require_role(
        update, context, Permission.VISITS, "visit for a patient"
    ):
        return
    if button.action == "again" or pending.step != "confirm":
        await _ask_when(update, context, patient_id)
        return
    await _save(update, context, pending)


async def _save(update: Update, context: AcubotContext, pending: PendingRecord) -> None:
    services, tr = context.services, context.tr
    settings = services.settings
    sender = sender_of(update)
    staff_entered = pending.data.get("for") is not None
    patient_id: int = pending.data["for"] if staff_entered else sender.id
    starts_at = datetime.fromisoformat(pending.data["at"])
    zone = await _zone_of(context, patient_id)
    now = services.now()
    if starts_at <= now:
        await stop_pending(context, sender.id)
        await edit_or_reply(update, context, tr._("That time has passed meanwhile. /visit"))
        return
    plan = reminder_plan(
        starts_at,
        zone,
        day_before_at=settings.visit_reminder_day_before_at,
        lead=settings.visit_reminder_lead,
        now=now,
    )
    async with services.sessions.begin() as session:
        if staff_entered:
            if await users.get_user(session=session, user_id=patient_id) is None:
                visit = None
            else:
                visit = await _create(
                    session, patient_id, starts_at, zone, sender.id, None, plan, now
                )
        else:
            await users.record_user_seen(
                session=session,
                user_id=sender.id,
                chat_id=sender.id,
                language_code=sender.language_code,
                now=now,
            )
            visit = await _create(
                session, sender.id, starts_at, zone, sender.id, sender.first_name, plan, now
            )
    await stop_pending(context, sender.id)
    if visit is None:
        await edit_or_reply(update, context, tr._(NOT_STARTED, user=patient_id))
        return
    if staff_entered:
        await _tell_patient(update, context, visit)
        return
    await edit_or_reply(
        update,
        context,
        tr._(
            "✅ Saved: your visit on <b>{when}</b>. I'll remind you the day before and "
            "again a little before, with buttons to confirm, move or cancel it. "
            "/visits lists your visits.",
            when=visit_message.when(tr, visit.starts_at, zone),
        ),
    )
    await send_calendar(update, context, visit)


async def _create(
    session: AsyncSession,
    user_id: int,
    starts_at: datetime,
    zone: ZoneInfo,
    entered_by: int,
    name: str | None,
    plan: list[PlannedReminder],
    now: datetime,
) -> VisitRecord:
    return await visits.create_visit(
        session=session,
        user_id=user_id,
        starts_at=starts_at,
        zone=str(zone),
        entered_by=entered_by,
        patient_name=name,
        reminders=[(r.kind.value, r.due_at) for r in plan],
        now=now,
    )


async def _tell_patient(update: Update, context: AcubotContext, visit: VisitRecord) -> None:
    """Staff entered it: the patient is told, in their language and zone, and asked."""
    services, tr = context.services, context.tr
    async with services.sessions() as session:
        tag = await users.language_tag_of(session=session, user_id=visit.user_id)
        patient = await users.get_user(session=session, user_id=visit.user_id)
    ptr = translator(language_from_tag(tag))
    zone = ZoneInfo(visit.zone)
    told = True
    try:
        await context.bot.send_message(
            patient.chat_id if patient else visit.user_id,
            visit_message.booked_by_staff_text(ptr, clinic_name(context, ptr), visit, zone),
            reply_markup=visit_message.answer_keyboard(ptr, visit.id),
        )
    except TelegramError as error:
        log.info("Could not tell a patient about a visit: %s", type(error).__name__)
        told = False
    when = visit_message.when(tr, visit.starts_at, services.settings.zone)
    if told:
        text = tr._(
            "✅ Saved: the visit of patient {user} on <b>{when}</b> (clinic time). They have "
            "been told and asked to confirm; their answer will come here.",
            user=visit.user_id,
            when=when,
        )
    else:
        text = tr._(
            "Saved: the visit of patient {user} on <b>{when}</b> (clinic time), but I could "
            "not message them (they may have blocked the bot). Their reminders will be tried.",
            user=visit.user_id,
            when=when,
        )
    await edit_or_reply(update, context, text)


def register(app: AcubotApp) -> None:
    register_flow(app, Flow(FLOW, answer, STOPPED, own_commands=frozenset({"visit"})))
    app.add_handler(CommandHandler("visit", visit_command))
    app.add_handler(CallbackQueryHandler(on_entry_button, pattern=cb.pattern(cb.VisitEntryButton)))
    app.add_handler(
        CallbackQueryHandler(on_patient_button, pattern=cb.pattern(cb.VisitPatientButton))
    )
