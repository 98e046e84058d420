"""Typed access to the application's services from any handler or job.

PTB builds `bot_data` from the class given to `ContextTypes`; using our own
class instead of a dict gives every handler typed, named services rather
than an untyped `bot_data["x"]` bag.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from storage.pending import PendingIndex

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

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC. Tests pass their own clock instead."""
    return datetime.now(UTC)


class Services:
    """What handlers and jobs need; filled by `build_application` and `post_init`."""

    settings: Settings
    catalogue: Catalogue
    index: PointIndex
    screen: Screen
    own_words: OwnWords
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    database: Database
    # Closed while the database is unreachable: see storage/database.py.
    gate: DatabaseGate
    policy: SendPolicy
    dispatcher: ReminderDispatcher
    sender: BroadcastSender
    dispatch_interval: float | None
    sleep: Callable[[float], Awaitable[None]]
    cpu: CpuPool  # chart rendering, off the event loop
    long_running: bool

    def __init__(self) -> None:
        # When each user was last recorded as seen, to throttle that write.
        self.seen_at: dict[int, datetime] = {}
        # Multi-step flows by name (see handlers.flows).
        self.flows: dict[str, Any] = {}
        # Telegram file ids of our pictures, so a card never waits for the
        # database (handlers.pictures); keys not yet saved there are retried.
        self.file_ids: dict[str, str] = {}
        self.unsaved_file_ids: set[str] = set()
        # Point cards as rendered (picture path, caption, text, keyboard), by code.
        self.cards: dict[str, tuple[Any, str, str, Any]] = {}
        # Who may have a waiting step, so a command from anyone else reads nothing.
        self.pending = PendingIndex()

    def now(self) -> datetime:
        """The current instant from the injected clock."""
        return self.clock()


class AcubotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], Services]):
    """CallbackContext with a typed `services` attribute."""

    @property
    def services(self) -> Services:
        return self.bot_data


AcubotApp = Application[ExtBot[Any], AcubotContext, dict[Any, Any], dict[Any, Any], Services, Any]
