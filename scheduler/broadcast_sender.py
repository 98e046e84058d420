"""Drains confirmed broadcasts: batches under a lease, through the send policy.

Recipients were snapshotted at Confirm. Each chunk is claimed under a short
lease (renewed while the sender works); each recipient is marked as being
sent only when its request is about to be written, and recorded after. So a
restart resumes with the pending rows and the dead sender's claimed but
unstarted ones, only the sends truly in flight at a kill are "may not have
arrived", and nobody gets the broadcast twice. In one process, one sender
drains at a time (Confirm's one-off job and the repeating job take turns).
Staff see one progress message, edited at most every few seconds, in their
own language; each recipient's copy carries any button the bot adds in theirs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Message
from telegram.error import TelegramError

from content.i18n import Translator, translator
from content.languages import language_from_tag
from scheduler import broadcast_message
from scheduler.dispatcher import instance_name
from scheduler.leases import renewing
from scheduler.marks import MarkSending
from scheduler.recipients import apply_send_outcome, send_record
from scheduler.send_policy import NotClaimed, SendOutcome, SendPolicy, SendStatus
from storage import broadcasts
from storage.broadcasts import (
    OPEN_STATUSES,
    BroadcastRecord,
    BroadcastStatus,
    Claimed,
    RecipientStatus,
)
from storage.database import DatabaseGate, when_available
from storage.outcomes import SendRecord
from storage.users import language_tag_of

log = logging.getLogger(__name__)

_RECIPIENT_STATUS = {
    SendStatus.SENT: RecipientStatus.SENT,
    SendStatus.BLOCKED: RecipientStatus.BLOCKED,
    SendStatus.FAILED: RecipientStatus.FAILED,
    SendStatus.UNDECIDED: RecipientStatus.UNDECIDED,
}


@dataclass
class SenderReport:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    undecided: int = 0
    finished: int = 0


class BroadcastSender:
    """Sends every confirmed broadcast to its snapshot of recipients, once each."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        policy: SendPolicy,
        clock: Callable[[], datetime],
        zone: ZoneInfo,
        owner: str | None = None,
        chunk_size: int = 16,
        lease: timedelta = timedelta(seconds=20),
        progress_every: timedelta = timedelta(seconds=2),
        keep_going: Callable[[], bool] = lambda: True,
        gate: DatabaseGate | None = None,
    ) -> None:
        self.sessions = sessions
        self.bot = bot
        self.policy = policy
        self.clock = clock
        # With a gate, the outcomes of a chunk already sent wait out a database
        # outage instead of being dropped (they would count as undecided).
        self.gate = gate
        self.zone = zone
        self.owner = owner or instance_name()
        self.chunk_size = chunk_size
        self.lease = lease
        self.progress_every = progress_every
        # False once the application is stopping: finish the chunk, leave the rest pending.
        self.keep_going = keep_going
        self._stop = asyncio.Event()
        # Cancelled here and now: even the chunk in flight sends no more of it.
        self._cancelled: set[int] = set()
        # One drain at a time in this process: Confirm starts a one-off run
        # while the repeating job may be running; they must not share a broadcast.
        self._running = asyncio.Lock()
        self._mark_sending = MarkSending(self._mark_recipients)

    async def _mark_recipients(self, recipient_ids: Sequence[int]) -> set[int]:
        async with self.sessions.begin() as session:
            return await broadcasts.mark_recipients_sending(
                session=session, recipient_ids=recipient_ids, owner=self.owner
            )

    def cancel(self, broadcast_id: int) -> None:
        """Staff cancelled it in this process: skip every message not yet handed to Telegram."""
        self._cancelled.add(broadcast_id)

    def request_stop(self) -> None:
        """Finish the chunk in flight, then return (the bot is shutting down)."""
        self._stop.set()

    async def run(self) -> SenderReport:
        """Start scheduled broadcasts that are due, then drain every sending one.

        A second call while one runs waits for it, then finds what is left.
        """
        async with self._running:
            return await self._run()

    async def _run(self) -> SenderReport:
        report = SenderReport()
        async with self.sessions.begin() as session:
            await broadcasts.start_due_scheduled(session=session, now=self.clock())
            active = await broadcasts.sending_broadcasts(session=session)
        for record in active:
            if self._stop.is_set():
                break
            await self._drain(record, report)
        return report

    async def _drain(self, record: BroadcastRecord, report: SenderReport) -> None:
        async with self.sessions.begin() as session:
            await broadcasts.skip_unreachable(session=session, broadcast_id=record.id)
            await broadcasts.mark_interrupted(
                session=session, broadcast_id=record.id, now=self.clock()
            )

        async def renew() -> None:
            async with self.sessions.begin() as session:
                await broadcasts.renew_recipient_leases(
                    session=session,
                    broadcast_id=record.id,
                    owner=self.owner,
                    lease_until=self.clock() + self.lease,
                )

        async with renewing(self.lease, renew):
            while not self._stop.is_set() and self.keep_going():
                async with self.sessions.begin() as session:
                    current = await broadcasts.get_broadcast(
                        session=session, broadcast_id=record.id
                    )
                    if current is None or current.status != BroadcastStatus.SENDING:
                        break  # cancelled (or deleted) while we were sending
                    now = self.clock()
                    claimed = await broadcasts.claim_recipients(
                        session=session,
                        broadcast_id=record.id,
                        now=now,
                        lease_until=now + self.lease,
                        owner=self.owner,
                        limit=self.chunk_size,
                    )
                if not claimed:
                    break
                await self._send_chunk(current, claimed, report)
                await self._show_progress(record.id)
        async with self.sessions.begin() as session:
            finished = await broadcasts.finish_if_complete(
                session=session, broadcast_id=record.id, now=self.clock()
            )
        if finished:
            report.finished += 1
            await self._show_progress(record.id, force=True)

    async def _send_chunk(
        self, record: BroadcastRecord, claimed: list[Claimed], report: SenderReport
    ) -> None:

        not_handed: set[int] = set()

        async def send_one(recipient: Claimed) -> SendOutcome | None:
            if record.id in self._cancelled:
                return None
            marked = False
            tr = translator(language_from_tag(recipient.language_tag))

            async def send(chat_id: int) -> Message:
                nonlocal marked
                if not marked:
                    if record.id in self._cancelled:
                        not_handed.add(recipient.id)  # cancelled while it waited its turn
                        raise NotClaimed
                    # Only now, with the pacing turn in hand, is the recipient "sending".
                    if not await self._mark_sending(recipient.id):
                        raise NotClaimed
                    marked = True
                return await broadcast_message.send_copy(self.bot, chat_id, record, tr)

            return await self.policy.send(recipient.chat_id, send)

        outcomes = await asyncio.gather(*(send_one(recipient) for recipient in claimed))
        now = self.clock()
        rows = []
        for recipient, outcome in zip(claimed, outcomes, strict=True):
            if outcome is None or recipient.id in not_handed:
                rows.append(SendRecord(recipient.id, RecipientStatus.CANCELLED, attempts=0))
                continue
            if outcome.status == SendStatus.SKIPPED:
                continue  # another sender has it now, or staff cancelled: theirs to record
            status = _RECIPIENT_STATUS[outcome.status]
            if status == RecipientStatus.SENT:
                report.sent += 1
            elif status == RecipientStatus.BLOCKED:
                report.blocked += 1
            elif status == RecipientStatus.UNDECIDED:
                report.undecided += 1
            else:
                report.failed += 1
            rows.append(send_record(recipient.id, status, outcome, now))

        async def record_outcomes() -> None:
            async with self.sessions.begin() as session:
                await broadcasts.record_outcomes(session=session, outcomes=rows)
                for recipient, outcome in zip(claimed, outcomes, strict=True):
                    if outcome is None or outcome.status == SendStatus.SKIPPED:
                        continue
                    await apply_send_outcome(
                        session=session, user_id=recipient.user_id, outcome=outcome, now=now
                    )

        if self.gate is None:
            await record_outcomes()
        else:
            await when_available(self.gate, record_outcomes, keep_going=self.keep_going)

    async def _show_progress(self, broadcast_id: int, *, force: bool = False) -> None:
        """Edits the staff's progress message, at most every `progress_every`."""
        now = self.clock()
        async with self.sessions.begin() as session:
            record = await broadcasts.get_broadcast(session=session, broadcast_id=broadcast_id)
            if record is None or record.progress_message_id is None:
                return
            shown = record.progress_shown_at
            if not force and shown is not None and now - shown < self.progress_every:
                return
            counts = await broadcasts.recipient_counts(session=session, broadcast_id=broadcast_id)
            staff_language = await language_tag_of(session=session, user_id=record.admin_id)
            await broadcasts.update_broadcast(
                session=session, broadcast_id=broadcast_id, progress_shown_at=now
            )
        tr = translator(language_from_tag(staff_language))
        await show_progress(self.bot, record, counts, self.zone, self.policy.rate, tr)


async def show_progress(
    bot: Bot,
    record: BroadcastRecord,
    counts: dict[str, int],
    zone: ZoneInfo,
    rate: float,
    tr: Translator,
) -> None:
    """Edits the progress message (in the staff member's language, `tr`); a failed
    edit never stops the broadcast."""
    if record.progress_chat_id is None or record.progress_message_id is None:
        return
    remaining = sum(counts.get(status, 0) for status in OPEN_STATUSES)
    eta = remaining / rate if rate > 0 else None
    keyboard = (
        broadcast_message.cancel_keyboard(tr, record.id)
        if record.status in {BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED}
        else None
    )
    try:
        await bot.edit_message_text(
            broadcast_message.progress_text(tr, record, counts, zone, eta_seconds=eta),
            chat_id=record.progress_chat_id,
            message_id=record.progress_message_id,
            reply_markup=keyboard,
        )
    except TelegramError as error:  # e.g. "message is not modified"
        log.debug("Progress edit for broadcast %d skipped: %s", record.id, error)
