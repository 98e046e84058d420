"""Visits at the clinic: /visit, /visits, the buttons of a visit's reminder, and /today.

A patient types the day and time of a visit (in their own zone: their
reminder's, else the clinic's), sees it back in words and saves it; the
reminders (scheduler.visit_reminders) come the day before and a few hours
before. Staff whose role allows visits enter one for a patient who has
started the bot (/visit <user id>, or a recent patient's button), in clinic
time; the patient is told and asked to confirm. The answer buttons edit the
message in place; each answer is one conditional update (storage.visits),
so a double tap or a button of a cancelled visit changes nothing and says
so. The front desk gets one message per answer.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator, translator
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
from scheduler import callback_data as cb
from scheduler import patient_days, visit_message
from scheduler.numbers import ascii_int
from scheduler.time_input import zone_label
from scheduler.visit_calendar import visit_calendar
from scheduler.visit_message import Notice
from scheduler.visit_reminders import tell_front_desk
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
from storage.staff import Permission, allows
from storage.visits import VisitRecord, VisitStatus

log = logging.getLogger(__name__)

FLOW = "visit"
STOPPED = N_("I stopped entering a visit. Nothing was saved.")
GONE = N_("This visit is no longer available.")
EXPIRED = N_("That question has expired. Send /visit to enter a visit.")
WAS_CANCELLED = N_("This visit was cancelled, so nothing changed. /visit enters a new one.")
ALREADY_CANCELLED = N_("This visit is already cancelled; nothing changed.")
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


def _clinic(context: AcubotContext, tr: Translator) -> str:
    return tr._(context.services.settings.clinic_name)


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
        recent = await visits.recent_patients(session=session, limit=RECENT_PATIENTS + 1)
    tr = context.tr
    rows = [
        [
            InlineKeyboardButton(
                name or tr._("patient {user}", user=user_id),
                callback_data=cb.encode(cb.VisitPatientButton(user_id)),
            )
        ]
        for user_id, name in recent
        if user_id != sender.id and user_id not in settings.admin_ids
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
    await _send_calendar(update, context, visit)


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
            visit_message.booked_by_staff_text(ptr, _clinic(context, ptr), visit, zone),
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


async def _send_calendar(update: Update, context: AcubotContext, visit: VisitRecord) -> None:
    settings, tr = context.services.settings, context.tr
    clinic = _clinic(context, tr)
    data = visit_calendar(
        visit_id=visit.id,
        starts_at=visit.starts_at,
        zone=visit.zone,
        title=tr._("Visit at {clinic}", clinic=clinic),
        clinic_name=clinic,
        clinic_address=settings.clinic_address,
        now=context.services.now(),
    )
    await context.bot.send_document(
        sender_of(update).id,
        InputFile(data, filename="visit.ics"),
        caption=tr._("📎 Open this file to add the visit to your calendar."),
    )


# ---------------------------------------------------------------------------
# Answering: the buttons of a reminder, of /visits, of a visit staff entered
# ---------------------------------------------------------------------------


async def on_visit_button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    tr, services = context.tr, context.services
    sender = sender_of(update)
    button = cb.decode_as(query.data, cb.VisitButton)
    async with services.sessions() as session:
        visit = (
            await visits.get_visit(session=session, visit_id=button.visit_id) if button else None
        )
    if button is None or visit is None or visit.user_id != sender.id:
        await query.answer(tr._(GONE), show_alert=True)
        return
    zone = ZoneInfo(visit.zone)
    moment = visit_message.when(tr, visit.starts_at, zone)
    if visit.status == VisitStatus.CANCELLED:
        said = tr._(ALREADY_CANCELLED if button.action.startswith("cancel") else WAS_CANCELLED)
        await query.answer(said, show_alert=True)
        await edit_or_reply(update, context, said)
        return
    if button.action == "cancel":
        await query.answer()
        await edit_or_reply(
            update,
            context,
            tr._("Cancel your visit on <b>{when}</b>?", when=moment),
            visit_message.cancel_question_keyboard(tr, visit.id),
        )
        return
    if button.action == "keep":
        await query.answer()
        await edit_or_reply(
            update,
            context,
            tr._("🗓 Your visit on <b>{when}</b> stays booked.", when=moment),
            visit_message.answer_keyboard(tr, visit.id),
        )
        return
    status = {
        "ok": VisitStatus.CONFIRMED,
        "move": VisitStatus.RESCHEDULE,
        "cancel_yes": VisitStatus.CANCELLED,
    }[button.action]
    async with services.sessions.begin() as session:
        answered = await visits.answer_visit(
            session=session,
            visit_id=visit.id,
            user_id=sender.id,
            status=status,
            patient_name=sender.first_name,
            now=services.now(),
        )
    if answered is None:  # already this answer (a double tap), or cancelled meanwhile
        await _unchanged(update, context, visit.id, status, moment)
        return
    await query.answer()
    if status == VisitStatus.CONFIRMED:
        await edit_or_reply(
            update,
            context,
            tr._(
                "✅ Thanks — see you on <b>{when}</b>. Here is a calendar file for it.",
                when=moment,
            ),
        )
        await _send_calendar(update, context, answered)
        notice = Notice.CONFIRMED
    elif status == VisitStatus.RESCHEDULE:
        await edit_or_reply(update, context, _reschedule_text(context, moment))
        notice = Notice.RESCHEDULE
    else:
        await edit_or_reply(
            update,
            context,
            tr._(
                "❌ Your visit on <b>{when}</b> is cancelled, and the front desk has been "
                "told. /visit enters a new one.",
                when=moment,
            ),
        )
        notice = Notice.CANCELLED
    await tell_front_desk(
        sessions=services.sessions,
        bot=context.bot,
        policy=services.policy,
        owner_ids=services.settings.admin_ids,
        clinic_zone=services.settings.zone,
        notice=notice,
        visit=answered,
    )


def _reschedule_text(context: AcubotContext, moment: str) -> str:
    tr, settings = context.tr, context.services.settings
    text = tr._(
        "📅 No problem: the front desk knows you need another time instead of {when}.",
        when=moment,
    )
    if settings.booking_url:
        return (
            text
            + "\n"
            + tr._(
                'Choose a new time here: <a href="{url}">book a visit</a>.',
                url=settings.booking_url,
            )
        )
    if settings.clinic_phone:
        return (
            text
            + "\n"
            + tr._("Call the clinic for a new time: {phone}.", phone=settings.clinic_phone)
        )
    return text + "\n" + tr._("The clinic will get in touch about a new time.")


async def _unchanged(
    update: Update, context: AcubotContext, visit_id: int, status: VisitStatus, moment: str
) -> None:
    tr = context.tr
    async with context.services.sessions() as session:
        now_visit = await visits.get_visit(session=session, visit_id=visit_id)
    if now_visit is None:
        await query_of(update).answer(tr._(GONE), show_alert=True)
        return
    if now_visit.status == VisitStatus.CANCELLED:
        said = tr._(ALREADY_CANCELLED if status == VisitStatus.CANCELLED else WAS_CANCELLED)
        await query_of(update).answer(said, show_alert=True)
        await edit_or_reply(update, context, said)
        return
    if status == VisitStatus.CONFIRMED:
        said = tr._("You have already confirmed this visit.")
    else:
        said = tr._("The front desk already knows you need another time.")
    await query_of(update).answer(said, show_alert=True)


# ---------------------------------------------------------------------------
# Lists: the patient's /visits, the front desk's /today
# ---------------------------------------------------------------------------


async def visits_command(update: Update, context: AcubotContext) -> None:
    """/visits: the patient's visits to come, each with Cancel."""
    tr, services = context.tr, context.services
    sender = sender_of(update)
    async with services.sessions() as session:
        upcoming = await visits.upcoming_visits(
            session=session, user_id=sender.id, now=services.now()
        )
    if not upcoming:
        await reply_html(update, context, tr._("You have no visits coming up. /visit enters one."))
        return
    lines = ["🗓 <b>" + tr._("Your visits") + "</b>", ""]
    rows = []
    for number, visit in enumerate(upcoming, start=1):
        moment = visit_message.when(tr, visit.starts_at, ZoneInfo(visit.zone))
        status = tr._(visit_message.STATUS_NAMES[visit.status])
        lines.append(f"{tr.number(number)}. {moment} — {status}")
        rows.append(
            [
                InlineKeyboardButton(
                    tr._("❌ Cancel {number}", number=tr.number(number)),
                    callback_data=cb.encode(cb.VisitButton("cancel", visit.id)),
                )
            ]
        )
    lines += ["", tr._("/visit enters another.")]
    await reply_html(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def today_command(update: Update, context: AcubotContext) -> None:
    """/today (front desk): today's and tomorrow's visits in clinic time, with their status.

    Tomorrow's too, so answers to the day-before reminders (sent the evening
    before) can be read here as well as in their notices.
    """
    if not await require_role(update, context, Permission.VISITS, "/today"):
        return
    tr, services = context.tr, context.services
    zone = services.settings.zone
    today = services.now().astimezone(zone).date()
    lines: list[str] = []
    for day, heading, none in (
        (today, N_("Visits today, {day}"), N_("No visits entered for today.")),
        (today + timedelta(days=1), N_("Tomorrow, {day}"), N_("No visits entered for tomorrow.")),
    ):
        start = datetime.combine(day, time(0), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        async with services.sessions() as session:
            found = await visits.visits_between(session=session, start=start, end=end)
        lines += ["🗓 <b>" + tr._(heading, day=tr.day(day)) + "</b>", ""]
        lines += [_visit_line(tr, visit, zone) for visit in found] or [tr._(none)]
        lines.append("")
    await reply_html(update, context, "\n".join(lines).strip())


def _visit_line(tr: Translator, visit: VisitRecord, zone: ZoneInfo) -> str:
    status = tr._(visit_message.STATUS_NAMES[visit.status])
    if visit.flagged_at is not None and visit.status == VisitStatus.BOOKED:
        status = tr._("no answer to the reminder")
    return (
        f"{tr.time(visit.starts_at.astimezone(zone))} — "
        f"{visit_message.patient_label(tr, visit)} — {status}"
    )


def register(app: AcubotApp) -> None:
    register_flow(app, Flow(FLOW, answer, STOPPED, own_commands=frozenset({"visit"})))
    app.add_handler(CommandHandler("visit", visit_command))
    app.add_handler(CommandHandler("visits", visits_command))
    app.add_handler(CommandHandler("today", today_command))
    app.add_handler(CallbackQueryHandler(on_visit_button, pattern=cb.pattern(cb.VisitButton)))
    app.add_handler(CallbackQueryHandler(on_entry_button, pattern=cb.pattern(cb.VisitEntryButton)))
    app.add_handler(
        CallbackQueryHandler(on_patient_button, pattern=cb.pattern(cb.VisitPatientButton))
    )
