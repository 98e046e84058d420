"""Visit reminders, sent by the reminder dispatcher's tick (one job for everything due).

Each run claims due reminder rows (written with the visit: one per visit and
kind, so never two) under a short lease (renewed while the run sends, as the
dispatcher's are: scheduler.leases), marks each "sending" just before its
request is written, sends through the shared send policy and records the
outcome. A run after a crash gives unstarted claims back and records started
ones as interrupted (maybe delivered: never resent). A reminder due longer
ago than the grace (downtime), or whose visit has begun, is recorded missed;
one of a cancelled or moved visit, skipped. The no-answer check sends the
patient nothing: a visit still unanswered after its day-before reminder is
flagged and the front desk told. A patient who blocked the bot: the front
desk is told the reminder could not be delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Message

from content.i18n import translator
from content.languages import language_from_tag
from scheduler import visit_message
from scheduler.leases import renewing
from scheduler.recipients import apply_send_outcome
from scheduler.send_policy import NotClaimed, SendOutcome, SendPolicy, SendStatus
from scheduler.visit_message import Notice
from scheduler.visit_rules import ReminderKind
from storage import visits
from storage.staff import Permission, allows, list_staff
from storage.users import language_tag_of
from storage.visits import DueVisitReminder, VisitRecord, VisitReminderStatus, VisitStatus

log = logging.getLogger(__name__)

_STATUS = {
    SendStatus.SENT: VisitReminderStatus.SENT,
    SendStatus.BLOCKED: VisitReminderStatus.BLOCKED,
    SendStatus.FAILED: VisitReminderStatus.FAILED,
    SendStatus.UNDECIDED: VisitReminderStatus.UNDECIDED,
}


@dataclass
class VisitReport:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    missed: int = 0
    skipped: int = 0
    flagged: int = 0
    interrupted: int = 0


async def tell_front_desk(
    *,
    sessions: async_sessionmaker[AsyncSession],
    bot: Bot,
    policy: SendPolicy,
    owner_ids: Collection[int],
    clinic_zone: ZoneInfo,
    notice: Notice,
    visit: VisitRecord,
) -> int:
    """One message to every staff member whose role allows visits; how many got it.

    The patient's name and the visit in clinic time, nothing more. Each in
    the staff member's own language.
    """
    async with sessions() as session:
        staff = [
            member.user_id
            for member in await list_staff(session=session, owner_ids=owner_ids)
            if allows(member.role, Permission.VISITS)
        ]
        tags = {
            user_id: await language_tag_of(session=session, user_id=user_id) for user_id in staff
        }

    async def send(user_id: int) -> SendOutcome:
        tr = translator(language_from_tag(tags[user_id]))
        text = visit_message.notice_text(tr, notice, visit, clinic_zone)
        return await policy.send(user_id, lambda chat_id: bot.send_message(chat_id, text))

    outcomes = await asyncio.gather(*(send(user_id) for user_id in staff))
    return sum(outcome.status == SendStatus.SENT for outcome in outcomes)


class VisitReminderSender:
    """Sends due visit reminders exactly once; called from the dispatcher's tick."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        policy: SendPolicy,
        owner: str,
        clinic_name: str,
        clinic_zone: ZoneInfo,
        owner_ids: Collection[int],
        grace: timedelta,
        lease: timedelta = timedelta(seconds=20),
        batch_size: int = 16,
        clock: Callable[[], datetime] | None = None,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> None:
        self.sessions = sessions
        self.bot = bot
        self.policy = policy
        self.owner = owner
        self.clinic_name = clinic_name  # a message id (the default) or the clinic's own name
        self.clinic_zone = clinic_zone
        self.owner_ids = owner_ids
        self.grace = grace
        self.lease = lease
        self.batch_size = batch_size
        self.clock = clock
        self.keep_going = keep_going

    def _lease_start(self, now: datetime) -> datetime:
        return now if self.clock is None else max(now, self.clock())

    def _now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    async def _renew_leases(self) -> None:
        async with self.sessions.begin() as session:
            await visits.renew_visit_reminder_leases(
                session=session,
                owner=self.owner,
                lease_until=self._now() + self.lease,
            )

    async def run(self, now: datetime) -> VisitReport:
        """Everything due at `now`, in batches small enough to send within one lease."""
        report = VisitReport()
        async with self.sessions.begin() as session:
            report.interrupted = await visits.release_expired_claims(
                session=session, now=self._lease_start(now)
            )
        # A send can stall (a flood-control pause): the leases are renewed meanwhile.
        async with renewing(self.lease, self._renew_leases):
            while self.keep_going():
                async with self.sessions.begin() as session:
                    batch = await visits.claim_due_visit_reminders(
                        session=session,
                        now=now,
                        lease_until=self._lease_start(now) + self.lease,
                        owner=self.owner,
                        limit=self.batch_size,
                    )
                if not batch:
                    break
                await asyncio.gather(*(self._handle(due, now, report) for due in batch))
        if report.sent or report.missed or report.flagged or report.blocked:
            log.info(
                "Visit reminders: %d sent, %d blocked, %d failed, %d missed, %d flagged",
                report.sent,
                report.blocked,
                report.failed,
                report.missed,
                report.flagged,
            )
        return report

    async def _record(self, due: DueVisitReminder, status: VisitReminderStatus, now: datetime,
                      outcome: SendOutcome | None = None) -> None:  # fmt: skip
        async with self.sessions.begin() as session:
            await visits.record_visit_reminder(
                session=session,
                reminder_id=due.id,
                status=status,
                now=now,
                message_id=outcome.message_id if outcome else None,
                error=outcome.error if outcome else None,
            )
            if outcome is not None:
                await apply_send_outcome(
                    session=session, user_id=due.visit.user_id, outcome=outcome, now=now
                )

    async def _handle(self, due: DueVisitReminder, now: datetime, report: VisitReport) -> None:
        visit = due.visit
        if visit.status in (VisitStatus.CANCELLED, VisitStatus.RESCHEDULE):
            report.skipped += 1
            await self._record(due, VisitReminderStatus.SKIPPED, now)
            return
        if due.kind == ReminderKind.NO_ANSWER:
            await self._check_answer(due, now, report)
            return
        if now - due.due_at > self.grace or now >= visit.starts_at:
            report.missed += 1
            await self._record(due, VisitReminderStatus.MISSED, now)
            return
        outcome = await self._send(due)
        if outcome.status == SendStatus.SKIPPED:
            return  # taken over by another instance: its outcome is theirs to store
        await self._record(due, _STATUS[outcome.status], now, outcome)
        if outcome.status == SendStatus.SENT:
            report.sent += 1
        elif outcome.status == SendStatus.BLOCKED:
            report.blocked += 1
            if not await self._told_undelivered(due):
                await self._tell(Notice.UNDELIVERED, visit)
        else:
            report.failed += 1

    async def _told_undelivered(self, due: DueVisitReminder) -> bool:
        """Whether the front desk heard already that this visit's day-before reminder failed."""
        if due.kind != ReminderKind.LEAD:
            return False
        async with self.sessions() as session:
            earlier = await visits.reminder_status(
                session=session, visit_id=due.visit.id, kind=ReminderKind.DAY_BEFORE
            )
        return earlier == VisitReminderStatus.BLOCKED

    async def _check_answer(
        self, due: DueVisitReminder, now: datetime, report: VisitReport
    ) -> None:
        async with self.sessions.begin() as session:
            day_before = await visits.reminder_status(
                session=session, visit_id=due.visit.id, kind=ReminderKind.DAY_BEFORE
            )
            flagged = day_before == VisitReminderStatus.SENT and await visits.flag_unanswered(
                session=session, visit_id=due.visit.id, now=now
            )
            await visits.record_visit_reminder(
                session=session,
                reminder_id=due.id,
                status=VisitReminderStatus.SENT if flagged else VisitReminderStatus.SKIPPED,
                now=now,
            )
        if flagged:
            report.flagged += 1
            await self._tell(Notice.NO_ANSWER, due.visit)
        else:
            report.skipped += 1

    async def _send(self, due: DueVisitReminder) -> SendOutcome:
        tr = translator(language_from_tag(due.language_tag))
        visit = due.visit
        text = visit_message.reminder_text(
            tr,
            tr._(self.clinic_name),
            visit,
            ZoneInfo(visit.zone),
            day_before=due.kind == ReminderKind.DAY_BEFORE,
        )
        keyboard = visit_message.answer_keyboard(tr, visit.id)
        marked = False

        async def send(chat_id: int) -> Message:
            nonlocal marked
            if not marked:
                async with self.sessions.begin() as session:
                    if not await visits.mark_visit_reminder_sending(
                        session=session, reminder_id=due.id, owner=self.owner
                    ):
                        raise NotClaimed
                marked = True
            return await self.bot.send_message(chat_id, text, reply_markup=keyboard)

        return await self.policy.send(due.chat_id, send)

    async def _tell(self, notice: Notice, visit: VisitRecord) -> None:
        await tell_front_desk(
            sessions=self.sessions,
            bot=self.bot,
            policy=self.policy,
            owner_ids=self.owner_ids,
            clinic_zone=self.clinic_zone,
            notice=notice,
            visit=visit,
        )
