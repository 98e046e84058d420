"""/programme: the patient's home programme, where they are in it, Leave and updates.

The programme's card (of the patient's own version), week n of m and the
days done this calendar week against the goal, the next reminder; Leave
(asked first) ends the enrolment and takes the reminder back to the clinic's
routine, every day at its first time; when the practitioner edited the
programme, See the update shows the new version's card and Accept takes it
(asking again for days and times when the new version wants others).
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import remove_buttons, show_step
from handlers.programme import days_line, first_question, flow_data
from handlers.programme_view import programme_card
from handlers.reply import reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from scheduler.programme_enrolment import leave_programme, local_today
from scheduler.programme_progress import week_of_course, week_progress
from scheduler.programme_routine import PROGRAMME_ROUTINE
from scheduler.reminder_message import local_when
from storage import programmes, reminders
from storage.programmes import (
    Enrolment,
    ProgrammeSpec,
    ProgrammeVersionRecord,
    Schedule,
    weekdays_of,
)
from storage.progress import load_progress
from storage.safety import is_pregnant

NO_PROGRAMME = N_(
    "You are not following a home programme at the moment.\n\n"
    "A home programme is a set of points your practitioner chooses for you, with hold times "
    "and days to practise. At your visit they give you a QR code (or a link): open it with "
    "your phone's camera and I will set it up with you.\n\n"
    "Until then, /routine is the clinic's daily routine."
)


def _pgm(action: str, version: int = 0) -> str:
    return cb.encode(cb.MyProgrammeButton(action, version))


async def programme_command(update: Update, context: AcubotContext) -> None:
    """The patient's programme, where they are in it, and Leave / See the update."""
    services = context.services
    tr = context.tr
    user_id = sender_of(update).id
    now = services.now()
    async with services.sessions() as session:
        enrolment = await programmes.active_enrolment(session=session, user_id=user_id)
        record = (
            await programmes.get_version(
                session=session, programme_id=enrolment.programme_id, version=enrolment.version
            )
            if enrolment is not None
            else None
        )
        sub = await reminders.get_subscription(session=session, user_id=user_id)
        pregnant = await is_pregnant(session=session, user_id=user_id)
        done = (await load_progress(session=session, user_id=user_id)).done_days
    if enrolment is None or record is None:
        await reply_html(update, context, tr._(NO_PROGRAMME))
        return
    zone = sub.timezone if sub else services.settings.clinic_timezone
    today = local_today(now, zone)
    goal = len(weekdays_of(enrolment.weekdays))
    weeks = record.spec.course_weeks
    week = week_of_course(enrolment.start_date, today)
    this_week = week_progress(done, goal, today)
    lines = [programme_card(tr, context.catalogue, record.spec, pregnant=pregnant), ""]
    if weeks is None:
        lines.append(tr._("📈 <b>Week {week}</b> (no set end)", week=tr.number(week)))
    else:
        lines.append(
            tr._(
                "📈 <b>Week {week} of {weeks}</b>",
                week=tr.number(min(week, weeks)),
                weeks=tr.number(weeks),
            )
        )
    lines.append(
        tr.n_(
            "✅ {done} of {n} day done this week",
            "✅ {done} of {n} days done this week",
            goal,
            done=tr.number(this_week.done),
        )
    )
    lines.append(
        tr._(
            "Your days: {days}, at {times}.",
            days=escape(days_line(tr, enrolment.weekdays)),
            times=tr.list([f"<b>{tr.time(t)}</b>" for t in enrolment.times]),
        )
    )
    if sub is not None and sub.active and sub.next_due_at is not None:
        lines.append(
            tr._("Next reminder: <b>{when}</b>.", when=local_when(tr, sub.next_due_at, zone))
        )
    rows = [
        [
            InlineKeyboardButton(
                tr._("▶ Start the routine"),
                callback_data=cb.encode(cb.RoutineButton(PROGRAMME_ROUTINE, 0, "show")),
            )
        ]
    ]
    if record.current_version > enrolment.version:
        lines += ["", tr._("🆕 Your practitioner has updated this programme.")]
        rows.append(
            [
                InlineKeyboardButton(
                    tr._("🆕 See the update"), callback_data=_pgm("see", record.current_version)
                )
            ]
        )
    rows.append([InlineKeyboardButton(tr._("🚪 Leave the programme"), callback_data=_pgm("leave"))])
    await reply_html(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


def _same_days_and_times(old: ProgrammeSpec, new: ProgrammeSpec) -> bool:
    """Whether the patient's chosen days and times still fit the new version."""
    return (
        old.schedule is new.schedule
        and old.times_per_day == new.times_per_day
        and (old.schedule is not Schedule.WEEKDAYS or old.weekdays == new.weekdays)
        and (old.schedule is not Schedule.PER_WEEK or old.days_per_week == new.days_per_week)
    )


def _is_update(version: int, record: ProgrammeVersionRecord, enrolment: Enrolment) -> bool:
    """The button names the programme's newest version, and it is newer than the patient's."""
    return version == record.current_version > enrolment.version


async def programme_button(update: Update, context: AcubotContext) -> None:
    """/programme's buttons: leave (asked first), see and accept an update."""
    query = query_of(update)
    pressed = cb.decode_as(query.data, cb.MyProgrammeButton)
    services = context.services
    tr = context.tr
    user_id = sender_of(update).id
    async with services.sessions() as session:
        enrolment = await programmes.active_enrolment(session=session, user_id=user_id)
        record = (
            await programmes.get_version(session=session, programme_id=enrolment.programme_id)
            if enrolment is not None
            else None
        )
        mine = (
            await programmes.get_version(
                session=session, programme_id=enrolment.programme_id, version=enrolment.version
            )
            if enrolment is not None
            else None
        )
    if pressed is None or enrolment is None or record is None or mine is None:
        await query.answer(tr._("This button no longer applies. Send /programme."), show_alert=True)
        await remove_buttons(update)
        return
    await query.answer()
    sub = None
    if pressed.action == "leave":
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(tr._("🚪 Yes, leave it"), callback_data=_pgm("leave_yes"))],
                [InlineKeyboardButton(tr._("Stay on the programme"), callback_data=_pgm("stay"))],
            ]
        )
        text = tr._(
            "Leave “{title}”? Your reminders go back to the clinic's daily routine, every day "
            "at {time}. Your progress so far is kept.",
            title=escape(mine.spec.title),
            time=tr.time(enrolment.times[0]),
        )
        await show_step(update, context, text, keyboard, replace=True)
    elif pressed.action == "leave_yes":
        default = services.catalogue.default_routine.id
        async with services.sessions.begin() as session:
            left = await leave_programme(
                session=session,
                user_id=user_id,
                enrolment_id=enrolment.id,
                routine=default,
                now=services.now(),
            )
            sub = await reminders.get_subscription(session=session, user_id=user_id)
        text = tr._("You have left “{title}”.", title=escape(mine.spec.title)) if left else ""
        if sub is not None and sub.active and sub.next_due_at is not None:
            text += "\n" + tr._(
                "Your daily reminder follows the clinic's routine again, every day at {time}. "
                "Next reminder: <b>{when}</b>.",
                time=tr.time(sub.local_time),
                when=local_when(tr, sub.next_due_at, sub.timezone),
            )
        text += "\n" + tr._(
            "/routine is the clinic's routine; a new QR code starts a new programme."
        )
        await show_step(update, context, text.strip(), replace=True)
    elif pressed.action == "stay":
        await show_step(
            update,
            context,
            tr._("Good: you stay on “{title}”.", title=escape(mine.spec.title)),
            replace=True,
        )
    elif pressed.action == "see" and _is_update(pressed.version, record, enrolment):
        async with services.sessions() as session:
            pregnant = await is_pregnant(session=session, user_id=user_id)
        text = tr._("🆕 <b>The updated programme</b>") + "\n\n"
        text += programme_card(tr, context.catalogue, record.spec, pregnant=pregnant)
        if not _same_days_and_times(mine.spec, record.spec):
            text += "\n\n" + tr._(
                "It asks for other days or times, so I'll ask you for them again."
            )
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        tr._("✅ Accept the update"), callback_data=_pgm("accept", record.version)
                    )
                ],
                [InlineKeyboardButton(tr._("Keep my current version"), callback_data=_pgm("stay"))],
            ]
        )
        await show_step(update, context, text, keyboard, replace=True)
    elif pressed.action == "accept" and _is_update(pressed.version, record, enrolment):
        if _same_days_and_times(mine.spec, record.spec):
            async with services.sessions.begin() as session:
                await programmes.switch_version(
                    session=session, enrolment_id=enrolment.id, version=record.version
                )
            await show_step(
                update,
                context,
                tr._(
                    "✅ Done: you now follow the updated “{title}”. /routine uses its points "
                    "and holds from now on; your days and times stay as they were.",
                    title=escape(record.spec.title),
                ),
                replace=True,
            )
            return
        async with services.sessions() as session:
            sub = await reminders.get_subscription(session=session, user_id=user_id)
        data = flow_data(
            record,
            link_id=enrolment.link_id or 0,
            zone=sub.timezone if sub else None,
            context=context,
            updating=enrolment.id,
        )
        await remove_buttons(update)
        await first_question(update, context, data)
    else:  # an update that is no longer the newest: the message stays as it is
        await reply_html(update, context, tr._("This button no longer applies. Send /programme."))


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("programme", programme_command))
    app.add_handler(
        CallbackQueryHandler(programme_button, pattern=cb.pattern(cb.MyProgrammeButton))
    )
