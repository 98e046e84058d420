"""A broadcast as recipients see it, and the progress report staff see.

The staff member's own words (the text, a custom button's label) go as
written; what the bot adds (the booking button's label, the progress report)
is in the reader's language: each recipient's, or the staff member's.
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity

from content.i18n import N_, Translator
from scheduler import callback_data as cb
from storage.broadcasts import MAYBE_STATUSES, OPEN_STATUSES, BroadcastRecord, RecipientStatus

# The bot's own booking button: stored with no label (a custom button always
# has one), so each recipient reads it in their language.
BOOKING_LABEL = N_("Book an appointment")
STATUS_NAMES = {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "sending": N_("sending"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}


def has_bot_button(record: BroadcastRecord) -> bool:
    """Whether the message carries a button whose label the bot writes (in each language)."""
    return bool(record.button_url) and not record.button_label


def button_markup(record: BroadcastRecord, tr: Translator) -> InlineKeyboardMarkup | None:
    if record.button_url and record.button_label:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(record.button_label, url=record.button_url)]]
        )
    if has_bot_button(record) and record.button_url:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(tr._(BOOKING_LABEL), url=record.button_url)]]
        )
    return None


async def send_copy(bot: Bot, chat_id: int, record: BroadcastRecord, tr: Translator) -> Message:
    """Sends the broadcast to one chat exactly as composed (formatting kept by entities).

    `tr` is the recipient's: only a button the bot adds is in their language.
    """
    entities = [MessageEntity.de_json(entity, bot) for entity in record.entities] or None
    markup = button_markup(record, tr)
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


def cancel_keyboard(tr: Translator, broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("✖ Cancel broadcast"),
                    callback_data=cb.encode(cb.BroadcastCancelButton(broadcast_id)),
                )
            ]
        ]
    )


def progress_text(
    tr: Translator,
    record: BroadcastRecord,
    counts: dict[str, int],
    zone: ZoneInfo,
    *,
    eta_seconds: float | None = None,
) -> str:
    """One message, edited as the broadcast goes: counts, time left, final state.

    Every recipient is in exactly one line: sent, blocked, failed, may not
    have arrived, cancelled, or still to send. In the staff member's language (`tr`).
    """
    n = tr.number
    sent = counts.get(RecipientStatus.SENT, 0)
    blocked = counts.get(RecipientStatus.BLOCKED, 0)
    failed = counts.get(RecipientStatus.FAILED, 0)
    maybe = maybe_arrived(counts)
    cancelled = counts.get(RecipientStatus.CANCELLED, 0)
    waiting = sum(counts.get(status, 0) for status in OPEN_STATUSES)
    states = {
        "scheduled": tr._("🕐 scheduled"),
        "sending": tr._("⏳ sending"),
        "done": tr._("✅ finished"),
        "cancelled": tr._("✖ cancelled"),
    }
    state = states.get(record.status, record.status)
    lines = [
        tr._("📣 <b>Broadcast #{number}</b> — {state}", number=record.id, state=state),
        tr._("Sent: <b>{sent} of {total}</b>", sent=n(sent), total=n(record.total)),
        tr._("Blocked the bot (skipped): {count}", count=n(blocked)),
        tr._("Failed: {count}", count=n(failed)),
    ]
    if maybe:
        # A timeout after the request was written, or a send in flight when
        # the bot stopped: Telegram may have delivered it, so it is not resent.
        lines.append(tr._("May not have arrived (not resent): {count}", count=n(maybe)))
    if cancelled:
        lines.append(tr._("Not sent because cancelled: {count}", count=n(cancelled)))
    if waiting and record.status in {"sending", "scheduled"}:
        lines.append(tr._("Still to send: {count}", count=n(waiting)))
    if record.status == "sending" and eta_seconds is not None and eta_seconds >= 1:
        lines.append(tr._("About {duration} left", duration=_duration(tr, eta_seconds)))
    if record.status == "scheduled" and record.send_at:
        local = record.send_at.astimezone(zone)
        lines.append(
            tr._(
                "Starts {day} at {time} ({zone})",
                day=format_date(local, "full", locale=tr.locale),
                # 24-hour, as staff type it and the compose preview says it.
                time=format_time(local, "HH:mm", locale=tr.locale),
                zone=zone.key,
            )
        )
    return "\n".join(lines)


def summary_line(tr: Translator, record: BroadcastRecord, counts: dict[str, int]) -> str:
    """One line for /broadcasts, in the staff member's language (the preview as written)."""
    preview = escape(title(record.text or tr._("📷 photo")))
    status = STATUS_NAMES.get(record.status)
    return tr._(
        "#{number} · {status} · {sent}/{total} sent, {blocked} blocked, {failed} failed, "
        "{maybe} may not have arrived · “{preview}”",
        number=record.id,
        status=tr._(status) if status else record.status,
        sent=tr.number(counts.get(RecipientStatus.SENT, 0)),
        total=tr.number(record.total),
        blocked=tr.number(counts.get(RecipientStatus.BLOCKED, 0)),
        failed=tr.number(counts.get(RecipientStatus.FAILED, 0)),
        maybe=tr.number(maybe_arrived(counts)),
        preview=preview,
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


def _duration(tr: Translator, seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 90:
        return tr._("{seconds} s", seconds=tr.number(seconds))
    return tr._("{minutes} min", minutes=tr.number(round(seconds / 60)))
