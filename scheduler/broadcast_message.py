"""A broadcast as recipients see it, and the progress report staff see."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity

from scheduler import callback_data as cb
from storage.broadcasts import MAYBE_STATUSES, OPEN_STATUSES, BroadcastRecord, RecipientStatus


def button_markup(record: BroadcastRecord) -> InlineKeyboardMarkup | None:
    if record.button_label and record.button_url:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(record.button_label, url=record.button_url)]]
        )
    return None


async def send_copy(bot: Bot, chat_id: int, record: BroadcastRecord) -> Message:
    """Sends the broadcast to one chat exactly as composed (formatting kept by entities)."""
    entities = [MessageEntity.de_json(entity, bot) for entity in record.entities] or None
    markup = button_markup(record)
    if record.photo_file_id:
        return await bot.send_photo(
            chat_id,
            record.photo_file_id,
            caption=record.text or None,
            caption_entities=entities,
            parse_mode=None,  # the staff's own text: never HTML (the bot's default)
            reply_markup=markup,
        )
    return await bot.send_message(
        chat_id, record.text or "", entities=entities, parse_mode=None, reply_markup=markup
    )


def cancel_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✖ Cancel broadcast",
                    callback_data=cb.encode(cb.BroadcastCancelButton(broadcast_id)),
                )
            ]
        ]
    )


def progress_text(
    record: BroadcastRecord,
    counts: dict[str, int],
    zone: ZoneInfo,
    *,
    eta_seconds: float | None = None,
) -> str:
    """One message, edited as the broadcast goes: counts, time left, final state.

    Every recipient is in exactly one line: sent, blocked, failed, may not
    have arrived, cancelled, or still to send.
    """
    sent = counts.get(RecipientStatus.SENT, 0)
    blocked = counts.get(RecipientStatus.BLOCKED, 0)
    failed = counts.get(RecipientStatus.FAILED, 0)
    maybe = maybe_arrived(counts)
    cancelled = counts.get(RecipientStatus.CANCELLED, 0)
    waiting = sum(counts.get(status, 0) for status in OPEN_STATUSES)
    state = {
        "scheduled": "🕐 scheduled",
        "sending": "⏳ sending",
        "done": "✅ finished",
        "cancelled": "✖ cancelled",
    }.get(record.status, record.status)
    lines = [
        f"📣 <b>Broadcast #{record.id}</b> — {state}",
        f"Sent: <b>{sent} of {record.total}</b>",
        f"Blocked the bot (skipped): {blocked}",
        f"Failed: {failed}",
    ]
    if maybe:
        # A timeout after the request was written, or a send in flight when
        # the bot stopped: Telegram may have delivered it, so it is not resent.
        lines.append(f"May not have arrived (not resent): {maybe}")
    if cancelled:
        lines.append(f"Not sent because cancelled: {cancelled}")
    if waiting and record.status in {"sending", "scheduled"}:
        lines.append(f"Still to send: {waiting}")
    if record.status == "sending" and eta_seconds is not None and eta_seconds >= 1:
        lines.append(f"About {_duration(eta_seconds)} left")
    if record.status == "scheduled" and record.send_at:
        lines.append(f"Starts {record.send_at.astimezone(zone):%A %-d %B at %H:%M} ({zone.key})")
    return "\n".join(lines)


def summary_line(record: BroadcastRecord, counts: dict[str, int]) -> str:
    """One line for /broadcasts."""
    preview = escape(title(record.text or "📷 photo"))
    sent = counts.get(RecipientStatus.SENT, 0)
    return (
        f"#{record.id} · {record.status} · {sent}/{record.total} sent, "
        f"{counts.get(RecipientStatus.BLOCKED, 0)} blocked, "
        f"{counts.get(RecipientStatus.FAILED, 0)} failed, "
        f"{maybe_arrived(counts)} may not have arrived · “{preview}”"
    )


def title(text: str, limit: int = 40) -> str:
    """The start of a message on one line, cut at a word with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit + 1].rsplit(" ", 1)[0] if " " in line[:limit] else line[:limit]
    return cut.rstrip(" ,.;:-–—") + "…"


def maybe_arrived(counts: dict[str, int]) -> int:
    """Recipients whose message may or may not have arrived (never resent)."""
    return sum(counts.get(status, 0) for status in MAYBE_STATUSES)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    return f"{round(seconds / 60)} min"
