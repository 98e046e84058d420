"""/broadcast: staff compose a message, a button, an audience and a time, preview, confirm.

The draft lives in the pending step (database), not in the broadcasts table:
a broadcast row, and so its number, exists only once staff confirm, so a
dropped draft takes no number. Every step has ◀ Back and ✖ Cancel; ✏️ Edit
changes one thing and returns to the preview. Every step re-checks that the
person is staff. Confirming snapshots the recipients; the sender job does the
rest.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.ext import CallbackQueryHandler, CommandHandler

from content.i18n import N_, Translator
from content.web_addresses import https_url_problem
from handlers.admin import require_role
from handlers.context import AcubotApp, AcubotContext
from handlers.flows import (
    Flow,
    live_pending,
    pending_for_button,
    register_flow,
    remove_buttons,
    save_step,
    show_step,
)
from handlers.reply import reply_html
from handlers.update_parts import chat_of, jobs_of, message_of, query_of, sender_of
from scheduler import broadcast_message
from scheduler import callback_data as cb
from scheduler.send_time import describe_send_time, parse_send_time, send_time_examples
from storage import broadcasts
from storage.broadcasts import Audience, BroadcastRecord, BroadcastStatus
from storage.pending import PendingRecord, clear_pending
from storage.staff import Permission
from storage.types import has_unstorable

FLOW = "broadcast"
MESSAGE, BUTTON, BUTTON_LABEL, BUTTON_URL, AUDIENCE, PREVIEW, SEND_AT, EDIT = (
    "message", "button", "button_label", "button_url", "audience", "preview", "send_at", "edit",
)  # fmt: skip
# Where ◀ Back goes from each step while composing; while editing, the steps
# that edit one thing go back to the edit menu instead.
BACK = {
    BUTTON: MESSAGE,
    BUTTON_LABEL: BUTTON,
    BUTTON_URL: BUTTON_LABEL,
    AUDIENCE: BUTTON,
    PREVIEW: AUDIENCE,
    SEND_AT: PREVIEW,
    EDIT: PREVIEW,
}
MAX_LABEL = 40
STOPPED = N_("I stopped composing your broadcast. Nothing was sent.")
EXPIRED = N_("This broadcast draft is no longer open. Start again with /broadcast.")
AUDIENCE_NAMES = {
    Audience.ALL: N_("Everyone who started the bot"),
    Audience.SUBSCRIBERS: N_("Reminder subscribers"),
    Audience.NOT_SUBSCRIBED: N_("People without reminders"),
}
CONTENT_FIELDS = ("text", "entities", "photo_file_id", "button_label", "button_url", "audience")
# What content.web_addresses finds wrong with an address, as whole sentences.
URL_PROBLEMS = {
    "must start with https://": N_("That address must start with https://."),
    "is not a well-formed web address": N_("That address is not a well-formed web address."),
    "is too long": N_("That address is too long."),
}


def people(tr: Translator, count: int) -> str:
    return tr.n_("{n} person", "{n} people", count)


def _button(label: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=cb.encode(cb.BroadcastDraftButton(action, value))
    )


def _nav(tr: Translator, step: str, data: dict[str, Any]) -> list[InlineKeyboardButton]:
    """◀ Back (where there is somewhere to go back to) and ✖ Cancel."""
    row = [_button(tr._("✖ Cancel"), "cancel")]
    if step in BACK or data.get("editing"):
        row.insert(0, _button(tr._("◀ Back"), "back", step))
    return row


async def _step(update: Update, context: AcubotContext, step: str, data: dict[str, Any]) -> None:
    await save_step(update, context, FLOW, step, data)


def draft_record(data: dict[str, Any], admin_id: int, now: datetime) -> BroadcastRecord:
    """The draft as the message patients would get (it has no number yet)."""
    return BroadcastRecord(
        id=0,
        admin_id=admin_id,
        status=BroadcastStatus.DRAFT,
        text=data.get("text"),
        entities=data.get("entities") or [],
        photo_file_id=data.get("photo_file_id"),
        button_label=data.get("button_label"),
        button_url=data.get("button_url"),
        audience=data.get("audience"),
        send_at=None,
        total=0,
        progress_chat_id=None,
        progress_message_id=None,
        progress_shown_at=None,
        created_at=now,
        confirmed_at=None,
        finished_at=None,
    )


async def begin(update: Update, context: AcubotContext) -> None:
    """Starts a new draft (a command stopped any earlier one, and said so)."""
    if not await require_role(update, context, Permission.BROADCASTS, "/broadcast"):
        return
    await ask_message(update, context, {})


async def ask_message(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await _step(update, context, MESSAGE, data)
    tr = context.tr
    lines = [f"⚠️ {escape(problem, quote=False)}", ""] if problem else []
    lines += [
        tr._("📣 <b>New broadcast</b>")
        if not data.get("editing")
        else tr._("📣 <b>Edit the message</b>"),
        tr._(
            "Send me the message for patients: text (bold, italics and links are kept), "
            "or a photo with a caption. /cancel stops without sending anything."
        ),
    ]
    keyboard = InlineKeyboardMarkup([_nav(tr, MESSAGE, data)])
    await show_step(update, context, "\n".join(lines), keyboard, replace=replace)


UNSTORABLE = N_(
    "That message contains an invisible control character (such as NUL) that I can't "
    "store or send. Please type or paste it again without it."
)
UNSTORABLE_LABEL = N_(
    "That label contains an invisible control character (such as NUL) that I can't "
    "store or send. Please type or paste it again without it."
)


def read_message(tr: Translator, message: Message) -> tuple[dict[str, Any] | None, str | None]:
    """The broadcast content of a message, or why it cannot be broadcast (in `tr`'s language)."""
    if has_unstorable(message.text or message.caption or ""):
        return None, tr._(UNSTORABLE)
    if message.photo:
        caption = message.caption or ""
        if len(caption) > MessageLimit.CAPTION_LENGTH:
            return None, tr._(
                "That caption has {length} characters; Telegram allows {limit}. Please shorten it.",
                length=tr.number(len(caption)),
                limit=tr.number(MessageLimit.CAPTION_LENGTH),
            )
        return {
            "text": caption,
            "entities": [e.to_dict() for e in message.caption_entities],
            "photo_file_id": message.photo[-1].file_id,
        }, None
    if message.text is not None:
        if not message.text.strip():
            return None, tr._("That message is empty. Please send some text.")
        if len(message.text) > MessageLimit.MAX_TEXT_LENGTH:
            return None, tr._(
                "That message has {length} characters; Telegram allows {limit}. "
                "Please shorten it or split it.",
                length=tr.number(len(message.text)),
                limit=tr.number(MessageLimit.MAX_TEXT_LENGTH),
            )
        return {
            "text": message.text,
            "entities": [e.to_dict() for e in message.entities],
            "photo_file_id": None,
        }, None
    return None, tr._(
        "I can broadcast text, or a photo with a caption. Stickers, voice messages, "
        "videos and files can't be broadcast."
    )


async def ask_button(
    update: Update, context: AcubotContext, data: dict[str, Any], *, replace: bool = False
) -> None:
    await _step(update, context, BUTTON, data)
    tr = context.tr
    rows = []
    if context.services.settings.booking_url:
        rows.append(
            [
                _button(
                    tr._("📅 “Book an appointment” (booking link)"),
                    "btn",
                    "book",
                )
            ]
        )
    rows += [
        [_button(tr._("✏️ A custom button"), "btn", "custom")],
        [_button(tr._("No button"), "btn", "none")],
    ]
    rows.append(_nav(tr, BUTTON, data))
    await show_step(
        update,
        context,
        tr._("Add a button under the message?"),
        InlineKeyboardMarkup(rows),
        replace=replace,
    )


async def ask_label(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await _step(update, context, BUTTON_LABEL, data)
    tr = context.tr
    text = (f"⚠️ {escape(problem, quote=False)}\n\n" if problem else "") + tr._(
        "Type the button's label (for example “Book now”)."
    )
    keyboard = InlineKeyboardMarkup([_nav(tr, BUTTON_LABEL, data)])
    await show_step(update, context, text, keyboard, replace=replace)


async def ask_url(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await _step(update, context, BUTTON_URL, data)
    tr = context.tr
    text = (f"⚠️ {escape(problem, quote=False)}\n\n" if problem else "") + tr._(
        "Now the web address “{label}” opens (it must start with https://).",
        label=escape(data["label"]),
    )
    keyboard = InlineKeyboardMarkup([_nav(tr, BUTTON_URL, data)])
    await show_step(update, context, text, keyboard, replace=replace)


def _sender(update: Update) -> int:
    return sender_of(update).id


async def ask_audience(
    update: Update, context: AcubotContext, data: dict[str, Any], *, replace: bool = False
) -> None:
    await _step(update, context, AUDIENCE, data)
    tr = context.tr
    async with context.services.sessions() as session:
        sizes = await broadcasts.audience_sizes(session=session, sender_id=_sender(update))
    rows = [
        [
            _button(
                tr._(
                    "{audience} ({count})",
                    audience=tr._(AUDIENCE_NAMES[audience]),
                    count=tr.number(sizes[audience]),
                ),
                "aud",
                audience.value,
            )
        ]
        for audience in Audience
    ]
    rows.append(_nav(tr, AUDIENCE, data))
    await show_step(
        update,
        context,
        tr._("Who should get it? (People who blocked the bot, and you, are never included.)"),
        InlineKeyboardMarkup(rows),
        replace=replace,
    )


async def ask_send_at(
    update: Update,
    context: AcubotContext,
    data: dict[str, Any],
    problem: str | None = None,
    *,
    replace: bool = False,
) -> None:
    await _step(update, context, SEND_AT, data)
    services = context.services
    tr = context.tr
    zone = services.settings.zone
    lines = [f"⚠️ {escape(problem, quote=False)}", ""] if problem else []
    lines += [
        tr._("🕐 When should it go out? Type a day and time in {zone}.", zone=escape(zone.key)),
        # Typed times are read in English words (scheduler/send_time.py), so the examples are too.
        send_time_examples(zone, services.now(), tr),
    ]
    rows = [_nav(tr, SEND_AT, data)]
    if data.get("send_at"):
        rows.insert(0, [_button(tr._("▶ Send it now instead"), "now")])
    await show_step(update, context, "\n".join(lines), InlineKeyboardMarkup(rows), replace=replace)


async def ask_edit(
    update: Update, context: AcubotContext, data: dict[str, Any], *, replace: bool = False
) -> None:
    """✏️ Edit: which one thing to change; each returns to the preview."""
    data = {**data, "editing": True}
    await _step(update, context, EDIT, data)
    tr = context.tr
    keyboard = InlineKeyboardMarkup(
        [
            [
                _button(tr._("📝 Message"), "e", "message"),
                _button(tr._("🔘 Button"), "e", "button"),
            ],
            [
                _button(tr._("👥 Audience"), "e", "audience"),
                _button(tr._("🕐 Time"), "e", "time"),
            ],
            _nav(tr, EDIT, data),
        ]
    )
    await show_step(
        update, context, tr._("✏️ What would you like to change?"), keyboard, replace=replace
    )


def _send_at(data: dict[str, Any]) -> datetime | None:
    value = data.get("send_at")
    return datetime.fromisoformat(value) if value else None


async def show_preview(
    update: Update, context: AcubotContext, data: dict[str, Any], *, with_copy: bool = True
) -> None:
    """The message exactly as patients will see it, then the count, the time and the choices."""
    data = {key: value for key, value in data.items() if key not in {"editing", "label"}}
    await _step(update, context, PREVIEW, data)
    services = context.services
    tr = context.tr
    await remove_buttons(update)
    async with services.sessions() as session:
        sizes = await broadcasts.audience_sizes(session=session, sender_id=_sender(update))
    if with_copy:
        record = draft_record(data, _sender(update), services.now())
        # In the staff member's language; a booking button is in each patient's.
        await broadcast_message.send_copy(context.bot, chat_of(update).id, record, tr)
    audience = Audience(data["audience"])
    send_at = _send_at(data)
    zone = services.settings.zone
    when = (
        tr._(
            "It will go out <b>{when}</b>.",
            when=escape(describe_send_time(send_at, zone, services.now(), tr)),
        )
        if send_at
        else tr._("It will go out as soon as you confirm.")
    )
    confirm_label = tr._("✅ Confirm: schedule it") if send_at else tr._("✅ Confirm: send now")
    keyboard = InlineKeyboardMarkup(
        [
            [_button(confirm_label, "send")],
            [
                _button(tr._("🕐 Change time") if send_at else tr._("🕐 Send later"), "later"),
                _button(tr._("✏️ Edit"), "edit"),
            ],
            _nav(tr, PREVIEW, data),
        ]
    )
    lines = [tr._("☝️ That is exactly what patients will see.")] if with_copy else []
    lines += [
        tr._(
            "It will go to <b>{people}</b> ({audience}; you are not counted).",
            people=people(tr, sizes[audience]),
            audience=tr._(AUDIENCE_NAMES[audience]).lower(),
        ),
        when,
    ]
    await reply_html(update, context, "\n".join(lines), keyboard)


async def confirm(update: Update, context: AcubotContext, data: dict[str, Any]) -> None:
    """Creates the broadcast, snapshots the recipients and hands it to the sender.

    Deleting the pending step is the claim: of two taps on Confirm (or two
    instances), only the one that deleted it creates a broadcast.
    """
    services = context.services
    user_id = sender_of(update).id
    now = services.now()
    send_at = _send_at(data)
    if send_at is not None and send_at <= now:
        await ask_send_at(
            update, context, data, context.tr._("That time has passed in the meantime.")
        )
        return
    async with services.sessions.begin() as session:
        if not await clear_pending(session=session, user_id=user_id):
            broadcast_id = None
        else:
            content = {key: data[key] for key in CONTENT_FIELDS if key in data}
            broadcast_id = await broadcasts.create_draft(
                session=session, admin_id=user_id, now=now, **content
            )
            await broadcasts.confirm_broadcast(
                session=session, broadcast_id=broadcast_id, now=now, send_at=send_at
            )
    if broadcast_id is None:  # a second tap on Confirm
        await query_of(update).answer(
            context.tr._("This broadcast was already confirmed. See /broadcasts.")
        )
        return
    async with services.sessions() as session:
        record = await broadcasts.get_broadcast(session=session, broadcast_id=broadcast_id)
    assert record is not None
    # The preview's control message becomes the progress report: its
    # Confirm button is gone, so it cannot be confirmed twice.
    progress = await show_step(
        update,
        context,
        broadcast_message.progress_text(context.tr, record, {}, services.settings.zone),
        broadcast_message.cancel_keyboard(context.tr, record.id),
        replace=True,
    )
    if isinstance(progress, Message):
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


async def _after_content(update: Update, context: AcubotContext, data: dict[str, Any]) -> None:
    """After the message or the button: the next step, or the preview when editing."""
    if data.get("editing"):
        await show_preview(update, context, data)
    else:
        await ask_audience(update, context, data)


async def answer(update: Update, context: AcubotContext, pending: PendingRecord) -> None:
    """Typed answers: the message itself, a button label or URL, a send time."""
    if not await require_role(update, context, Permission.BROADCASTS, "broadcast step"):
        return
    data = dict(pending.data)
    message = message_of(update)
    services = context.services
    tr = context.tr
    if pending.step == MESSAGE:
        content, problem = read_message(tr, message)
        if content is None:
            await ask_message(update, context, data, problem)
            return
        data.update(content)
        if data.get("editing"):
            await show_preview(update, context, data)
        else:
            await ask_button(update, context, data)
    elif pending.step == BUTTON_LABEL:
        label = (message.text or "").strip()
        if has_unstorable(label):
            await ask_label(update, context, data, tr._(UNSTORABLE_LABEL))
            return
        if not label or len(label) > MAX_LABEL:
            await ask_label(
                update,
                context,
                data,
                tr._("Please type a label of 1 to {limit} characters.", limit=tr.number(MAX_LABEL)),
            )
            return
        data["label"] = label
        await ask_url(update, context, data)
    elif pending.step == BUTTON_URL:
        url = (message.text or "").strip()
        problem = https_url_problem(url) if len(url) <= 512 else "is too long"
        if problem:
            sentence = URL_PROBLEMS.get(problem)
            said = tr._(sentence) if sentence else tr._("That address {problem}.", problem=problem)
            await ask_url(update, context, data, said)
            return
        data["button_label"], data["button_url"] = data.pop("label"), url
        await _after_content(update, context, data)
    elif pending.step == SEND_AT:
        send_at, problem = parse_send_time(
            message.text or "", services.settings.zone, services.now(), tr
        )
        if send_at is None:
            await ask_send_at(update, context, data, problem)
            return
        data["send_at"] = send_at.isoformat()
        # The preview states the resolved day and time in words before anything is scheduled.
        await show_preview(update, context, data, with_copy=False)
    else:
        await reply_html(update, context, tr._("Please use the buttons above, or /cancel."))


async def button(update: Update, context: AcubotContext) -> None:
    query = query_of(update)
    if not await require_role(update, context, Permission.BROADCASTS, "broadcast button"):
        return
    draft = cb.decode_as(query.data, cb.BroadcastDraftButton)
    action, value = (draft.action, draft.value) if draft else ("", "")
    if action == "cancel":
        await cancel(update, context)
        return
    pending = await pending_for_button(update, context, FLOW, EXPIRED)
    if pending is None:
        return
    data = dict(pending.data)
    step = pending.step
    settings = context.services.settings
    if action == "back" and value == step:
        await go_back(update, context, step, data)
    elif step == BUTTON and action == "btn":
        choice = value
        if choice == "custom":
            await ask_label(update, context, data, replace=True)
            return
        if choice == "book" and settings.booking_url:
            # No label: the bot writes it, in each recipient's language (broadcast_message).
            data["button_label"], data["button_url"] = None, settings.booking_url
        else:
            data["button_label"], data["button_url"] = None, None
        await remove_buttons(update)
        await _after_content(update, context, data)
    elif step == AUDIENCE and action == "aud":
        if value not in {a.value for a in Audience}:
            await reply_html(
                update, context, context.tr._("Please pick one of the audiences above.")
            )
            return
        data["audience"] = value
        await show_preview(update, context, data)
    elif step == PREVIEW and action == "send":
        await confirm(update, context, data)
    elif step == PREVIEW and action == "later":
        await ask_send_at(update, context, data, replace=True)
    elif step == PREVIEW and action == "edit":
        await ask_edit(update, context, data, replace=True)
    elif step == SEND_AT and action == "now":
        data.pop("send_at", None)
        await show_preview(update, context, data, with_copy=False)
    elif step == EDIT and action == "e":
        await edit_one(update, context, value, data)
    else:
        await reply_html(
            update,
            context,
            context.tr._("That button belongs to an earlier step. Please use the latest one."),
        )


async def edit_one(update: Update, context: AcubotContext, what: str, data: dict[str, Any]) -> None:
    if what == "message":
        await ask_message(update, context, data, replace=True)
    elif what == "button":
        await ask_button(update, context, data, replace=True)
    elif what == "audience":
        await ask_audience(update, context, data, replace=True)
    elif what == "time":
        await ask_send_at(update, context, data, replace=True)
    else:
        await ask_edit(update, context, data, replace=True)


async def go_back(update: Update, context: AcubotContext, step: str, data: dict[str, Any]) -> None:
    """◀ Back: the step before this one; while editing, the edit menu."""
    if data.get("editing") and step in {MESSAGE, BUTTON, AUDIENCE, SEND_AT}:
        await ask_edit(update, context, data, replace=True)
        return
    target = BACK.get(step, PREVIEW)
    if target == MESSAGE:
        await ask_message(update, context, data, replace=True)
    elif target == BUTTON:
        await ask_button(update, context, data, replace=True)
    elif target == BUTTON_LABEL:
        await ask_label(update, context, data, replace=True)
    elif target == AUDIENCE:
        await ask_audience(update, context, data, replace=True)
    else:
        await show_preview(update, context, data, with_copy=False)


async def cancel(update: Update, context: AcubotContext) -> None:
    """✖ Cancel from any step: the draft is dropped; nothing was numbered or sent."""
    query = query_of(update)
    user_id = sender_of(update).id
    pending = await live_pending(context, user_id)
    had_draft = False
    if pending is not None and pending.flow == FLOW:
        async with context.services.sessions.begin() as session:
            had_draft = await clear_pending(session=session, user_id=user_id)
    if not had_draft:
        await query.answer(context.tr._(EXPIRED), show_alert=True)
        await remove_buttons(update)
        return
    await query.answer()
    await show_step(update, context, context.tr._(STOPPED), replace=True)


def register(app: AcubotApp) -> None:
    app.add_handler(CommandHandler("broadcast", begin))
    app.add_handler(CallbackQueryHandler(button, pattern=cb.pattern(cb.BroadcastDraftButton)))
    register_flow(app, Flow(FLOW, answer, STOPPED))
