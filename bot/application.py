"""The composition root: one function builds the whole bot.

`acubot run`, `acubot chat` and the tests all call `build_application`; only
the request object (real HTTP or the in-process Bot API) and the clock differ.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum
from functools import cache, partial
from typing import Any, Literal

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults, ExtBot
from telegram.request import BaseRequest

import handlers
from bot.http_lanes import LanedRequest
from bot.log_setup import protect_token
from bot.rate_limit import TELEGRAM_RATE, BudgetRateLimiter, MessageBudget
from bot.settings import Settings
from bot.update_processor import PerUserUpdateProcessor
from content.catalogue import Catalogue, load_catalogues
from content.languages import Language
from content.lookup import PointIndex
from content.own_words import OwnWords
from content.questionnaires import questionnaires
from content.triage import default_screen
from handlers.admin import set_admin_commands
from handlers.commands import set_bot_profile
from handlers.context import (
    AcubotApp,
    AcubotContext,
    ChosenLanguages,
    Clock,
    Services,
    system_clock,
)
from handlers.language import refresh_chosen_languages
from handlers.offload import CpuPool
from handlers.reply import flood_notice
from handlers.users import forget_failed
from scheduler.broadcast_sender import BroadcastSender
from scheduler.dispatcher import ReminderDispatcher, instance_name
from scheduler.programme_codes import MIN_SECRET_BYTES
from scheduler.send_policy import SendPolicy, Sleep
from scheduler.visit_reminders import VisitReminderSender
from scheduler.visit_report import warm_up as warm_up_worker
from storage import migrate
from storage.database import DatabaseTimeouts, create_engine, is_unavailable, open_database
from storage.files import all_file_ids
from storage.last_seen import LastSeenWriter

log = logging.getLogger(__name__)


class _Default(Enum):
    """build_application's default: take the dispatch interval from the settings."""

    FROM_SETTINGS = "from settings"


FROM_SETTINGS = _Default.FROM_SETTINGS

# Used with the in-process Bot API, where no real token exists.
OFFLINE_TOKEN = "1000000001:offline-token-not-a-secret-acubot"


DISPATCHER_JOB = "reminder-dispatcher"
# Connections to the Bot API: the dispatcher's and the sender's sends in
# flight (16 each) and room for replies.
CONNECTION_POOL_SIZE = 40
# How often the broadcast sender looks for confirmed broadcasts.
BROADCAST_INTERVAL_SECONDS = 2.0
SENDER_JOB = "broadcast-sender"
# `acubot run` reads everyone's /language choice at start and this often after
# (within CHOSEN_LANGUAGE_TTL, so a patient's update rarely reads its own).
LANGUAGES_REFRESH_SECONDS = 300.0
LANGUAGES_JOB = "chosen-languages"


def bot_api_request() -> LanedRequest:
    """The HTTP client for Telegram: a connection per send in flight, plus some for replies.

    Each connection has its own client; bot/http_lanes.py explains why that
    beats one shared pool. The pool timeout is generous because bulk sends
    fill the lanes on purpose and a reply may wait a moment for one.
    """
    return LanedRequest(CONNECTION_POOL_SIZE, pool_timeout=10.0)


def updates_request() -> LanedRequest:
    """getUpdates' own client (one long poll at a time), as PTB keeps it apart."""
    return LanedRequest(1)


def database_timeouts(settings: Settings) -> DatabaseTimeouts:
    """DATABASE_CONNECT_TIMEOUT, _STATEMENT_TIMEOUT and _POOL_TIMEOUT, in seconds."""
    return DatabaseTimeouts(
        connect=settings.database_connect_timeout.total_seconds(),
        statement=settings.database_statement_timeout.total_seconds(),
        pool=settings.database_pool_timeout.total_seconds(),
    )


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    clock: Clock = system_clock,
    catalogue: Catalogue | None = None,
    dispatch_interval: float | Literal[_Default.FROM_SETTINGS] | None = FROM_SETTINGS,
    sleep: Sleep = asyncio.sleep,
    long_running: bool = False,
) -> AcubotApp:
    """The bot, ready for `run_polling`, `acubot chat` or a test.

    `request` replaces HTTP to Telegram (the in-process Bot API in tests and
    in `acubot chat`); `clock` replaces the system clock; `dispatch_interval`
    is DISPATCH_INTERVAL unless given: tests pass None (no background jobs) and
    run the dispatcher and the broadcast sender themselves with `now`,
    and a `sleep` that returns at once for the send policy's waits.
    `long_running` (`acubot run`, polling or webhook) starts the chart worker at
    start-up instead of on the first /progress, and freezes what start-up built
    so the garbage collector never walks it again (gc.freeze).

    Updates that come through `update_queue` (polling, webhook) are processed
    concurrently, each person's in order (bot/update_processor.py); tests and
    `acubot chat` call `process_update` one update at a time, which keeps their
    output in order and deterministic.
    """
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    protect_token(token)
    root = settings.telegram_api_base_url
    # ExtBot[Any]: the bot's rate limiter (and so its type argument) depends on the wiring.
    builder: ApplicationBuilder[
        ExtBot[Any], AcubotContext, dict[Any, Any], dict[Any, Any], Services, Any
    ] = (
        ApplicationBuilder()
        .token(token or OFFLINE_TOKEN)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .context_types(ContextTypes(context=AcubotContext, bot_data=Services))
        # Every message is HTML with link previews off, unless a call says otherwise.
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.request(bot_api_request()).get_updates_request(updates_request())
    # One budget for replies and bulk sends together (bot/rate_limit.py).
    # SEND_RATE=0 turns all pacing off, for a local sink or a benchmark.
    budget = MessageBudget(
        total_rate=TELEGRAM_RATE if settings.send_rate > 0 else 0, bulk_rate=settings.send_rate
    )
    builder = builder.rate_limiter(BudgetRateLimiter(budget, sleep=sleep))
    # The flood note runs before any handler: it reads the /language choices directly.
    languages = ChosenLanguages()
    on_flood = partial(flood_notice, languages=languages)
    builder = builder.concurrent_updates(PerUserUpdateProcessor(on_flood=on_flood))
    app: AcubotApp = builder.build()

    services = app.bot_data
    services.languages = languages
    services.settings = settings
    services.catalogues = dict(_shipped_catalogues())
    if catalogue is not None:
        services.catalogues["en"] = catalogue
    services.catalogue = services.catalogues["en"]
    services.index = PointIndex(
        services.catalogue,
        [c for language, c in services.catalogues.items() if language != "en"],
    )
    # The red-flag screen and the own-words matcher: a broken data file stops start-up.
    services.screen = default_screen()
    services.own_words = OwnWords.load(services.catalogue, services.index)
    services.clock = clock
    services.dispatch_interval = (
        settings.dispatch_interval.total_seconds()
        if dispatch_interval is FROM_SETTINGS
        else dispatch_interval
    )
    services.sleep = sleep
    services.cpu = CpuPool(warm_up=warm_up_worker)  # the chart and the report page
    services.long_running = long_running
    services.link_secret = link_secret(settings)
    handlers.register_all(app)
    return app


def link_secret(settings: Settings) -> bytes:
    """LINK_SECRET's bytes, kept out of every log line from now on.

    `acubot run` refuses to start without it and `acubot chat` makes one, so
    it is missing only where no link is ever handed out (`acubot worker`, a
    benchmark) or a test does not care: then a random key lasts as long as
    this process, and links made with it stop working when it stops.
    """
    if settings.link_secret is None:
        log.info("LINK_SECRET is not set: programme links made here last until this process ends")
        return secrets.token_bytes(MIN_SECRET_BYTES)
    protect_token(settings.link_secret.get_secret_value())
    return settings.link_secret.get_secret_value().encode("utf-8")


@cache
def _shipped_catalogues() -> dict[Language, Catalogue]:
    # Immutable once validated: one load per process, however many apps are built.
    questionnaires()  # the PEG and RMDQ data are checked at start too (a bad file stops it)
    return load_catalogues()


async def _post_init(app: AcubotApp) -> None:
    services: Services = app.bot_data
    settings = services.settings
    # Migrations on an engine of their own, without the statement timeout
    # (a migration, or waiting for another instance's, may take a while).
    migrations_engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(migrations_engine)
    finally:
        await migrations_engine.dispose()
    database = open_database(settings.database_url, database_timeouts(settings))
    services.database = database
    services.engine = database.engine
    services.sessions = database.sessions
    services.gate = database.gate
    services.last_seen = LastSeenWriter(
        services.sessions, on_failure=partial(forget_failed, services)
    )
    async with services.sessions() as session:
        services.file_ids.update(await all_file_ids(session=session))
    services.policy = SendPolicy(rate=settings.send_rate, sleep=services.sleep, paced_by_bot=True)
    visits = VisitReminderSender(
        sessions=services.sessions,
        bot=app.bot,
        policy=services.policy,
        owner=instance_name(),
        clinic_name=settings.clinic_name,
        clinic_zone=settings.zone,
        owner_ids=settings.admin_ids,
        grace=settings.reminder_grace,
        lease=settings.claim_lease,
        clock=services.now,
        keep_going=lambda: app.running,
    )
    services.dispatcher = ReminderDispatcher(
        sessions=services.sessions,
        bot=app.bot,
        catalogue=services.catalogue,
        catalogues=services.catalogues,
        policy=services.policy,
        grace=settings.reminder_grace,
        lease=settings.claim_lease,
        retention=settings.delivery_retention,
        weekly_checkin_weekday=settings.weekly_checkin_weekday,
        booking_url=settings.booking_url,
        keep_going=lambda: app.running,
        clock=services.now,
        gate=services.gate,
        visits=visits,
    )
    services.sender = BroadcastSender(
        sessions=services.sessions,
        bot=app.bot,
        policy=services.policy,
        clock=services.clock,
        zone=settings.zone,
        lease=settings.claim_lease,
        keep_going=lambda: app.running,
        gate=services.gate,
    )
    if services.dispatch_interval is not None and app.job_queue is not None:
        # One repeating job for everyone, not one job per patient: see ARCHITECTURE.md.
        once = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        app.job_queue.run_repeating(
            _dispatch_reminders,
            interval=services.dispatch_interval,
            first=1.0,
            name=DISPATCHER_JOB,
            job_kwargs=once,
        )
        app.job_queue.run_repeating(
            _send_broadcasts,
            interval=BROADCAST_INTERVAL_SECONDS,
            first=1.0,
            name=SENDER_JOB,
            job_kwargs=once,
        )
        if services.long_running:
            app.job_queue.run_repeating(
                _refresh_languages,
                interval=LANGUAGES_REFRESH_SECONDS,
                first=LANGUAGES_REFRESH_SECONDS,
                name=LANGUAGES_JOB,
                job_kwargs=once,
            )
    if services.long_running:
        await _read_chosen_languages(services)
    await set_bot_profile(app)
    await set_admin_commands(app)
    if services.long_running:
        # In a thread (handlers/offload.py): launching the worker never holds the loop.
        await services.cpu.start()
        # What start-up built lives as long as the bot: frozen, a full collection
        # never walks it again, so it cannot stall the loop (undone at shutdown).
        gc.collect()
        gc.freeze()
    log.info("Acubot ready: %d points in the catalogue", len(services.catalogue.points))


async def _dispatch_reminders(context: AcubotContext) -> None:
    services = context.services
    await services.dispatcher.run(now=services.now())


async def _send_broadcasts(context: AcubotContext) -> None:
    await context.services.sender.run()


async def _refresh_languages(context: AcubotContext) -> None:
    await _read_chosen_languages(context.services)


async def _read_chosen_languages(services: Services) -> None:
    try:
        await refresh_chosen_languages(services)
    except Exception as error:  # each update reads its own until the next refresh
        if not is_unavailable(error):
            log.error("Could not read the chosen languages", exc_info=error)


async def _post_shutdown(app: AcubotApp) -> None:
    services: Services = app.bot_data
    if services.long_running:
        gc.unfreeze()
    await services.cpu.close()
    last_seen = getattr(services, "last_seen", None)
    if last_seen is not None:
        await last_seen.flush()  # what was noted in the last second
    database = getattr(services, "database", None)
    if database is not None:
        await database.dispose()


@asynccontextmanager
async def running(app: AcubotApp) -> AsyncIterator[AcubotApp]:
    """The application started as `run_polling` would, without polling.

    For `acubot chat` and the tests: initialize, post_init (database,
    migrations, command menu), start (JobQueue); stop and dispose on exit.
    """
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            yield app
        finally:
            await app.stop()
    finally:
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()
