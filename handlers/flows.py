"""Routes a typed answer to the multi-step flow waiting for it.

The waiting step lives in the database (storage.pending), so the answer can
come after a restart or reach another instance. Flows register a handler by
name in `register_flow`; the fallback text and location handlers ask
`continue_flow` first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from handlers.context import AcubotApp, AcubotContext
from handlers.update_parts import chat_of, query_of, sender_of
from storage.pending import PendingRecord, clear_pending, get_pending, set_pending
from storage.users import record_user_seen

FlowHandler = Callable[[Update, AcubotContext, PendingRecord], Awaitable[None]]


async def save_step(
    update: Update, context: AcubotContext, flow: str, step: str, data: dict[str, Any]
) -> None:
    """Stores the question now waiting for an answer (and the person, if new)."""
    services = context.services
    user, chat = sender_of(update), chat_of(update)
    now = services.now()
    async with services.sessions.begin() as session:
        await record_user_seen(
            session=session,
            user_id=user.id,
            chat_id=chat.id,
            language_code=user.language_code,
            now=now,
        )
        await set_pending(
            session=session, user_id=user.id, flow=flow, step=step, data=data, now=now
        )


async def pending_for_button(
    update: Update, context: AcubotContext, flow: str, expired: str
) -> PendingRecord | None:
    """The flow's waiting step for a button press; None (after saying so) if it is gone."""
    query = query_of(update)
    async with context.services.sessions() as session:
        pending = await get_pending(session=session, user_id=sender_of(update).id)
    if pending is None or pending.flow != flow:
        await query.answer(expired, show_alert=True)
        return None
    await query.answer()
    return pending


def register_flow(app: AcubotApp, name: str, handler: FlowHandler) -> None:
    app.bot_data.flows[name] = handler


async def continue_flow(update: Update, context: AcubotContext) -> bool:
    """Hands the message to the user's pending flow; False if none is waiting."""
    user = update.effective_user
    if user is None:
        return False
    services = context.services
    async with services.sessions() as session:
        pending = await get_pending(session=session, user_id=user.id)
    if pending is None:
        return False
    handler = services.flows.get(pending.flow)
    if handler is None:  # a flow from an older version of the bot
        async with services.sessions.begin() as session:
            await clear_pending(session=session, user_id=user.id)
        return False
    await handler(update, context, pending)
    return True
