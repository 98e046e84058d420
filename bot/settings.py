"""Typed settings, read once from the environment and `.env` in `main`.

Every setting is documented in `.env.example`. A bad value stops start-up
with one line naming the setting (see `describe_settings_error`).
"""

from __future__ import annotations

import re
from datetime import time as dt_time
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from content.i18n import N_
from content.web_addresses import https_url_problem, secret_problem, webhook_url_problem

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///acubot.sqlite3"
MIN_SECRET_LENGTH = 32
MAKE_A_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Digits, spaces and the usual phone punctuation; an optional "ext. 12" at the end.
_PHONE = re.compile(r"\+?[\d\s().\-/]{3,30}(?:\s*(?:ext\.?|x)\s*\d{1,6})?", re.IGNORECASE)
MAX_ADDRESS_CHARS = 200


class Settings(BaseSettings):
    """All of Acubot's configuration."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    database_url: str = DEFAULT_DATABASE_URL
    # The default is a message id: shown translated ("nuestra clínica"); a clinic's own
    # name is shown as written (it is not in the catalogs).
    clinic_name: str = Field(default=N_("our clinic"), min_length=1, max_length=100)
    clinic_timezone: str = "America/Chicago"
    booking_url: str | None = None
    # How patients reach the clinic when there is no booking link (or as well).
    clinic_phone: str | None = None
    clinic_address: str | None = None
    # Shown first in every emergency reply and in /safety (the clinic is in Illinois).
    emergency_number: str = Field(default="911", pattern=r"^\+?[0-9]{2,15}$")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    reminder_grace: timedelta = timedelta(hours=2)
    # How often the reminder dispatcher looks for due reminders.
    dispatch_interval: timedelta = timedelta(seconds=15)
    # How long a claim on reminders or broadcast recipients lasts; renewed
    # while the work goes on, so an instance that dies holding one has its
    # unstarted work taken over within this.
    claim_lease: timedelta = timedelta(seconds=20)
    # Delivered reminders older than this are deleted (the patient's /export
    # shows them until then).
    delivery_retention: timedelta = timedelta(days=400)
    # How long a question (/remind's time, a broadcast's next step) waits for
    # an answer; after it, a message is read as new, not as the answer.
    flow_timeout: timedelta = timedelta(minutes=30)
    # How many days a programme link staff hand out (/prescribe, /programmes) can be opened.
    programme_link_days: int = Field(default=14, ge=1, le=365)
    send_rate: float = Field(default=25.0, ge=0, le=1000)
    # Bounded waits on the database (storage/database.py): opening a
    # connection, and one statement (SQLite: waiting for a lock).
    database_connect_timeout: timedelta = timedelta(seconds=3)
    database_statement_timeout: timedelta = timedelta(seconds=10)
    # How long a task waits for a free connection of the pool before it fails.
    database_pool_timeout: timedelta = timedelta(seconds=30)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # Signs the programme links staff hand to patients (scheduler/programme_codes.py).
    # Required by `acubot run`; `acubot chat` makes one. Changing it voids every link.
    link_secret: SecretStr | None = None
    # Visit reminders: the day before at this local time, and this long before the visit.
    visit_reminder_day_before_at: dt_time = dt_time(18, 0)
    visit_reminder_lead: timedelta = timedelta(hours=2)
    weekly_checkin_day: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "never"
    ] = "sunday"

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not re.fullmatch(r"[0-9]+:[A-Za-z0-9_-]{20,}", value.strip()):
            raise ValueError("does not look like a token from @BotFather (digits:letters)")
        return value.strip() if isinstance(value, str) else value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _api_root(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value.strip().rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (async drivers)"
            )
        return value

    @field_validator("clinic_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone such as America/Chicago"
            ) from None
        return value.strip()

    @field_validator("booking_url", mode="before")
    @classmethod
    def _booking(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            problem = https_url_problem(value.strip())
            if problem:
                raise ValueError(problem)
            return value.strip()
        return value

    @field_validator("clinic_phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            phone = " ".join(value.split())
            if not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 3:
                raise ValueError("must be a phone number such as +1 708 555 0134")
            return phone
        return value

    @field_validator("clinic_address", mode="before")
    @classmethod
    def _address(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            address = " ".join(value.split())
            if len(address) > MAX_ADDRESS_CHARS:
                raise ValueError(f"must be at most {MAX_ADDRESS_CHARS} characters")
            return address
        return value

    @property
    def has_booking_info(self) -> bool:
        """Whether /book has anything to show: a link, a phone number or an address."""
        return bool(self.booking_url or self.clinic_phone or self.clinic_address)

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and (problem := webhook_url_problem(value)):
            raise ValueError(problem)
        return value.strip() if isinstance(value, str) else value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            if problem := secret_problem(value.strip()):
                raise ValueError(problem)
            if len(value.strip()) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"must be at least {MIN_SECRET_LENGTH} characters so it cannot be guessed"
                )
            return value.strip()
        return value

    @field_validator("link_secret", mode="before")
    @classmethod
    def _link_secret(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            secret = value.strip()
            # The message never quotes the value: it is a secret, even a bad one.
            if any(character.isspace() for character in secret):
                raise ValueError(f"must not contain spaces; make one with: {MAKE_A_SECRET}")
            if len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"must be at least {MIN_SECRET_LENGTH} characters so programme links "
                    f"cannot be forged; make one with: {MAKE_A_SECRET}"
                )
            return secret
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admins(cls, value: object) -> object:
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",") if item.strip()]
            if not all(re.fullmatch(r"[0-9]{1,20}", item) for item in items):
                raise ValueError("must be Telegram user ids separated by commas, e.g. 12345,67890")
            return frozenset(int(item) for item in items)
        return value

    @field_validator("weekly_checkin_day", mode="before")
    @classmethod
    def _weekday(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def weekly_checkin_weekday(self) -> int | None:
        """Monday = 0 ... Sunday = 6; None when the weekly question is off."""
        days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        return days.index(self.weekly_checkin_day) if self.weekly_checkin_day in days else None

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(
        "reminder_grace",
        "dispatch_interval",
        "claim_lease",
        "flow_timeout",
        "delivery_retention",
        "database_connect_timeout",
        "database_statement_timeout",
        "database_pool_timeout",
        "visit_reminder_lead",
        mode="before",
    )
    @classmethod
    def _grace(cls, value: object) -> object:
        # Accept the friendly "2h", "90m", "3600" forms as well as ISO 8601.
        if isinstance(value, str) and (match := _DURATION.match(value)):
            number, unit = float(match.group(1)), (match.group(2) or "s").lower()
            return timedelta(seconds=number * _UNIT_SECONDS[unit])
        return value

    @field_validator(
        "dispatch_interval",
        "claim_lease",
        "flow_timeout",
        "delivery_retention",
        "database_connect_timeout",
        "database_statement_timeout",
        "database_pool_timeout",
        "visit_reminder_lead",
    )
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than zero, e.g. 15s or 5m")
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone."""
        return ZoneInfo(self.clinic_timezone)


def describe_settings_error(error: ValidationError) -> str:
    """One line per bad setting, named as in the environment."""
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"Setting {name} is invalid: {message}")
    return "\n".join(lines)
