"""The 0-10 check-in questions and their buttons: `chk:<kind>:<YYYYMMDD>:<score>`."""

from __future__ import annotations

from datetime import date
from typing import Any

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


class ReusedKeyboard(InlineKeyboardMarkup):
    """A keyboard sent again and again (the day's 0-10 buttons, shared by everyone):
    turned into its request form once, not for every message. Immutable, as all
    python-telegram-bot objects are, so the form cannot go stale."""

    __slots__ = ("_as_dict",)
    _as_dict: dict[str, Any]

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive=False)
        try:
            as_dict: dict[str, Any] = self._as_dict
        except AttributeError:
            as_dict = self._as_dict = super().to_dict()
        return dict(as_dict)  # the caller may add keys; the rows are only serialised


def score_keyboard(kind: CheckInKind, asked_on: date) -> InlineKeyboardMarkup:
    """0 to 10 in two rows (the same in every language); the data names the day asked."""
    buttons = [
        InlineKeyboardButton(
            str(score), callback_data=cb.encode(cb.CheckInButton(kind, asked_on, score))
        )
        for score in range(11)
    ]
    return ReusedKeyboard([buttons[:6], buttons[6:]])
