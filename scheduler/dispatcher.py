"""The reminder dispatcher: one repeating job sends every due reminder.

Each tick claims due subscriptions in batches under a short lease (renewed
while the tick works), writes the delivery row (unique per subscription,
local date and slot: the time of day, for a reminder that comes twice a day)
"queued" BEFORE sending, marks it "sending"
just before its request is written, sends through the shared send policy,
records the outcome and advances `next_due_at` with the schedule rule. Old
deliveries are pruned after the retention period, once an hour. Why this
shape and not one JobQueue job per patient: see ARCHITECTURE.md ("Why not
one APScheduler job per user").

A subscription that follows a home programme fires on its weekdays only, and
its reminder shows the programme; after the course's last day the next
firing sends the course's summary instead (once: a delivery row in a
reserved slot), finishes the enrolment and stops the reminders.

Questionnaires come with that day's reminder: the weekly PEG on the weekly
day (in place of the old single activity question), and a programme's RMDQ
six weeks in (half-way through a shorter course) and with its summary. Their
runs are started in the transaction that writes the delivery rows, once (a
programme's are unique per enrolment and reason), and their first item is
sent after the reminder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup, Message

from content.catalogue import Catalogue
from content.i18n import translator
from content.languages import DEFAULT_LANGUAGE, Language, language_from_tag
from content.questionnaires import Instrument, questionnaires
from scheduler import questionnaire_flow, questionnaire_message, reminder_message
from scheduler.leases import renewing
from scheduler.marks import MarkSending
from scheduler.programme_progress import Adherence, adherence, course_end_date, planned_days
from scheduler.programme_routine import PROGRAMME_ROUTINE
from scheduler.recipients import apply_send_outcome, send_record
from scheduler.schedule_rule import Firing, local_date_of, next_planned_fire
from scheduler.send_policy import NotClaimed, SendOutcome, SendPolicy, SendStatus
from scheduler.visit_reminders import VisitReminderSender, VisitReport
from storage import programmes, reminders
from storage import questionnaires as stored_questionnaires
from storage.database import DatabaseGate, when_available
from storage.programmes import EnrolmentStatus
from storage.progress import load_progress
from storage.questionnaires import Reason, Run
from storage.reminders import (
    COURSE_END_SLOT,
    DeliveryStatus,
    DueSubscription,
    EnrolledProgramme,
    NewDelivery,
    SubscriptionRecord,
)
from storage.safety import pregnant_among

# Outcomes after which a message surely did not reach the patient.
_NOT_DELIVERED = frozenset({SendStatus.BLOCKED, SendStatus.FAILED, SendStatus.SKIPPED})
_DELIVERY_STATUS = {
    SendStatus.SENT: DeliveryStatus.SENT,
    SendStatus.BLOCKED: DeliveryStatus.BLOCKED,
    SendStatus.FAILED: DeliveryStatus.FAILED,
    SendStatus.UNDECIDED: DeliveryStatus.UNDECIDED,
}

# How many old deliveries one prune deletes: bounded, so a first prune of a
# long history does not hold a write lock for long; the rest go next time.
PRUNE_BATCH = 10_000

log = logging.getLogger(__name__)


def instance_name() -> str:
    """Who holds a lease: host and process, for debugging several instances."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DispatchReport:
    """What one tick did."""

    sent: int = 0
    failed: int = 0
    blocked: int = 0
    missed: int = 0
    already_handled: int = 0
    snoozes_sent: int = 0
    interrupted: int = 0
    undecided: int = 0  # may not have arrived: a timeout after the request was written
    skipped: int = 0  # taken over by another instance before we started them
    pruned: int = 0
    errors: list[str] = field(default_factory=list)
    visits: VisitReport | None = None  # the visit reminders of the same tick

    def add(self, outcomes: Sequence[SendOutcome]) -> None:
        """Counts a chunk's sends."""
        for outcome in outcomes:
            if outcome.status == SendStatus.SENT:
                self.sent += 1
            elif outcome.status == SendStatus.BLOCKED:
                self.blocked += 1
            elif outcome.status == SendStatus.SKIPPED:
                self.skipped += 1
            elif outcome.status == SendStatus.UNDECIDED:
                self.undecided += 1
                self.errors.append(outcome.error or "unknown")
            else:
                self.failed += 1
                self.errors.append(outcome.error or "unknown")

    @property
    def total(self) -> int:
        return (
            self.sent
            + self.failed
            + self.blocked
            + self.undecided
            + self.missed
            + self.already_handled
        )


@dataclass(frozen=True, slots=True)
class _Planned:
    """A claimed subscription and what to do with it."""

    subscription: SubscriptionRecord
    delivery_id: int | None  # None: nothing to send
    local_date: date | None
    next_due_at: datetime | None
    row: NewDelivery | None = None  # the delivery row to write; None when paused
    pregnant: bool = False  # the reminder's routine leaves out points avoided in pregnancy
    language: Language = DEFAULT_LANGUAGE  # the recipient's: the reminder is written in it
    programme: EnrolledProgramme | None = None  # the home programme the reminder follows
    # Set when the course is over: the summary is sent instead of a reminder.
    course_end: Adherence | None = None
    # Questionnaires started with this reminder: their first items follow it.
    questionnaires: tuple[Run, ...] = ()


@dataclass(frozen=True, slots=True)
class _SentChunk:
    """A chunk that was sent and whose outcomes are not stored yet."""

    plans: list[_Planned]  # every claimed subscription of the chunk
    to_send: list[_Planned]  # those that were sent, in the order of `outcomes`
    outcomes: list[SendOutcome]


def _programme_of(
    sub: SubscriptionRecord, enrolled: Mapping[int, EnrolledProgramme]
) -> EnrolledProgramme | None:
    """The programme a subscription's reminder follows, if it follows one."""
    if sub.routine != PROGRAMME_ROUTINE or sub.enrolment_id is None:
        return None
    return enrolled.get(sub.enrolment_id)


def _last_day(programme: EnrolledProgramme | None) -> date | None:
    """The last local day of a programme's course; None when open-ended or left.

    A finished one still counts: a tick that died after finishing it, or a
    subscription that still follows it, ends in its (one) summary row again.
    """
    if programme is None or programme.status is EnrolmentStatus.LEFT:
        return None
    if programme.course_weeks is None:
        return None
    return course_end_date(programme.start_date, programme.course_weeks)


def _firing_at(sub: SubscriptionRecord, zone: ZoneInfo, due_at: datetime) -> Firing:
    """Which planned reminder (local date and slot) a due time stands for.

    `next_due_at` is always one of the schedule's firings (every change
    recomputes it), so the firing found from just before it is that one. A
    time that is not (a row changed outside the bot) counts as slot 0 of its
    local date, as a daily reminder always did.
    """
    firing = next_planned_fire(sub.times, sub.weekdays, zone, due_at - timedelta(microseconds=1))
    if firing.at == due_at:
        return firing
    return Firing(due_at, local_date_of(due_at, zone), 0)


class ReminderDispatcher:
    """Sends due reminders exactly once per patient per local day."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        catalogue: Catalogue,
        policy: SendPolicy,
        catalogues: Mapping[Language, Catalogue] | None = None,
        grace: timedelta,
        owner: str | None = None,
        batch_size: int = 200,
        concurrency: int = 16,
        lease: timedelta = timedelta(seconds=20),
        retention: timedelta | None = None,
        prune_every: timedelta = timedelta(hours=1),
        weekly_checkin_weekday: int | None = None,
        booking_url: str | None = None,
        keep_going: Callable[[], bool] = lambda: True,
        clock: Callable[[], datetime] | None = None,
        gate: DatabaseGate | None = None,
        visits: VisitReminderSender | None = None,
    ) -> None:
        self.sessions = sessions
        # Visit reminders are due rows of their own table, sent by the same tick.
        self.visits = visits
        # With a gate, recording the outcomes of a chunk already sent waits out
        # a database outage instead of dropping them (see `_recording`).
        self.gate = gate
        self.bot = bot
        self.catalogue = catalogue  # English; a language without its own catalogue uses it
        self.catalogues: Mapping[Language, Catalogue] = catalogues or {"en": catalogue}
        self.policy = policy
        self.grace = grace
        self.owner = owner or instance_name()
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.lease = lease
        # Deliveries older than this are deleted (DELIVERY_RETENTION); None keeps all.
        self.retention = retention
        self.prune_every = prune_every
        self._pruned_at: datetime | None = None
        self._mark_sending = MarkSending(self._mark_deliveries)
        self.weekly_checkin_weekday = weekly_checkin_weekday
        self.booking_url = booking_url  # offered in a finished programme's summary
        self._texts: dict[tuple[str, date, bool, bool, Language], str] = {}
        # False once the application is stopping: finish the batch in hand and
        # claim no more, so a long paced run does not hold up shutdown.
        self.keep_going = keep_going
        # Leases count from this clock (the app's, injected in tests); without
        # one, from the `now` each run is given.
        self.clock = clock

    async def run(self, now: datetime) -> DispatchReport:
        """Send everything due at `now`: daily reminders, snoozed ones, then visit reminders.

        One transaction per chunk of `concurrency` sends: it records the
        previous chunk's outcomes and writes this chunk's delivery rows; then
        the chunk is sent. Batches are claimed in transactions of their own,
        after the last chunk of the batch before is recorded.
        Rows are written "queued" and each is marked "sending" only when its
        request is about to be written, so a kill leaves at most the sends
        then in flight (at most `concurrency`) undecided: a later tick records
        them "interrupted" once nobody holds their subscription (never resent).
        Queued rows of a dead instance are taken over, and sent, by whoever
        claims their subscription when its lease runs out. Leases are short
        and renewed while the tick works.
        """
        report = DispatchReport()
        async with self.sessions.begin() as session:
            report.interrupted = await reminders.mark_interrupted_deliveries(
                session=session, now=self._lease_start(now)
            )
        await self._prune(now, report)
        async with renewing(self.lease, self._renew_leases):
            await self._dispatch(now, report)
            await self._send_snoozed(now, report)
        if self.visits is not None:
            report.visits = await self.visits.run(now)
        if report.total or report.snoozes_sent:
            log.info(
                "Reminders: %d sent, %d snoozed sent, %d failed, %d blocked, "
                "%d may not have arrived, %d missed",
                report.sent,
                report.snoozes_sent,
                report.failed,
                report.blocked,
                report.undecided,
                report.missed,
            )
        return report

    async def _dispatch(self, now: datetime, report: DispatchReport) -> None:
        claimed: deque[DueSubscription] = deque()
        unrecorded: _SentChunk | None = None
        while True:
            if not claimed:
                if unrecorded is not None:
                    # Before claiming again: a subscription it moved on (a missed
                    # day) may be due once more, today.
                    await self._recording(self._record_only(unrecorded, now))
                    unrecorded = None
                if not self.keep_going():
                    break
                # A transaction of its own: holding these row locks while writing
                # delivery rows could deadlock with another instance on PostgreSQL.
                async with self.sessions.begin() as session:
                    batch = await reminders.claim_due_subscriptions(
                        session=session,
                        now=now,
                        # From the time of the claim, not of the tick: a long tick
                        # must not hand out leases that have already run out.
                        lease_until=self._lease_start(now) + self.lease,
                        owner=self.owner,
                        limit=self.batch_size,
                    )
                if not batch:
                    break
                claimed.extend(batch)
            chunk = [claimed.popleft() for _ in range(min(self.concurrency, len(claimed)))]
            opened: list[tuple[list[_Planned], list[_Planned]]] = []

            async def record_and_open(
                chunk: list[DueSubscription] = chunk,
                unrecorded: _SentChunk | None = unrecorded,
                opened: list[tuple[list[_Planned], list[_Planned]]] = opened,
            ) -> None:
                async with self.sessions.begin() as session:
                    if unrecorded is not None:
                        await self._record(session, unrecorded, now)
                    # Progress renews the leases too (by the app's clock); the
                    # background renewal covers the stalls between chunks.
                    await self._renew_leases_now(session, now)
                    opened.append(await self._open(session, chunk, now, report))

            await self._recording(record_and_open)
            plans, to_send = opened[-1]
            unrecorded = None  # its outcomes are stored now
            # Sent outside any transaction; the policy paces and retries.
            outcomes = await asyncio.gather(*(self._send(plan) for plan in to_send))
            unrecorded = _SentChunk(plans, to_send, outcomes)
            report.add(outcomes)
            await self._ask_questionnaires(to_send, outcomes)

    async def _renew_leases(self) -> None:
        async with self.sessions.begin() as session:
            await self._renew_leases_now(session, self._now())

    async def _renew_leases_now(self, session: AsyncSession, now: datetime) -> None:
        # One UPDATE per chunk, on the partial index of leased rows: cheap.
        await reminders.renew_subscription_leases(
            session=session, owner=self.owner, lease_until=self._lease_start(now) + self.lease
        )

    async def _mark_deliveries(self, delivery_ids: Sequence[int]) -> set[int]:
        async with self.sessions.begin() as session:
            return await reminders.mark_deliveries_sending(
                session=session, delivery_ids=delivery_ids
            )

    def _now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    async def _prune(self, now: datetime, report: DispatchReport) -> None:
        """Deletes deliveries older than the retention period, at most once per `prune_every`."""
        if self.retention is None:
            return
        if self._pruned_at is not None and now - self._pruned_at < self.prune_every:
            return
        self._pruned_at = now
        async with self.sessions.begin() as session:
            report.pruned = await reminders.prune_deliveries(
                session=session, due_before=now - self.retention, limit=PRUNE_BATCH
            )
        if report.pruned:
            log.info("Pruned %d deliveries older than %s", report.pruned, self.retention)

    def _record_only(self, sent: _SentChunk, now: datetime) -> Callable[[], Awaitable[None]]:
        async def record() -> None:
            async with self.sessions.begin() as session:
                await self._record(session, sent, now)

        return record

    async def _recording(self, work: Callable[[], Awaitable[None]]) -> None:
        """Runs a transaction that stores sent outcomes, waiting out a database outage."""
        if self.gate is None:
            await work()
        elif not await when_available(self.gate, work, keep_going=self.keep_going):
            raise RuntimeError("stopping during a database outage; leases decide the rest")

    def _lease_start(self, now: datetime) -> datetime:
        return now if self.clock is None else max(now, self.clock())

    async def _open(
        self,
        session: AsyncSession,
        chunk: Sequence[DueSubscription],
        now: datetime,
        report: DispatchReport,
    ) -> tuple[list[_Planned], list[_Planned]]:
        """Plans a chunk and writes each day's delivery row, before anything is sent.

        Returns every plan (each subscription moves on when recorded) and
        the ones to send now.
        """
        # The chunk's programmes in one query, not one per subscription.
        enrolled = await reminders.enrolled_programmes(
            session=session,
            enrolment_ids=[
                sub.enrolment_id
                for sub in chunk
                if sub.routine == PROGRAMME_ROUTINE and sub.enrolment_id is not None
            ],
        )
        plans = [self._plan(sub, now, _programme_of(sub, enrolled)) for sub in chunk]
        written = await reminders.open_deliveries(
            session=session, rows=[plan.row for plan in plans if plan.row is not None]
        )
        to_send: list[_Planned] = []
        for plan in plans:
            if plan.row is None:
                continue  # paused: nothing to write or send
            delivery_id = written.get(plan.subscription.id)
            if delivery_id is None:
                report.already_handled += 1  # sent, done or skipped already that day
            elif plan.row.status == DeliveryStatus.MISSED:
                report.missed += 1
            else:
                to_send.append(replace(plan, delivery_id=delivery_id))
        pregnant = await pregnant_among(
            session=session, user_ids=[plan.subscription.user_id for plan in to_send]
        )
        if pregnant:
            to_send = [replace(p, pregnant=p.subscription.user_id in pregnant) for p in to_send]
        # A course end is rare (once per patient and programme): its counts are read one by one.
        to_send = [
            await self._with_course_summary(session, plan) if plan.course_end is not None else plan
            for plan in to_send
        ]
        to_send = [
            replace(plan, questionnaires=await self._questionnaires_for(session, plan))
            for plan in to_send
        ]
        return plans, to_send

    async def _with_course_summary(self, session: AsyncSession, plan: _Planned) -> _Planned:
        programme = plan.programme
        assert programme is not None and programme.course_weeks is not None
        last_day = course_end_date(programme.start_date, programme.course_weeks)
        planned = planned_days(programme.weekdays, programme.start_date, last_day)
        done = (await load_progress(session=session, user_id=plan.subscription.user_id)).done_days
        return replace(plan, course_end=adherence(done, planned))

    async def _record(self, session: AsyncSession, sent: _SentChunk, now: datetime) -> None:
        """Stores a sent chunk's outcomes and moves every subscription to its next day."""
        records = []
        # Skipped: another instance took the row over; its outcome is theirs to store.
        ours = [
            (plan, outcome)
            for plan, outcome in zip(sent.to_send, sent.outcomes, strict=True)
            if outcome.status != SendStatus.SKIPPED
        ]
        for plan, outcome in ours:
            assert plan.delivery_id is not None  # every plan sent has its day's row
            status = _DELIVERY_STATUS[outcome.status]
            records.append(send_record(plan.delivery_id, status, outcome, now))
        await reminders.record_delivery_outcomes(session=session, outcomes=records)
        blocked = set()
        for plan, outcome in ours:
            await apply_send_outcome(
                session=session, user_id=plan.subscription.user_id, outcome=outcome, now=now
            )
            if outcome.status == SendStatus.BLOCKED:
                blocked.add(plan.subscription.id)
        taken_over = {
            plan.subscription.id
            for plan, outcome in zip(sent.to_send, sent.outcomes, strict=True)
            if outcome.status == SendStatus.SKIPPED
        }
        await reminders.advance_subscriptions(
            session=session,
            owner=self.owner,
            next_due=[
                (
                    plan.subscription.id,
                    None if plan.subscription.id in blocked else plan.next_due_at,
                )
                for plan in sent.plans
            ],
        )
        for plan in sent.plans:
            if plan.course_end is not None and plan.subscription.id not in taken_over:
                await self._finish_course(session, plan, now)

    async def _finish_course(self, session: AsyncSession, plan: _Planned, now: datetime) -> None:
        """The summary went (or had gone): the enrolment is finished, its reminders stop.

        Both are conditional UPDATEs, so a second instance or a retried tick
        changes nothing, and a patient who changed their reminder meanwhile keeps it.
        """
        assert plan.programme is not None
        enrolment_id = plan.programme.enrolment_id
        await programmes.end_enrolment(
            session=session, enrolment_id=enrolment_id, status=EnrolmentStatus.FINISHED, now=now
        )
        await reminders.stop_after_course(
            session=session,
            subscription_id=plan.subscription.id,
            enrolment_id=enrolment_id,
            now=now,
        )

    async def _questionnaires_for(self, session: AsyncSession, plan: _Planned) -> tuple[Run, ...]:
        """The questionnaires that come with a reminder about to be sent, started now.

        In the same transaction as the day's delivery row: the weekly PEG on the
        weekly day, or with the first reminder after it for one that skips that day
        (it replaced the single activity question; its old answers stay in
        /progress), a programme's RMDQ at its middle and with its course summary.
        A programme's are unique per enrolment and reason, so exactly once.
        """
        local_date, programme = plan.local_date, plan.programme
        assert local_date is not None
        user_id = plan.subscription.user_id
        wanted: list[tuple[Instrument, Reason, int | None]] = []
        if plan.course_end is not None:
            if programme is not None:
                wanted.append((Instrument.RMDQ, Reason.PROGRAMME_END, programme.enrolment_id))
        else:
            first_slot = plan.row is None or plan.row.slot == 0  # once a day, not per reminder
            if first_slot and await questionnaire_flow.weekly_peg_is_due(
                session=session,
                user_id=user_id,
                weekdays=plan.subscription.weekdays,
                weekly_day=self.weekly_checkin_weekday,
                today=local_date,
                zone=ZoneInfo(plan.subscription.timezone),
            ):
                wanted.append((Instrument.PEG, Reason.WEEKLY, None))
            if (
                programme is not None
                and programme.status is EnrolmentStatus.ACTIVE
                and questionnaire_flow.middle_is_due(
                    programme.start_date, programme.course_weeks, local_date
                )
            ):
                wanted.append((Instrument.RMDQ, Reason.PROGRAMME_MIDDLE, programme.enrolment_id))
        runs = []
        for instrument, reason, enrolment_id in wanted:
            run = await questionnaire_flow.start(
                session=session,
                user_id=user_id,
                instrument=instrument,
                reason=reason,
                now=self._now(),
                enrolment_id=enrolment_id,
            )
            if run is not None:
                runs.append(run)
        return tuple(runs)

    async def _ask_questionnaires(
        self, plans: Sequence[_Planned], outcomes: Sequence[SendOutcome]
    ) -> None:
        """After a sent reminder (or course summary): each questionnaire's first item.

        A run whose first item surely did not reach the patient (its reminder, or
        the item itself, refused or failed) is discarded, so the questionnaire is
        due again with a later reminder instead of waiting unseen: a programme's
        RMDQ would otherwise be lost (one per enrolment and reason), the week's
        PEG skipped. Maybe delivered (undecided) is kept.
        """
        data = questionnaires()
        unasked: list[int] = []

        async def ask(plan: _Planned, run: Run, chat_id: int) -> None:
            text, keyboard = questionnaire_message.item_message(
                translator(plan.language), data, Instrument(run.instrument), run.id, 0
            )
            outcome = await self.policy.send(
                chat_id,
                lambda cid: self.bot.send_message(cid, text, reply_markup=keyboard),
            )
            if outcome.status in _NOT_DELIVERED:
                unasked.append(run.id)

        for plan, outcome in zip(plans, outcomes, strict=True):
            if outcome.status in _NOT_DELIVERED:
                unasked.extend(run.id for run in plan.questionnaires)
        await asyncio.gather(
            *(
                ask(plan, run, outcome.chat_id)
                for plan, outcome in zip(plans, outcomes, strict=True)
                if outcome.status == SendStatus.SENT
                for run in plan.questionnaires
            )
        )
        if unasked:
            async with self.sessions.begin() as session:
                await stored_questionnaires.discard_unasked(session=session, run_ids=unasked)

    def _plan(
        self, sub: DueSubscription, now: datetime, programme: EnrolledProgramme | None = None
    ) -> _Planned:
        """What to do with one due subscription (pure: no I/O)."""
        zone = ZoneInfo(sub.timezone)
        language = language_from_tag(sub.language_tag)
        occurrence = sub.next_due_at
        assert occurrence is not None  # claimed rows are due
        times, weekdays = sub.times, sub.weekdays
        if sub.paused_until and occurrence < sub.paused_until:
            after = max(sub.paused_until, now)
            next_due = next_planned_fire(times, weekdays, zone, after).at
            return _Planned(sub, None, None, next_due, language=language, programme=programme)
        firing = _firing_at(sub, zone, occurrence)
        last_day = _last_day(programme)
        if last_day is not None and firing.local_date > last_day:
            # The course is over: its summary instead of a reminder, once (a
            # reserved slot of the last day's rows), and no next reminder.
            row = NewDelivery(
                sub.id, sub.user_id, last_day, occurrence, DeliveryStatus.QUEUED, COURSE_END_SLOT
            )
            return _Planned(
                sub,
                None,
                firing.local_date,
                None,
                row,
                language=language,
                programme=programme,
                course_end=Adherence(0, 0),  # counted when it is sent
            )
        # Long downtime: jump to the first occurrence still worth sending, so
        # a week offline records one missed day, not seven catch-up loops.
        after = max(occurrence, now - self.grace)
        next_due = next_planned_fire(times, weekdays, zone, after).at
        late = now - occurrence
        status = DeliveryStatus.MISSED if late > self.grace else DeliveryStatus.QUEUED
        row = NewDelivery(
            sub.id, sub.user_id, firing.local_date, occurrence, status, slot=firing.slot
        )
        return _Planned(
            sub, None, firing.local_date, next_due, row, language=language, programme=programme
        )

    def _text(
        self,
        routine: str,
        local_date: date,
        snoozed: bool,
        pregnant: bool,
        language: Language,
        programme: EnrolledProgramme | None = None,
    ) -> str:
        """The reminder's text: the same for everyone with that routine (or programme
        version) and language that day."""
        name = f"{routine}:{programme.programme_id}:{programme.version}" if programme else routine
        key = (name, local_date, snoozed, pregnant, language)
        if key not in self._texts:
            if len(self._texts) > 192:  # a few routines x days x 3 languages; keep it small
                self._texts.clear()
            tr = translator(language)
            catalogue = self.catalogues.get(language, self.catalogue)
            if programme is not None:
                self._texts[key] = reminder_message.programme_reminder_text(
                    tr, catalogue, programme, local_date, snoozed=snoozed, pregnant=pregnant
                )
            else:
                self._texts[key] = reminder_message.reminder_text(
                    tr, catalogue, routine, local_date, snoozed=snoozed, pregnant=pregnant
                )
        return self._texts[key]

    def _message(
        self, plan: _Planned, delivery_id: int, snoozed: bool
    ) -> tuple[str, InlineKeyboardMarkup]:
        sub = plan.subscription
        assert plan.local_date is not None
        tr = translator(plan.language)
        if plan.course_end is not None and plan.programme is not None:
            return (
                reminder_message.course_end_text(
                    tr, plan.programme, plan.course_end, can_book=bool(self.booking_url)
                ),
                reminder_message.course_end_keyboard(
                    tr, plan.programme.enrolment_id, self.booking_url
                ),
            )
        text = self._text(
            sub.routine, plan.local_date, snoozed, plan.pregnant, plan.language, plan.programme
        )
        return text, reminder_message.reminder_keyboard(tr, delivery_id)

    async def _send(self, plan: _Planned, *, snoozed: bool = False) -> SendOutcome:
        sub = plan.subscription
        assert plan.delivery_id is not None and plan.local_date is not None
        delivery_id = plan.delivery_id
        text, keyboard = self._message(plan, delivery_id, snoozed)
        marked = snoozed  # a snooze was claimed by clearing its time: no row to mark

        async def send(chat_id: int) -> Message:
            nonlocal marked
            if not marked:
                # Only now, with the pacing turn in hand, is the reminder "sending".
                if not await self._mark_sending(delivery_id):
                    raise NotClaimed
                marked = True
            return await self.bot.send_message(chat_id, text, reply_markup=keyboard)

        return await self.policy.send(sub.chat_id, send)

    async def _send_snoozed(self, now: datetime, report: DispatchReport) -> None:
        while True:
            async with self.sessions.begin() as session:
                taken = await reminders.claim_due_snoozes(
                    session=session, now=now, limit=self.batch_size
                )
                pregnant = await pregnant_among(
                    session=session, user_ids=[sub.user_id for _, sub in taken]
                )
                enrolled = await reminders.enrolled_programmes(
                    session=session,
                    enrolment_ids=[
                        sub.enrolment_id
                        for _, sub in taken
                        if sub.routine == PROGRAMME_ROUTINE and sub.enrolment_id is not None
                    ],
                )
            if not taken:
                return
            plans = [
                _Planned(
                    sub,
                    delivery.id,
                    delivery.local_date,
                    None,
                    None,
                    sub.user_id in pregnant,
                    language_from_tag(sub.language_tag),
                    _programme_of(sub, enrolled),
                )
                for delivery, sub in taken
            ]
            outcomes = await asyncio.gather(*(self._send(p, snoozed=True) for p in plans))
            async with self.sessions.begin() as session:
                for plan, outcome in zip(plans, outcomes, strict=True):
                    await apply_send_outcome(
                        session=session, user_id=plan.subscription.user_id, outcome=outcome, now=now
                    )
                    if outcome.status == SendStatus.SENT:
                        report.snoozes_sent += 1
                        await reminders.set_delivery_fields(
                            session=session,
                            delivery_id=plan.delivery_id,  # type: ignore[arg-type]
                            message_id=outcome.message_id,
                        )
