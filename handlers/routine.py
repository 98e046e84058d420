"""The guided routine: one step per technique, a hold timer, then a check-in.

Button data carries the routine and the step (`rtn:<routine>:<step>:<action>`),
so the routine needs no stored state. The hold timer is a JobQueue
`run_once`: losing a seconds-long timer at a restart is acceptable.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator, translator
from content.languages import Language
from content.schema import Point, Technique
from handlers import checkins, render
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import chat_of, job_of, jobs_of, query_of, sender_of
from scheduler import callback_data as cb
from scheduler.patient_days import complete_routine
from scheduler.programme_routine import (
    PROGRAMME_ROUTINE,
    ProgrammeRoutine,
    ProgrammeRoutineStep,
    programme_routine,
)
from storage import programmes, reminders
from storage.safety import is_pregnant, record_adverse_event
from storage.users import get_user

SHOW, HOLD, STOP = "show", "hold", "stop"  # RoutineButton's actions


@dataclass(frozen=True, slots=True)
class HoldTimer:
    """What a hold timer's job needs to offer the next step."""

    routine: str
    step: int
    total: int
    # The patient's language when the timer started: the job has no update to read it from.
    language: Language = "en"


def _data(routine_id: str, step: int, action: str) -> str:
    return cb.encode(cb.RoutineButton(routine_id, step, action))


def _next_button(tr: Translator, routine_id: str, step: int, total: int) -> InlineKeyboardButton:
    if step + 1 < total:
        return InlineKeyboardButton(
            tr._("Next: step {number} ▶", number=tr.number(step + 2)),
            callback_data=_data(routine_id, step + 1, SHOW),
        )
    return InlineKeyboardButton(tr._("Finish ✔"), callback_data=_data(routine_id, total, SHOW))


PRESSURE_LINES = {
    "firm": N_("👐 Press firmly but comfortably, building up slowly. It should never hurt."),
    "gentle": N_("👐 Keep the pressure gentle and build it up slowly. It should never hurt."),
    "steady": N_("👐 Let the pressure build slowly and keep it steady. It should never hurt."),
}
SIDE_LINES = {
    "both_at_once": N_("↔ Both sides are pressed at the same time."),
    "one_then_other": N_("↔ Then do the same on the other side."),
    "midline": N_("This is a single point on the middle line."),
}


def step_text(
    tr: Translator,
    technique: Technique,
    step: int,
    total: int,
    cautions: list[str] | tuple[str, ...] = (),
    *,
    hold_seconds: int | None = None,
) -> str:
    """One step: position, what to do, the hold, the other side, pressure and cautions.

    `technique` and `cautions` come from the catalogue in the patient's language;
    `hold_seconds` (a practitioner's programme) replaces the technique's hold range.
    """
    hold = technique.hold_seconds_max if hold_seconds is None else hold_seconds
    low = technique.hold_seconds_min if hold_seconds is None else hold_seconds
    hold_line = (
        tr._("Hold for {seconds} seconds, breathing slowly.", seconds=tr.number(hold))
        if low == hold
        else tr._(
            "Hold for {low} to {high} seconds, breathing slowly.",
            low=tr.number(low),
            high=tr.number(hold),
        )
    )
    lines = [
        "<b>"
        + tr._(
            "Step {number} of {total} · {title}",
            number=tr.number(step + 1),
            total=tr.number(total),
            title=escape(technique.title),
        )
        + "</b>",
        "",
        escape(technique.position),
    ]
    lines += [f"{number}. {escape(line)}" for number, line in enumerate(technique.steps, 1)]
    lines += ["", hold_line, tr._(SIDE_LINES[technique.sides])]
    lines.append(tr._(PRESSURE_LINES[technique.pressure]))
    if cautions:
        lines += ["", tr._("⚠️ <b>Take care</b>")]
        lines += [f"• {escape(caution)}" for caution in cautions]
    return "\n".join(lines)


def _point_title(point: Point) -> str:
    return f"{point.code} {point.pinyin} · {point.english}"


def programme_step_text(tr: Translator, step: ProgrammeRoutineStep, number: int, total: int) -> str:
    """One step of a home programme, with the practitioner's hold and note.

    A point with a catalogue technique is guided by it; one without, by the
    point's own location and how-to-press text.
    """
    point = step.point
    if step.technique is not None:
        text = step_text(
            tr, step.technique, number, total, point.cautions, hold_seconds=step.hold_seconds
        )
    else:
        lines = [
            "<b>"
            + tr._(
                "Step {number} of {total} · {title}",
                number=tr.number(number + 1),
                total=tr.number(total),
                title=escape(_point_title(point)),
            )
            + "</b>",
            "",
            "📍 " + escape(point.location),
            "",
            "👐 " + escape(point.how_to_press),
            "",
            tr._(
                "Hold for {seconds} seconds, breathing slowly.",
                seconds=tr.number(step.hold_seconds),
            ),
            tr._(SIDE_LINES["one_then_other" if point.bilateral else "midline"]),
            tr._(PRESSURE_LINES["gentle"]),
        ]
        if point.cautions:
            lines += ["", tr._("⚠️ <b>Take care</b>")]
            lines += [f"• {escape(caution)}" for caution in point.cautions]
        text = "\n".join(lines)
    if step.note:
        text += "\n\n" + tr._("💬 Your practitioner's note: <i>{note}</i>", note=escape(step.note))
    return render.fit(text)


async def programme_plan(
    update: Update, context: AcubotContext, *, pregnant: bool
) -> tuple[str, ProgrammeRoutine] | None:
    """The patient's active programme as guided steps (with its title); None without one."""
    user_id = sender_of(update).id
    async with context.services.sessions() as session:
        enrolment = await programmes.active_enrolment(session=session, user_id=user_id)
        if enrolment is None:
            return None
        record = await programmes.get_version(
            session=session, programme_id=enrolment.programme_id, version=enrolment.version
        )
    if record is None:
        return None
    return record.spec.title, programme_routine(context.catalogue, record.spec, pregnant=pregnant)


async def step_count(
    update: Update, context: AcubotContext, routine_id: str, *, pregnant: bool
) -> int | None:
    """How many steps the routine has for this patient; None if it does not exist (now)."""
    if routine_id == PROGRAMME_ROUTINE:
        plan = await programme_plan(update, context, pregnant=pregnant)
        return len(plan[1].steps) if plan is not None else None
    if routine_id not in {r.id for r in context.services.catalogue.routines}:
        return None
    return len(context.catalogue.routine_steps(routine_id, pregnant=pregnant))


async def patient_is_pregnant(update: Update, context: AcubotContext) -> bool:
    async with context.services.sessions() as session:
        return await is_pregnant(session=session, user_id=sender_of(update).id)


async def start(update: Update, context: AcubotContext, routine_id: str | None = None) -> None:
    """Shows the first step of the routine (the patient's, else the default).

    "programme" is the patient's home programme; without an active one, the
    clinic's default routine.
    """
    catalogue = context.catalogue
    tr = context.tr
    if routine_id == PROGRAMME_ROUTINE and await start_programme(update, context):
        return
    routine = catalogue.routine(routine_id or catalogue.default_routine.id)
    if await patient_is_pregnant(update, context):
        left_out = catalogue.left_out_in_pregnancy(routine.id)
        if not catalogue.routine_steps(routine.id, pregnant=True):
            await offer_safe_points(update, context)
            return
        if left_out:
            codes = tr.list([escape(t.point) for t in left_out])
            await reply_html(
                update,
                context,
                tr._(
                    "🤰 As you told me you are pregnant, I have left out {codes}: "
                    "they are traditionally avoided in pregnancy. Please check with your "
                    "practitioner before you start.",
                    codes=codes,
                ),
            )
    await show_step(update, context, routine.id, 0)


async def start_programme(update: Update, context: AcubotContext) -> bool:
    """The first step of the patient's home programme; False if they follow none."""
    tr = context.tr
    pregnant = await patient_is_pregnant(update, context)
    found = await programme_plan(update, context, pregnant=pregnant)
    if found is None:
        return False
    title, plan = found
    lines = [
        tr._(
            "📋 <b>{title}</b>: your practitioner's programme, about {minutes} min.",
            title=escape(title),
            minutes=tr.number(plan.minutes),
        )
    ]
    if plan.missing:
        lines += [
            "",
            tr.n_(
                "ℹ️ {codes} is no longer in our point list, so I have skipped it. "
                "Please ask your practitioner about it.",
                "ℹ️ {codes} are no longer in our point list, so I have skipped them. "
                "Please ask your practitioner about them.",
                len(plan.missing),
                codes=tr.list([escape(code) for code in plan.missing]),
            ),
        ]
    if plan.left_out:
        lines += [
            "",
            tr._(
                "🤰 As you told me you are pregnant, I have left out {codes}: "
                "they are traditionally avoided in pregnancy. Please check with your "
                "practitioner before you start.",
                codes=tr.list([escape(code) for code in plan.left_out]),
            ),
        ]
    await reply_html(update, context, "\n".join(lines))
    if not plan.steps:
        if plan.left_out:
            await offer_safe_points(update, context)
        else:
            await reply_html(
                update,
                context,
                tr._(
                    "None of your programme's points can be guided now. Please ask your "
                    "practitioner; /routine without a programme is the clinic's routine."
                ),
            )
        return True
    await show_step(update, context, PROGRAMME_ROUTINE, 0)
    return True


async def offer_safe_points(update: Update, context: AcubotContext) -> None:
    """Every step of the routine is flagged for pregnancy: the safe points instead."""
    catalogue = context.catalogue
    await reply_html(
        update,
        context,
        context.tr._(
            "🤰 Every step of this routine uses a point that is traditionally avoided in "
            "pregnancy, so I won't guide you through it. These points carry no such caution; "
            "please ask your practitioner which of them suit you."
        ),
        render.suggestions_keyboard(catalogue.safe_in_pregnancy()),
    )


async def routine_command(update: Update, context: AcubotContext) -> None:
    services = context.services
    user = sender_of(update)
    # Opening the routine never stores the person: after /delete only /start
    # or finishing /remind brings them back (finish() stores nothing for them).
    async with services.sessions() as session:
        sub = await reminders.get_subscription(session=session, user_id=user.id)
        following = await programmes.active_enrolment(session=session, user_id=user.id)
    if following is not None:
        await start(update, context, PROGRAMME_ROUTINE)
        return
    routine_id = sub.routine if sub and sub.routine != PROGRAMME_ROUTINE else None
    await start(update, context, routine_id)


def _step_keyboard(
    tr: Translator, routine_id: str, step: int, total: int, hold_seconds: int
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("⏱ Start {seconds} s timer", seconds=tr.number(hold_seconds)),
                    callback_data=_data(routine_id, step, HOLD),
                )
            ],
            [_next_button(tr, routine_id, step, total)],
            [
                InlineKeyboardButton(
                    tr._("✖ Stop the routine"), callback_data=_data(routine_id, step, STOP)
                )
            ],
        ]
    )


async def show_step(update: Update, context: AcubotContext, routine_id: str, step: int) -> None:
    catalogue = context.catalogue
    tr = context.tr
    pregnant = await patient_is_pregnant(update, context)
    if routine_id == PROGRAMME_ROUTINE:
        found = await programme_plan(update, context, pregnant=pregnant)
        if found is None:  # the programme ended: the clinic's routine instead
            await start(update, context, None)
            return
        planned = found[1].steps
        if step >= len(planned):
            await finish(update, context, routine_id)
            return
        text = programme_step_text(tr, planned[step], step, len(planned))
        keyboard = _step_keyboard(tr, routine_id, step, len(planned), planned[step].hold_seconds)
        await reply_html(update, context, text, keyboard)
        return
    steps = catalogue.routine_steps(routine_id, pregnant=pregnant)
    if step >= len(steps):
        await finish(update, context, routine_id)
        return
    technique = steps[step]
    point = catalogue.point(technique.point)
    cautions = point.cautions if point else []
    keyboard = _step_keyboard(tr, routine_id, step, len(steps), technique.hold_seconds_max)
    text = step_text(tr, technique, step, len(steps), cautions)
    await reply_html(update, context, text, keyboard)


async def start_hold(update: Update, context: AcubotContext, routine_id: str, step: int) -> None:
    pregnant = await patient_is_pregnant(update, context)
    holds: list[int]
    if routine_id == PROGRAMME_ROUTINE:
        found = await programme_plan(update, context, pregnant=pregnant)
        holds = [planned.hold_seconds for planned in found[1].steps] if found else []
    else:
        holds = [
            t.hold_seconds_max
            for t in context.catalogue.routine_steps(routine_id, pregnant=pregnant)
        ]
    if step >= len(holds):
        await show_step(update, context, routine_id, step)
        return
    seconds = holds[step]
    chat_id = chat_of(update).id
    # One timer per chat: a new one replaces an unfinished one.
    for job in jobs_of(context).get_jobs_by_name(f"hold:{chat_id}"):
        job.schedule_removal()
    jobs_of(context).run_once(
        hold_finished,
        when=seconds,
        chat_id=chat_id,
        user_id=sender_of(update).id,
        data=HoldTimer(routine_id, step, len(holds), context.language),
        name=f"hold:{chat_id}",
    )
    await reply_html(
        update,
        context,
        context.tr._(
            "⏱ Timer started: hold for {seconds} seconds. I'll tell you when to let go.",
            seconds=context.tr.number(seconds),
        ),
    )


async def hold_finished(context: AcubotContext) -> None:
    """The hold is over: say so (in the language the timer was started in), offer the next step."""
    job = job_of(context)
    hold = job.data
    if not isinstance(hold, HoldTimer) or job.chat_id is None:
        raise TypeError(f"hold timer job without its data: {job.name}")
    tr = translator(hold.language)
    keyboard = InlineKeyboardMarkup([[_next_button(tr, hold.routine, hold.step, hold.total)]])
    await context.bot.send_message(
        job.chat_id,
        tr._("✔ Time's up — release the pressure slowly."),
        reply_markup=keyboard,
    )


async def finish(update: Update, context: AcubotContext, routine_id: str) -> None:
    """The routine is done: it counts as today's ✅ Done; when to stop; then the check-in."""
    services = context.services
    now = services.now()
    async with services.sessions.begin() as session:
        today = await complete_routine(
            session=session,
            user_id=sender_of(update).id,
            clinic_timezone=services.settings.clinic_timezone,
            now=now,
        )
    tr = context.tr
    lines = [tr._("🎉 Routine complete — well done! I've marked today as done."), ""]
    lines += render.stop_lines(context.catalogue.safety, tr)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("😣 Too sore / bruised"),
                    callback_data=cb.encode(cb.SoreButton(routine_id)),
                )
            ]
        ]
    )
    await reply_html(update, context, "\n".join(lines), keyboard)
    await checkins.ask_pain(update, context, today)


async def sore_button(update: Update, context: AcubotContext) -> None:
    """ "Too sore / bruised" after the routine: recorded with the time, then the stop advice."""
    query = query_of(update)
    services = context.services
    button = cb.decode_as(query.data, cb.SoreButton)
    known = {r.id for r in services.catalogue.routines} | {PROGRAMME_ROUTINE}
    if button is None or button.routine not in known:
        await query.answer(context.tr._("This button is no longer in use."), show_alert=True)
        return
    await query.answer()
    routine_id = button.routine
    user_id = sender_of(update).id
    async with services.sessions.begin() as session:
        if await get_user(session=session, user_id=user_id) is not None:
            await record_adverse_event(
                session=session, user_id=user_id, routine=routine_id, now=services.now()
            )
    safety = context.catalogue.safety
    stop = render.stop_lines(safety, context.tr)
    text = "\n".join([escape(safety.adverse_event_reply), "", *stop])
    await reply_html(update, context, text)


async def on_button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    button = cb.decode_as(query.data, cb.RoutineButton)
    # Counted without pregnancy's leaving out: a button from before /pregnancy on stays valid.
    total = (
        await step_count(update, context, button.routine, pregnant=False)
        if button is not None
        else None
    )
    if button is not None and button.routine == PROGRAMME_ROUTINE and total is None:
        await query.answer()
        await start(update, context, None)  # the programme ended: the clinic's routine
        return
    if button is None or total is None or button.step > total:
        await query.answer(
            context.tr._("This routine button is no longer in use. Send /routine."),
            show_alert=True,
        )
        return
    await query.answer()
    routine_id, step, action = button.routine, button.step, button.action
    if action == HOLD and total is not None and step < total:
        await start_hold(update, context, routine_id, step)
    elif action == STOP:
        for job in jobs_of(context).get_jobs_by_name(f"hold:{chat_of(update).id}"):
            job.schedule_removal()
        await reply_html(
            update, context, context.tr._("Routine stopped. You can start again with /routine.")
        )
    else:
        await show_step(update, context, routine_id, step)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("routine", routine_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern(cb.RoutineButton)))
    app.add_handler(CallbackQueryHandler(sore_button, pattern=cb.pattern(cb.SoreButton)))
