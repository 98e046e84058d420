"""The "Keep my reminders" button under a finished programme's summary."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import CallbackQueryHandler

from content.i18n import Translator
from handlers.context import AcubotApp, AcubotContext
from handlers.reply import reply_html
from handlers.update_parts import query_of, sender_of
from scheduler import callback_data as cb
from scheduler import subscriptions
from scheduler.reminder_message import local_when
from scheduler.subscriptions import KeepResult, Kept


async def on_keep(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    tr = context.tr
    button = cb.decode_as(query.data, cb.KeepRemindersButton)
    if button is None:
        await query.answer(tr._("This button is no longer in use."), show_alert=True)
        return
    services = context.services
    async with services.sessions.begin() as session:
        result = await subscriptions.keep_after_course(
            session=session,
            user_id=sender_of(update).id,
            enrolment_id=button.enrolment_id,
            routine=services.catalogue.default_routine.id,
            now=services.now(),
        )
    if result.outcome is Kept.UNKNOWN:
        await query.answer(tr._("This button is no longer in use."), show_alert=True)
        return
    await query.answer()
    await reply_html(update, context, _answer(tr, context, result))


def _answer(tr: Translator, context: AcubotContext, result: KeepResult) -> str:
    if result.outcome is Kept.ALREADY:
        return tr._("Your reminders are already kept. /settings shows them.")
    if result.outcome is Kept.CHANGED:
        return tr._(
            "You have set up your reminders again since, so I left them as they are. "
            "/settings shows them."
        )
    sub = result.subscription
    assert sub is not None and sub.next_due_at is not None
    routine = context.catalogue.routine(sub.routine).title
    return "\n".join(
        [
            tr._(
                "🔔 Your reminders carry on every day at {times}, now with the clinic's "
                "routine ({routine}).",
                times=tr.list([tr.time(t) for t in sub.times]),
                routine=escape(routine),
            ),
            tr._("Next reminder: {when}.", when=local_when(tr, sub.next_due_at, sub.timezone)),
            tr._("/settings changes the time or stops them."),
        ]
    )


def register(app: AcubotApp) -> None:
    app.add_handler(CallbackQueryHandler(on_keep, pattern=cb.pattern(cb.KeepRemindersButton)))
