"""A questionnaire's messages: one item with its buttons, and the result.

Each item is one message; answering edits it into the next item, so a whole
questionnaire costs one message of Telegram's budget. The buttons carry the
run, the item and the answer (`qn:<run>:<item>:<answer>`); the run's stored
next item decides whether the answer is taken.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from content.i18n import N_, Translator
from content.questionnaires import Change, Instrument, Questionnaire, Questionnaires, Verdict
from scheduler import callback_data as cb

YES, NO, SKIP = N_("Yes"), N_("No"), N_("Skip")
NOT_A_DIAGNOSIS = N_("General information about your answers, not a diagnosis.")
TITLES = {
    Instrument.PEG: N_("PEG pain scale"),
    Instrument.RMDQ: N_("Roland-Morris back questionnaire"),
}


def title(tr: Translator, instrument: Instrument) -> str:
    return tr._(TITLES[instrument])


def score_text(tr: Translator, questionnaire: Questionnaire, value: Decimal) -> str:
    """A score as the language writes numbers: PEG with one decimal ("6.0", "6,0"), RMDQ whole."""
    pattern = "0." + "0" * questionnaire.decimals if questionnaire.decimals else "0"
    return format_decimal(value, format=pattern, locale=tr.locale)


def item_text(
    tr: Translator, data: Questionnaires, instrument: Instrument, item: int, *, intro: bool
) -> str:
    """One item in the recipient's language, with the introduction before the first."""
    questionnaire = data.get(instrument)
    words = data.in_language(instrument, tr.language)
    shown = words.items[item]
    lines = [
        "📝 <b>"
        + tr._(
            "{title} · {number} of {total}",
            title=title(tr, instrument),
            number=tr.number(item + 1),
            total=tr.number(len(questionnaire.items)),
        )
        + "</b>"
    ]
    if intro:
        lines.append(escape(words.intro))
    lines += ["", "<b>" + escape(shown.text) + "</b>"]
    if shown.low is not None and shown.high is not None:
        lines.append(
            "<i>"
            + tr._(
                "{low_number} = {low}, {high_number} = {high}",
                low_number=tr.number(questionnaire.scale_min),
                low=escape(shown.low),
                high_number=tr.number(questionnaire.scale_max),
                high=escape(shown.high),
            )
            + "</i>"
        )
    return "\n".join(lines)


def item_keyboard(
    tr: Translator, questionnaire: Questionnaire, run_id: int, item: int
) -> InlineKeyboardMarkup:
    """0-10 in two rows for a scale, Yes / No for a statement; Skip under both."""

    def button(label: str, answer: int | None) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=cb.encode(cb.QuestionnaireButton(run_id, item, answer))
        )

    if questionnaire.kind == "scale":
        numbers = [button(str(n), n) for n in questionnaire.answers]
        rows = [numbers[:6], numbers[6:]]
    else:
        rows = [[button(tr._(YES), 1), button(tr._(NO), 0)]]
    rows.append([button(tr._(SKIP), None)])
    return InlineKeyboardMarkup(rows)


def item_message(
    tr: Translator, data: Questionnaires, instrument: Instrument, run_id: int, item: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The message for one item of a run: its text and buttons."""
    text = item_text(tr, data, instrument, item, intro=item == 0)
    return text, item_keyboard(tr, data.get(instrument), run_id, item)


def _change_line(tr: Translator, questionnaire: Questionnaire, moved: Change) -> str:
    size = score_text(tr, questionnaire, abs(moved.difference))
    if moved.difference < 0:
        return tr._("That is {size} lower than your first score.", size=size)
    if moved.difference > 0:
        return tr._("That is {size} higher than your first score.", size=size)
    return tr._("That is the same as your first score.")


def _verdict_line(tr: Translator, questionnaire: Questionnaire, moved: Change) -> str:
    threshold = questionnaire.threshold
    if moved.verdict is Verdict.NO_THRESHOLD or threshold is None:
        return tr._(
            "The sources we use give no published threshold for a meaningful change in this "
            "scale, so I show the change without judging it."
        )
    rule = tr._(
        "{points} points or {percent}% of your first score (Ostelo et al. 2008)",
        points=tr.number(threshold.points),
        percent=tr.number(threshold.percent_of_baseline),
    )
    if moved.verdict is Verdict.BETTER:
        return tr._(
            "This is at least the change experts agreed counts as meaningful ({rule}), "
            "in the better direction.",
            rule=rule,
        )
    if moved.verdict is Verdict.WORSE:
        return tr._(
            "Your score has risen by {points} points or more since your first one: more "
            "than this questionnaire's usual measurement noise. If your back is getting "
            "worse, please talk to your practitioner.",
            points=tr.number(threshold.points),
        )
    return tr._(
        "This is smaller than the change experts agreed counts as meaningful ({rule}).",
        rule=rule,
    )


def result_text(
    tr: Translator,
    questionnaire: Questionnaire,
    score: Decimal | None,
    moved: Change | None,
    *,
    skipped: int,
) -> str:
    """The result: the score, the change since the first one and whether it is meaningful."""
    instrument = questionnaire.id
    lines = ["✅ <b>" + tr._("{title}: done", title=title(tr, instrument)) + "</b>", ""]
    if score is None:
        if instrument is Instrument.PEG:
            lines.append(
                tr._(
                    "You skipped a question, so there is no PEG score this time: it is the "
                    "average of all three answers. Your answers are saved."
                )
            )
        else:
            lines.append(
                tr.n_(
                    "You skipped {n} statement, so there is no score this time: the "
                    "Roland-Morris score counts all 24 statements. Your answers are saved.",
                    "You skipped {n} statements, so there is no score this time: the "
                    "Roland-Morris score counts all 24 statements. Your answers are saved.",
                    skipped,
                )
            )
        lines += ["", tr._("/questionnaire asks it again whenever you like.")]
        return "\n".join(lines)
    shown = score_text(tr, questionnaire, score)
    worst = tr.number(questionnaire.worst_score)
    lines.append(
        tr._("Your score: <b>{score}</b> out of {worst}.", score=shown, worst=worst)
        + " "
        + tr._("Lower is better.")
    )
    if moved is None:
        lines.append(tr._("This is your first score: later ones are compared with it."))
    else:
        lines.append(
            tr._("Your first score was {first}.", first=score_text(tr, questionnaire, moved.first))
            + " "
            + _change_line(tr, questionnaire, moved)
        )
        lines.append(_verdict_line(tr, questionnaire, moved))
    lines += ["", "<i>" + tr._(NOT_A_DIAGNOSIS) + "</i>"]
    return "\n".join(lines)
