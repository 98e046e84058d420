"""/broadcast: staff compose a message, a button and an audience, preview, confirm.

The draft is a `broadcasts` row and the step waiting for an answer is a
pending step, both in the database. Every step re-checks that the person is
staff. Confirming snapshots the recipients; the sender job does the rest.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.web_addresses import https_url_problem
from handlers.admin import require_admin
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import pending_for_button, register_flow, save_step
from handlers.reply import reply_html
from handlers.update_parts import chat_of, jobs_of, message_of, query_of, sender_of
from scheduler import broadcast_message
from scheduler import callback_data as cb
from scheduler.time_input import SEND_TIME_HELP, parse_send_time
from storage import broadcasts
from storage.broadcasts import Audience, BroadcastStatus
from storage.pending import PendingRecord, clear_pending, get_pending

FLOW = "broadcast"
MESSAGE, BUTTON, BUTTON_LABEL, BUTTON_URL, AUDIENCE, PREVIEW, SEND_AT = (
    "message", "button", "button_label", "button_url", "audience", "preview", "send_at",
)  # fmt: skip
MAX_LABEL = 40
AUDIENCE_NAMES = {
    Audience.ALL: "Everyone who started the bot",
    Audience.SUBSCRIBERS: "Reminder subscribers",
    Audience.NOT_SUBSCRIBED: "People without reminders",
}


def people(count: int) -> str:
    return f"{count} person" if count == 1 else f"{count} people"


def _button(label: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=cb.encode(cb.BroadcastDraftButton(action, value))
    )


async def _step(update: Update, context: AcubotContext, step: str, data: dict[str, Any]) -> None:
    await save_step(update, context, FLOW, step, data)


async def begin(update: Update, context: AcubotContext) -> None:
    """Starts a new draft, unless one is already being composed."""
    if not await require_admin(update, context, "/broadcast"):
        return
    services = context.services
    user_id = sender_of(update).id
    async with services.sessions.begin() as session:
        pending = await get_pending(session=session, user_id=user_id)
        if pending is not None and pending.flow == FLOW:
            await reply_html(
                update,
                context,
                f"You are already composing broadcast #{pending.data['id']}. "
                "Answer the last question, or send /cancel to drop it.",
            )
            return
        draft_id = await broadcasts.create_draft(
            session=session, admin_id=user_id, now=services.now()
        )
    await ask_message(update, context, {"id": draft_id})


async def ask_message(
    update: Update, context: AcubotContext, data: dict[str, Any], problem: str | None = None
) -> None:
    await _step(update, context, MESSAGE, data)
    lines = [f"⚠️ {escape(problem)}", ""] if problem else []
    lines += [
        f"📣 <b>Broadcast #{data['id']}</b>",
        "Send me the message for patients: text (bold, italics and links are kept), "
        "or a photo with a caption. /cancel stops without sending anything.",
    ]
    await reply_html(update, context, "\n".join(lines))


def read_message(message: Message) -> tuple[dict[str, Any] | None, str | None]:
    """The broadcast content of a message, or why it cannot be broadcast."""
    if message.photo:
        caption = message.caption or ""
        if len(caption) > MessageLimit.CAPTION_LENGTH:
            return None, (
                f"That caption has {len(caption)} characters; Telegram allows "
                f"{MessageLimit.CAPTION_LENGTH}. Please shorten it."
            )
        return {
            "text": caption,
            "entities": [e.to_dict() for e in message.caption_entities],
            "photo_file_id": message.photo[-1].file_id,
        }, None
    if message.text is not None:
        if not message.text.strip():
            return None, "That message is empty. Please send some text."
        if len(message.text) > MessageLimit.MAX_TEXT_LENGTH:
            return None, (
                f"That message has {len(message.text)} characters; Telegram allows "
                f"{MessageLimit.MAX_TEXT_LENGTH}. Please shorten it or split it."
            )
        return {
            "text": message.text,
            "entities": [e.to_dict() for e in message.entities],
            "photo_file_id": None,
        }, None
    return None, (
        "I can broadcast text, or a photo with a caption. Stickers, voice messages, "
        "videos and files can't be broadcast."
    )


async def ask_button(update: Update, context: AcubotContext, data: dict[str, Any]) -> None:
    await _step(update, context, BUTTON, data)
    rows = []
    if context.services.settings.booking_url:
        rows.append([_button("📅 “Book an appointment” (booking link)", "btn", "book")])
    rows += [[_button("✏️ A custom button", "btn", "custom")], [_button("No button", "btn", "none")]]
    await reply_html(update, context, "Add a button under the message?", InlineKeyboardMarkup(rows))


async def ask_audience(update: Update, context: AcubotContext, data: dict[str, Any]) -> None:
    await _step(update, context, AUDIENCE, data)
    async with context.services.sessions() as session:
        sizes = await broadcasts.audience_sizes(session=session)
    rows = [
        [_button(f"{AUDIENCE_NAMES[audience]} ({sizes[audience]})", "aud", audience.value)]
        for audience in Audience
    ]
    await reply_html(
        update,
        context,
        "Who should get it? (People who blocked the bot are never included.)",
        InlineKeyboardMarkup(rows),
    )


async def show_preview(update: Update, context: AcubotContext, data: dict[str, Any]) -> None:
    """The message exactly as patients will see it, then the count and the choices."""
    await _step(update, context, PREVIEW, data)
    services = context.services
    async with services.sessions() as session:
        record = await broadcasts.get_broadcast(session=session, broadcast_id=data["id"])
        sizes = await broadcasts.audience_sizes(session=session)
    assert record is not None and record.audience is not None
    await broadcast_message.send_copy(context.bot, chat_of(update).id, record)
    audience = Audience(record.audience)
    keyboard = InlineKeyboardMarkup(
        [
            [_button("✅ Confirm: send now", "send")],
            [_button("🕐 Send later", "later"), _button("✏️ Edit", "edit")],
            [_button("✖ Cancel", "cancel")],
        ]
    )
    await reply_html(
        update,
        context,
        f"☝️ That is exactly what patients will see.\n"
        f"It will go to <b>{people(sizes[audience])}</b> "
        f"({AUDIENCE_NAMES[audience].lower()}).",
        keyboard,
    )


async def confirm(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    send_at: datetime | None = None,
) -> None:
    """Snapshots the recipients and hands the broadcast to the sender."""
    services = context.services
    user_id = sender_of(update).id
    async with services.sessions.begin() as session:
        total = await broadcasts.confirm_broadcast(
            session=session, broadcast_id=data["id"], now=services.now(), send_at=send_at
        )
        await clear_pending(session=session, user_id=user_id)
    if total is None:  # a second tap on Confirm
        await reply_html(update, context, f"Broadcast #{data['id']} was already confirmed.")
        return
    async with services.sessions() as session:
        record = await broadcasts.get_broadcast(session=session, broadcast_id=data["id"])
    assert record is not None
    progress = await reply_html(
        update,
        context,
        broadcast_message.progress_text(record, {}, services.settings.zone),
        broadcast_message.cancel_keyboard(record.id),
    )
    async with services.sessions.begin() as session:
        await broadcasts.update_broadcast(
            session=session,
            broadcast_id=record.id,
            progress_chat_id=progress.chat_id,
            progress_message_id=progress.message_id,
        )
    if record.status == BroadcastStatus.SENDING and services.dispatch_interval is not None:
        # Start now instead of at the sender's next tick (tests drive the sender themselves).
        jobs_of(context).run_once(_send_now, when=0, name=f"broadcast-{record.id}")


async def _send_now(context: AcubotContext) -> None:
    await context.services.sender.run()


async def answer(update: Update, context: AcubotContext, pending: PendingRecord) -> None:
    """Typed answers: the message itself, a button label or URL, a send time."""
    if not await require_admin(update, context, "broadcast step"):
        return
    data = dict(pending.data)
    message = message_of(update)
    services = context.services
    if pending.step == MESSAGE:
        content, problem = read_message(message)
        if content is None:
            await ask_message(update, context, data, problem)
            return
        async with services.sessions.begin() as session:
            await broadcasts.update_broadcast(session=session, broadcast_id=data["id"], **content)
        await ask_button(update, context, data)
    elif pending.step == BUTTON_LABEL:
        label = (message.text or "").strip()
        if not label or len(label) > MAX_LABEL:
            await _step(update, context, BUTTON_LABEL, data)
            await reply_html(
                update, context, f"Please type a button label of 1 to {MAX_LABEL} characters."
            )
            return
        data["label"] = label
        await _step(update, context, BUTTON_URL, data)
        await reply_html(
            update, context, "Now the web address it opens (it must start with https://)."
        )
    elif pending.step == BUTTON_URL:
        url = (message.text or "").strip()
        problem = https_url_problem(url) if len(url) <= 512 else "is too long"
        if problem:
            await reply_html(
                update, context, f"That address {escape(problem)}. Please type an https:// address."
            )
            return
        async with services.sessions.begin() as session:
            await broadcasts.update_broadcast(
                session=session,
                broadcast_id=data["id"],
                button_label=data.pop("label"),
                button_url=url,
            )
        await ask_audience(update, context, data)
    elif pending.step == SEND_AT:
        send_at, problem = parse_send_time(
            message.text or "", services.settings.zone, services.now()
        )
        if send_at is None:
            await reply_html(update, context, f"⚠️ {escape(problem or SEND_TIME_HELP)}")
            return
        await confirm(update, context, data, send_at=send_at)
    else:
        await reply_html(update, context, "Please use the buttons above, or /cancel.")


async def button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    if not await require_admin(update, context, "broadcast button"):
        return
    services = context.services
    pending = await pending_for_button(
        update,
        context,
        FLOW,
        "This broadcast draft is no longer open. Start again with /broadcast.",
    )
    if pending is None:
        return
    data = dict(pending.data)
    draft = cb.decode_as(query.data, cb.BroadcastDraftButton)
    action, value = (draft.action, draft.value) if draft else ("", "")
    settings = services.settings
    if pending.step == BUTTON and action == "btn":
        choice = value
        if choice == "custom":
            await _step(update, context, BUTTON_LABEL, data)
            await reply_html(update, context, "Type the button's label (for example “Book now”).")
            return
        label, url = (
            ("Book an appointment", settings.booking_url) if choice == "book" else (None, None)
        )
        async with services.sessions.begin() as session:
            await broadcasts.update_broadcast(
                session=session, broadcast_id=data["id"], button_label=label, button_url=url
            )
        await ask_audience(update, context, data)
    elif pending.step == AUDIENCE and action == "aud":
        if value not in {a.value for a in Audience}:
            await reply_html(update, context, "Please pick one of the audiences above.")
            return
        async with services.sessions.begin() as session:
            await broadcasts.update_broadcast(
                session=session, broadcast_id=data["id"], audience=value
            )
        await show_preview(update, context, data)
    elif pending.step == PREVIEW and action == "send":
        await confirm(update, context, data)
    elif pending.step == PREVIEW and action == "later":
        await _step(update, context, SEND_AT, data)
        await reply_html(
            update,
            context,
            f"When should it go out? Times are in {escape(settings.clinic_timezone)}.\n"
            f"{SEND_TIME_HELP}",
        )
    elif pending.step == PREVIEW and action == "edit":
        await ask_message(update, context, data)
    elif action == "cancel":
        async with services.sessions.begin() as session:
            await broadcasts.update_broadcast(
                session=session, broadcast_id=data["id"], status=BroadcastStatus.CANCELLED
            )
            await clear_pending(session=session, user_id=sender_of(update).id)
        await reply_html(update, context, f"Broadcast #{data['id']} dropped. Nothing was sent.")
    else:
        await reply_html(
            update, context, "That button belongs to an earlier step. Please use the latest one."
        )


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("broadcast", begin))
    app.add_handler(CallbackQueryHandler(button, pattern=cb.pattern(cb.BroadcastDraftButton)))
    register_flow(app, FLOW, answer)
