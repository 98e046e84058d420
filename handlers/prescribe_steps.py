"""The questions of /prescribe: each saves the draft at its step, then shows itself.

A question shows the answer given so far (✓ on a button, "Now: ..."), so
◀ Back and a programme's Edit both land on a question already answered.
handlers/prescribe.py reads the answers and routes the buttons.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from content.catalogue import Catalogue
from content.i18n import N_, Translator
from content.schema import Point
from handlers.context import AcubotContext
from handlers.flows import remove_buttons, save_step, show_step
from handlers.programme_view import programme_card
from handlers.render import fit
from handlers.reply import reply_html
from handlers.update_parts import sender_of
from scheduler import callback_data as cb
from scheduler.prescription import (
    COURSE_CHOICES,
    HOLD_CHOICES,
    MAX_NAME,
    MAX_NOTE,
    MAX_STEPS,
    Draft,
    Step,
    TypedPoints,
)
from storage.programmes import Schedule, weekdays_of

FLOW = "prescribe"
ONE_PATIENT = N_("👤 One patient (the link works once)")
REUSABLE = N_("👥 Reusable (any number of patients)")
BUTTONS_PER_ROW = 3


def _button(
    label: str, action: str, value: str = "", place: int | None = None
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=cb.encode(cb.PrescribeButton(action, value, place))
    )


def _nav(tr: Translator, step: Step) -> list[InlineKeyboardButton]:
    """◀ Back (but on the first question) and ✖ Cancel."""
    row = [_button(tr._("✖ Cancel"), "cancel")]
    if step is not Step.TITLE:
        row.insert(0, _button(tr._("◀ Back"), "back", step.value))
    return row


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[at : at + per_row] for at in range(0, len(buttons), per_row)]


def _ticked(label: str, chosen: bool) -> str:
    return f"✓ {label}" if chosen else label


def _warning(problem: str | None) -> list[str]:
    return [f"⚠️ {escape(problem, quote=False)}", ""] if problem else []


def point_label(point: Point, tr: Translator) -> str:
    """A point on a button: its code and its name in the staff member's language."""
    name = point.hanzi_simplified if tr.language == "zh" else point.pinyin
    return f"{point.code} {name}"


def _point_line(catalogue: Catalogue, code: str, tr: Translator) -> str:
    point = catalogue.point(code)
    if point is None:
        return f"<b>{escape(code)}</b>"
    return f"<b>{escape(code)}</b> {escape(point_label(point, tr).removeprefix(code).strip())}"


def _channels(catalogue: Catalogue) -> list[str]:
    """The channels with catalogue points, in catalogue order (BL, GB, GV, KI, SI, EX...)."""
    return list(dict.fromkeys(point.meridian for point in catalogue.points))


def _short_weekday(tr: Translator, day: int) -> str:
    return format_date(date(2024, 1, 1) + timedelta(days=day), format="EEE", locale=tr.locale)


def _hold_text(tr: Translator, seconds: int) -> str:
    return tr.n_("{n} second", "{n} seconds", seconds)


async def _save(update: Update, context: AcubotContext, step: Step, draft: Draft) -> None:
    await save_step(update, context, FLOW, step.value, draft.to_data())


async def ask_title(
    update: Update,
    context: AcubotContext,
    draft: Draft,
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await _save(update, context, Step.TITLE, draft)
    tr = context.tr
    if draft.programme_id is None:
        heading = tr._("📋 <b>New home programme</b>")
    else:
        heading = tr._(
            "✏️ <b>Editing programme #{number}</b> (saved as a new version)",
            number=tr.number(draft.programme_id),
        )
    lines = [
        *_warning(problem),
        heading,
        tr._(
            "Type a short title for it (for example “Low back, first weeks”). "
            "/cancel stops without saving anything."
        ),
    ]
    rows = []
    if draft.title:
        rows.append([_button(tr._("Keep “{title}”", title=draft.title), "keep")])
    rows.append(_nav(tr, Step.TITLE))
    await show_step(update, context, "\n".join(lines), InlineKeyboardMarkup(rows), replace=replace)


def typed_report(tr: Translator, typed: TypedPoints, added: list[str], full: list[str]) -> str:
    """What typed codes did: the points added, what is not a point, what did not fit."""
    lines = []
    if added:
        lines.append(tr._("Added: {codes}.", codes=escape(tr.list(added))))
    if typed.unknown:
        names = []
        for unknown in typed.unknown:
            name = f"<code>{escape(unknown.text[:40])}</code>"
            if unknown.suggestions:
                name = tr._(
                    "{name} (did you mean {codes}?)",
                    name=name,
                    codes=escape(tr.list(list(unknown.suggestions))),
                )
            names.append(name)
        lines.append(tr._("⚠️ Not in the point list: {names}", names=", ".join(names)))
    if full:
        lines.append(
            tr._(
                "⚠️ Left out, as a programme has at most {limit} points: {codes}.",
                limit=tr.number(MAX_STEPS),
                codes=escape(tr.list(full)),
            )
        )
    if not lines:
        lines.append(tr._("Those points are already in the programme."))
    return "\n".join(lines)


async def ask_points(
    update: Update,
    context: AcubotContext,
    draft: Draft,
    report: str | None = None,
    *,
    replace: bool = False,
) -> None:
    """The points so far; buttons by meridian (then its points, to toggle), or typed codes."""
    await _save(update, context, Step.POINTS, draft)
    tr, catalogue = context.tr, context.catalogue
    lines = [report, ""] if report else []
    lines.append(
        tr._(
            "📍 <b>Points</b> ({count} of at most {limit})",
            count=tr.number(len(draft.steps)),
            limit=tr.number(MAX_STEPS),
        )
    )
    if draft.steps:
        lines += [
            f"{tr.number(number)}. {_point_line(catalogue, code, tr)}"
            for number, code in enumerate(draft.codes, start=1)
        ]
    else:
        lines.append(tr._("None chosen yet."))
    lines += [
        "",
        tr._(
            "Choose a meridian below and tap its points, or type codes such as "
            "<code>BL23 KI3 GB30</code>. Tap a chosen point again to remove it."
        ),
    ]
    rows: list[list[InlineKeyboardButton]]
    if draft.meridian is None:
        rows = _rows(
            [
                _button(f"{code} · {catalogue.channel_name(code)}", "mer", code)
                for code in _channels(catalogue)
            ],
            2,
        )
    else:
        chosen = set(draft.codes)
        rows = _rows(
            [
                _button(_ticked(point_label(point, tr), point.code in chosen), "pt", point.code)
                for point in catalogue.points_on(draft.meridian)
            ],
            2,
        )
        rows.append([_button(tr._("◀ All meridians"), "meridians")])
    if draft.steps:
        rows.append(
            [_button(tr.n_("✅ Done: {n} point", "✅ Done: {n} points", len(draft.steps)), "done")]
        )
    rows.append(_nav(tr, Step.POINTS))
    await show_step(
        update, context, fit("\n".join(lines)), InlineKeyboardMarkup(rows), replace=replace
    )


async def ask_hold(
    update: Update,
    context: AcubotContext,
    draft: Draft,
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    """How long the patient holds one point: buttons, or seconds typed (10-180)."""
    await _save(update, context, Step.HOLD, draft)
    tr = context.tr
    place = draft.item
    step = draft.steps[place]
    lines = [
        *_warning(problem),
        tr._(
            "⏱ <b>Point {number} of {total}:</b> {point}",
            number=tr.number(place + 1),
            total=tr.number(len(draft.steps)),
            point=_point_line(context.catalogue, step.point, tr),
        ),
        tr._(
            "How long should the patient hold it? Now: {hold}. "
            "Choose below, or type seconds from 10 to 180.",
            hold=_hold_text(tr, step.hold_seconds),
        ),
    ]
    holds = sorted({*HOLD_CHOICES, step.hold_seconds})
    row = [
        _button(
            _ticked(tr.n_("{n} s", "{n} s", seconds), seconds == step.hold_seconds),
            "hold",
            str(seconds),
            place,
        )
        for seconds in holds
    ]
    keyboard = InlineKeyboardMarkup([*_rows(row, 5), _nav(tr, Step.HOLD)])
    await show_step(update, context, "\n".join(lines), keyboard, replace=replace)


async def ask_note(
    update: Update,
    context: AcubotContext,
    draft: Draft,
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    """An optional note on one point for the patient (typed), or Skip."""
    await _save(update, context, Step.NOTE, draft)
    tr = context.tr
    place = draft.item
    step = draft.steps[place]
    lines = [
        *_warning(problem),
        tr._(
            "📝 A note for the patient about {point} (optional, up to {limit} characters), "
            "for example “gently, and not on a bruise”. Type it, or skip.",
            point=_point_line(context.catalogue, step.point, tr),
            limit=tr.number(MAX_NOTE),
        ),
    ]
    rows = []
    if step.note:
        lines.append(tr._("Now: <i>{note}</i>", note=escape(step.note)))
        rows.append([_button(tr._("Keep this note"), "nkeep", "", place)])
    rows.append([_button(tr._("Skip: no note"), "nskip", "", place)])
    rows.append(_nav(tr, Step.NOTE))
    await show_step(
        update, context, fit("\n".join(lines)), InlineKeyboardMarkup(rows), replace=replace
    )


async def after_note(update: Update, context: AcubotContext, draft: Draft) -> None:
    """The next point's hold, or the schedule after the last point."""
    if draft.item + 1 < len(draft.steps):
        await ask_hold(update, context, changed(draft, item=draft.item + 1))
    else:
        await ask_schedule(update, context, draft)


SCHEDULE_LABELS = {
    Schedule.DAILY: N_("📅 Every day"),
    Schedule.WEEKDAYS: N_("🗓 On chosen weekdays"),
    Schedule.PER_WEEK: N_("🔢 A number of days a week (the patient picks)"),
}


async def ask_schedule(
    update: Update, context: AcubotContext, draft: Draft, *, replace: bool = False
) -> None:
    await _save(update, context, Step.SCHEDULE, draft)
    tr = context.tr
    rows = [
        [_button(_ticked(tr._(label), draft.schedule is schedule), "sch", schedule.value)]
        for schedule, label in SCHEDULE_LABELS.items()
    ]
    rows.append(_nav(tr, Step.SCHEDULE))
    await show_step(
        update,
        context,
        tr._("📅 <b>Which days should the patient practise?</b>"),
        InlineKeyboardMarkup(rows),
        replace=replace,
    )


async def ask_weekdays(
    update: Update,
    context: AcubotContext,
    draft: Draft,
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await _save(update, context, Step.WEEKDAYS, draft)
    tr = context.tr
    chosen = set(weekdays_of(draft.weekdays))
    lines = [
        *_warning(problem),
        tr._("🗓 Tap the days to practise, then ✅ Done."),
    ]
    days = [
        _button(_ticked(_short_weekday(tr, day), day in chosen), "wd", str(day)) for day in range(7)
    ]
    rows = [
        days[:4],
        days[4:],
        [_button(tr._("✅ Done: these days"), "done")],
        _nav(tr, Step.WEEKDAYS),
    ]
    await show_step(update, context, "\n".join(lines), InlineKeyboardMarkup(rows), replace=replace)


async def ask_per_week(
    update: Update, context: AcubotContext, draft: Draft, *, replace: bool = False
) -> None:
    await _save(update, context, Step.PER_WEEK, draft)
    tr = context.tr
    row = [
        _button(_ticked(tr.number(days), draft.days_per_week == days), "dpw", str(days))
        for days in range(1, 8)
    ]
    await show_step(
        update,
        context,
        tr._("🔢 <b>How many days a week?</b> The patient chooses which days when they start."),
        InlineKeyboardMarkup([row, _nav(tr, Step.PER_WEEK)]),
        replace=replace,
    )


async def ask_times(
    update: Update, context: AcubotContext, draft: Draft, *, replace: bool = False
) -> None:
    await _save(update, context, Step.TIMES, draft)
    tr = context.tr
    rows = [
        [_button(_ticked(tr._("⏰ Once a day"), draft.times_per_day == 1), "times", "1")],
        [_button(_ticked(tr._("⏰⏰ Twice a day"), draft.times_per_day == 2), "times", "2")],
        _nav(tr, Step.TIMES),
    ]
    await show_step(
        update,
        context,
        tr._("⏰ <b>How many reminders a day?</b> The patient chooses the times."),
        InlineKeyboardMarkup(rows),
        replace=replace,
    )


async def ask_course(
    update: Update,
    context: AcubotContext,
    draft: Draft,
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await _save(update, context, Step.COURSE, draft)
    tr = context.tr
    lines = [
        *_warning(problem),
        tr._(
            "🗓 <b>How long is the course?</b> Choose, type a number of weeks from 1 to 26, "
            "or choose open-ended."
        ),
    ]
    current = draft.course_weeks if draft.course_chosen else None
    weeks = sorted({*COURSE_CHOICES, *([current] if current else [])})
    row = [
        _button(_ticked(tr.n_("{n} week", "{n} weeks", n), n == current), "wk", str(n))
        for n in weeks
    ]
    open_ended = draft.course_chosen and draft.course_weeks is None
    rows = [
        *_rows(row, BUTTONS_PER_ROW),
        [_button(_ticked(tr._("♾ Open-ended"), open_ended), "open")],
        _nav(tr, Step.COURSE),
    ]
    await show_step(update, context, "\n".join(lines), InlineKeyboardMarkup(rows), replace=replace)


async def ask_message(
    update: Update,
    context: AcubotContext,
    draft: Draft,
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    """The practitioner's note, shown to the patient with the programme (optional)."""
    await _save(update, context, Step.MESSAGE, draft)
    tr = context.tr
    lines = [
        *_warning(problem),
        tr._(
            "💬 <b>A note from you to the patient</b>, shown with the programme (optional, "
            "up to {limit} characters). Type it, or skip.",
            limit=tr.number(MAX_NOTE),
        ),
    ]
    rows = []
    if draft.note:
        lines.append(tr._("Now: <i>{note}</i>", note=escape(draft.note)))
        rows.append([_button(tr._("Keep this note"), "keep")])
    rows.append([_button(tr._("Skip: no note"), "skip")])
    rows.append(_nav(tr, Step.MESSAGE))
    await show_step(
        update, context, fit("\n".join(lines)), InlineKeyboardMarkup(rows), replace=replace
    )


def own_name(update: Update) -> str:
    """The staff member's Telegram name: the practitioner's name unless they type another."""
    return sender_of(update).full_name.strip()[:MAX_NAME] or str(sender_of(update).id)


async def ask_name(
    update: Update,
    context: AcubotContext,
    draft: Draft,
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    """The practitioner's name patients see: the staff member's own by default."""
    name = draft.practitioner_name or own_name(update)
    draft = changed(draft, practitioner_name=name)
    await _save(update, context, Step.NAME, draft)
    tr = context.tr
    lines = [
        *_warning(problem),
        tr._(
            "👤 <b>Whose name should patients see?</b> Now: <b>{name}</b>. "
            "Keep it, or type another (for example “Dr. Lin, L.Ac.”).",
            name=escape(name),
        ),
    ]
    rows = [[_button(tr._("Keep “{name}”", name=name), "keep")], _nav(tr, Step.NAME)]
    await show_step(update, context, "\n".join(lines), InlineKeyboardMarkup(rows), replace=replace)


def link_days(tr: Translator, context: AcubotContext) -> str:
    """How long a new link can be opened (PROGRAMME_LINK_DAYS), in words."""
    days = context.services.settings.programme_link_days
    return tr.n_("{n} day from today", "{n} days from today", days)


async def ask_link(
    update: Update, context: AcubotContext, draft: Draft, *, replace: bool = False
) -> None:
    await _save(update, context, Step.LINK, draft)
    tr = context.tr
    rows = [
        [_button(_ticked(tr._(ONE_PATIENT), draft.single_use is True), "link", "one")],
        [_button(_ticked(tr._(REUSABLE), draft.single_use is False), "link", "many")],
        _nav(tr, Step.LINK),
    ]
    await show_step(
        update,
        context,
        tr._(
            "🔗 <b>Who is the link for?</b> Either way it can be opened for {days}.",
            days=link_days(tr, context),
        ),
        InlineKeyboardMarkup(rows),
        replace=replace,
    )


async def show_preview(update: Update, context: AcubotContext, draft: Draft) -> None:
    """The programme exactly as the patient's card shows it, then Confirm."""
    await _save(update, context, Step.PREVIEW, draft)
    tr = context.tr
    await remove_buttons(update)
    spec = draft.spec(own_name(update))
    await reply_html(update, context, programme_card(tr, context.catalogue, spec))
    lines = [tr._("☝️ That is what the patient will see.")]
    if draft.programme_id is not None:
        lines.append(
            tr._(
                "Confirming saves it as a new version. Patients already following it keep "
                "theirs until they accept the update; new patients start with this one."
            )
        )
    elif draft.single_use:
        lines.append(
            tr._(
                "Then you get a link and a QR code for one patient, valid for {days}.",
                days=link_days(tr, context),
            )
        )
    else:
        lines.append(
            tr._(
                "Then you get a reusable link and QR code, valid for {days}.",
                days=link_days(tr, context),
            )
        )
    keyboard = InlineKeyboardMarkup(
        [[_button(tr._("✅ Confirm and save"), "confirm")], _nav(tr, Step.PREVIEW)]
    )
    await reply_html(update, context, "\n".join(lines), keyboard)


def changed(draft: Draft, **changes: Any) -> Draft:
    """The draft with some answers changed."""
    return Draft.from_data({**draft.to_data(), **changes})
