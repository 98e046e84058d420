"""SQLAlchemy models: the one place the database's shape is described.

Alembic migrations in `storage/migrations` must match these; a test checks it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import CleanJSON, CleanString, CleanText, UTCDateTime

# Named constraints, so migrations can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The rows still in the senders' hands: a few dozen at most, however long the
# history. Partial indexes on exactly these keep every per-tick query off the
# ever-growing tables; queries repeat the predicate word for word, because
# SQLite uses a partial index only when the query's WHERE contains its WHERE.
OPEN_DELIVERY = "status IN ('queued', 'sending')"
OPEN_RECIPIENT = "status IN ('pending', 'claimed', 'sending')"


def _partial(index_name: str, predicate: str, *columns: str) -> Index:
    return Index(
        index_name,
        *columns,
        sqlite_where=text(predicate),
        postgresql_where=text(predicate),
    )


class User(Base):
    """A person who has talked to the bot."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Indexed for staff's "recent patients" (/visit), newest first.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # An IETF tag from Telegram: up to 35 characters (storage.users.LANGUAGE_TAG_LENGTH).
    language_code: Mapped[str | None] = mapped_column(CleanString(35))
    # Chosen with /language ("en", "es", "zh"); None follows language_code.
    language: Mapped[str | None] = mapped_column(String(8))
    # Set when Telegram says the user blocked the bot or the account is gone;
    # cleared when they /start again.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Said they are pregnant (/pregnancy): points traditionally avoided are left out.
    pregnant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The first name as Telegram gives it, kept only while the patient shares their
    # progress with the clinic (storage.consent): the clinician view shows it.
    first_name: Mapped[str | None] = mapped_column(CleanString(64, truncate=True))


class Subscription(Base):
    """A patient's daily reminder: when, where (zone), which routine, what next."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        _partial("ix_subscriptions_lease_owner", "lease_owner IS NOT NULL", "lease_owner"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    local_time: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(CleanString(64))
    routine: Mapped[str] = mapped_column(String(32))
    # The local weekdays it fires on (Monday = bit 0; 127 = every day) and an
    # optional second time of day: a home programme can ask for both.
    weekdays: Mapped[int] = mapped_column(Integer, default=127, server_default=text("127"))
    second_time: Mapped[time | None] = mapped_column(Time)
    # Set while the reminders follow a practitioner's home programme (routine "programme").
    enrolment_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("programme_enrolments.id", ondelete="SET NULL")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "user" (/stop) or "blocked" (Telegram said so; /start brings it back).
    stopped_reason: Mapped[str | None] = mapped_column(String(16))
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The dispatcher's work list: active rows whose next_due_at has passed.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # A claim by one dispatcher instance; expires so a dead instance's work is retaken.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(Base):
    """One reminder for one subscription, day and time of day: written before it is sent.

    The unique (subscription_id, local_date, slot) triple is what makes a
    second reminder for the same local day and time impossible, whatever
    restarts or extra instances do. Slot 0 is the day's first time, 1 the
    second (a programme may ask for two a day).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "local_date", "slot"),
        _partial("ix_deliveries_open", OPEN_DELIVERY, "status", "subscription_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("subscriptions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    local_date: Mapped[date] = mapped_column(Date)
    slot: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Indexed for pruning after DELIVERY_RETENTION.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # queued (written, not started; whoever holds the subscription sends it)
    # -> sending (its request is about to be written) -> sent | failed |
    # blocked | undecided (maybe delivered: a timeout after writing);
    # sending whose sender died -> interrupted (maybe delivered: never resent).
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(CleanString(200, truncate=True))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snooze_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class PendingStep(Base):
    """The step a multi-step flow waits on, so any instance can take the next message."""

    __tablename__ = "pending_steps"

    # No foreign key: a person who deleted their data can answer /remind's
    # questions without becoming a user again before they confirm.
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(CleanJSON)
    # Indexed: each process reads the steps saved since its last look (storage.pending).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CheckIn(Base):
    """A 0-10 answer about the patient's back; one per kind per local day."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "local_date"),
        CheckConstraint("score >= 0 AND score <= 10", name="score_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    local_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Broadcast(Base):
    """A message from clinic staff to many patients: a draft, then a send."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    # draft -> scheduled | sending -> done | cancelled
    status: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str | None] = mapped_column(CleanText)
    entities: Mapped[list[dict[str, Any]]] = mapped_column(CleanJSON, default=list)
    photo_file_id: Mapped[str | None] = mapped_column(CleanString(200))
    button_label: Mapped[str | None] = mapped_column(CleanString(64))
    button_url: Mapped[str | None] = mapped_column(CleanString(512))
    audience: Mapped[str | None] = mapped_column(String(16))
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(Integer, default=0)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BroadcastRecipient(Base):
    """One patient's copy of a broadcast, snapshotted at Confirm.

    The unique (broadcast_id, user_id) pair means nobody can be given the
    same broadcast twice; the lease lets several senders share the work.
    """

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "user_id"),
        _partial("ix_broadcast_recipients_open", OPEN_RECIPIENT, "broadcast_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # pending -> claimed (leased to a sender; back to the queue when the lease
    # runs out) -> sending (its request is about to be written) -> sent |
    # blocked | failed | undecided (maybe delivered: a timeout after writing);
    # pending | claimed -> cancelled;
    # sending whose lease ran out -> interrupted (maybe delivered: never resent)
    status: Mapped[str] = mapped_column(String(16))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(CleanString(200, truncate=True))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TelegramFile(Base):
    """A file Telegram already has: upload once, then send by its file_id.

    The key includes a hash of the file's bytes, so a re-rendered picture is
    uploaded again rather than the stale one reused.
    """

    __tablename__ = "telegram_files"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoutineDay(Base):
    """A local day on which the patient completed the guided routine.

    Counted for streaks with the reminders marked done, so a patient without
    a daily reminder has a streak too.
    """

    __tablename__ = "routine_days"
    __table_args__ = (UniqueConstraint("user_id", "local_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    local_date: Mapped[date] = mapped_column(Date)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AdverseEvent(Base):
    """A patient pressed "too sore / bruised" after the routine; staff see only the count."""

    __tablename__ = "adverse_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    routine: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Programme(Base):
    """A home programme a practitioner prescribes; its content lives in versions."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    practitioner_name: Mapped[str] = mapped_column(CleanString(64))
    title: Mapped[str] = mapped_column(CleanString(64))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProgrammeVersion(Base):
    """One version of a programme: editing writes a new one, and patients keep theirs."""

    __tablename__ = "programme_versions"
    __table_args__ = (
        UniqueConstraint("programme_id", "version"),
        CheckConstraint("times_per_day IN (1, 2)", name="times_per_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("programmes.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    # [{"point": "BL23", "hold_seconds": 60, "note": "..." | null}, ...]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(CleanJSON)
    # daily | weekdays (the practitioner's days) | per_week (the patient picks the days)
    schedule: Mapped[str] = mapped_column(String(16))
    weekdays: Mapped[int] = mapped_column(Integer, default=127)
    days_per_week: Mapped[int | None] = mapped_column(Integer)
    times_per_day: Mapped[int] = mapped_column(Integer, default=1)
    course_weeks: Mapped[int | None] = mapped_column(Integer)  # None: open-ended
    note: Mapped[str | None] = mapped_column(CleanText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProgrammeLink(Base):
    """A deep link that starts a programme; its code is signed and names this row."""

    __tablename__ = "programme_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    single_use: Mapped[bool] = mapped_column(Boolean)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A single-use link is claimed once, atomically (UPDATE ... WHERE used_by IS NULL).
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProgrammeEnrolment(Base):
    """A patient following one version of a programme, on their own days and times."""

    __tablename__ = "programme_enrolments"
    __table_args__ = (
        # At most one programme at a time per patient.
        Index(
            "ix_programme_enrolments_one_active",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    programme_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    link_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("programme_links.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_date: Mapped[date] = mapped_column(Date)  # the patient's local date
    weekdays: Mapped[int] = mapped_column(Integer)  # the days this patient practises
    times: Mapped[list[str]] = mapped_column(CleanJSON)  # ["08:00", "19:30"]
    status: Mapped[str] = mapped_column(String(16))  # active | left | finished
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    keep_reminders: Mapped[bool] = mapped_column(Boolean, default=False)


class StaffMember(Base):
    """A clinic staff member added in the chat; ADMIN_IDS are owners without a row.

    No foreign key to users: staff may be added before they ever start the bot.
    """

    __tablename__ = "staff_members"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'practitioner', 'front_desk')", name="role"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentRecord(Base):
    """A patient's answer to "may the clinic see your progress?"; append-only.

    The latest row is the current answer; no row means no.
    """

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_user_id_recorded_at", "user_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    shares: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who on the staff did what, when, about which patient: ids and an action only.

    No foreign key on patient_id: a patient's /delete erases their data but
    not the clinic's record of who looked at it (storage.audit explains).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    patient_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # A short code such as a role name; never health data or free text.
    detail: Mapped[str | None] = mapped_column(String(32))


class QuestionnaireRun(Base):
    """One questionnaire being answered (PEG, RMDQ): its next item is the pending step.

    `enrolment_id` and `reason` make a programme's questionnaire exactly once: at most
    one run per enrolment and reason (NULLs, runs outside a programme, never collide).
    """

    __tablename__ = "questionnaire_runs"
    __table_args__ = (UniqueConstraint("enrolment_id", "reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    instrument: Mapped[str] = mapped_column(String(16))  # peg | rmdq
    # weekly | programme_start | programme_middle | programme_end | asked
    reason: Mapped[str] = mapped_column(String(24))
    enrolment_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("programme_enrolments.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_item: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[str | None] = mapped_column(String(8))  # a decimal as text: "7.7", "12"
    # The language of the words the answers were given in ("en", "es", "zh"), "mixed"
    # if they changed within the run, "unknown" for runs answered before it was kept,
    # None until the first answer. Staff see whether a score is from a validated version.
    wording: Mapped[str | None] = mapped_column(String(8))


class QuestionnaireAnswer(Base):
    """One item's answer (None when skipped), with its time."""

    __tablename__ = "questionnaire_answers"
    __table_args__ = (UniqueConstraint("run_id", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("questionnaire_runs.id", ondelete="CASCADE")
    )
    item: Mapped[int] = mapped_column(Integer)  # 0-based
    answer: Mapped[int | None] = mapped_column(Integer)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PatientNumber(Base):
    """A short, stable number staff type (`/patient 1`), given at a patient's first yes.

    Kept when the patient stops sharing, so the same number names them if they
    share again; erased with the rest of their data.
    """

    __tablename__ = "patient_numbers"
    # AUTOINCREMENT on SQLite too: an erased patient's number is never given to another.
    __table_args__ = (UniqueConstraint("user_id"), {"sqlite_autoincrement": True})

    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The visit reminders still to send: the tick's work list stays small whatever the history.
PLANNED_VISIT_REMINDER = "status = 'planned'"
OPEN_VISIT_REMINDER = "status IN ('claimed', 'sending')"


class Visit(Base):
    """An appointment at the clinic, entered by the patient or by staff.

    `starts_at` is UTC; `zone` is the patient's zone when it was entered, so
    its reminders come at the patient's local times. `patient_name` is the
    name Telegram gave when the patient entered or answered it: the front
    desk needs it to know who answered (erased with the visit by /delete).
    """

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(
            "status IN ('booked', 'confirmed', 'reschedule', 'cancelled')", name="status"
        ),
        Index("ix_visits_user_id_starts_at", "user_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    zone: Mapped[str] = mapped_column(CleanString(64))
    entered_by: Mapped[int] = mapped_column(BigInteger)  # the patient's or a staff member's id
    patient_name: Mapped[str | None] = mapped_column(CleanString(64, truncate=True))
    status: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VisitReminder(Base):
    """One reminder of one visit (the day before, a few hours before) or its no-answer check.

    Written when the visit is entered, so the unique (visit_id, kind) pair
    makes a second one impossible whatever restarts or extra instances do.
    planned -> claimed (leased by one instance) -> sending (its request is
    about to be written) -> sent | blocked | failed | undecided; a claim whose
    instance died goes back to planned, a send whose instance died becomes
    interrupted (maybe delivered: never resent). skipped: the visit was
    cancelled or moved; missed: due too long ago (downtime).
    """

    __tablename__ = "visit_reminders"
    __table_args__ = (
        UniqueConstraint("visit_id", "kind"),
        CheckConstraint("kind IN ('day_before', 'lead', 'no_answer')", name="kind"),
        _partial("ix_visit_reminders_planned", PLANNED_VISIT_REMINDER, "due_at"),
        _partial("ix_visit_reminders_open", OPEN_VISIT_REMINDER, "status", "lease_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(Integer, ForeignKey("visits.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(CleanString(200, truncate=True))
