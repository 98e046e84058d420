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
