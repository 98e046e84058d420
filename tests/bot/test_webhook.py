"""Webhook mode: the routes against the real application, then the whole server.

Route tests talk ASGI to `webhook_routes_app` on the running application
(the in-process Bot API records the replies). The `run_webhook` tests listen
on a real port on 127.0.0.1, one of them with real HTTP to a loopback Bot
API, and one stops a subprocess with a real SIGTERM/SIGINT. Waiting is for
work (a reply recorded, a port answering), always bounded, never for time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.application import build_application
from bot.local_api import InProcessBotAPI
from bot.loopback_server import serving
from bot.settings import Settings
from bot.update_factory import UpdateFactory
from bot.webhook import (
    MAX_BODY_BYTES,
    SECRET_HEADER,
    WEBHOOK_PATH,
    WebhookError,
    public_webhook_url,
    run_webhook,
    secret_problem,
    webhook_routes_app,
    webhook_url_problem,
)
from handlers.context import AcubotApp
from tests.conftest import RecordingSleep, make_app
from tests.harness import FakeClock

SECRET = "s3cret_webhook-token"
PUBLIC_URL = "https://bot.clinic.example"
BL40_REPLY = "<b>BL40"
ROOT = Path(__file__).resolve().parents[2]


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Lets the application work until `condition` holds; False after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


def replies(api: InProcessBotAPI, start: str = BL40_REPLY) -> list[str]:
    # A point's card: the photo's caption names the point.
    return [call.text for call in api.sent() if call.text.startswith(start)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def client(app: AcubotApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=webhook_routes_app(app, SECRET))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def point_update(app: AcubotApp, text: str = "/point UB40", user_id: int = 1) -> str:
    return UpdateFactory(app.bot, user_id=user_id).text(text).to_json()


# -- POST /telegram -------------------------------------------------------------


async def test_update_with_the_secret_is_answered(
    app: AcubotApp, api: InProcessBotAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        WEBHOOK_PATH, content=point_update(app), headers={SECRET_HEADER: SECRET}
    )
    assert response.status_code == 200
    # Answered at once; the Application's update fetcher (app.start()) handles it.
    assert await wait_for(lambda: bool(replies(api)))


REFUSED_HEADERS: dict[str, dict[str, str | bytes]] = {
    "missing": {},
    "wrong": {SECRET_HEADER: "Wr0ng-Secret-Value"},
    "longer": {SECRET_HEADER: SECRET + "x"},
    "empty": {SECRET_HEADER: ""},
    "latin-1": {SECRET_HEADER: "sécret".encode("latin-1")},  # not ASCII: 403, not 500
}


async def test_missing_or_wrong_secret_is_refused_and_not_processed(
    app: AcubotApp,
    api: InProcessBotAPI,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for case, headers in REFUSED_HEADERS.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bot.webhook"):
            response = await client.post(WEBHOOK_PATH, content=point_update(app), headers=headers)
        assert response.status_code == 403, case
        assert app.update_queue.qsize() == 0, case
        assert "from 127.0.0.1 refused" in caplog.text, case  # the client address...
        value = headers.get(SECRET_HEADER)
        if isinstance(value, str) and value:
            assert value not in caplog.text, case  # ...never the header value
    # The queue is FIFO: once a genuine update is answered, a refused one
    # would have been answered before it.
    await client.post(
        WEBHOOK_PATH, content=point_update(app, "/point UB23"), headers={SECRET_HEADER: SECRET}
    )
    assert await wait_for(lambda: bool(replies(api, "<b>BL23")))
    assert replies(api) == []


NOT_UPDATES = [
    b"{not json",
    b"\xff\xfe",
    b"[1, 2]",
    b'"text"',
    b'{"message": {}}',
    b'{"update_id": "7"}',
    b'{"update_id": true}',
    b'{"update_id": 7, "message": {"text": "no chat or date"}}',
]


async def test_what_is_not_an_update_is_refused(client: httpx.AsyncClient, app: AcubotApp) -> None:
    secret = {SECRET_HEADER: SECRET}
    for body in NOT_UPDATES:
        response = await client.post(WEBHOOK_PATH, content=body, headers=secret)
        assert response.status_code == 400, body
    # Too big: by Content-Length, or counted while read when there is none.
    huge = json.dumps({"update_id": 1, "pad": "x" * MAX_BODY_BYTES}).encode()
    assert (await client.post(WEBHOOK_PATH, content=huge, headers=secret)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b" " * (MAX_BODY_BYTES // 2)

    assert (await client.post(WEBHOOK_PATH, content=chunks(), headers=secret)).status_code == 413
    # The secret is checked first: no body is read for a stranger.
    assert (await client.post(WEBHOOK_PATH, content=huge)).status_code == 403
    # Only POST, only on /telegram.
    assert (await client.get(WEBHOOK_PATH)).status_code == 405
    assert (await client.post("/", headers=secret)).status_code == 404
    assert app.update_queue.qsize() == 0


def _message(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "message_id": 5,
        "date": 1700000000,
        "chat": {"id": 1, "type": "private"},
        "from": {"id": 1, "is_bot": False, "first_name": "Pat"},
        "text": "/point UB40",
    }
    base.update(fields)
    return base


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"a": [value]}
    return value


MALFORMED: dict[str, bytes] = {
    "nested past Python's limit": b"[" * 100_000 + b"]" * 100_000,
    "nested objects past Python's limit": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "nested deep inside an unknown field": json.dumps(
        {"update_id": 1, "message": _message(), "extra": _nested(40)}
    ).encode(),
    "message id as text": json.dumps(
        {"update_id": 1, "message": _message(message_id="5")}
    ).encode(),
    "text as a number": json.dumps({"update_id": 1, "message": _message(text=42)}).encode(),
    "sender id as text": json.dumps(
        {
            "update_id": 1,
            "message": _message(**{"from": {"id": "1", "is_bot": False, "first_name": "Pat"}}),
        }
    ).encode(),
    "chat as a list": json.dumps({"update_id": 1, "message": _message(chat=[1])}).encode(),
    "entities as an object": json.dumps(
        {"update_id": 1, "message": _message(entities={"type": "bot_command"})}
    ).encode(),
    "latitude off the globe": json.dumps(
        {"update_id": 1, "message": _message(location={"latitude": 200, "longitude": 0})}
    ).encode(),
    "latitude infinite": b'{"update_id": 1, "message": {"message_id": 5, "date": 1, "chat": '
    b'{"id": 1, "type": "private"}, "location": {"latitude": Infinity, "longitude": 0}}}',
    "callback data as a number": json.dumps(
        {
            "update_id": 1,
            "callback_query": {
                "id": "q",
                "chat_instance": "c",
                "data": 7,
                "from": {"id": 1, "is_bot": False, "first_name": "Pat"},
            },
        }
    ).encode(),
    "a NUL in the text": json.dumps({"update_id": 1, "message": _message(text="a\x00b")}).encode(),
    "a lone surrogate": b'{"update_id": 1, "message": {"message_id": 5, "date": 1, "chat": '
    b'{"id": 1, "type": "private"}, "text": "\\ud800"}}',
    "update id too large for any int": b'{"update_id": 1' + b"0" * 5000 + b"}",
    "update id as a float": b'{"update_id": 1.5}',
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_bodies_get_400_and_the_server_keeps_answering(
    case: str, client: httpx.AsyncClient, app: AcubotApp, api: InProcessBotAPI
) -> None:
    secret = {SECRET_HEADER: SECRET}
    response = await client.post(WEBHOOK_PATH, content=MALFORMED[case], headers=secret)
    assert response.status_code == 400, case
    assert app.update_queue.qsize() == 0
    assert api.sent() == []  # nothing processed
    ok = await client.post(WEBHOOK_PATH, content=point_update(app), headers=secret)
    assert ok.status_code == 200
    assert await wait_for(lambda: bool(replies(api)))
    assert (await client.get("/healthz")).status_code == 200


def test_a_secret_telegram_would_refuse_is_rejected_up_front() -> None:
    not_used = object()  # the secret is checked before the application is touched
    for bad in ("", "has space", "x" * 257, "ünïcode"):
        assert secret_problem(bad)
        with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
            webhook_routes_app(not_used, bad)  # type: ignore[arg-type]
    assert secret_problem(SECRET) is None
    assert secret_problem("A" * 256) is None


# -- GET /healthz ---------------------------------------------------------------


async def test_health_says_whether_the_database_answers(
    app: AcubotApp,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")

    password = "pw-never-logged"
    unreachable = create_async_engine(f"postgresql+asyncpg://nobody:{password}@127.0.0.1:1/none")
    monkeypatch.setattr(app.bot_data, "engine", unreachable)  # port 1: refused at once
    try:
        with caplog.at_level(logging.WARNING, logger="bot.webhook"):
            response = await client.get("/healthz")
    finally:
        await unreachable.dispose()
    assert (response.status_code, response.text) == (503, "database unreachable")
    assert "database unreachable" in caplog.text
    assert password not in caplog.text


# -- the public URL -------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "public"),
    [
        ("https://bot.clinic.example", "https://bot.clinic.example/telegram"),
        ("https://bot.clinic.example/", "https://bot.clinic.example/telegram"),
        ("https://clinic.example/acubot", "https://clinic.example/acubot/telegram"),
        ("https://bot.clinic.example/telegram", "https://bot.clinic.example/telegram"),
        ("https://bot.clinic.example:8443/telegram/", "https://bot.clinic.example:8443/telegram"),
    ],
)
def test_webhook_url_is_the_base_plus_telegram_once(base: str, public: str) -> None:
    assert webhook_url_problem(base) is None
    assert public_webhook_url(base) == public


@pytest.mark.parametrize(
    "bad",
    [
        "http://bot.clinic.example",
        "bot.clinic.example",
        "https://bot.clinic.example:8080",
        "https://bot.clinic.example/?a=1",
        "https://",
        "https://bot.clinic.example:99999",
    ],
)
def test_webhook_urls_telegram_refuses(bad: str) -> None:
    assert webhook_url_problem(bad)


# -- run_webhook ------------------------------------------------------------------


async def wait_until_listening(base_url: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as http:
        while True:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"nothing answered at {base_url}"
            await asyncio.sleep(0.02)


async def stop_and_wait(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    stop.set()
    await asyncio.wait_for(task, timeout=10)


async def test_run_webhook_end_to_end_over_real_http(tmp_path: Path) -> None:
    async with serving() as loopback:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token="123456:" + "A" * 35,
            telegram_api_base_url=loopback.base_url,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}",
            send_rate=0,
        )
        app = build_application(settings)  # the real HTTPXRequest
        port, stop = free_port(), asyncio.Event()
        task = asyncio.create_task(
            run_webhook(
                app, url=PUBLIC_URL, secret=SECRET, listen="127.0.0.1", port=port, stop=stop
            )
        )
        try:
            await wait_until_listening(f"http://127.0.0.1:{port}")
            assert await wait_for(lambda: bool(loopback.api.calls_to("setWebhook")))
            (set_webhook,) = loopback.api.calls_to("setWebhook")
            assert set_webhook.params["url"] == PUBLIC_URL + "/telegram"
            assert set_webhook.params["secret_token"] == SECRET
            assert set_webhook.params["allowed_updates"] == ["message", "callback_query"]
            assert not set_webhook.params.get("drop_pending_updates")

            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                refused = await http.post(WEBHOOK_PATH, content=point_update(app))
                accepted = await http.post(
                    WEBHOOK_PATH, content=point_update(app), headers={SECRET_HEADER: SECRET}
                )
            assert (refused.status_code, accepted.status_code) == (403, 200)
            assert await wait_for(lambda: len(replies(loopback.api)) == 1)
        finally:
            await stop_and_wait(stop, task)
        assert not app.running
        # Other instances may still serve: stopping one never deletes the webhook.
        assert loopback.api.calls_to("deleteWebhook") == []
        with pytest.raises(httpx.TransportError):
            async with httpx.AsyncClient() as http:
                await http.get(f"http://127.0.0.1:{port}/healthz")


@pytest.fixture
def fresh_app(
    settings: Settings, api: InProcessBotAPI, clock: FakeClock, sleep: RecordingSleep
) -> AcubotApp:
    """The real application, not yet started (run_webhook starts it)."""
    return make_app(settings, api, clock, sleep)


async def test_set_webhook_429_is_retried_as_told(
    fresh_app: AcubotApp, api: InProcessBotAPI, sleep: RecordingSleep
) -> None:
    api.fail(429, "Too Many Requests: retry after 3", method="setWebhook", retry_after=3)
    port, stop = free_port(), asyncio.Event()
    task = asyncio.create_task(
        run_webhook(
            fresh_app, url=PUBLIC_URL, secret=SECRET, listen="127.0.0.1", port=port, stop=stop
        )
    )
    try:
        assert await wait_for(lambda: len(api.calls_to("setWebhook")) == 2 or task.done())
    finally:
        await stop_and_wait(stop, task)
    assert 3 in sleep.waits


async def test_a_stop_during_set_webhook_retries_is_not_held_up(
    settings: Settings, api: InProcessBotAPI, clock: FakeClock
) -> None:
    api.fail(
        429, "Too Many Requests: retry after 30", method="setWebhook", retry_after=30, times=None
    )
    waiting = asyncio.Event()

    async def long_sleep(seconds: float) -> None:  # Telegram's 30 s, as long as the test needs
        waiting.set()
        await asyncio.Event().wait()

    app = build_application(
        settings, request=api, clock=clock, dispatch_interval=None, sleep=long_sleep
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_webhook(
            app, url=PUBLIC_URL, secret=SECRET, listen="127.0.0.1", port=free_port(), stop=stop
        )
    )
    try:
        assert await wait_for(lambda: waiting.is_set() or task.done())
    finally:
        await stop_and_wait(stop, task)
    assert not app.running


async def test_a_refused_webhook_stops_start_up_cleanly(
    fresh_app: AcubotApp, api: InProcessBotAPI
) -> None:
    api.fail(400, "Bad Request: bad webhook: HTTPS url must be provided", method="setWebhook")
    port = free_port()
    with pytest.raises(WebhookError, match=r"(?i)bad webhook"):
        await asyncio.wait_for(
            run_webhook(fresh_app, url=PUBLIC_URL, secret=SECRET, listen="127.0.0.1", port=port),
            timeout=10,
        )
    assert not fresh_app.running
    with socket.socket() as probe:  # the port was released
        probe.bind(("127.0.0.1", port))


async def test_a_busy_port_fails_before_telling_telegram(
    fresh_app: AcubotApp, api: InProcessBotAPI
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(WebhookError, match=f"127.0.0.1:{port}"):
            await asyncio.wait_for(
                run_webhook(
                    fresh_app, url=PUBLIC_URL, secret=SECRET, listen="127.0.0.1", port=port
                ),
                timeout=10,
            )
    assert api.calls_to("setWebhook") == []
    assert not fresh_app.running


async def test_bad_settings_fail_before_anything_starts(fresh_app: AcubotApp) -> None:
    with pytest.raises(ValueError, match="WEBHOOK_URL"):
        await run_webhook(
            fresh_app, url="http://x.example", secret=SECRET, listen="127.0.0.1", port=1
        )
    with pytest.raises(ValueError, match="WEBHOOK_SECRET") as error:
        await run_webhook(
            fresh_app, url=PUBLIC_URL, secret="bad secret", listen="127.0.0.1", port=1
        )
    assert "bad secret" not in str(error.value)
    assert not fresh_app.running


# -- signals, in a subprocess ---------------------------------------------------------
# uvicorn re-raises the signal it handled once it has shut down: with SIGTERM's
# default action that would kill the process before running(app) exits, and
# asyncio's SIGINT handler would cancel the shutdown half-way. A subprocess,
# so a regression kills it and not the test run. One process, two runs, to
# pay for Python's start-up once: stopped by SIGTERM, then by SIGINT.

SIGNAL_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from bot.application import build_application
    from bot.loopback_server import serving
    from bot.settings import Settings
    from bot.webhook import run_webhook

    async def main(port, folder):
        for name in ("SIGTERM", "SIGINT"):
            async with serving() as loopback:
                settings = Settings(
                    _env_file=None, telegram_bot_token="123456:" + "A" * 35,
                    telegram_api_base_url=loopback.base_url,
                    database_url=f"sqlite+aiosqlite:///{folder}/{name}.sqlite3", send_rate=0,
                )
                app = build_application(settings)
                await run_webhook(app, url="https://bot.clinic.example",
                                  secret="s3cret_webhook-token", listen="127.0.0.1", port=port)
                replies = [c for c in loopback.api.calls_to("sendPhoto")
                           if str(c.params.get("caption", "")).startswith("<b>BL40")]
                print(f"{name}: clean exit running={app.running} replies={len(replies)}",
                      flush=True)

    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
    """
)


async def test_sigterm_and_sigint_shut_down_cleanly_after_the_queued_updates(
    tmp_path: Path,
) -> None:
    port = free_port()
    script = tmp_path / "serve.py"
    script.write_text(SIGNAL_SCRIPT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        str(port),
        str(tmp_path),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    update = UpdateFactory(bot=None).text("/point UB40").to_json()  # type: ignore[arg-type]
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            await wait_until_listening(f"http://127.0.0.1:{port}", seconds=30)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                response = await http.post(
                    WEBHOOK_PATH, content=update, headers={SECRET_HEADER: SECRET}
                )
            assert response.status_code == 200
            process.send_signal(signum)  # at once: the update may still be queued
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            # running(app) finished, and the update queued before the signal was answered.
            expected = f"{signum.name}: clean exit running=False replies=1"
            if line.strip() != expected:
                await asyncio.wait_for(process.wait(), 30)
                stderr = (await process.stderr.read()).decode()
                pytest.fail(f"after {signum.name}: {line!r}\n{stderr}")
        _, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = err.decode()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
