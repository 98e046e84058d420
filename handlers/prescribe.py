"""/prescribe and /programmes: staff write a home programme and hand out its link and QR code.

The draft lives in the pending step (database), like /broadcast's: nothing
is stored as a programme until staff confirm, and every step has ◀ Back
and ✖ Cancel. Every command, answer and button checks again that the
person is staff. The rules (reading typed codes and holds, defaults, the
draft's shape) are in scheduler/prescription.py; the preview is the
patient's own card (handlers/programme_view.py). Editing a programme from
/programmes runs the same questions, prefilled, and saves a new version.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.catalogue import Catalogue
from content.i18n import N_, Translator
from content.qr_code import qr_png
from content.schema import Point
from handlers.admin import require_admin
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import (
    Flow,
    live_pending,
    pending_for_button,
    register_flow,
    remove_buttons,
    save_step,
    show_step,
)
from handlers.programme_view import programme_card
from handlers.render import fit
from handlers.reply import reply_html
from handlers.update_parts import chat_of, message_of, query_of, sender_of
from scheduler import callback_data as cb
from scheduler.prescription import (
    COURSE_CHOICES,
    HOLD_CHOICES,
    MAX_NAME,
    MAX_NOTE,
    MAX_STEPS,
    Draft,
    Problem,
    Step,
    TypedPoints,
    read_course_weeks,
    read_hold,
    read_point_codes,
)
from scheduler.programme_codes import LinkCode, link_for, sign
from storage import programmes
from storage.pending import PendingRecord, clear_pending
from storage.programmes import Link, Schedule, weekday_mask, weekdays_of
from storage.types import has_unstorable

log = logging.getLogger(__name__)

FLOW = "prescribe"
STOPPED = N_("I stopped writing the programme. Nothing was saved.")
EXPIRED = N_("This programme draft is no longer open. Start again with /prescribe.")
EARLIER = N_("That button belongs to an earlier step. Please use the latest one.")
UNSTORABLE = N_(
    "That text contains an invisible control character (such as NUL) that I can't store. "
    "Please type or paste it again without it."
)
GONE = N_("That programme is no longer there. See /programmes.")
ONE_PATIENT = N_("👤 One patient (the link works once)")
REUSABLE = N_("👥 Reusable (any number of patients)")
LIST_LIMIT = 20  # programmes shown by /programmes (two buttons each)
BUTTONS_PER_ROW = 3


# ---- buttons ------------------------------------------------------------------


def _button(
    label: str, action: str, value: str = "", place: int | None = None
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=cb.encode(cb.PrescribeButton(action, value, place))
    )


def _programme_button(label: str, action: str, programme_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=cb.encode(cb.ProgrammeButton(action, programme_id))
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


# ---- names --------------------------------------------------------------------


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


# ---- the questions --------------------------------------------------------------


async def _save(update: Update, context: AcubotContext, step: Step, draft: Draft) -> None:
    await save_step(update, context, FLOW, step.value, draft.to_data())


async def begin(update: Update, context: AcubotContext) -> None:
    """/prescribe: a new programme (a command stopped any earlier draft, and said so)."""
    if not await require_admin(update, context, "/prescribe"):
        return
    await ask_title(update, context, Draft())


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


def _typed_report(tr: Translator, typed: TypedPoints, added: list[str], full: list[str]) -> str:
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


async def _after_note(update: Update, context: AcubotContext, draft: Draft) -> None:
    """The next point's hold, or the schedule after the last point."""
    if draft.item + 1 < len(draft.steps):
        await ask_hold(update, context, _with(draft, item=draft.item + 1))
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


def _own_name(update: Update) -> str:
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
    name = draft.practitioner_name or _own_name(update)
    draft = _with(draft, practitioner_name=name)
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


def _days(tr: Translator, context: AcubotContext) -> str:
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
            days=_days(tr, context),
        ),
        InlineKeyboardMarkup(rows),
        replace=replace,
    )


async def show_preview(update: Update, context: AcubotContext, draft: Draft) -> None:
    """The programme exactly as the patient's card shows it, then Confirm."""
    await _save(update, context, Step.PREVIEW, draft)
    tr = context.tr
    await remove_buttons(update)
    spec = draft.spec(_own_name(update))
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
                days=_days(tr, context),
            )
        )
    else:
        lines.append(
            tr._(
                "Then you get a reusable link and QR code, valid for {days}.",
                days=_days(tr, context),
            )
        )
    keyboard = InlineKeyboardMarkup(
        [[_button(tr._("✅ Confirm and save"), "confirm")], _nav(tr, Step.PREVIEW)]
    )
    await reply_html(update, context, "\n".join(lines), keyboard)


# ---- saving, links and QR codes -------------------------------------------------------------


def _link_caption(tr: Translator, context: AcubotContext, title: str, link: Link, url: str) -> str:
    zone = context.services.settings.zone
    local = link.expires_at.astimezone(zone)
    who = (
        tr._("🔗 A link for <b>one patient</b> to start “{title}”:", title=escape(title))
        if link.single_use
        else tr._("🔗 A <b>reusable</b> link to start “{title}”:", title=escape(title))
    )
    return "\n".join(
        [
            who,
            url,
            tr._(
                "It can be opened until {date}, {time} ({zone}).",
                date=tr.date(local.date(), "long"),
                time=tr.time(local),
                zone=escape(zone.key),
            ),
            tr._(
                "Print the QR code or show it on a screen; the patient scans it with their phone."
            ),
        ]
    )


async def send_link(
    update: Update, context: AcubotContext, programme_id: int, title: str, link: Link
) -> None:
    """The deep link and its QR picture (caption: the link and until when it works)."""
    code = sign(
        LinkCode(link_id=link.id, expires_at=link.expires_at, single_use=link.single_use),
        context.services.link_secret,
    )
    url = link_for(context.bot.username, code)
    log.info("Programme %s: link %s made by staff %s", programme_id, link.id, link.created_by)
    await context.bot.send_photo(
        chat_id=chat_of(update).id,
        photo=qr_png(url),
        caption=_link_caption(context.tr, context, title, link, url),
    )


async def _new_link(
    update: Update, context: AcubotContext, programme_id: int, *, single_use: bool
) -> Link:
    services = context.services
    now = services.now()
    async with services.sessions.begin() as session:
        return await programmes.create_link(
            session=session,
            programme_id=programme_id,
            single_use=single_use,
            expires_at=now + timedelta(days=services.settings.programme_link_days),
            created_by=sender_of(update).id,
            now=now,
        )


async def confirm(update: Update, context: AcubotContext, draft: Draft) -> None:
    """Stores the programme (or its next version) and, for a new one, its first link.

    Deleting the pending step is the claim: of two taps on Confirm (or two
    instances), only the one that deleted it stores anything.
    """
    services, tr = context.services, context.tr
    user_id = sender_of(update).id
    now = services.now()
    spec = draft.spec(_own_name(update))
    if spec.problems():  # the questions make this impossible; say so rather than fail
        log.warning("Programme draft refused at Confirm: %s", "; ".join(spec.problems()))
        incomplete = tr._("This draft is incomplete. Please go back and check it.")
        await reply_html(update, context, incomplete)
        return
    link: Link | None = None
    version = 1
    async with services.sessions.begin() as session:
        if not await clear_pending(session=session, user_id=user_id):
            programme_id = None
        elif draft.programme_id is None:
            programme_id = await programmes.create_programme(
                session=session, spec=spec, created_by=user_id, now=now
            )
            link = await programmes.create_link(
                session=session,
                programme_id=programme_id,
                single_use=bool(draft.single_use),
                expires_at=now + timedelta(days=services.settings.programme_link_days),
                created_by=user_id,
                now=now,
            )
        else:
            programme_id = draft.programme_id
            try:
                version = await programmes.save_new_version(
                    session=session, programme_id=programme_id, spec=spec, now=now
                )
            except LookupError:
                programme_id = None
    services.pending.forget(user_id)
    if programme_id is None:  # a second tap on Confirm (the press was answered already)
        await remove_buttons(update)
        await reply_html(
            update, context, tr._("This programme was already saved (or is gone). See /programmes.")
        )
        return
    saved = tr._(
        "✅ Saved “{title}”: programme #{number}, version {version}.",
        title=escape(spec.title),
        number=tr.number(programme_id),
        version=tr.number(version),
    )
    if link is None:
        keyboard = InlineKeyboardMarkup(
            [[_programme_button(tr._("🔗 New link"), "link", programme_id)]]
        )
        await show_step(update, context, saved, keyboard, replace=True)
        return
    await show_step(update, context, saved, replace=True)
    await send_link(update, context, programme_id, spec.title, link)


# ---- /programmes -------------------------------------------------------------------------


async def list_command(update: Update, context: AcubotContext) -> None:
    """/programmes: newest first, with how many started each and follow it now."""
    if not await require_admin(update, context, "/programmes"):
        return
    tr = context.tr
    async with context.services.sessions() as session:
        summaries = await programmes.list_programmes(session=session, limit=LIST_LIMIT)
    if not summaries:
        await reply_html(update, context, tr._("No programmes yet. Write one with /prescribe."))
        return
    lines = [tr._("📋 <b>Home programmes</b>, newest first"), ""]
    rows = []
    for summary in summaries:
        lines.append(
            tr._(
                "<b>#{number} {title}</b> · version {version} · {name}",
                number=tr.number(summary.programme_id),
                title=escape(summary.title),
                version=tr.number(summary.current_version),
                name=escape(summary.practitioner_name),
            )
        )
        lines.append(
            "   "
            + tr.n_("{n} patient started it", "{n} patients started it", summary.started)
            + " · "
            + tr.n_("{n} follows it now", "{n} follow it now", summary.active)
        )
        number = tr.number(summary.programme_id)
        rows.append(
            [
                _programme_button(
                    tr._("🔗 #{number} New link", number=number), "link", summary.programme_id
                ),
                _programme_button(
                    tr._("✏️ #{number} Edit", number=number), "edit", summary.programme_id
                ),
            ]
        )
    await reply_html(update, context, fit("\n".join(lines)), InlineKeyboardMarkup(rows))


async def programme_button(update: Update, context: AcubotContext) -> None:
    """/programmes' buttons: a new link (one patient or reusable), or edit as a new version."""
    query = query_of(update)
    if not await require_admin(update, context, "programme button"):
        return
    tr = context.tr
    button = cb.decode_as(query.data, cb.ProgrammeButton)
    if button is None:
        await query.answer(tr._(GONE), show_alert=True)
        return
    async with context.services.sessions() as session:
        record = await programmes.get_version(session=session, programme_id=button.programme_id)
    if record is None:
        await query.answer(tr._(GONE), show_alert=True)
        await remove_buttons(update)
        return
    await query.answer()
    programme_id, title = record.programme_id, record.spec.title
    if button.action == "link":
        keyboard = InlineKeyboardMarkup(
            [
                [_programme_button(tr._(ONE_PATIENT), "one", programme_id)],
                [_programme_button(tr._(REUSABLE), "many", programme_id)],
            ]
        )
        text = tr._(
            "🔗 A new link for “{title}” (version {version}). Who is it for? "
            "It can be opened for {days}.",
            title=escape(title),
            version=tr.number(record.version),
            days=_days(tr, context),
        )
        await reply_html(update, context, text, keyboard)
    elif button.action in {"one", "many"}:
        await remove_buttons(update)
        link = await _new_link(update, context, programme_id, single_use=button.action == "one")
        await send_link(update, context, programme_id, title, link)
    else:  # edit: the /prescribe questions, prefilled with the current version
        await ask_title(update, context, Draft.from_spec(record.spec, programme_id))


# ---- typed answers and buttons ---------------------------------------------------------


def _typed(update: Update) -> str:
    return (message_of(update).text or "").strip()


def _problem_text(tr: Translator, problem: Problem, out_of_range: str) -> str:
    if problem == "out_of_range":
        return out_of_range
    return tr._("I couldn't read that as a number.") + " " + out_of_range


async def answer(update: Update, context: AcubotContext, pending: PendingRecord) -> None:
    """Typed answers: the title, point codes, a hold, notes, a course, a name."""
    if not await require_admin(update, context, "prescribe step"):
        return
    tr = context.tr
    draft = Draft.from_data(pending.data)
    text = _typed(update)
    step = pending.step
    if has_unstorable(text):
        await _ask_again(update, context, step, draft, tr._(UNSTORABLE))
        return
    if step == Step.TITLE:
        if not text or len(text) > MAX_NAME:
            problem = tr._(
                "Please type a title of 1 to {limit} characters.", limit=tr.number(MAX_NAME)
            )
            await ask_title(update, context, draft, problem)
            return
        await ask_points(update, context, _with(draft, title=text, meridian=None))
    elif step == Step.POINTS:
        typed = read_point_codes(text, context.services.index)
        before = set(draft.codes)
        draft, full = draft.add_points(typed.codes, context.services.catalogue)
        added = [code for code in draft.codes if code not in before]
        await ask_points(update, context, draft, _typed_report(tr, typed, added, full))
    elif step == Step.HOLD and draft.item < len(draft.steps):
        seconds, why = read_hold(text)
        if seconds is None:
            said = tr._("A hold must be from 10 to 180 seconds (3 minutes).")
            await ask_hold(update, context, draft, _problem_text(tr, why or "unreadable", said))
            return
        await ask_note(update, context, draft.with_step(draft.item, hold_seconds=seconds))
    elif step == Step.NOTE and draft.item < len(draft.steps):
        if not text or len(text) > MAX_NOTE:
            await ask_note(update, context, draft, _note_problem(tr))
            return
        await _after_note(update, context, draft.with_step(draft.item, note=text))
    elif step == Step.COURSE:
        weeks, why = read_course_weeks(text)
        if weeks is None:
            said = tr._("A course is 1 to 26 weeks, or open-ended.")
            problem_text = _problem_text(tr, why or "unreadable", said)
            await ask_course(update, context, draft, problem_text)
            return
        await ask_message(update, context, _with(draft, course_weeks=weeks, course_chosen=True))
    elif step == Step.MESSAGE:
        if not text or len(text) > MAX_NOTE:
            await ask_message(update, context, draft, _note_problem(tr))
            return
        await ask_name(update, context, _with(draft, note=text))
    elif step == Step.NAME:
        if not text or len(text) > MAX_NAME:
            problem = tr._(
                "Please type a name of 1 to {limit} characters.", limit=tr.number(MAX_NAME)
            )
            await ask_name(update, context, draft, problem)
            return
        await _after_name(update, context, _with(draft, practitioner_name=text))
    else:
        await reply_html(update, context, tr._("Please use the buttons above, or /cancel."))


def _note_problem(tr: Translator) -> str:
    return tr._("Please type a note of 1 to {limit} characters.", limit=tr.number(MAX_NOTE))


def _with(draft: Draft, **changes: object) -> Draft:
    return Draft.from_data({**draft.to_data(), **changes})


async def _after_name(update: Update, context: AcubotContext, draft: Draft) -> None:
    if draft.programme_id is None:
        await ask_link(update, context, draft)
    else:  # a new version keeps the programme's links; /programmes makes new ones
        await show_preview(update, context, draft)


async def _ask_again(
    update: Update, context: AcubotContext, step: str, draft: Draft, problem: str
) -> None:
    """The same question again, with what was wrong."""
    if step == Step.TITLE:
        await ask_title(update, context, draft, problem)
    elif step == Step.NOTE and draft.item < len(draft.steps):
        await ask_note(update, context, draft, problem)
    elif step == Step.MESSAGE:
        await ask_message(update, context, draft, problem)
    elif step == Step.NAME:
        await ask_name(update, context, draft, problem)
    else:
        await reply_html(update, context, problem)


async def button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    if not await require_admin(update, context, "prescribe button"):
        return
    pressed = cb.decode_as(query.data, cb.PrescribeButton)
    if pressed is not None and pressed.action == "cancel":
        await cancel(update, context)
        return
    pending = await pending_for_button(update, context, FLOW, EXPIRED)
    if pending is None:
        return
    draft = Draft.from_data(pending.data)
    if pressed is None or not await _press(update, context, Step(pending.step), draft, pressed):
        await reply_html(update, context, context.tr._(EARLIER))


async def _press(
    update: Update, context: AcubotContext, step: Step, draft: Draft, pressed: cb.PrescribeButton
) -> bool:
    """Acts on a button of the step now waiting; False if it belongs to another step."""
    action, value, place = pressed.action, pressed.value, pressed.place
    catalogue = context.services.catalogue
    if action == "back":
        if value != step:
            return False
        await go_back(update, context, step, draft)
    elif step is Step.TITLE and action == "keep" and draft.title:
        await ask_points(update, context, draft, replace=True)
    elif step is Step.POINTS and action == "mer" and catalogue.points_on(value):
        await ask_points(update, context, _with(draft, meridian=value), replace=True)
    elif step is Step.POINTS and action == "meridians":
        await ask_points(update, context, _with(draft, meridian=None), replace=True)
    elif step is Step.POINTS and action == "pt" and catalogue.point(value):
        toggled, room = draft.toggle_point(value, catalogue)
        full = None
        if not room:
            full = "⚠️ " + context.tr._(
                "A programme has at most {limit} points.", limit=context.tr.number(MAX_STEPS)
            )
        await ask_points(update, context, toggled, full, replace=True)
    elif step is Step.POINTS and action == "done" and draft.steps:
        await ask_hold(update, context, _with(draft, item=0), replace=True)
    elif step is Step.HOLD and action == "hold" and place == draft.item:
        changed = draft.with_step(draft.item, hold_seconds=int(value))
        await ask_note(update, context, changed, replace=True)
    elif step is Step.NOTE and action in {"nkeep", "nskip"} and place == draft.item:
        if action == "nskip":
            draft = draft.with_step(draft.item, note=None)
        await remove_buttons(update)
        await _after_note(update, context, draft)
    elif step is Step.SCHEDULE and action == "sch":
        await _choose_schedule(update, context, draft, Schedule(value))
    elif step is Step.WEEKDAYS and action == "wd":
        mask = draft.weekdays ^ weekday_mask([int(value)])
        await ask_weekdays(update, context, _with(draft, weekdays=mask), replace=True)
    elif step is Step.WEEKDAYS and action == "done":
        if not draft.weekdays:
            none = context.tr._("Please choose at least one day.")
            await ask_weekdays(update, context, draft, none, replace=True)
        else:
            await ask_times(update, context, _with(draft, schedule=Schedule.WEEKDAYS), replace=True)
    elif step is Step.PER_WEEK and action == "dpw":
        changed = _with(draft, schedule=Schedule.PER_WEEK, days_per_week=int(value))
        await ask_times(update, context, changed, replace=True)
    elif step is Step.TIMES and action == "times":
        await ask_course(update, context, _with(draft, times_per_day=int(value)), replace=True)
    elif step is Step.COURSE and action in {"wk", "open"}:
        weeks = int(value) if action == "wk" else None
        changed = _with(draft, course_weeks=weeks, course_chosen=True)
        await ask_message(update, context, changed, replace=True)
    elif step is Step.MESSAGE and action in {"keep", "skip"}:
        changed = draft if action == "keep" else _with(draft, note=None)
        await ask_name(update, context, changed, replace=True)
    elif step is Step.NAME and action == "keep":
        await remove_buttons(update)
        await _after_name(update, context, draft)
    elif step is Step.LINK and action == "link":
        await show_preview(update, context, _with(draft, single_use=value == "one"))
    elif step is Step.PREVIEW and action == "confirm":
        await confirm(update, context, draft)
    else:
        return False
    return True


async def _choose_schedule(
    update: Update, context: AcubotContext, draft: Draft, schedule: Schedule
) -> None:
    if schedule is Schedule.WEEKDAYS:
        await ask_weekdays(update, context, draft, replace=True)
    elif schedule is Schedule.PER_WEEK:
        await ask_per_week(update, context, draft, replace=True)
    else:
        await ask_times(update, context, _with(draft, schedule=Schedule.DAILY), replace=True)


async def go_back(update: Update, context: AcubotContext, step: Step, draft: Draft) -> None:
    """◀ Back: the question before this one, with the answer given so far."""
    if step is Step.POINTS:
        await ask_title(update, context, draft, replace=True)
    elif step is Step.HOLD:
        if draft.item == 0:
            await ask_points(update, context, draft, replace=True)
        else:
            await ask_note(update, context, _with(draft, item=draft.item - 1), replace=True)
    elif step is Step.NOTE:
        await ask_hold(update, context, draft, replace=True)
    elif step is Step.SCHEDULE:
        last = max(len(draft.steps) - 1, 0)
        if draft.steps:
            await ask_note(update, context, _with(draft, item=last), replace=True)
        else:
            await ask_points(update, context, draft, replace=True)
    elif step in {Step.WEEKDAYS, Step.PER_WEEK}:
        await ask_schedule(update, context, draft, replace=True)
    elif step is Step.TIMES:
        if draft.schedule is Schedule.WEEKDAYS:
            await ask_weekdays(update, context, draft, replace=True)
        elif draft.schedule is Schedule.PER_WEEK:
            await ask_per_week(update, context, draft, replace=True)
        else:
            await ask_schedule(update, context, draft, replace=True)
    elif step is Step.COURSE:
        await ask_times(update, context, draft, replace=True)
    elif step is Step.MESSAGE:
        await ask_course(update, context, draft, replace=True)
    elif step is Step.NAME:
        await ask_message(update, context, draft, replace=True)
    elif step is Step.LINK:
        await ask_name(update, context, draft, replace=True)
    elif step is Step.PREVIEW:
        if draft.programme_id is None:
            await ask_link(update, context, draft, replace=True)
        else:
            await ask_name(update, context, draft, replace=True)
    else:
        await ask_title(update, context, draft, replace=True)


async def cancel(update: Update, context: AcubotContext) -> None:
    """✖ Cancel from any step: the draft is dropped; nothing was stored."""
    query = query_of(update)
    user_id = sender_of(update).id
    pending = await live_pending(context, user_id)
    had_draft = False
    if pending is not None and pending.flow == FLOW:
        async with context.services.sessions.begin() as session:
            had_draft = await clear_pending(session=session, user_id=user_id)
        context.services.pending.forget(user_id)
    if not had_draft:
        await query.answer(context.tr._(EXPIRED), show_alert=True)
        await remove_buttons(update)
        return
    await query.answer()
    await show_step(update, context, context.tr._(STOPPED), replace=True)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("prescribe", begin))
    app.add_handler(CommandHandler("programmes", list_command))
    app.add_handler(CallbackQueryHandler(button, pattern=cb.pattern(cb.PrescribeButton)))
    app.add_handler(CallbackQueryHandler(programme_button, pattern=cb.pattern(cb.ProgrammeButton)))
    register_flow(app, Flow(FLOW, answer, STOPPED))
