"""`acubot chat`'s LINK_SECRET: made once, kept in a file beside its SQLite database.

The chat needs no settings, yet a programme link made in one chat session
must open in the next (`/prescribe` as staff, then `/start <code>` as a
patient on the same database). So, when LINK_SECRET is not set, the first
session writes a random one to `<database file>.link-secret` (readable by its
owner only) and every later session on that database reads it. A database
of its own gets a secret of its own: a link never names a row of another.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.settings import MIN_SECRET_LENGTH, Settings

log = logging.getLogger(__name__)

SUFFIX = ".link-secret"
# With a database that is not a SQLite file (PostgreSQL): in the working folder.
OTHER_DATABASES_FILE = "acubot-chat.link-secret"
SECRET_BYTES = 32


class LinkSecretFileError(Exception):
    """The secret file exists but holds no usable secret (the message says what to do)."""


def secret_file_for(database_url: str) -> Path | None:
    """Where the chat keeps the secret for this database; None for an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return Path(OTHER_DATABASES_FILE)
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return None
    database = Path(url.database).expanduser()
    return database.with_name(database.name + SUFFIX)


def read_or_make_secret(path: Path) -> str:
    """The secret kept in `path`, made first (mode 0600) when there is none."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    made = secrets.token_urlsafe(SECRET_BYTES)
    # Written whole under another name, then linked into place: a second chat
    # starting at the same moment reads either nothing or the whole secret,
    # and the first one to link wins.
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(made + "\n")
        os.chmod(draft, 0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            return _read(path)
        except OSError:  # a file system without hard links
            os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    log.info("Made a LINK_SECRET for this chat's database, kept in %s", path)
    return made


def with_link_secret(settings: Settings) -> Settings:
    """The settings with LINK_SECRET: as set, else the chat's own (see the module)."""
    if settings.link_secret is not None:
        return settings
    path = secret_file_for(settings.database_url)
    secret = secrets.token_urlsafe(SECRET_BYTES) if path is None else read_or_make_secret(path)
    return settings.model_copy(update={"link_secret": SecretStr(secret)})


def _read(path: Path) -> str:
    secret = path.read_text(encoding="ascii", errors="replace").strip()
    if len(secret) < MIN_SECRET_LENGTH or any(character.isspace() for character in secret):
        raise LinkSecretFileError(
            f"{path} does not hold a link secret ({MIN_SECRET_LENGTH}+ characters on one line). "
            "Delete it and the chat makes a new one (links made before stop working), "
            "or set LINK_SECRET."
        )
    return secret
