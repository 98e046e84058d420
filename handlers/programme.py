"""A patient's home programme: /start <code> starts one, /programme shows it.

Opening a practitioner's link (`/start <code>`) checks the signed code and
its link row, shows the programme, and asks for the days (when the patient
picks them), the reminder time(s) and the zone; ✅ Start claims the link,
enrols the patient and points their reminder at the programme, in one
transaction. The flow's step is a pending step in the database, so another
instance can take the next answer. A bad code changes nothing and is logged
with the link id it claims, never the code.

/programme shows the programme, the week and the days done, and offers to
leave it (back to the clinic's routine) or to take the practitioner's update.
"""

from __future__ import annotations

import logging
from datetime import time
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from content.i18n import N_, Translator
from content.own_words import typed_time
from handlers.consent import consent_keyboard, consent_question
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import (
    Flow,
    pending_for_button,
    register_flow,
    save_step,
    show_step,
    stop_pending,
)
from handlers.language import store_person
from handlers.programme_view import programme_card, weekdays_text
from handlers.reply import reply_html
from handlers.subscribe import problem_lines, zone_lines, zone_question
from handlers.update_parts import chat_of, message_of, query_of, sender_of
from scheduler import callback_data as cb
from scheduler.programme_codes import MAX_START_PARAMETER, BadLinkCode, verify
from scheduler.programme_enrolment import (
    first_firing,
    start_programme,
    update_programme,
)
from scheduler.reminder_message import local_when
from scheduler.time_input import (
    find_zone,
    parse_time_of_day,
    zone_for_location,
    zone_label,
    zone_note,
)
from storage import programmes, reminders
from storage.consent import current_consent
from storage.pending import PendingRecord, clear_pending
from storage.programmes import (
    ALL_WEEKDAYS,
    ClaimResult,
    ProgrammeSpec,
    ProgrammeVersionRecord,
    Schedule,
    parse_times,
    weekdays_of,
)
from storage.safety import is_pregnant

log = logging.getLogger(__name__)

FLOW = "programme"
ASK_DAYS, ASK_TIME, ASK_ZONE, CONFIRM = "days", "time", "zone", "confirm"
PRESET_TIMES = ("07:00", "08:00", "12:00", "18:00", "21:00")
STOPPED = N_("I stopped setting up the programme. Nothing was changed.")
EXPIRED = N_(
    "This question has expired. Open your practitioner's link again to start the programme."
)
NOT_VALID = N_(
    "⚠️ I couldn't open this programme link: it is incomplete or not valid. Please scan the "
    "QR code again, or ask your practitioner for a new link. Nothing was changed."
)
LINK_EXPIRED = N_(
    "⌛ This programme link has expired. Please ask your practitioner for a new one. "
    "Nothing was changed."
)
LINK_USED = N_(
    "This programme link was made for one patient and has already been used. Please ask "
    "your practitioner for a link of your own. Nothing was changed."
)
REFUSALS = {
    ClaimResult.EXPIRED: LINK_EXPIRED,
    ClaimResult.USED: LINK_USED,
    ClaimResult.UNKNOWN: NOT_VALID,
}


# ---- opening a link ---------------------------------------------------------


async def refuse(
    update: Update, context: AcubotContext, reason: str, link_id: int | None, message: str
) -> None:
    """A bad link: say so, change nothing, log the reason and the claimed link id only."""
    log.info("Programme link refused: %s (link %s)", reason, link_id)
    await reply_html(update, context, context.tr._(message))


async def open_link(update: Update, context: AcubotContext, code: str) -> None:
    """`/start <code>`: checks the code and its link, then shows the programme."""
    services = context.services
    user = sender_of(update)
    now = services.now()
    if len(code) > MAX_START_PARAMETER:
        await refuse(update, context, "overlong", None, NOT_VALID)
        return
    try:
        checked = verify(code, services.link_secret, now)
    except BadLinkCode as bad:
        message = LINK_EXPIRED if bad.reason == "expired" else NOT_VALID
        await refuse(update, context, bad.reason, bad.link_id, message)
        return
    async with services.sessions() as session:
        link = await programmes.get_link(session=session, link_id=checked.link_id)
        state = (
            programmes.link_is_open(link, user_id=user.id, now=now)
            if link is not None
            else ClaimResult.UNKNOWN
        )
        record = (
            await programmes.get_version(session=session, programme_id=link.programme_id)
            if link is not None and state is ClaimResult.OK
            else None
        )
        if record is None and state is ClaimResult.OK:
            state = ClaimResult.UNKNOWN
        sub = await reminders.get_subscription(session=session, user_id=user.id)
        current = await programmes.active_enrolment(session=session, user_id=user.id)
        pregnant = await is_pregnant(session=session, user_id=user.id)
    if state is not ClaimResult.OK or link is None or record is None:
        await refuse(update, context, state.value, checked.link_id, REFUSALS[state])
        return
    async with services.sessions.begin() as session:
        await store_person(session, services, user, chat_of(update).id, unblock=True)
    tr = context.tr
    spec = record.spec
    text = programme_card(tr, context.catalogue, spec, pregnant=pregnant)
    if current is not None:
        async with services.sessions() as session:
            following = await programmes.get_version(
                session=session, programme_id=current.programme_id, version=current.version
            )
        if following is not None:
            text += "\n\n" + tr._(
                "ℹ️ You are following <b>{title}</b> now: starting this one ends it.",
                title=escape(following.spec.title),
            )
    await reply_html(update, context, text)
    data = flow_data(record, link_id=link.id, zone=sub.timezone if sub else None, context=context)
    await first_question(update, context, data)


def flow_data(
    record: ProgrammeVersionRecord,
    *,
    link_id: int,
    zone: str | None,
    context: AcubotContext,
    updating: int | None = None,
) -> dict[str, Any]:
    """The flow's starting state for a programme version (`updating`: the enrolment it updates).

    The zone is the patient's reminder's, else the clinic's (as /remind does).
    """
    spec = record.spec
    data: dict[str, Any] = {
        "link": link_id,
        "programme": record.programme_id,
        "version": record.version,
        "title": spec.title,
        "pick": _days_to_pick(spec),
        "weekdays": _fixed_weekdays(spec),
        "count": spec.times_per_day,
        "times": [],
        "zone": zone or context.services.settings.clinic_timezone,
    }
    if updating is not None:
        data["update"] = updating
    return data


def _days_to_pick(spec: ProgrammeSpec) -> int:
    """How many weekdays the patient chooses (0: the programme sets them)."""
    if spec.schedule is Schedule.PER_WEEK and spec.days_per_week and spec.days_per_week < 7:
        return spec.days_per_week
    return 0


def _fixed_weekdays(spec: ProgrammeSpec) -> int:
    if spec.schedule is Schedule.WEEKDAYS:
        return spec.weekdays
    if spec.schedule is Schedule.PER_WEEK and _days_to_pick(spec):
        return 0  # the patient picks them
    return ALL_WEEKDAYS


async def first_question(
    update: Update, context: AcubotContext, data: dict[str, Any], *, replace: bool = False
) -> None:
    if data["pick"]:
        await ask_days(update, context, data, replace=replace)
    else:
        await ask_time(update, context, data, replace=replace)


# ---- the questions ----------------------------------------------------------


def _data(action: str, value: str = "") -> str:
    return cb.encode(cb.EnrolButton(action, value))


def _cancel_button(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(tr._("✖ Cancel"), callback_data=_data("cancel"))


def _short_day(tr: Translator, day: int) -> str:
    return str(tr.locale.days["format"]["abbreviated"][day])


async def ask_days(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    """Per-week programmes: the patient toggles weekdays; Done once exactly N are chosen."""
    await save_step(update, context, FLOW, ASK_DAYS, data)
    tr = context.tr
    mask, wanted = int(data["weekdays"]), int(data["pick"])
    days = [
        InlineKeyboardButton(
            ("✅ " if mask & (1 << day) else "") + _short_day(tr, day),
            callback_data=_data("day", str(day)),
        )
        for day in range(7)
    ]
    rows = [days[:4], days[4:]]
    chosen = len(weekdays_of(mask))
    if chosen == wanted:
        rows.append([InlineKeyboardButton(tr._("Done ▶"), callback_data=_data("days"))])
    rows.append([_cancel_button(tr)])
    lines = problem_lines(tr, problem)
    lines += [
        tr.n_(
            "📅 <b>Which day of the week will you practise?</b>",
            "📅 <b>Which {n} days of the week will you practise?</b>",
            wanted,
        ),
        tr._("Tap the days to choose them, then Done."),
        tr.n_("Chosen: {n} of {goal}", "Chosen: {n} of {goal}", chosen, goal=tr.number(wanted)),
    ]
    await show_step(update, context, "\n".join(lines), InlineKeyboardMarkup(rows), replace=replace)


async def ask_time(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    """The next reminder time: the first, or the second for a twice-daily programme."""
    await save_step(update, context, FLOW, ASK_TIME, data)
    tr = context.tr
    taken = set(data["times"])
    times = [
        InlineKeyboardButton(
            tr.time(time.fromisoformat(t)), callback_data=_data("t", t.replace(":", ""))
        )
        for t in PRESET_TIMES
        if t not in taken
    ]
    rows = [times[:3], times[3:]]
    rows.append([InlineKeyboardButton(tr._("🌍 Change time zone"), callback_data=_data("zone"))])
    if data["pick"]:
        rows.append([InlineKeyboardButton(tr._("📅 Change days"), callback_data=_data("back"))])
    rows.append([_cancel_button(tr)])
    lines = problem_lines(tr, problem)
    if int(data["count"]) == 1:
        lines.append(tr._("⏰ <b>What time should I remind you?</b>"))
    elif not taken:
        lines.append(tr._("⏰ <b>What time should your first reminder of the day come?</b>"))
    else:
        first = tr.time(time.fromisoformat(data["times"][0]))
        lines.append(
            tr._(
                "⏰ First reminder: {time}. <b>And the second one?</b>",
                time=first,
            )
        )
    lines += [
        tr._(
            "Tap a time, or type one such as <code>7:30</code>, <code>19:30</code> or "
            "<code>7:30 pm</code>."
        ),
        "",
        *zone_lines(tr, data["zone"]),
    ]
    await show_step(
        update,
        context,
        "\n".join(lines),
        InlineKeyboardMarkup([r for r in rows if r]),
        replace=replace,
    )


async def ask_zone(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    suggestions: tuple[str, ...] = (),
    *,
    replace: bool = False,
) -> None:
    await save_step(update, context, FLOW, ASK_ZONE, data)
    tr = context.tr
    back = InlineKeyboardButton(tr._("◀ Back"), callback_data=_data("time"))
    text, keyboard = zone_question(
        tr, suggestions, lambda zone: _data("z", zone), [back, _cancel_button(tr)], problem
    )
    await show_step(update, context, text, keyboard, replace=replace)


def _times_text(tr: Translator, values: list[str]) -> str:
    return tr.list([f"<b>{tr.time(time.fromisoformat(v))}</b>" for v in sorted(values)])


def days_line(tr: Translator, mask: int) -> str:
    if mask == ALL_WEEKDAYS:
        return tr._("every day")
    return weekdays_text(tr, mask)


async def ask_confirm(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await save_step(update, context, FLOW, CONFIRM, data)
    tr = context.tr
    times = parse_times(data["times"])
    first = first_firing(
        times, int(data["weekdays"]), ZoneInfo(data["zone"]), context.services.now()
    )
    rows = [
        [InlineKeyboardButton(tr._("✅ Start the programme"), callback_data=_data("ok"))],
        [
            InlineKeyboardButton(tr._("🕐 Change time"), callback_data=_data("time")),
            InlineKeyboardButton(tr._("🌍 Change zone"), callback_data=_data("zone")),
        ],
    ]
    if data["pick"]:
        rows.append([InlineKeyboardButton(tr._("📅 Change days"), callback_data=_data("back"))])
    rows.append([_cancel_button(tr)])
    lines = problem_lines(tr, problem)
    lines += [
        tr._("<b>Start “{title}”?</b>", title=escape(data["title"])),
        tr._(
            "I'll remind you on {days} at {times}, in {zone}.",
            days=escape(days_line(tr, int(data["weekdays"]))),
            times=_times_text(tr, data["times"]),
            zone=escape(zone_label(data["zone"])),
        ),
        tr._("The first reminder would come on {when}.", when=local_when(tr, first, data["zone"])),
    ]
    if note := zone_note(data["zone"]):
        lines += ["", f"<i>{escape(tr._(note))}</i>"]
    await show_step(update, context, "\n".join(lines), InlineKeyboardMarkup(rows), replace=replace)


async def _after_time(
    update: Update, context: AcubotContext, data: dict[str, Any], *, replace: bool = False
) -> None:
    """Once every time of the day is chosen: confirm; otherwise the next time."""
    if len(data["times"]) >= int(data["count"]):
        await ask_confirm(update, context, data, replace=replace)
    else:
        await ask_time(update, context, data, replace=replace)


def _add_time(data: dict[str, Any], value: time) -> str | None:
    """Adds a chosen time; a problem (message id) if it repeats the first one."""
    hh_mm = value.strftime("%H:%M")
    if hh_mm in data["times"]:
        return N_("That is the time of your first reminder. Please choose a different time.")
    data["times"] = sorted([*data["times"], hh_mm])
    return None


# ---- answers ----------------------------------------------------------------


async def answer(update: Update, context: AcubotContext, pending: PendingRecord) -> None:
    """A typed time or place, or a shared location, for the step that is waiting."""
    data = dict(pending.data)
    message = message_of(update)
    text = message.text or ""
    if pending.step == ASK_DAYS and not message.location:
        await ask_days(update, context, data, N_("Please tap the days on the buttons below."))
        return
    if pending.step == ASK_ZONE or message.location:
        if message.location:
            match = zone_for_location(message.location.latitude, message.location.longitude)
        else:
            match = find_zone(text)
        if match.zone is None:
            await ask_zone(update, context, data, match.problem, match.suggestions)
            return
        data["zone"] = match.zone
        await _resume(update, context, data)
        return
    parsed = parse_time_of_day(text)
    if parsed.value is None and (in_words := typed_time(text)) is not None:
        parsed = parse_time_of_day(in_words)
    if parsed.value is None:
        place = find_zone(text) if any(c.isalpha() for c in text) else None
        if place is not None and place.zone is not None:
            data["zone"] = place.zone
            await _resume(update, context, data)
            return
        problem = place.problem if place is not None else parsed.problem
        if pending.step == CONFIRM:
            await ask_confirm(update, context, data, problem)
        else:
            await ask_time(update, context, data, problem)
        return
    if pending.step == CONFIRM:
        data["times"] = []  # a new time typed at the end starts the times again
    problem = _add_time(data, parsed.value)
    if problem:
        await ask_time(update, context, data, problem)
        return
    await _after_time(update, context, data)


async def _resume(
    update: Update, context: AcubotContext, data: dict[str, Any], *, replace: bool = False
) -> None:
    """Back to where the patient was before the zone question."""
    if data["pick"] and len(weekdays_of(int(data["weekdays"]))) != int(data["pick"]):
        await ask_days(update, context, data, replace=replace)
    else:
        await _after_time(update, context, data, replace=replace)


async def button(update: Update, context: AcubotContext) -> None:
    """Every button of the flow: weekdays, preset times, zones, start, change, cancel."""
    query = query_of(update)
    pressed = cb.decode_as(query.data, cb.EnrolButton)
    pending = await pending_for_button(update, context, FLOW, EXPIRED)
    if pending is None:
        return
    tr = context.tr
    data = dict(pending.data)
    action, value = (pressed.action, pressed.value) if pressed else ("", "")
    if action == "day" and data["pick"] and pending.step == ASK_DAYS:
        data["weekdays"] = int(data["weekdays"]) ^ (1 << int(value))
        await ask_days(update, context, data, replace=True)
    elif action == "days" and len(weekdays_of(int(data["weekdays"]))) == int(data["pick"] or -1):
        await ask_time(update, context, data, replace=True)
    elif action == "back" and data["pick"]:
        await ask_days(update, context, data, replace=True)
    elif action == "t" and pending.step == ASK_TIME:
        problem = _add_time(data, time(int(value[:2]), int(value[2:])))
        if problem:
            await ask_time(update, context, data, problem, replace=True)
        else:
            await _after_time(update, context, data, replace=True)
    elif action == "time":
        data["times"] = []
        await ask_time(update, context, data, replace=True)
    elif action == "zone":
        await ask_zone(update, context, data, replace=True)
    elif action == "z" and find_zone(value).zone == value:
        data["zone"] = value
        await _resume(update, context, data, replace=True)
    elif action == "ok" and pending.step == CONFIRM:
        await confirm(update, context, data)
    elif action == "cancel":
        await stop_pending(context, sender_of(update).id)
        await show_step(update, context, tr._(STOPPED), replace=True)
    else:
        await reply_html(
            update,
            context,
            tr._("That button no longer applies. Open your practitioner's link again to start."),
        )


async def confirm(update: Update, context: AcubotContext, data: dict[str, Any]) -> None:
    """Claims the link, enrols, points the reminder at the programme: one transaction."""
    services = context.services
    user = sender_of(update)
    now = services.now()
    times = parse_times(data["times"])
    async with services.sessions.begin() as session:
        await store_person(session, services, user, chat_of(update).id, unblock=True)
        if data.get("update"):  # a newer version that asks for other days or times
            started = await update_programme(
                session=session,
                user_id=user.id,
                chat_id=chat_of(update).id,
                enrolment_id=int(data["update"]),
                version=int(data["version"]),
                weekdays=int(data["weekdays"]),
                times=times,
                zone=data["zone"],
                now=now,
            )
        else:
            started = await start_programme(
                session=session,
                user_id=user.id,
                chat_id=chat_of(update).id,
                link_id=int(data["link"]),
                programme_id=int(data["programme"]),
                version=int(data["version"]),
                weekdays=int(data["weekdays"]),
                times=times,
                zone=data["zone"],
                now=now,
            )
        await clear_pending(session=session, user_id=user.id)
    services.pending.forget(user.id)
    tr = context.tr
    if started.result is not ClaimResult.OK or started.next_due is None:
        log.info("Programme link refused at confirm: %s (link %s)", started.result, data["link"])
        await show_step(update, context, tr._(REFUSALS[started.result]), replace=True)
        return
    lines = [
        tr._(
            "✅ <b>You have started “{title}”.</b> I'll remind you on {days} at {times}.",
            title=escape(data["title"]),
            days=escape(days_line(tr, int(data["weekdays"]))),
            times=_times_text(tr, data["times"]),
        ),
        "",
        tr._("First reminder: <b>{when}</b>.", when=local_when(tr, started.next_due, data["zone"])),
        tr._(
            "/routine guides you through your points now; /programme shows the programme "
            "and your progress."
        ),
    ]
    async with services.sessions() as session:
        current = await current_consent(session=session, user_id=user.id)
    if current is not None and current.shares:
        await show_step(update, context, "\n".join(lines), replace=True)
        return
    # Right after the start, in the same message: may the practitioner follow it?
    question = consent_question(tr, services.settings.clinic_name, current, status=False)
    await show_step(
        update, context, "\n".join([*lines, "", question]), consent_keyboard(tr), replace=True
    )


def register(app: AcubotApp) -> None:
    app.add_handler(CallbackQueryHandler(button, pattern=cb.pattern(cb.EnrolButton)))
    register_flow(app, Flow(FLOW, answer, STOPPED))
