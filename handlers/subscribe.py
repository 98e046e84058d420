"""/remind: choose a daily reminder time and zone, confirm, subscribed.

The flow's state (chosen time, zone, step) is a pending step in the
database; nothing is subscribed, and nobody stored as a user, until the
patient presses Confirm (which is their consent to be messaged). A button
moves the question on in the same message, so an answered step cannot be
answered twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator
from content.own_words import typed_time
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import (
    Flow,
    live_pending,
    pending_for_button,
    register_flow,
    remove_buttons,
    save_step,
    show_step,
    stop_pending,
)
from handlers.language import store_person
from handlers.reply import reply_html
from handlers.update_parts import chat_of, message_of, query_of, sender_of
from scheduler import callback_data as cb
from scheduler import subscriptions
from scheduler.reminder_message import local_when
from scheduler.schedule_rule import next_fire_at
from scheduler.time_input import (
    COMMON_ZONES,
    find_zone,
    parse_time_of_day,
    zone_for_location,
    zone_label,
    zone_note,
)
from storage import reminders
from storage.pending import PendingRecord, clear_pending

FLOW = "remind"
ASK_TIME, ASK_ZONE, CONFIRM = "time", "zone", "confirm"
PRESET_TIMES = ("07:00", "08:00", "12:00", "18:00", "21:00")
STOPPED = N_("I stopped setting up your reminder. Nothing was changed.")
EXPIRED = N_("This question has expired. Send /remind to start again.")


def _data(action: str, value: str = "") -> str:
    return cb.encode(cb.SubscribeButton(action, value))


def _cancel_button(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(tr._("✖ Cancel"), callback_data=_data("cancel"))


def _clock(tr: Translator, hh_mm: str) -> str:
    """A chosen "HH:MM" as the patient's language writes times ("7:30 PM", "19:30")."""
    return tr.time(time.fromisoformat(hh_mm))


def problem_lines(tr: Translator, problem: str | None) -> list[str]:
    """A problem (a message id, or text already in the patient's language), then a gap."""
    return [f"⚠️ {escape(tr._(problem))}", ""] if problem else []


def zone_lines(tr: Translator, zone: str) -> list[str]:
    """ "Time zone: …", and a note when the zone never changes for daylight saving."""
    lines = [tr._("Time zone: {zone}", zone=escape(zone_label(zone)))]
    if note := zone_note(zone):
        lines.append(f"<i>{escape(tr._(note))}</i>")
    return lines


async def _save_step(
    update: Update, context: AcubotContext, step: str, data: dict[str, Any]
) -> None:
    await save_step(update, context, FLOW, step, data)


async def begin(update: Update, context: AcubotContext) -> None:
    """Starts the flow, keeping the current zone and routine if already subscribed."""
    services = context.services
    async with services.sessions() as session:
        existing = await reminders.get_subscription(session=session, user_id=sender_of(update).id)
    data = {
        "time": None,
        "zone": existing.timezone if existing else services.settings.clinic_timezone,
        "routine": existing.routine if existing else services.catalogue.default_routine.id,
    }
    await ask_time(update, context, data)


async def ask_time(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await _save_step(update, context, ASK_TIME, data)
    tr = context.tr
    times = [
        InlineKeyboardButton(_clock(tr, t), callback_data=_data("t", t.replace(":", "")))
        for t in PRESET_TIMES
    ]
    keyboard = InlineKeyboardMarkup(
        [
            times[:3],
            times[3:],
            [InlineKeyboardButton(tr._("🌍 Change time zone"), callback_data=_data("zone"))],
            [_cancel_button(tr)],
        ]
    )
    lines = problem_lines(tr, problem)
    lines += [
        tr._("⏰ <b>Daily acupressure reminder</b>"),
        tr._(
            "What time should I remind you each day? Tap a time, or type one such as "
            "<code>7:30</code>, <code>19:30</code> or <code>7:30 pm</code>."
        ),
        "",
        *zone_lines(tr, data["zone"]),
    ]
    await show_step(update, context, "\n".join(lines), keyboard, replace=replace)


async def ask_zone(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    suggestions: tuple[str, ...] = (),
    *,
    replace: bool = False,
) -> None:
    await _save_step(update, context, ASK_ZONE, data)
    tr = context.tr
    back = InlineKeyboardButton(tr._("◀ Back"), callback_data=_data("back"))
    text, keyboard = zone_question(
        tr, suggestions, lambda zone: _data("z", zone), [back, _cancel_button(tr)], problem
    )
    await show_step(update, context, text, keyboard, replace=replace)


def zone_question(
    tr: Translator,
    suggestions: tuple[str, ...],
    zone_data: Callable[[str], str],
    last_row: list[InlineKeyboardButton],
    problem: str | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """ "Which time zone are you in?": the suggested (or common) zones two a row, then `last_row`.

    /remind and a programme's set-up ask it alike; `zone_data` writes each zone's button data.
    """
    choices = suggestions or COMMON_ZONES
    buttons = [
        InlineKeyboardButton(zone_label(zone), callback_data=zone_data(zone)) for zone in choices
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(last_row)
    lines = problem_lines(tr, problem)
    lines += [
        tr._("🌍 <b>Which time zone are you in?</b>"),
        tr._(
            "Type your city or a time zone (for example <code>London</code> or "
            "<code>Europe/London</code>), share your location (📎 → Location), "
            "or pick one below."
        ),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def ask_confirm(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await _save_step(update, context, CONFIRM, data)
    services = context.services
    tr = context.tr
    chosen = time.fromisoformat(data["time"])
    first = next_fire_at(chosen, ZoneInfo(data["zone"]), services.now())
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(tr._("✅ Confirm"), callback_data=_data("ok"))],
            [
                InlineKeyboardButton(tr._("🕐 Change time"), callback_data=_data("time")),
                InlineKeyboardButton(tr._("🌍 Change zone"), callback_data=_data("zone")),
            ],
            [_cancel_button(tr)],
        ]
    )
    lines = problem_lines(tr, problem)
    lines += [
        tr._(
            "Remind you every day at <b>{time}</b> in {zone}?",
            time=tr.time(chosen),
            zone=escape(zone_label(data["zone"])),
        ),
        tr._(
            "The first reminder would come on {when}.",
            when=local_when(tr, first, data["zone"]),
        ),
    ]
    if note := zone_note(data["zone"]):
        lines += ["", f"<i>{escape(tr._(note))}</i>"]
    text = "\n".join(lines)
    await show_step(update, context, text, keyboard, replace=replace)


async def confirm(update: Update, context: AcubotContext, data: dict[str, Any]) -> None:
    """Saves the subscription and says when the next reminder comes.

    Confirming is the patient's consent to be messaged: it stores them as a
    user again if they had deleted their data.
    """
    services = context.services
    user = sender_of(update)
    user_id = user.id
    async with services.sessions.begin() as session:
        # With a /language choice made before they were stored: the reminders go out in it.
        await store_person(session, services, user, chat_of(update).id, unblock=True)
        before = await reminders.get_subscription(session=session, user_id=user_id)
        next_due = await subscriptions.subscribe(
            session=session,
            user_id=user_id,
            chat_id=chat_of(update).id,
            local_time=time.fromisoformat(data["time"]),
            zone=data["zone"],
            routine=data["routine"],
            now=services.now(),
        )
        await clear_pending(session=session, user_id=user_id)
    tr = context.tr
    routine = context.catalogue.routine(data["routine"])
    where = escape(zone_label(data["zone"]))
    at = _clock(tr, data["time"])
    if before is not None and before.active:  # a change, not a new subscription
        first_line = tr._(
            "✅ <b>Your reminder is now at {time}</b> every day, in {zone}.", time=at, zone=where
        )
    else:
        first_line = tr._(
            "✅ <b>You're subscribed.</b> I'll remind you every day at {time} in {zone}.",
            time=at,
            zone=where,
        )
    lines = [
        first_line,
        tr._("Routine: <i>{routine}</i>", routine=escape(routine.title)),
        "",
        tr._("Next reminder: <b>{when}</b>.", when=local_when(tr, next_due, data["zone"])),
        tr._("Change it any time with /settings; /pause or /stop when you need a break."),
    ]
    text = "\n".join(lines)
    await show_step(update, context, text, replace=True)


async def answer(update: Update, context: AcubotContext, pending: PendingRecord) -> None:
    """A typed time or place, or a shared location, for the step that is waiting."""
    data = dict(pending.data)
    message = message_of(update)
    point = None if message.location else context.services.index.find_in_text(message.text or "")
    if point is not None and parse_time_of_day(message.text or "").value is None:
        # A point's name is not an answer: ask again, and say how to see the point.
        hint = context.tr._(
            "“{text}” is the acupressure point {code} ({pinyin}), not an answer to this "
            "question. To see it, send /point {code} (that stops this question).",
            text=message.text,
            code=point.code,
            pinyin=point.pinyin,
        )
        if pending.step == ASK_ZONE:
            await ask_zone(update, context, data, hint)
        elif pending.step == CONFIRM:
            await ask_confirm_again(update, context, data, hint)
        else:
            await ask_time(update, context, data, hint)
        return
    if pending.step == ASK_ZONE or message.location:
        if message.location:
            match = zone_for_location(message.location.latitude, message.location.longitude)
        else:
            match = find_zone(message.text or "")
        if match.zone is None:
            await ask_zone(update, context, data, match.problem, match.suggestions)
            return
        data["zone"] = match.zone
        await (ask_confirm if data.get("time") else ask_time)(update, context, data)
        return
    parsed = parse_time_of_day(message.text or "")
    if parsed.value is None and (in_words := typed_time(message.text or "")) is not None:
        parsed = parse_time_of_day(in_words)  # "a las ocho y media", "晚上7点半"
    if parsed.value is None:
        # A place typed where a time was asked ("london"), or at the confirm
        # step ("tokyo"), is a zone change; a time already chosen stays.
        place = (
            find_zone(message.text or "") if any(c.isalpha() for c in message.text or "") else None
        )
        if place is not None and place.zone is not None:
            data["zone"] = place.zone
            await (ask_confirm if data.get("time") else ask_time)(update, context, data)
            return
        if pending.step == CONFIRM and data.get("time"):
            # Neither a time nor a place: ask again, keeping what was chosen.
            problem = place.problem if place is not None else parsed.problem
            await ask_confirm(update, context, data, problem)
            return
        await ask_time(update, context, data, parsed.problem)
        return
    data["time"] = parsed.value.strftime("%H:%M")
    await ask_confirm(update, context, data)


async def ask_confirm_again(
    update: Update, context: AcubotContext, data: dict[str, Any], problem: str
) -> None:
    await reply_html(update, context, f"⚠️ {escape(context.tr._(problem))}")
    await ask_confirm(update, context, data)


async def button(update: Update, context: AcubotContext) -> None:
    """Every button of the flow: preset times, zones, confirm, change, cancel."""
    query = query_of(update)
    pressed = cb.decode_as(query.data, cb.SubscribeButton)
    action, value = (pressed.action, pressed.value) if pressed else ("", "")
    if action == "begin":
        await query.answer()
        await begin(update, context)
        return
    if action == "ok" and await _already_confirmed(update, context):
        return
    tr = context.tr
    pending = await pending_for_button(update, context, FLOW, EXPIRED)
    if pending is None:
        return
    data = dict(pending.data)
    if action == "t":  # the codec accepts only a valid HHMM
        data["time"] = f"{value[:2]}:{value[2:]}"
        await ask_confirm(update, context, data, replace=True)
    elif action == "z" and find_zone(value).zone == value:
        data["zone"] = value
        await (ask_confirm if data.get("time") else ask_time)(update, context, data, replace=True)
    elif action == "zone":
        await ask_zone(update, context, data, replace=True)
    elif action == "back":  # from the zone list to where the patient was
        await (ask_confirm if data.get("time") else ask_time)(update, context, data, replace=True)
    elif action == "time":
        await ask_time(update, context, data, replace=True)
    elif action == "ok" and data.get("time"):
        await confirm(update, context, data)
    elif action == "cancel":
        await stop_pending(context, sender_of(update).id)
        await show_step(update, context, tr._(STOPPED), replace=True)
    else:
        await reply_html(
            update, context, tr._("That button no longer applies. Send /remind to start again.")
        )


async def _already_confirmed(update: Update, context: AcubotContext) -> bool:
    """A second ✅ Confirm after the reminder was saved: say it is done (True), act no more."""
    query = query_of(update)
    user_id = sender_of(update).id
    if await live_pending_of(context, user_id) is not None:
        return False
    async with context.services.sessions() as session:
        sub = await reminders.get_subscription(session=session, user_id=user_id)
    if sub is None or not sub.active:
        return False
    tr = context.tr
    await query.answer(
        tr._(
            "Already done: your reminder is set for {time}. /settings changes it.",
            time=tr.time(sub.local_time),
        ),
        show_alert=True,
    )
    await remove_buttons(update)
    return True


async def live_pending_of(context: AcubotContext, user_id: int) -> PendingRecord | None:
    pending = await live_pending(context, user_id)
    return pending if pending is not None and pending.flow == FLOW else None


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler(["remind", "subscribe"], begin))
    app.add_handler(CallbackQueryHandler(button, pattern=cb.pattern(cb.SubscribeButton)))
    register_flow(app, Flow(FLOW, answer, STOPPED, own_commands=frozenset({"remind", "subscribe"})))
