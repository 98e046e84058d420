"""A visit's answers and lists: the buttons of its reminders, /visits, the front desk's /today.

The answer buttons (✅ I'll be there, 📅 I need to reschedule, ❌ Cancel my
visit, which asks first) edit the pressed message in place; each answer is
one conditional update (storage.visits.answer_visit), so a double tap or a
button of a cancelled visit changes nothing and says so. The front desk
(owners and the front desk role) gets one message per answer
(scheduler.visit_reminders.tell_front_desk), in clinic time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator
from handlers.admin import require_role
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import edit_or_reply, reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from scheduler import visit_message
from scheduler.visit_calendar import visit_calendar
from scheduler.visit_message import Notice
from scheduler.visit_reminders import tell_front_desk
from storage import visits
from storage.staff import Permission
from storage.visits import VisitRecord, VisitStatus

GONE = N_("This visit is no longer available.")
WAS_CANCELLED = N_("This visit was cancelled, so nothing changed. /visit enters a new one.")
ALREADY_CANCELLED = N_("This visit is already cancelled; nothing changed.")


def clinic_name(context: AcubotContext, tr: Translator) -> str:
    """The clinic's name for `tr`'s reader: the default is translated, a clinic's own is not."""
    return tr._(context.services.settings.clinic_name)


async def send_calendar(
    update: Update, context: AcubotContext, visit: VisitRecord, *, cancelled: bool = False
) -> None:
    """The visit's .ics; `cancelled`: the one that removes it from a calendar it was added to."""
    settings, tr = context.services.settings, context.tr
    clinic = clinic_name(context, tr)
    data = visit_calendar(
        visit_id=visit.id,
        starts_at=visit.starts_at,
        zone=visit.zone,
        title=tr._("Visit at {clinic}", clinic=clinic),
        clinic_name=clinic,
        clinic_address=settings.clinic_address,
        now=context.services.now(),
        cancelled=cancelled,
    )
    if cancelled:
        name, caption = (
            "visit-cancelled.ics",
            tr._("📎 If you added the visit to your calendar, open this file to take it out."),
        )
    else:
        name, caption = "visit.ics", tr._("📎 Open this file to add the visit to your calendar.")
    await context.bot.send_document(
        sender_of(update).id, InputFile(data, filename=name), caption=caption
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
        await send_calendar(update, context, answered)
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
        await send_calendar(update, context, answered, cancelled=True)
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
    app.add_handler(CommandHandler("visits", visits_command))
    app.add_handler(CommandHandler("today", today_command))
    app.add_handler(CallbackQueryHandler(on_visit_button, pattern=cb.pattern(cb.VisitButton)))
