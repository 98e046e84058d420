"""Routes a typed answer to the multi-step flow waiting for it.

The waiting step lives in the database (storage.pending), so the answer can
come after a restart or reach another instance. Flows register a handler by
name in `register_flow`; the fallback text and location handlers ask
`continue_flow` first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.context import AcubotApp, AcubotContext
from storage.pending import PendingRecord, clear_pending, get_pending

FlowHandler = Callable[[Update, AcubotContext, PendingRecord], Awaitable[None]]


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
