"""The daily reminder as the patient sees it: text and buttons.

Callback data is `rem:<action>:<delivery id>` (a ReminderButton), so a button knows which day's
reminder it belongs to, even after a restart or on an old message.
"""

from __future__ import annotations

from datetime import date
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from content.catalogue import Catalogue
from scheduler import callback_data as cb

# The buttons' actions (scheduler/callback_data.py's ReminderButton carries them).
START, DONE, SNOOZE_30, SNOOZE_60, SKIP, STOP = "go", "done", "s30", "s60", "skip", "stop"
SNOOZE_MINUTES = {SNOOZE_30: 30, SNOOZE_60: 60}


def routine_minutes(catalogue: Catalogue, routine_id: str, *, pregnant: bool = False) -> int:
    """About how long a routine takes, both sides' holds plus time to get into position."""
    return catalogue.routine_minutes(routine_id, pregnant=pregnant)


def reminder_text(
    catalogue: Catalogue,
    routine_id: str,
    local_date: date,
    *,
    snoozed: bool = False,
    pregnant: bool = False,
) -> str:
    routine = catalogue.routine(routine_id)
    heading = "⏰ Here is your snoozed reminder" if snoozed else "🌿 Time for today's back care"
    lines = [
        f"<b>{heading}</b> — {local_date:%A %-d %B}",
        "",
        f"<b>{escape(routine.title)}</b>, about "
        f"{routine_minutes(catalogue, routine_id, pregnant=pregnant)} minutes:",
    ]
    for number, technique in enumerate(
        catalogue.routine_steps(routine_id, pregnant=pregnant), start=1
    ):
        hold = _hold(technique.hold_seconds_min, technique.hold_seconds_max)
        lines.append(f"{number}. {escape(technique.title)} — hold {hold}")
    left_out = catalogue.left_out_in_pregnancy(routine_id) if pregnant else []
    if left_out:
        codes = ", ".join(escape(t.point) for t in left_out)
        lines.append(f"🤰 Left out for pregnancy (traditionally avoided): {codes}.")
    lines += [
        "",
        "Press ▶ and I'll guide you step by step, or ✅ once you have done it yourself.",
        "<i>Build the pressure up slowly; it should never hurt. If you have numbness, "
        "weakness or trouble passing urine, get emergency care instead (/safety).</i>",
    ]
    return "\n".join(lines)


def reminder_keyboard(delivery_id: int) -> InlineKeyboardMarkup:
    def button(label: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=cb.encode(cb.ReminderButton(action, delivery_id))
        )

    return InlineKeyboardMarkup(
        [
            [button("▶ Start guided routine", START)],
            [button("✅ Done", DONE)],
            [button("⏰ Snooze 30 min", SNOOZE_30), button("⏰ Snooze 1 h", SNOOZE_60)],
            [button("⏭ Skip today", SKIP), button("🔕 Stop reminders", STOP)],
        ]
    )


def _hold(low: int, high: int) -> str:
    return f"{low} s" if low == high else f"{low}–{high} s"
