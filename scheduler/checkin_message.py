"""The 0-10 check-in questions and their buttons: `chk:<kind>:<YYYYMMDD>:<score>`."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from content.i18n import N_, Translator
from scheduler import callback_data as cb
from storage.checkins import CheckInKind

QUESTIONS = {
    CheckInKind.PAIN: (
        N_("How is your back right now?"),
        N_("0 = no pain at all, 10 = the worst pain you can imagine."),
    ),
    CheckInKind.ACTIVITY: (
        N_("📊 Weekly question: how much did back pain limit your daily activities this week?"),
        N_("0 = not at all, 10 = I could not do my usual activities."),
    ),
}


def question_text(tr: Translator, kind: CheckInKind) -> str:
    """The question and its scale, in the recipient's language."""
    question, scale = QUESTIONS[kind]
    return f"{tr._(question)}\n<i>{tr._(scale)}</i>"


def score_keyboard(kind: CheckInKind, asked_on: date) -> InlineKeyboardMarkup:
    """0 to 10 in two rows (the same in every language); the data names the day asked."""
    buttons = [
        InlineKeyboardButton(
            str(score), callback_data=cb.encode(cb.CheckInButton(kind, asked_on, score))
        )
        for score in range(11)
    ]
    return InlineKeyboardMarkup([buttons[:6], buttons[6:]])
