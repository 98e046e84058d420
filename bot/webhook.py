"""Webhook mode: Telegram POSTs updates to us instead of the bot polling.

Why Starlette and uvicorn: this is python-telegram-bot's documented "custom
webhook bot" pattern (examples/customwebhookbot.py). Our routes put each
update on `Application.update_queue`, and the Application's own update
fetcher (started by `Application.start()`, i.e. inside `running(app)`)
hands it to the handlers, exactly as with polling. Owning the web app,
rather than using PTB's built-in `run_webhook`, lets `GET /healthz` share
the port, so the reverse proxy in front of several instances can check each
one.

The URL. `WEBHOOK_URL` is the *public base* URL Telegram reaches, e.g.
`https://bot.clinic.example`; `/telegram` is appended (unless the URL
already ends with it), so Telegram POSTs to `https://bot.clinic.example/telegram`
and the proxy forwards that path to `WEBHOOK_LISTEN:WEBHOOK_PORT`. The bot
token is never part of the URL.

The secret. `WEBHOOK_SECRET` is given to Telegram as `secret_token` in
`setWebhook`; Telegram then sends it in the `X-Telegram-Bot-Api-Secret-Token`
header of every request. `POST /telegram` compares the header with
`hmac.compare_digest` before reading the body: a missing or wrong header
gets 403 and nothing is processed. The secret is never logged; neither are
request bodies (they hold patients' messages).

Several instances behind one proxy. Every instance calls `setWebhook` with
the same URL and secret when it starts (idempotent; the last call wins, so
all instances must share one secret), and none deletes the webhook when it
stops, which would cut off the others. Telegram delivers each update once,
to whichever instance the proxy picks; multi-step flows keep their state in
the database (handlers.flows), so that is safe.

Stopping. SIGINT and SIGTERM stop the server gracefully (in-flight requests
finish), then `running(app)` processes the updates already queued and shuts
the application down. uvicorn re-raises the signal it caught once it has
shut down; `run_webhook` installs its own handlers for the duration so that
re-raise does not kill the process (SIGTERM's default action) or cancel the
shutdown half-way (asyncio's SIGINT handling).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
import threading
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.application import running
from bot.settings import secret_problem, webhook_url_problem
from bot.webhook_body import update_data
from handlers.context import AcubotApp
from scheduler.numbers import ascii_int

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram"
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
# Telegram's updates are a few kB; anything this big is not from Telegram.
MAX_BODY_BYTES = 1_000_000
HEALTH_TIMEOUT_SECONDS = 2.0
# How long in-flight requests may take to finish once asked to stop.
GRACEFUL_SHUTDOWN_SECONDS = 10
# setWebhook answers 429 when several instances start at once: retry a few times.
SET_WEBHOOK_ATTEMPTS = 4
# What Telegram accepts as secret_token.
# The only ports Telegram delivers webhooks to.


class WebhookError(RuntimeError):
    """Webhook mode cannot start; the message says why, without secrets."""


def public_webhook_url(base_url: str) -> str:
    """The URL given to Telegram: WEBHOOK_URL with /telegram appended once."""
    base = base_url.strip().rstrip("/")
    return base if base.endswith(WEBHOOK_PATH) else base + WEBHOOK_PATH


def webhook_routes_app(app: AcubotApp, secret: str) -> Starlette:
    """The web app: `POST /telegram` for Telegram, `GET /healthz` for the proxy.

    `app` must be running (inside `running(app)`) for queued updates to be
    handled; `/healthz` answers 503 while it is not.
    """
    problem = secret_problem(secret)
    if problem:
        # An empty secret would make a request with no header pass the check.
        raise ValueError(f"WEBHOOK_SECRET {problem}")
    expected = secret.encode()

    async def telegram(request: Request) -> Response:
        client = request.client.host if request.client else "unknown"
        given = request.headers.get(SECRET_HEADER)
        # Starlette decodes headers as latin-1: encoding back gives the bytes sent.
        if given is None or not hmac.compare_digest(given.encode("latin-1"), expected):
            log.warning(
                "Webhook request from %s refused: %s secret header",
                client,
                "no" if given is None else "wrong",
            )
            return PlainTextResponse("forbidden", status_code=HTTPStatus.FORBIDDEN)

        body = await _read_body(request, MAX_BODY_BYTES)
        if body is None:
            log.warning(
                "Webhook request from %s refused: body over %d bytes", client, MAX_BODY_BYTES
            )
            return PlainTextResponse("too large", status_code=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        update = _parse_update(body, app)
        if update is None:
            log.warning("Webhook request from %s refused: not a Telegram update", client)
            return PlainTextResponse("not an update", status_code=HTTPStatus.BAD_REQUEST)
        if isinstance(app.bot, ExtBot):
            app.bot.insert_callback_data(update)  # as PTB's own webhook handler does
        await app.update_queue.put(update)
        return Response(status_code=HTTPStatus.OK)

    async def healthz(request: Request) -> Response:
        if not app.running:
            return PlainTextResponse("not running", status_code=HTTPStatus.SERVICE_UNAVAILABLE)
        try:
            await asyncio.wait_for(_select_one(app), timeout=HEALTH_TIMEOUT_SECONDS)
        except Exception as error:  # any failure means "not healthy", never a 500
            # The type only: driver messages can quote the database URL.
            log.warning("Health check: database unreachable (%s)", type(error).__name__)
            return PlainTextResponse(
                "database unreachable", status_code=HTTPStatus.SERVICE_UNAVAILABLE
            )
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, telegram, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
        ]
    )


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit` bytes (read no further then)."""
    declared = request.headers.get("content-length")
    if declared is not None and (ascii_int(declared) or 0) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_update(body: bytes, app: AcubotApp) -> Update | None:
    data = update_data(body)  # JSON of an update's shape (bot/webhook_body.py), or None
    if data is None:
        return None
    try:
        return Update.de_json(data, app.bot)
    except Exception:  # a malformed object deep inside: KeyError, TypeError...
        return None


async def _select_one(app: AcubotApp) -> None:
    async with app.bot_data.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def run_webhook(
    app: AcubotApp,
    *,
    url: str,
    secret: str,
    listen: str,
    port: int,
    stop: asyncio.Event | None = None,
    forwarded_allow_ips: str | None = None,
) -> None:
    """Runs the bot in webhook mode until SIGINT/SIGTERM or `stop` is set.

    `url` is the public base URL (WEBHOOK_URL, see the module docstring);
    `listen`/`port` are where this process listens, behind the proxy.
    Order: start the application (database, migrations, command menu, the
    update fetcher), listen, then `setWebhook`, so Telegram is only told
    once we can answer. On stop: stop listening, handle what was queued,
    shut down. The webhook is left set for the other instances.
    `forwarded_allow_ips`: proxies whose X-Forwarded-For is trusted for
    the client address in logs (uvicorn's default: $FORWARDED_ALLOW_IPS or
    127.0.0.1).
    Raises ValueError for a bad url/secret, WebhookError when the port
    cannot be bound or Telegram refuses the webhook.
    """
    for name, value, problem in (
        ("WEBHOOK_URL", url, webhook_url_problem(url)),
        ("WEBHOOK_SECRET", None, secret_problem(secret)),
    ):
        if problem:
            shown = f" ({value!r})" if value is not None else ""
            raise ValueError(f"{name}{shown} {problem}")
    target = public_webhook_url(url)
    stop = stop if stop is not None else asyncio.Event()
    server = uvicorn.Server(
        uvicorn.Config(
            webhook_routes_app(app, secret),
            host=listen,
            port=port,
            log_level="warning",
            use_colors=False,
            log_config=None,  # uvicorn's loggers go through ours (bot.log_setup)
            access_log=False,  # one line per update and health check is noise
            lifespan="off",
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    )
    with _stop_on_signals(stop, server):
        async with running(app):
            if stop.is_set():
                return
            serving = asyncio.create_task(_serve(server, listen, port), name="webhook-server")
            helpers = [asyncio.create_task(_exit_when_stopped(stop, server), name="webhook-stop")]
            try:
                if await _started(server, serving):
                    # Beside the server, so a stop during setWebhook's retries is not held up.
                    registering = asyncio.create_task(
                        _set_webhook(app, target, secret), name="webhook-register"
                    )
                    helpers.append(registering)
                    await asyncio.wait({serving, registering}, return_when=asyncio.FIRST_COMPLETED)
                    if registering.done():
                        registering.result()  # WebhookError: stop serving, and say why
                        log.info("Webhook mode: listening on %s:%d for %s", listen, port, target)
                await serving
            finally:
                server.should_exit = True
                for helper in helpers:
                    helper.cancel()
                await asyncio.gather(*helpers, return_exceptions=True)
                if not serving.done():
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        await serving
    log.info("Webhook mode stopped")


async def _serve(server: uvicorn.Server, listen: str, port: int) -> None:
    try:
        await server.serve()
    except SystemExit:
        # uvicorn logs the OSError and calls sys.exit(1) when it cannot bind.
        raise WebhookError(f"cannot listen on {listen}:{port} (see the error above)") from None


async def _started(server: uvicorn.Server, serving: asyncio.Task[None]) -> bool:
    """Waits until uvicorn listens; False if it stopped first (raises its error)."""
    while not server.started:
        if serving.done():
            serving.result()  # raises WebhookError when binding failed
            return False
        await asyncio.sleep(0.01)
    return True


async def _exit_when_stopped(stop: asyncio.Event, server: uvicorn.Server) -> None:
    await stop.wait()
    log.info("Webhook mode stopping")
    server.should_exit = True


async def _set_webhook(app: AcubotApp, target: str, secret: str) -> None:
    """Tells Telegram where to deliver; retries a few 429s (instances starting together)."""
    for attempt in range(1, SET_WEBHOOK_ATTEMPTS + 1):
        try:
            await app.bot.set_webhook(
                url=target,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                # Never drop pending updates: other instances may be serving them.
                drop_pending_updates=False,
            )
            return
        except RetryAfter as error:
            if attempt == SET_WEBHOOK_ATTEMPTS:
                raise WebhookError(
                    f"Telegram kept refusing setWebhook for {target}: {error}"
                ) from None
            wait = error.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            log.warning("setWebhook: Telegram asked to wait %.0f s, retrying", seconds)
            await app.bot_data.sleep(min(seconds, 30.0))
        except TelegramError as error:
            raise WebhookError(f"Telegram refused the webhook {target}: {error.message}") from None


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event, server: uvicorn.Server) -> Iterator[None]:
    """SIGINT/SIGTERM set `stop` for the whole run, not only while uvicorn serves.

    While serving, uvicorn's own handlers take over (a second Ctrl-C forces
    the exit); afterwards uvicorn restores these and re-raises the signal,
    which lands here harmlessly instead of killing or cancelling the shutdown.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread
        return
    loop = asyncio.get_running_loop()

    def handle(signum: int, frame: Any) -> None:
        # Only set flags here: this interrupts whatever the loop was doing.
        server.should_exit = True
        loop.call_soon_threadsafe(stop.set)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
