"""/prescribe: staff write a home programme; Confirm stores it and sends its link and QR code.

The draft lives in the pending step (database), like /broadcast's: nothing
is stored as a programme until staff confirm, and every step has ◀ Back
and ✖ Cancel. Every command, answer and button checks again that the
person is staff. This module reads the answers and routes the buttons; the
questions are in handlers/prescribe_steps.py, /programmes and the links in
handlers/prescribe_links.py, and the rules (typed codes and holds,
defaults, the draft's shape) in scheduler/prescription.py. Editing a
programme from /programmes runs the same questions, prefilled, and saves a
new version.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator
from handlers.admin import require_role
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import (
    Flow,
    live_pending,
    pending_for_button,
    register_flow,
    remove_buttons,
    show_step,
)
from handlers.prescribe_links import programme_button_for, send_link
from handlers.prescribe_steps import (
    FLOW,
    after_note,
    ask_course,
    ask_hold,
    ask_link,
    ask_message,
    ask_name,
    ask_note,
    ask_per_week,
    ask_points,
    ask_schedule,
    ask_times,
    ask_title,
    ask_weekdays,
    changed,
    own_name,
    show_preview,
    typed_report,
)
from handlers.reply import reply_html
from handlers.update_parts import message_of, query_of, sender_of
from scheduler import callback_data as cb
from scheduler.prescription import (
    MAX_NAME,
    MAX_NOTE,
    MAX_STEPS,
    Draft,
    Problem,
    Step,
    read_course_weeks,
    read_hold,
    read_point_codes,
)
from storage import programmes
from storage.pending import PendingRecord, clear_pending
from storage.programmes import Link, Schedule, weekday_mask
from storage.staff import Permission
from storage.types import has_unstorable

log = logging.getLogger(__name__)

STOPPED = N_("I stopped writing the programme. Nothing was saved.")
EXPIRED = N_("This programme draft is no longer open. Start again with /prescribe.")
EARLIER = N_("That button belongs to an earlier step. Please use the latest one.")
UNSTORABLE = N_(
    "That text contains an invisible control character (such as NUL) that I can't store. "
    "Please type or paste it again without it."
)


async def begin(update: Update, context: AcubotContext) -> None:
    """/prescribe: a new programme (a command stopped any earlier draft, and said so)."""
    if not await require_role(update, context, Permission.PROGRAMMES, "/prescribe"):
        return
    await ask_title(update, context, Draft())


async def confirm(update: Update, context: AcubotContext, draft: Draft) -> None:
    """Stores the programme (or its next version) and, for a new one, its first link.

    Deleting the pending step is the claim: of two taps on Confirm (or two
    instances), only the one that deleted it stores anything.
    """
    services, tr = context.services, context.tr
    user_id = sender_of(update).id
    now = services.now()
    spec = draft.spec(own_name(update))
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
            [[programme_button_for(tr._("🔗 New link"), "link", programme_id)]]
        )
        await show_step(update, context, saved, keyboard, replace=True)
        return
    await show_step(update, context, saved, replace=True)
    await send_link(update, context, programme_id, spec.title, link)


def _typed(update: Update) -> str:
    return (message_of(update).text or "").strip()


def _problem_text(tr: Translator, problem: Problem, out_of_range: str) -> str:
    if problem == "out_of_range":
        return out_of_range
    return tr._("I couldn't read that as a number.") + " " + out_of_range


async def answer(update: Update, context: AcubotContext, pending: PendingRecord) -> None:
    """Typed answers: the title, point codes, a hold, notes, a course, a name."""
    if not await require_role(update, context, Permission.PROGRAMMES, "prescribe step"):
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
        await ask_points(update, context, changed(draft, title=text, meridian=None))
    elif step == Step.POINTS and not text:
        hint = "⚠️ " + tr._("Please type point codes such as BL23 KI3, or use the buttons.")
        await ask_points(update, context, draft, hint)
    elif step == Step.POINTS:
        typed = read_point_codes(text, context.services.index)
        before = set(draft.codes)
        draft, full = draft.add_points(typed.codes, context.services.catalogue)
        added = [code for code in draft.codes if code not in before]
        await ask_points(update, context, draft, typed_report(tr, typed, added, full))
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
        await after_note(update, context, draft.with_step(draft.item, note=text))
    elif step == Step.COURSE:
        weeks, why = read_course_weeks(text)
        if weeks is None:
            said = tr._("A course is 1 to 26 weeks, or open-ended.")
            problem_text = _problem_text(tr, why or "unreadable", said)
            await ask_course(update, context, draft, problem_text)
            return
        await ask_message(update, context, changed(draft, course_weeks=weeks, course_chosen=True))
    elif step == Step.MESSAGE:
        if not text or len(text) > MAX_NOTE:
            await ask_message(update, context, draft, _note_problem(tr))
            return
        await ask_name(update, context, changed(draft, note=text))
    elif step == Step.NAME:
        if not text or len(text) > MAX_NAME:
            problem = tr._(
                "Please type a name of 1 to {limit} characters.", limit=tr.number(MAX_NAME)
            )
            await ask_name(update, context, draft, problem)
            return
        await _after_name(update, context, changed(draft, practitioner_name=text))
    else:
        await reply_html(update, context, tr._("Please use the buttons above, or /cancel."))


def _note_problem(tr: Translator) -> str:
    return tr._("Please type a note of 1 to {limit} characters.", limit=tr.number(MAX_NOTE))


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
    if not await require_role(update, context, Permission.PROGRAMMES, "prescribe button"):
        return
    pressed = cb.decode_as(query.data, cb.PrescribeButton)
    if pressed is not None and pressed.action == "cancel":
        await cancel(update, context)
        return
    pending = await pending_for_button(update, context, FLOW, EXPIRED)
    if pending is None:
        return
    draft = Draft.from_data(pending.data)
    step = Step(pending.step) if pending.step in set(Step) else None
    if pressed is None or step is None or not await _press(update, context, step, draft, pressed):
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
        await ask_points(update, context, changed(draft, meridian=value), replace=True)
    elif step is Step.POINTS and action == "meridians":
        await ask_points(update, context, changed(draft, meridian=None), replace=True)
    elif step is Step.POINTS and action == "pt" and catalogue.point(value):
        toggled, room = draft.toggle_point(value, catalogue)
        full = None
        if not room:
            full = "⚠️ " + context.tr._(
                "A programme has at most {limit} points.", limit=context.tr.number(MAX_STEPS)
            )
        await ask_points(update, context, toggled, full, replace=True)
    elif step is Step.POINTS and action == "done" and draft.steps:
        await ask_hold(update, context, changed(draft, item=0), replace=True)
    elif step is Step.HOLD and action == "hold" and place == draft.item:
        new = draft.with_step(draft.item, hold_seconds=int(value))
        await ask_note(update, context, new, replace=True)
    elif step is Step.NOTE and action in {"nkeep", "nskip"} and place == draft.item:
        if action == "nskip":
            draft = draft.with_step(draft.item, note=None)
        await remove_buttons(update)
        await after_note(update, context, draft)
    elif step is Step.SCHEDULE and action == "sch":
        await _choose_schedule(update, context, draft, Schedule(value))
    elif step is Step.WEEKDAYS and action == "wd":
        mask = draft.weekdays ^ weekday_mask([int(value)])
        await ask_weekdays(update, context, changed(draft, weekdays=mask), replace=True)
    elif step is Step.WEEKDAYS and action == "done":
        if not draft.weekdays:
            none = context.tr._("Please choose at least one day.")
            await ask_weekdays(update, context, draft, none, replace=True)
        else:
            await ask_times(
                update, context, changed(draft, schedule=Schedule.WEEKDAYS), replace=True
            )
    elif step is Step.PER_WEEK and action == "dpw":
        new = changed(draft, schedule=Schedule.PER_WEEK, days_per_week=int(value))
        await ask_times(update, context, new, replace=True)
    elif step is Step.TIMES and action == "times":
        await ask_course(update, context, changed(draft, times_per_day=int(value)), replace=True)
    elif step is Step.COURSE and action in {"wk", "open"}:
        weeks = int(value) if action == "wk" else None
        new = changed(draft, course_weeks=weeks, course_chosen=True)
        await ask_message(update, context, new, replace=True)
    elif step is Step.MESSAGE and action in {"keep", "skip"}:
        new = draft if action == "keep" else changed(draft, note=None)
        await ask_name(update, context, new, replace=True)
    elif step is Step.NAME and action == "keep":
        await remove_buttons(update)
        await _after_name(update, context, draft)
    elif step is Step.LINK and action == "link":
        await show_preview(update, context, changed(draft, single_use=value == "one"))
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
        await ask_times(update, context, changed(draft, schedule=Schedule.DAILY), replace=True)


async def go_back(update: Update, context: AcubotContext, step: Step, draft: Draft) -> None:
    """◀ Back: the question before this one, with the answer given so far."""
    if step is Step.POINTS:
        await ask_title(update, context, draft, replace=True)
    elif step is Step.HOLD:
        if draft.item == 0:
            await ask_points(update, context, draft, replace=True)
        else:
            await ask_note(update, context, changed(draft, item=draft.item - 1), replace=True)
    elif step is Step.NOTE:
        await ask_hold(update, context, draft, replace=True)
    elif step is Step.SCHEDULE:
        last = max(len(draft.steps) - 1, 0)
        if draft.steps:
            await ask_note(update, context, changed(draft, item=last), replace=True)
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
    app.add_handler(CallbackQueryHandler(button, pattern=cb.pattern(cb.PrescribeButton)))
    register_flow(app, Flow(FLOW, answer, STOPPED))
