"""/questionnaire and every questionnaire's buttons (PEG, RMDQ): one item per message.

The patient picks one, or continues the unfinished one at the item it waits
for. Each tap is stored (scheduler.questionnaire_flow) and edits the same
message into the next item, then into the result.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import Translator
from content.questionnaires import Instrument, questionnaires
from handlers import triage
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import show_step
from handlers.reply import reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from scheduler import questionnaire_flow
from scheduler.questionnaire_message import item_message, result_text, title
from storage import questionnaires as stored
from storage.questionnaires import Answered, Reason, Run
from storage.users import get_user


def _choices(tr: Translator, unfinished: Run | None) -> InlineKeyboardMarkup:
    data = questionnaires()
    rows = []
    if unfinished is not None:
        instrument = Instrument(unfinished.instrument)
        rows.append(
            [
                InlineKeyboardButton(
                    tr._(
                        "▶️ Continue: {title}, {number} of {total}",
                        title=title(tr, instrument),
                        number=tr.number(unfinished.next_item + 1),
                        total=tr.number(len(data.get(instrument).items)),
                    ),
                    callback_data=cb.encode(cb.QuestionnaireChoiceButton("resume")),
                )
            ]
        )
    rows += [
        [
            InlineKeyboardButton(
                tr._("PEG: pain, 3 questions"),
                callback_data=cb.encode(cb.QuestionnaireChoiceButton("peg")),
            )
        ],
        [
            InlineKeyboardButton(
                tr._("Roland-Morris: daily activities, 24 yes/no"),
                callback_data=cb.encode(cb.QuestionnaireChoiceButton("rmdq")),
            )
        ],
    ]
    return InlineKeyboardMarkup(rows)


async def questionnaire_command(update: Update, context: AcubotContext) -> None:
    """The two questionnaires, and the unfinished one if there is one."""
    async with context.services.sessions() as session:
        unfinished = await stored.unfinished_run(session=session, user_id=sender_of(update).id)
    tr = context.tr
    text = tr._(
        "📝 <b>Questionnaires</b>\n"
        "Two short questionnaires that clinics and studies use for low back pain. "
        "Your scores show how you are doing over time. You can skip any question."
    )
    await reply_html(update, context, text, _choices(tr, unfinished))


async def show_item(update: Update, context: AcubotContext, run: Run, *, replace: bool) -> None:
    """The item the run waits for, editing the pressed message when `replace`."""
    text, keyboard = item_message(
        context.tr, questionnaires(), Instrument(run.instrument), run.id, run.next_item
    )
    await show_step(update, context, text, keyboard, replace=replace)


async def choice_button(update: Update, context: AcubotContext) -> None:
    """/questionnaire's buttons: start one, or continue the unfinished one."""
    query = query_of(update)
    tr = context.tr
    button = cb.decode_as(query.data, cb.QuestionnaireChoiceButton)
    if button is None:
        await query.answer(tr._("This button is no longer in use. Send /questionnaire."))
        return
    services = context.services
    user = sender_of(update)
    async with services.sessions.begin() as session:
        known = await get_user(session=session, user_id=user.id) is not None
        if not known:
            run = None  # stored from /start on: an old button after /delete stores nobody
        elif button.choice == "resume":
            run = await stored.unfinished_run(session=session, user_id=user.id)
        else:
            run = await questionnaire_flow.start(
                session=session,
                user_id=user.id,
                instrument=Instrument(button.choice),
                reason=Reason.ASKED,
                now=services.now(),
            )
    await query.answer()
    if not known:
        await show_step(
            update,
            context,
            tr._("I don't keep any data about you now, so I can't store this. /start"),
            replace=True,
        )
        return
    if run is None:
        await show_step(
            update,
            context,
            tr._("There is no unfinished questionnaire. /questionnaire starts one."),
            replace=True,
        )
        return
    await show_item(update, context, run, replace=True)


async def answer_button(update: Update, context: AcubotContext) -> None:
    """One item's answer: stored if the run waits for it, then the next item or the result."""
    query = query_of(update)
    tr = context.tr
    button = cb.decode_as(query.data, cb.QuestionnaireButton)
    if button is None:
        await query.answer(tr._("This question is no longer available."), show_alert=True)
        return
    services = context.services
    data = questionnaires()
    async with services.sessions.begin() as session:
        step = await questionnaire_flow.take_answer(
            session=session,
            data=data,
            user_id=sender_of(update).id,
            run_id=button.run_id,
            item=button.item,
            answer=button.answer,
            now=services.now(),
            language=context.language,
        )
    run = step.run
    if step.answered is Answered.NO_RUN or run is None:
        await query.answer(
            tr._("This question is no longer available. /questionnaire starts a new one."),
            show_alert=True,
        )
        return
    if step.answered is Answered.ALREADY:
        await query.answer(tr._("Already noted."))
        return
    if step.answered is Answered.NOT_NOW:
        await query.answer(
            tr._("This questionnaire is finished.")
            if run.completed_at is not None
            else tr._("That question is behind you. /questionnaire continues where you are."),
            show_alert=True,
        )
        return
    await query.answer(tr._("Noted."))
    if step.result is None:
        await show_item(update, context, run, replace=True)
        return
    questionnaire = data.get(Instrument(run.instrument))
    text = result_text(
        tr,
        questionnaire,
        step.result.score,
        step.result.change,
        skipped=step.result.skipped,
    )
    await show_step(update, context, text, replace=True)
    if step.result.severe_pain:  # as after a 0-10 check-in: severe pain asks about red flags
        await triage.ask_severe_pain_red_flags(update, context)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("questionnaire", questionnaire_command))
    app.add_handler(
        CallbackQueryHandler(choice_button, pattern=cb.pattern(cb.QuestionnaireChoiceButton))
    )
    app.add_handler(CallbackQueryHandler(answer_button, pattern=cb.pattern(cb.QuestionnaireButton)))
