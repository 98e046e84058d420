"""A visit's messages: the reminder with its three buttons, the patient's replies, and the
notices the front desk gets (the patient's name and the visit, in clinic time, nothing else)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from content.i18n import N_, Translator
from scheduler import callback_data as cb
from storage.visits import VisitRecord, VisitStatus

CONFIRM_LABEL = N_("✅ I'll be there")
RESCHEDULE_LABEL = N_("📅 I need to reschedule")
CANCEL_LABEL = N_("❌ Cancel my visit")

STATUS_NAMES = {
    VisitStatus.BOOKED: N_("not answered yet"),
    VisitStatus.CONFIRMED: N_("confirmed"),
    VisitStatus.RESCHEDULE: N_("needs another time"),
    VisitStatus.CANCELLED: N_("cancelled"),
}


class Notice(StrEnum):
    """What the front desk is told, one message per patient answer."""

    CONFIRMED = "confirmed"
    RESCHEDULE = "reschedule"
    CANCELLED = "cancelled"
    NO_ANSWER = "no_answer"
    UNDELIVERED = "undelivered"  # the patient blocked the bot


NOTICES = {
    Notice.CONFIRMED: N_("✅ {name} confirmed their visit on {when}."),
    Notice.RESCHEDULE: N_(
        "📅 {name} needs another time for their visit on {when}. They have the booking link."
    ),
    Notice.CANCELLED: N_("❌ {name} cancelled their visit on {when}."),
    Notice.NO_ANSWER: N_(
        "❔ {name} has not answered the reminder of their visit on {when}. You may want to call."
    ),
    Notice.UNDELIVERED: N_(
        "⚠️ I could not deliver the reminder of {name}'s visit on {when}: they have blocked the bot."
    ),
}


def when(tr: Translator, starts_at: datetime, zone: ZoneInfo) -> str:
    """ "Fri, March 5, 3:00 PM" in the reader's language, at `zone`'s wall clock."""
    local = starts_at.astimezone(zone)
    return tr._("{day}, {time}", day=tr.day(local.date()), time=tr.time(local))


def patient_label(tr: Translator, visit: VisitRecord) -> str:
    """The name Telegram gave for the patient (escaped), else their user id."""
    if visit.patient_name:
        return f"<b>{escape(visit.patient_name)}</b>"
    return tr._("patient {user}", user=visit.user_id)


def notice_text(tr: Translator, notice: Notice, visit: VisitRecord, clinic_zone: ZoneInfo) -> str:
    return tr._(
        NOTICES[notice], name=patient_label(tr, visit), when=when(tr, visit.starts_at, clinic_zone)
    )


def answer_keyboard(tr: Translator, visit_id: int) -> InlineKeyboardMarkup:
    """✅ I'll be there, 📅 I need to reschedule, ❌ Cancel my visit."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(tr._(CONFIRM_LABEL), callback_data=_data("ok", visit_id))],
            [InlineKeyboardButton(tr._(RESCHEDULE_LABEL), callback_data=_data("move", visit_id))],
            [InlineKeyboardButton(tr._(CANCEL_LABEL), callback_data=_data("cancel", visit_id))],
        ]
    )


def cancel_question_keyboard(tr: Translator, visit_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("Yes, cancel it"), callback_data=_data("cancel_yes", visit_id)
                ),
                InlineKeyboardButton(tr._("No, keep it"), callback_data=_data("keep", visit_id)),
            ]
        ]
    )


def _data(action: str, visit_id: int) -> str:
    return cb.encode(cb.VisitButton(action, visit_id))


def reminder_text(
    tr: Translator, clinic: str, visit: VisitRecord, zone: ZoneInfo, *, day_before: bool
) -> str:
    """The reminder, at the patient's own local time."""
    moment = when(tr, visit.starts_at, zone)
    if day_before:
        text = tr._(
            "🗓 A reminder: your visit at {clinic} is tomorrow, <b>{when}</b>.",
            clinic=escape(clinic),
            when=moment,
        )
    else:
        text = tr._(
            "🗓 Soon: your visit at {clinic} is at <b>{when}</b>.",
            clinic=escape(clinic),
            when=moment,
        )
    return text + "\n" + tr._("Will you come? One tap lets the clinic know.")


def booked_by_staff_text(tr: Translator, clinic: str, visit: VisitRecord, zone: ZoneInfo) -> str:
    """Told to a patient when staff enter a visit for them."""
    return (
        tr._(
            "🗓 {clinic} has booked a visit for you: <b>{when}</b> (your time).",
            clinic=escape(clinic),
            when=when(tr, visit.starts_at, zone),
        )
        + "\n"
        + tr._("Will you come? One tap lets the clinic know.")
    )
