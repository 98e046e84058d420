"""The `acubot` command: run, chat, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.settings import MAKE_A_SECRET, Settings, describe_settings_error

EXIT_CONFIG = 2
EXIT_USAGE = 2  # as argparse exits on a bad option
CHAT_LOG_FILE = "acubot-chat.log"
NO_LINK_SECRET = (
    "No LINK_SECRET is set: it signs the programme links staff give patients. Make one with "
    f"`{MAKE_A_SECRET}` and put LINK_SECRET=<it> in .env (see .env.example)."
)
NO_TOKEN = (
    "No TELEGRAM_BOT_TOKEN is set, so the bot cannot reach Telegram. Get a token from "
    "@BotFather and put it in .env (see .env.example), or try the bot offline with "
    "`acubot chat`."
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="acubot", description="A clinic's acupressure bot for low back pain."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_parser = commands.add_parser("run", help="run the bot on Telegram (long polling)")
    run_parser.add_argument(
        "--webhook",
        action="store_true",
        help="take updates by webhook (WEBHOOK_URL, WEBHOOK_SECRET) instead of polling",
    )
    commands.add_parser(
        "worker", help="only send: reminders and broadcasts, no updates (for scaling out)"
    )
    chat = commands.add_parser("chat", help="talk to the bot in this terminal, offline")
    chat.add_argument("--user-id", type=int, default=1, help="your Telegram user id (default 1)")
    chat.add_argument(
        "--language",
        default="en",
        metavar="TAG",
        help="your Telegram app's language tag, e.g. es, es-MX, zh-CN (default en)",
    )
    chat.add_argument("--db", type=Path, help="SQLite file to use (default: DATABASE_URL)")
    chat.add_argument(
        "--media-dir",
        type=Path,
        default=Path("acubot-media"),
        help="where photos and files the bot sends are saved (default ./acubot-media)",
    )
    chat.add_argument(
        "--log-file",
        type=Path,
        default=Path(CHAT_LOG_FILE),
        help=f"where log messages go, out of the conversation (default ./{CHAT_LOG_FILE})",
    )
    chat.add_argument(
        "--now",
        metavar="WHEN",
        help=(
            "pretend the chat starts at this time, e.g. 2027-03-15T08:00 (clinic time, or "
            "with an offset); it runs on from there, reminders included (needs --db)"
        ),
    )
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply database migrations")
    return parser.parse_args(argv)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and .env, or exit with one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        print(describe_settings_error(error), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `acubot` console script and `python -m bot`."""
    args = parse_args(argv)
    overrides: dict[str, object] = {}
    if args.command == "chat" and args.db:
        overrides["database_url"] = f"sqlite+aiosqlite:///{args.db.expanduser().resolve()}"
    settings = load_settings(**overrides)
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None

    from bot.log_setup import configure_logging

    # The chat prints the conversation in the terminal: its logs go to a file.
    configure_logging(
        settings.log_level, token, file=args.log_file if args.command == "chat" else None
    )
    start = None
    if args.command == "chat":
        logging.getLogger().addHandler(_ErrorCounter())
        from bot.chat import chat_start

        if args.now and not args.db:
            # A pretended time runs the dispatcher at once: on the configured (maybe
            # the clinic's real) database it would take real patients' reminders.
            print(
                "--now needs --db FILE: a pretended time is tried on a database of its own",
                file=sys.stderr,
            )
            return EXIT_USAGE
        try:
            start = chat_start(args.now, settings.clinic_timezone) if args.now else None
        except ValueError as error:
            print(error, file=sys.stderr)
            return EXIT_USAGE

    from bot.chat_link_secret import LinkSecretFileError
    from content.catalogue import ContentError

    try:
        if args.command == "run":
            return run_webhook(settings) if args.webhook else run(settings)
        if args.command == "worker":
            return worker(settings)
        if args.command == "chat":
            from bot.chat import run_chat

            asyncio.run(
                run_chat(
                    settings,
                    user_id=args.user_id,
                    language_code=args.language,
                    media_dir=args.media_dir,
                    log_file=args.log_file,
                    start=start,
                )
            )
            _mention_logged_errors(args.log_file)
            return 0
        if args.command == "db":
            return asyncio.run(upgrade_database(settings))
    except ContentError as error:
        print(f"The content catalogue is broken: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except LinkSecretFileError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    return 0


class _ErrorCounter(logging.Handler):
    """Counts error records, so the chat can say afterwards that there were some."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _mention_logged_errors(log_file: Path) -> None:
    """After a chat: one line on stderr if the bot logged errors, saying where."""
    counter = next((h for h in logging.getLogger().handlers if isinstance(h, _ErrorCounter)), None)
    if counter is not None and counter.count:
        noun = "error was" if counter.count == 1 else "errors were"
        print(f"{counter.count} {noun} logged; details are in {log_file}.", file=sys.stderr)


def run(settings: Settings) -> int:
    """The bot on Telegram with long polling."""
    if settings.telegram_bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return EXIT_CONFIG
    if settings.link_secret is None:
        print(NO_LINK_SECRET, file=sys.stderr)
        return EXIT_CONFIG
    from bot.application import build_application

    app = build_application(settings, long_running=True)
    logging.getLogger(__name__).info("Starting long polling")
    app.run_polling(allowed_updates=["message", "callback_query"], drop_pending_updates=False)
    return 0


def run_webhook(settings: Settings) -> int:
    """The bot behind a reverse proxy: Telegram posts updates to WEBHOOK_URL."""
    if settings.telegram_bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return EXIT_CONFIG
    if settings.webhook_url is None or settings.webhook_secret is None:
        print(
            "Webhook mode needs WEBHOOK_URL (the public https:// address) and WEBHOOK_SECRET "
            "(32+ random letters and digits); see .env.example.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if settings.link_secret is None:
        print(NO_LINK_SECRET, file=sys.stderr)
        return EXIT_CONFIG
    from bot.application import build_application
    from bot.log_setup import protect_token
    from bot.webhook import WebhookError
    from bot.webhook import run_webhook as serve

    secret = settings.webhook_secret.get_secret_value()
    protect_token(secret)  # never in a log line either
    try:
        asyncio.run(
            serve(
                build_application(settings, long_running=True),
                url=settings.webhook_url,
                secret=secret,
                listen=settings.webhook_listen,
                port=settings.webhook_port,
            )
        )
    except WebhookError as error:
        print(f"Webhook mode could not start: {error}", file=sys.stderr)
        return 1
    return 0


def worker(settings: Settings) -> int:
    """The dispatcher and the broadcast sender without taking updates."""
    if settings.telegram_bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return EXIT_CONFIG
    asyncio.run(serve_worker(settings))
    return 0


async def serve_worker(settings: Settings) -> None:
    """Runs the sending jobs until SIGINT or SIGTERM."""
    import signal

    from bot.application import build_application, running

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    app = build_application(settings)
    async with running(app):
        logging.getLogger(__name__).info("Worker started: sending reminders and broadcasts")
        await stop.wait()


async def upgrade_database(settings: Settings) -> int:
    """Applies every pending migration and says which revision the database is at."""
    from sqlalchemy import text

    from storage import migrate
    from storage.database import create_engine

    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    print(f"Database is up to date (revision {revision}).")
    return 0
