"""The daily reminder as the patient sees it: text and buttons, in the patient's language.

Callback data is `rem:<action>:<delivery id>` (a ReminderButton), so a button knows which day's
reminder it belongs to, even after a restart or on an old message.

The builders take the recipient's `Translator` and the content catalogue in
their language (the dispatcher reads both for each recipient).
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from content.catalogue import Catalogue
from content.i18n import N_, Translator
from scheduler import callback_data as cb
from scheduler.programme_progress import Adherence

# The reminder's minutes are the guided routine's own count.
from scheduler.programme_routine import programme_minutes
from storage.reminders import EnrolledProgramme

# The buttons' actions (scheduler/callback_data.py's ReminderButton carries them).
START, DONE, SNOOZE_30, SNOOZE_60, SKIP, STOP = "go", "done", "s30", "s60", "skip", "stop"
SNOOZE_MINUTES = {SNOOZE_30: 30, SNOOZE_60: 60}

# The keyboard under every reminder, row by row: (label, action).
BUTTONS: tuple[tuple[tuple[str, str], ...], ...] = (
    ((N_("▶ Start guided routine"), START),),
    ((N_("✅ Done"), DONE),),
    ((N_("⏰ Snooze 30 min"), SNOOZE_30), (N_("⏰ Snooze 1 h"), SNOOZE_60)),
    ((N_("⏭ Skip today"), SKIP), (N_("🔕 Stop reminders"), STOP)),
)


def local_when(tr: Translator, instant: datetime, zone: str) -> str:
    """An instant as the patient's local day and time: "Tuesday, June 1 at 8:00 AM"."""
    local = instant.astimezone(ZoneInfo(zone))
    return tr._("{day} at {time}", day=tr.day(local.date()), time=tr.time(local))


def routine_minutes(catalogue: Catalogue, routine_id: str, *, pregnant: bool = False) -> int:
    """About how long a routine takes, both sides' holds plus time to get into position."""
    return catalogue.routine_minutes(routine_id, pregnant=pregnant)


def reminder_text(
    tr: Translator,
    catalogue: Catalogue,
    routine_id: str,
    local_date: date,
    *,
    snoozed: bool = False,
    pregnant: bool = False,
) -> str:
    """The reminder; `catalogue` is the content in the recipient's language (`tr`'s)."""
    routine = catalogue.routine(routine_id)
    day = tr.day(local_date)
    heading = (
        tr._("<b>⏰ Here is your snoozed reminder</b> — {day}", day=day)
        if snoozed
        else tr._("<b>🌿 Time for today's back care</b> — {day}", day=day)
    )
    minutes = routine_minutes(catalogue, routine_id, pregnant=pregnant)
    lines = [
        heading,
        "",
        tr.n_(
            "<b>{routine}</b>, about {n} minute:",
            "<b>{routine}</b>, about {n} minutes:",
            minutes,
            routine=escape(routine.title),
        ),
    ]
    for number, technique in enumerate(
        catalogue.routine_steps(routine_id, pregnant=pregnant), start=1
    ):
        hold = _hold(tr, technique.hold_seconds_min, technique.hold_seconds_max)
        lines.append(
            tr._(
                "{number}. {technique} — hold {hold}",
                number=tr.number(number),
                technique=escape(technique.title),
                hold=hold,
            )
        )
    left_out = catalogue.left_out_in_pregnancy(routine_id) if pregnant else []
    if left_out:
        codes = tr.list([escape(t.point) for t in left_out])
        lines.append(
            tr._("🤰 Left out for pregnancy (traditionally avoided): {codes}.", codes=codes)
        )
    lines += [
        "",
        tr._("Press ▶ and I'll guide you step by step, or ✅ once you have done it yourself."),
        tr._(
            "<i>Build the pressure up slowly; it should never hurt. If you have numbness, "
            "weakness or trouble passing urine, get emergency care instead (/safety).</i>"
        ),
    ]
    return "\n".join(lines)


def programme_reminder_text(
    tr: Translator,
    catalogue: Catalogue,
    programme: EnrolledProgramme,
    local_date: date,
    *,
    snoozed: bool = False,
    pregnant: bool = False,
) -> str:
    """The reminder of a home programme: its title, practitioner, points and holds."""
    day = tr.day(local_date)
    heading = (
        tr._("<b>⏰ Here is your snoozed reminder</b> — {day}", day=day)
        if snoozed
        else tr._("<b>🌿 Time for today's back care</b> — {day}", day=day)
    )
    minutes = programme_minutes(catalogue, programme.steps, pregnant=pregnant)
    lines = [
        heading,
        "",
        tr.n_(
            "<b>{title}</b> from {practitioner}, about {n} minute:",
            "<b>{title}</b> from {practitioner}, about {n} minutes:",
            minutes,
            title=escape(programme.title),
            practitioner=escape(programme.practitioner_name),
        ),
    ]
    left_out: list[str] = []
    missing: list[str] = []
    number = 0
    for step in programme.steps:
        point = catalogue.point(step.point)
        if point is None:
            missing.append(escape(step.point))
            continue
        if pregnant and point.pregnancy_caution:
            left_out.append(escape(point.code))
            continue
        number += 1
        hold = tr._("{seconds} s", seconds=tr.number(step.hold_seconds))
        if point.bilateral:
            hold = tr._("{hold} each side", hold=hold)
        lines.append(
            tr._(
                "{number}. {code} {name} — hold {hold}",
                number=tr.number(number),
                code=escape(point.code),
                name=escape(point.english),
                hold=hold,
            )
        )
    if left_out:
        lines.append(
            tr._(
                "🤰 Left out for pregnancy (traditionally avoided): {codes}.",
                codes=tr.list(left_out),
            )
        )
    if missing:
        lines.append(
            tr._(
                "Not in my point guide any more, so left out: {codes}. "
                "Please ask your practitioner about them.",
                codes=tr.list(missing),
            )
        )
    lines += [
        "",
        tr._("Press ▶ and I'll guide you step by step, or ✅ once you have done it yourself."),
        tr._(
            "<i>Build the pressure up slowly; it should never hurt. If you have numbness, "
            "weakness or trouble passing urine, get emergency care instead (/safety).</i>"
        ),
    ]
    return "\n".join(lines)


def reminder_keyboard(tr: Translator, delivery_id: int) -> InlineKeyboardMarkup:
    """The reminder's buttons, labelled in the recipient's language."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._(label), callback_data=cb.encode(cb.ReminderButton(action, delivery_id))
                )
                for label, action in row
            ]
            for row in BUTTONS
        ]
    )


def _hold(tr: Translator, low: int, high: int) -> str:
    if low == high:
        return tr._("{seconds} s", seconds=tr.number(low))
    return tr._("{low}–{high} s", low=tr.number(low), high=tr.number(high))


def course_end_text(
    tr: Translator, programme: EnrolledProgramme, done: Adherence, *, can_book: bool
) -> str:
    """The summary sent once, after a programme's last day: adherence and what comes next."""
    lines = [
        tr._("<b>🎓 You have finished {title}</b>", title=escape(programme.title)),
        "",
        tr.n_(
            "You practised on {done} of the {n} planned day.",
            "You practised on {done} of the {n} planned days.",
            done.planned,
            done=tr.number(done.done),
        ),
        tr._("Thank you for keeping at it."),
        "",
        tr._(
            "The reminders for this programme have now stopped. Press "
            "<b>Keep my reminders</b> to go on getting them at the same times, "
            "with the clinic's routine."
        ),
    ]
    if can_book:
        lines.append(
            tr._(
                "A follow-up visit lets {practitioner} see how you are doing: "
                "book one with the button below.",
                practitioner=escape(programme.practitioner_name),
            )
        )
    else:
        lines.append(
            tr._(
                "A follow-up visit lets {practitioner} see how you are doing: "
                "/book shows how to make an appointment.",
                practitioner=escape(programme.practitioner_name),
            )
        )
    return "\n".join(lines)


def course_end_keyboard(
    tr: Translator, enrolment_id: int, booking_url: str | None
) -> InlineKeyboardMarkup:
    """Keep my reminders, and the booking link when the clinic has one."""
    rows = [
        [
            InlineKeyboardButton(
                tr._("🔔 Keep my reminders"),
                callback_data=cb.encode(cb.KeepRemindersButton(enrolment_id)),
            )
        ]
    ]
    if booking_url:
        rows.append([InlineKeyboardButton(tr._("📅 Book an appointment"), url=booking_url)])
    return InlineKeyboardMarkup(rows)
