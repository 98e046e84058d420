"""The 0-10 check-in questions and their buttons: `chk:<kind>:<YYYYMMDD>:<score>`."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from scheduler import callback_data as cb
from storage.checkins import CheckInKind

QUESTIONS = {
    CheckInKind.PAIN: (
        "How is your back right now?",
        "0 = no pain at all, 10 = the worst pain you can imagine.",
    ),
    CheckInKind.ACTIVITY: (
        "📊 Weekly question: how much did back pain limit your daily activities this week?",
        "0 = not at all, 10 = I could not do my usual activities.",
    ),
}


def question_text(kind: CheckInKind) -> str:
    question, scale = QUESTIONS[kind]
    return f"{question}\n<i>{scale}</i>"


def score_keyboard(kind: CheckInKind, asked_on: date) -> InlineKeyboardMarkup:
    """0 to 10 in two rows; the data names the day the question was asked."""
    buttons = [
        InlineKeyboardButton(
            str(score), callback_data=cb.encode(cb.CheckInButton(kind, asked_on, score))
        )
        for score in range(11)
    ]
    return InlineKeyboardMarkup([buttons[:6], buttons[6:]])
