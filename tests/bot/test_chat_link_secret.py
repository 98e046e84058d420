"""`acubot chat`'s own LINK_SECRET: made once per database, kept 0600, read again."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.application import build_application
from bot.chat_link_secret import (
    OTHER_DATABASES_FILE,
    LinkSecretFileError,
    read_or_make_secret,
    secret_file_for,
    with_link_secret,
)
from scheduler.programme_codes import LinkCode, sign, verify
from tests.conftest import TEST_LINK_SECRET, make_settings

NOW = datetime(2025, 3, 7, 15, 30, tzinfo=UTC)


def test_the_file_sits_beside_the_sqlite_database(tmp_path: Path) -> None:
    database = tmp_path / "clinic.sqlite3"
    assert secret_file_for(f"sqlite+aiosqlite:///{database}") == tmp_path / (
        "clinic.sqlite3.link-secret"
    )
    assert secret_file_for("sqlite+aiosqlite:///acubot.sqlite3") == Path(
        "acubot.sqlite3.link-secret"
    )
    assert secret_file_for("sqlite+aiosqlite://") is None
    assert secret_file_for("sqlite+aiosqlite:///:memory:") is None
    assert secret_file_for("postgresql+asyncpg://u@h/acubot") == Path(OTHER_DATABASES_FILE)


def test_made_once_owner_only_then_read_again(tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "acubot.sqlite3.link-secret"
    made = read_or_make_secret(path)
    assert len(made) >= 32 and made.replace("-", "").replace("_", "").isalnum()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == made + "\n"
    assert read_or_make_secret(path) == made
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no draft left behind


@pytest.mark.parametrize("content", ["", "short\n", "two words " * 5])
def test_a_damaged_file_is_named_never_quoted(tmp_path: Path, content: str) -> None:
    path = tmp_path / "acubot.sqlite3.link-secret"
    path.write_text(content)
    with pytest.raises(LinkSecretFileError) as error:
        read_or_make_secret(path)
    message = str(error.value)
    assert str(path) in message and "Delete it" in message
    assert not content.strip() or content.split()[0] not in message.replace(str(path), "")
    assert path.read_text() == content  # left as it was


def test_a_set_link_secret_wins_and_no_file_is_made(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "acubot.sqlite3")
    assert with_link_secret(settings) is settings
    assert not (tmp_path / "acubot.sqlite3.link-secret").exists()


def test_links_from_one_chat_session_open_in_the_next(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "acubot.sqlite3", link_secret=None)
    first = build_application(with_link_secret(settings)).bot_data.link_secret
    second = build_application(with_link_secret(settings)).bot_data.link_secret
    kept = (tmp_path / "acubot.sqlite3.link-secret").read_text().strip()
    assert first == second == kept.encode()
    code = LinkCode(link_id=1, expires_at=NOW + timedelta(days=14), single_use=True)
    assert verify(sign(code, first), second, NOW) == code


def test_each_database_has_its_own(tmp_path: Path) -> None:
    one = with_link_secret(make_settings(tmp_path / "one.sqlite3", link_secret=None))
    other = with_link_secret(make_settings(tmp_path / "other.sqlite3", link_secret=None))
    assert one.link_secret is not None and other.link_secret is not None
    assert one.link_secret.get_secret_value() != other.link_secret.get_secret_value()


def test_an_in_memory_database_gets_a_secret_but_no_file(tmp_path: Path) -> None:
    settings = with_link_secret(make_settings("sqlite+aiosqlite:///:memory:", link_secret=None))
    assert settings.link_secret is not None and len(settings.link_secret.get_secret_value()) >= 32
    assert list(tmp_path.iterdir()) == []


def test_the_application_takes_link_secret_as_bytes(tmp_path: Path) -> None:
    app = build_application(make_settings(tmp_path / "acubot.sqlite3"))
    assert app.bot_data.link_secret == TEST_LINK_SECRET.encode()
    # Without one (a worker, a benchmark): a random key for this process only.
    unset = make_settings(tmp_path / "acubot.sqlite3", link_secret=None)
    first = build_application(unset).bot_data.link_secret
    assert len(first) >= 32 and first != build_application(unset).bot_data.link_secret
