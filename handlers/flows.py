"""Routes a typed answer to the multi-step flow waiting for it.

The waiting step lives in the database (storage.pending), so the answer can
come after a restart or reach another instance. A step lives for
`FLOW_TIMEOUT`; after it, a message is read as new. Any command first stops
the waiting question and says so in one line (the flow's own command restarts
it instead), and /cancel stops any flow. Flows register with `register_flow`;
the fallback text and location handlers ask `continue_flow` first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from content.i18n import N_
from handlers.context import AcubotApp, AcubotContext
from handlers.groups import is_private
from handlers.reply import reply_html
from handlers.update_parts import query_of, sender_of
from storage.database import is_unavailable
from storage.pending import PendingRecord, clear_pending, get_pending, is_stale, set_pending

FlowHandler = Callable[[Update, AcubotContext, PendingRecord], Awaitable[None]]

# After the red-flag screen (-4: a red flag typed while a question waits is
# answered as a red flag) and the group-chat filter (-3), before the users
# group (-1) and the feature handlers (0): a command must stop the waiting
# question before the command itself answers. The group holds both handlers
# below: one takes only messages, the other only button presses, so no update
# matches both.
FLOW_GUARD_GROUP = -2
NOTHING_TO_CANCEL = N_("There was nothing to cancel.")
ALREADY_ANSWERED = N_("You already answered this one.")


@dataclass(frozen=True, slots=True)
class Flow:
    """A multi-step flow: what answers it, and what to say when it is stopped."""

    name: str
    answer: FlowHandler
    # One line, said when a command or /cancel stops the flow: English marked
    # with N_ (the flow's module holds its translation), shown in the person's language.
    stopped: str
    # Commands that start this flow again: they replace the question silently.
    own_commands: frozenset[str] = frozenset()


async def save_step(
    update: Update, context: AcubotContext, flow: str, step: str, data: dict[str, Any]
) -> None:
    """Stores the question now waiting for an answer.

    It never stores the person as a user: a flow that needs them stored
    (finishing /remind) does that when it finishes.
    """
    services = context.services
    user_id, now = sender_of(update).id, services.now()
    async with services.sessions.begin() as session:
        await set_pending(
            session=session, user_id=user_id, flow=flow, step=step, data=data, now=now
        )
    services.pending.note(user_id, now)


async def live_pending(context: AcubotContext, user_id: int) -> PendingRecord | None:
    """The user's waiting step if it is younger than FLOW_TIMEOUT (an older one is deleted)."""
    services = context.services
    fresh_after = services.now() - services.settings.flow_timeout
    async with services.sessions() as session:
        pending = await get_pending(session=session, user_id=user_id)
    if pending is None or is_stale(pending, fresh_after):
        services.pending.forget(user_id)
        if pending is not None:
            async with services.sessions.begin() as session:
                await clear_pending(session=session, user_id=user_id, stale_after=fresh_after)
        return None
    if pending.updated_at is not None:
        services.pending.note(user_id, pending.updated_at)
    return pending


async def may_have_pending(context: AcubotContext, user_id: int) -> bool:
    """False when the user surely has no live step: then no read is needed.

    See storage.pending.PendingIndex: steps this process saved are known,
    steps other instances saved are read for everyone at most once a second.
    """
    services = context.services
    index = services.pending
    fresh_after = services.now() - services.settings.flow_timeout

    async def read() -> None:
        async with services.sessions() as session:
            await index.refresh(session=session, fresh_after=fresh_after)

    await index.refresh_if_due(read)
    return index.may_have(user_id, fresh_after)


async def stop_pending(context: AcubotContext, user_id: int) -> None:
    async with context.services.sessions.begin() as session:
        await clear_pending(session=session, user_id=user_id)
    context.services.pending.forget(user_id)


async def pending_for_button(
    update: Update, context: AcubotContext, flow: str, expired: str
) -> PendingRecord | None:
    """The flow's waiting step for a button press; None (after saying so) if it is gone.

    The old message's buttons are removed, so they cannot be pressed again.
    `expired` is English marked with N_; the person reads it in their language.
    """
    query = query_of(update)
    pending = await live_pending(context, sender_of(update).id)
    if pending is None or pending.flow != flow:
        await query.answer(context.tr._(expired), show_alert=True)
        await remove_buttons(update)
        return None
    await query.answer()
    return pending


async def show_step(
    update: Update,
    context: AcubotContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    *,
    replace: bool = False,
) -> Message | bool:
    """The next question: edits the pressed message when `replace`, else sends a new one.

    Editing replaces the old buttons, so an answered question cannot be
    answered again, and it spends no new message of Telegram's budget.
    """
    query = update.callback_query
    message = query.message if query is not None else None
    if replace and isinstance(message, Message) and message.text is not None:
        try:
            return await message.edit_text(text, reply_markup=keyboard)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return True
            # Too old to edit, or gone: send the question as a new message.
    return await reply_html(update, context, text, keyboard)


async def remove_buttons(update: Update) -> None:
    """Takes the keyboard off the pressed message (an answered or expired question)."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    if not has_buttons(query.message):
        return
    with contextlib.suppress(BadRequest):  # too old to edit, or already without buttons
        await query.message.edit_reply_markup(reply_markup=None)


def has_buttons(message: Message) -> bool:
    markup = message.reply_markup
    return markup is not None and any(markup.inline_keyboard)


def register_flow(app: AcubotApp, flow: Flow) -> None:
    app.bot_data.flows[flow.name] = flow


async def continue_flow(update: Update, context: AcubotContext) -> bool:
    """Hands the message to the user's pending flow; False if none is waiting (or it expired)."""
    user = update.effective_user
    if user is None:
        return False
    pending = await live_pending(context, user.id)
    if pending is None:
        return False
    flow: Flow | None = context.services.flows.get(pending.flow)
    if flow is None:  # a flow from an older version of the bot
        await stop_pending(context, user.id)
        return False
    await flow.answer(update, context, pending)
    return True


def _command(message: Message) -> str:
    first = (message.text or "").split(maxsplit=1)[0]
    return first.removeprefix("/").split("@", 1)[0].casefold()


async def command_stops_flow(update: Update, context: AcubotContext) -> None:
    """Any command (but /cancel and the flow's own) stops the waiting question, in one line."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or not is_private(update):
        return  # a question waits in the private chat; a group never reads it
    command = _command(message)
    if command == "cancel" or not context.services.gate.available:
        return  # the database is away: the command answers (or says so) by itself
    try:
        pending = (
            await live_pending(context, user.id)
            if await may_have_pending(context, user.id)
            else None
        )
    except Exception as error:
        if not is_unavailable(error):
            raise
        # A point card must not wait for the database, nor carry an apology:
        # the question stays until it expires or the next command meets it.
        return
    if pending is None:
        return
    flow: Flow | None = context.services.flows.get(pending.flow)
    if flow is not None and command in flow.own_commands:
        return
    await stop_pending(context, user.id)
    if flow is not None:
        await reply_html(update, context, context.tr._(flow.stopped))


async def cancel_command(update: Update, context: AcubotContext) -> None:
    """/cancel leaves whatever question is waiting, and says which (or that there was none)."""
    user_id = sender_of(update).id
    pending = await live_pending(context, user_id)
    if pending is not None:
        await stop_pending(context, user_id)
    flow: Flow | None = context.services.flows.get(pending.flow) if pending else None
    said = flow.stopped if flow is not None else NOTHING_TO_CANCEL
    await reply_html(update, context, context.tr._(said))


async def answered_button(update: Update, context: AcubotContext) -> None:
    """A press on a message whose buttons were already taken away: it was answered."""
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or has_buttons(message):
        return
    # Without an inline keyboard the press can only be a second tap that raced
    # the edit, or an old update replayed: never act on it twice.
    await query.answer(context.tr._(ALREADY_ANSWERED))
    raise ApplicationHandlerStop


def register(app: AcubotApp) -> None:
    app.add_handler(
        MessageHandler(filters.COMMAND, command_stops_flow, block=True), group=FLOW_GUARD_GROUP
    )
    app.add_handler(CallbackQueryHandler(answered_button), group=FLOW_GUARD_GROUP)
    app.add_handler(CommandHandler("cancel", cancel_command))
