"""Typed access to the application's services from any handler or job.

PTB builds `bot_data` from the class given to `ContextTypes`; using our own
class instead of a dict gives every handler typed, named services rather
than an untyped `bot_data["x"]` bag.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from content.i18n import Translator, translator
from content.languages import Language, is_traditional_chinese, language_from_tag
from storage.pending import PendingIndex
from storage.safety import PregnantSet

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from bot.settings import Settings
    from content.catalogue import Catalogue
    from content.lookup import PointIndex
    from content.own_words import OwnWords
    from content.triage import Screen
    from handlers.offload import CpuPool
    from scheduler.broadcast_sender import BroadcastSender
    from scheduler.dispatcher import ReminderDispatcher
    from scheduler.send_policy import SendPolicy
    from storage.database import Database, DatabaseGate
    from storage.last_seen import LastSeenWriter

Clock = Callable[[], datetime]

# How long a language chosen with /language is trusted from memory before it
# is read again (another instance may have changed it).
CHOSEN_LANGUAGE_TTL = timedelta(minutes=10)


class ChosenLanguages:
    """Each user's /language choice as last read, so an update rarely waits on it.

    Two sources: one person's choice read with their update (`remember`), and
    everyone's, read together every few minutes by `acubot run`
    (`load`, handlers.language.refresh_chosen_languages). Whichever was read
    later answers; either is trusted for CHOSEN_LANGUAGE_TTL.
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[Language | None, datetime]] = {}
        # Chosen by people who are not stored: kept in memory, never re-read.
        self._unstored: dict[int, Language] = {}
        # Everyone's stored choice as read at `_everyone_at` (absent: none chosen).
        self._everyone: dict[int, Language] = {}
        self._everyone_at: datetime | None = None

    def get(self, user_id: int) -> Language | None:
        known = self._known.get(user_id)
        if known is not None and (self._everyone_at is None or known[1] >= self._everyone_at):
            chosen = known[0]
        else:
            chosen = self._everyone.get(user_id)
        return chosen or self._unstored.get(user_id)

    def unstored(self, user_id: int) -> Language | None:
        """A choice made before the person was stored, to store once they are."""
        return self._unstored.get(user_id)

    def is_fresh(self, user_id: int, now: datetime) -> bool:
        if self._everyone_at is not None and now - self._everyone_at < CHOSEN_LANGUAGE_TTL:
            return True
        known = self._known.get(user_id)
        return known is not None and now - known[1] < CHOSEN_LANGUAGE_TTL

    def remember(
        self, user_id: int, language: Language | None, now: datetime, *, stored: bool = True
    ) -> None:
        self._known[user_id] = (language, now)
        if language is None:
            return  # nothing stored: an in-memory choice, if any, still holds
        if stored:
            self._unstored.pop(user_id, None)
        else:
            self._unstored[user_id] = language

    def load(self, everyone: dict[int, Language], now: datetime) -> None:
        """Every stored choice, as read at `now`: anyone not in it chose none."""
        self._everyone, self._everyone_at = everyone, now
        # What was read one by one before this is older: it no longer answers.
        self._known = {user: known for user, known in self._known.items() if known[1] >= now}

    def forget(self, user_id: int) -> None:
        self._known.pop(user_id, None)
        self._unstored.pop(user_id, None)
        self._everyone.pop(user_id, None)


def system_clock() -> datetime:
    """Now, in UTC. Tests pass their own clock instead."""
    return datetime.now(UTC)


class Services:
    """What handlers and jobs need; filled by `build_application` and `post_init`."""

    settings: Settings
    catalogue: Catalogue  # in English; `catalogues` has every language's
    catalogues: dict[Language, Catalogue]
    index: PointIndex
    screen: Screen
    own_words: OwnWords
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    database: Database
    # Closed while the database is unreachable: see storage/database.py.
    gate: DatabaseGate
    # Last-seen times, written many at a time (storage/last_seen.py).
    last_seen: LastSeenWriter
    policy: SendPolicy
    dispatcher: ReminderDispatcher
    sender: BroadcastSender
    dispatch_interval: float | None
    sleep: Callable[[float], Awaitable[None]]
    cpu: CpuPool  # chart rendering, off the event loop
    long_running: bool
    # LINK_SECRET's bytes: the key of programme link codes (scheduler/programme_codes.py).
    # Never log it.
    link_secret: bytes

    def __init__(self) -> None:
        # When each user was last recorded as seen, to throttle that write.
        self.seen_at: dict[int, datetime] = {}
        # Multi-step flows by name (see handlers.flows).
        self.flows: dict[str, Any] = {}
        # Telegram file ids of our pictures, so a card never waits for the
        # database (handlers.pictures); keys not yet saved there are retried.
        self.file_ids: dict[str, str] = {}
        self.unsaved_file_ids: set[str] = set()
        self.saving_file_ids: set[str] = set()  # a save is under way: no second one
        # Point cards as rendered (picture path, caption, text, keyboard), by code.
        self.cards: dict[tuple[str, Language], tuple[Any, str, str, Any]] = {}
        self.languages = ChosenLanguages()
        # Who may have a waiting step, so a command from anyone else reads nothing.
        self.pending = PendingIndex()
        # Who has pregnancy on, so a point's card reads nothing (storage.safety).
        self.pregnant = PregnantSet()

    def now(self) -> datetime:
        """The current instant from the injected clock."""
        return self.clock()


class AcubotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], Services]):
    """CallbackContext with typed `services`, and the language of the person it serves.

    One context is made per update (PTB shares it across handler groups), so
    `tr` is this update's translator: a patient writing in Spanish and one in
    Chinese at the same moment each get their own.
    """

    def __init__(
        self,
        application: AcubotApp,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._language_tag: str | None = None
        self._language: Language | None = None

    @classmethod
    def from_update(cls, update: object, application: AcubotApp) -> AcubotContext:
        context = super().from_update(update, application)
        if isinstance(update, Update) and update.effective_user is not None:
            context._language_tag = update.effective_user.language_code
        return context

    @property
    def services(self) -> Services:
        return self.bot_data

    @property
    def language(self) -> Language:
        """The stored /language choice, else the language of the person's Telegram app."""
        if self._language is not None:
            return self._language
        user_id = self._user_id
        chosen = self.services.languages.get(user_id) if user_id is not None else None
        return chosen or language_from_tag(self._language_tag)

    @language.setter
    def language(self, language: Language) -> None:
        # The reply to /language itself is already in the new language.
        self._language = language

    @property
    def reads_traditional_chinese(self) -> bool:
        """Chinese chosen by a Traditional Chinese app's tag (not by /language): worth a note."""
        return (
            self.language == "zh"
            and self._language is None
            and (self._user_id is None or self.services.languages.get(self._user_id) is None)
            and is_traditional_chinese(self._language_tag)
        )

    @property
    def tr(self) -> Translator:
        return translator(self.language)

    @property
    def catalogue(self) -> Catalogue:
        """The content catalogue in this person's language."""
        return self.services.catalogues[self.language]


AcubotApp = Application[ExtBot[Any], AcubotContext, dict[Any, Any], dict[Any, Any], Services, Any]
