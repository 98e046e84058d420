"""Fixtures: settings on a temp SQLite file, the real application, a patient."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.application import build_application, running
from bot.local_api import BotCall, InProcessBotAPI
from bot.settings import Settings
from handlers.context import AcubotApp
from scheduler import callback_data
from tests import postgres
from tests.harness import FakeClock, Patient

ADMIN_ID = 900
# LINK_SECRET for tests: programme link codes signed and read with it.
TEST_LINK_SECRET = "test-link-secret-for-programme-codes-not-real"


def make_settings(database: Path | str, **overrides: object) -> Settings:
    """Settings for tests: nothing read from .env; a SQLite file path or a database URL."""
    url = database if isinstance(database, str) else f"sqlite+aiosqlite:///{database}"
    values: dict[str, object] = {
        "database_url": url,
        "clinic_name": "River Forest Health & Wellness",
        "booking_url": "https://clinic.example.com/book",
        "admin_ids": f"{ADMIN_ID}",
        "send_rate": 0,  # pacing has its own test; here it would only make tests slow
        "link_secret": TEST_LINK_SECRET,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the run (only when asked for)."""
    if postgres.server_url() is None:
        pytest.skip(postgres.SKIP_REASON)
    with postgres.migrated_database_for_session() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every database test runs on SQLite, and on PostgreSQL when it is configured."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'acubot.sqlite3'}"
    url: str = request.getfixturevalue("postgres_database")
    await postgres.empty_tables(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> Iterator[InProcessBotAPI]:
    """The in-process Bot API; every test also checks each button the bot sent.

    The API itself refuses callback data over Telegram's 64 bytes; here every
    callback_data must read back through the one codec (scheduler/callback_data.py).
    """
    api = InProcessBotAPI()
    unreadable: list[str] = []

    def check_buttons(call: BotCall, result: object) -> None:
        for button in call.buttons:
            data = button.get("callback_data")
            if data is not None and callback_data.decode(data) is None:
                unreadable.append(f"{call.method}: {data!r}")

    api.listeners.append(check_buttons)
    yield api
    assert not unreadable, f"buttons the codec does not read: {unreadable}"


class ErrorCatcher(logging.Handler):
    """Collects records from the error handler: a test can assert none came."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def handler_errors() -> AsyncIterator[list[logging.LogRecord]]:
    catcher = ErrorCatcher()
    logger = logging.getLogger("handlers.errors")
    logger.addHandler(catcher)
    yield catcher.records
    logger.removeHandler(catcher)


class RecordingSleep:
    """The send policy's sleep: records how long it was asked to wait, waits not."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def make_app(
    settings: Settings, api: InProcessBotAPI, clock: FakeClock, sleep: RecordingSleep
) -> AcubotApp:
    """The real application with the test seams: fake Bot API, clock, sleep."""
    return build_application(
        settings, request=api, clock=clock, dispatch_interval=None, sleep=sleep
    )


@contextlib.asynccontextmanager
async def two_instances(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep, user_id: int = 1
) -> AsyncIterator[tuple[Patient, Patient]]:
    """Two running Applications on one database, as two instances of the bot, and the
    same patient as each of them sees them (each with its own Bot API)."""
    api_a, api_b = InProcessBotAPI(), InProcessBotAPI()
    async with (
        running(make_app(settings, api_a, clock, sleep)) as a,
        running(make_app(settings, api_b, clock, sleep)) as b,
    ):
        yield Patient(a, api_a, user_id=user_id), Patient(b, api_b, user_id=user_id)


@pytest.fixture
async def app(
    settings: Settings, api: InProcessBotAPI, clock: FakeClock, sleep: RecordingSleep
) -> AsyncIterator[AcubotApp]:
    async with running(make_app(settings, api, clock, sleep)) as application:
        yield application


@pytest.fixture
def patient(app: AcubotApp, api: InProcessBotAPI) -> Patient:
    return Patient(app, api, user_id=1)
