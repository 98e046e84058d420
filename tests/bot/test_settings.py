"""Settings: defaults, parsing, and one clear line for each bad value."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.settings import DEFAULT_DATABASE_URL, Settings, describe_settings_error


def test_defaults_need_nothing() -> None:
    settings = Settings(_env_file=None)
    assert settings.telegram_bot_token is None
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.clinic_timezone == "America/Chicago"
    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert settings.admin_ids == frozenset()


def test_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", " 12, 345 ,")
    monkeypatch.setenv("REMINDER_GRACE", "90m")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://localhost:8081/")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = Settings(_env_file=None)
    assert settings.admin_ids == frozenset({12, 345})
    assert settings.reminder_grace == timedelta(minutes=90)
    assert settings.telegram_api_base_url == "http://localhost:8081"
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("CLINIC_TIMEZONE", "Mars/Olympus", "not an IANA time zone"),
        ("ADMIN_IDS", "alice,bob", "Telegram user ids"),
        ("BOOKING_URL", "http://clinic.example.com", "https://"),
        ("BOOKING_URL", "https://", "well-formed"),
        ("DATABASE_URL", "mysql://x", "sqlite+aiosqlite"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "@BotFather"),
        ("LOG_LEVEL", "LOUD", "DEBUG"),
        ("SEND_RATE", "-1", "greater than or equal"),
        ("WEBHOOK_URL", "http://bot.example.com", "https://"),
        ("WEBHOOK_URL", "https://bot.example.com:9000", "port 443"),
        ("WEBHOOK_SECRET", "short", "at least 32"),
        ("WEBHOOK_SECRET", "has spaces in it " * 3, "letters"),
        ("CLAIM_LEASE", "0", "longer than zero"),
        ("WEEKLY_CHECKIN_DAY", "someday", "monday"),
        ("CLINIC_PHONE", "call us", "phone number"),
        ("CLINIC_ADDRESS", "x" * 201, "at most 200"),
        ("LINK_SECRET", "short", "at least 32"),
        ("LINK_SECRET", "x" * 31, "secrets.token_urlsafe(32)"),
        ("LINK_SECRET", "two halves " * 4, "spaces"),
    ],
)
def test_bad_values_are_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)
    message = describe_settings_error(error.value)
    assert message.count("\n") == 0
    assert message.startswith(f"Setting {name} is invalid") and words in message


def test_link_secret_unset_empty_or_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).link_secret is None
    monkeypatch.setenv("LINK_SECRET", "   ")
    assert Settings(_env_file=None).link_secret is None
    secret = "Zq3-" * 8 + "_tail"
    monkeypatch.setenv("LINK_SECRET", f"  {secret}\n")
    settings = Settings(_env_file=None)
    assert settings.link_secret is not None
    assert settings.link_secret.get_secret_value() == secret
    assert secret not in repr(settings) and secret not in str(settings)


@pytest.mark.parametrize(
    "value",
    ["tooShortButSecret1", "almost-long-enough-secret-31ch", "secretpartone secretparttwo12345"],
)
def test_a_bad_link_secret_is_never_quoted(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LINK_SECRET", value)
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)
    message = describe_settings_error(error.value)
    assert message.startswith("Setting LINK_SECRET is invalid") and message.count("\n") == 0
    assert value not in message and value.split()[0] not in message
