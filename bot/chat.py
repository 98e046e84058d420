"""`acubot chat`: talk to the real bot in a terminal, no token, no network.

The very application `acubot run` starts (handlers, database, JobQueue) runs
against the in-process Bot API. Each typed line becomes a Telegram update;
each Bot API call the bot makes to you is printed as plain text; copies sent
to other people (a broadcast) are summarised in one line. Log records go to a
file, never between the messages. `#2` presses the second button of the
latest message with buttons, `#word` the button whose label contains the word.
"""

from __future__ import annotations

import asyncio
import html
import queue
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from telegram import Update

from bot.application import DISPATCHER_JOB, SENDER_JOB, build_application, running
from bot.chat_link_secret import with_link_secret
from bot.local_api import ApiResult, BotCall, InProcessBotAPI
from bot.settings import Settings
from bot.update_factory import UpdateFactory
from handlers.context import AcubotApp
from scheduler.numbers import ascii_int

_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r'<a href="([^"]+)">(.*?)</a>', re.DOTALL)
PROMPT = "you> "
PENDING_LIMIT_SECONDS = 120.0
REPEATING_JOBS = {DISPATCHER_JOB, SENDER_JOB}

INTRO = (
    "Acubot chat: you are talking to the real bot, offline.\n"
    "Type a message or a command (/start, /point UB40). '#2' presses button 2 of the\n"
    "latest message with buttons, '#word' the button whose label contains 'word'.\n"
    "Ctrl-D or /quit to leave.\n"
)
_SENDS = {"sendMessage", "sendPhoto", "sendDocument"}
# Moves to the start of the line and clears it: the prompt a timer's message interrupts.
_CLEAR_LINE = "\r\x1b[K"


def plain_text(markup: str) -> str:
    """Telegram HTML as readable terminal text."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", markup)
    return html.unescape(_TAG.sub("", text))


class TerminalChat:
    """Prints what the bot sends and turns typed lines into updates.

    Only calls to the person chatting (`user_id`) are printed in full; sends
    to other chats are counted and summarised ("→ sent to 6 people: …") just
    before the next line for this person, or by `flush()`. In interactive mode
    a message that arrives while the prompt waits (a timer, a reminder) is
    printed above a fresh prompt.
    """

    def __init__(
        self,
        api: InProcessBotAPI,
        out: TextIO,
        *,
        user_id: int | None = None,
        interactive: bool = False,
    ) -> None:
        self.api = api
        self.out = out
        self.user_id = user_id
        self.interactive = interactive
        # Set while the reader waits at the prompt for the next line.
        self.at_prompt = threading.Event()
        self.latest_with_buttons: tuple[int, int] | None = None
        self.closed = False
        self._others: Counter[str] = Counter()
        api.listeners.append(self.show)

    def show(self, call: BotCall, result: ApiResult) -> None:
        """Prints one Bot API call the way a person would see it."""
        if self.user_id is not None and call.chat_id not in {None, self.user_id}:
            if call.method in _SENDS:
                self._others[_preview(call)] += 1
            return
        lines: list[str] = []
        if call.method in _SENDS:
            for part, path in call.files.items():
                lines.append(f"[{part} saved to {path}]" if path else f"[{part} sent]")
            if call.method == "sendPhoto" and not call.files:
                saved = self.api.file_paths.get(str(call.params.get("photo")))
                lines.append(f"[photo saved to {saved}]" if saved else "[photo sent by file id]")
        elif call.method == "editMessageReplyMarkup" and not call.buttons:
            return  # an answered question's buttons were taken off: nothing new to read
        elif call.method.startswith("editMessage"):
            lines.append("(edited)")
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self._say(f"(notice) {call.params['text']}")
            return
        else:
            return
        if call.text:
            html_mode = call.params.get("parse_mode") == "HTML"
            lines.append(plain_text(call.text) if html_mode else call.text)
        buttons = call.buttons
        for number, button in enumerate(buttons, start=1):
            target = f" -> {button['url']}" if button.get("url") else ""
            lines.append(f"  [{number}] {button['text']}{target}")
        if buttons and isinstance(result, dict):
            self.latest_with_buttons = (result["chat"]["id"], result["message_id"])
        self._say("\n".join(lines))

    def flush(self) -> None:
        """Prints the summary of messages sent to other people since the last one."""
        if not self._others:
            return
        summary = [
            f"→ sent to {count} {'person' if count == 1 else 'people'}: {preview}"
            for preview, count in self._others.items()
        ]
        self._others.clear()
        self._write("\n".join(summary))

    def press(self, factory: UpdateFactory, choice: str) -> Update | None:
        """The callback update for `#2` or `#word`, or None (after saying why)."""
        if self.latest_with_buttons is None:
            self._say("There are no buttons to press yet.")
            return None
        message = self.api.messages[self.latest_with_buttons]
        buttons = [
            b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row
        ]
        button = None
        if (number := ascii_int(choice, max_digits=3)) is not None:
            if 1 <= number <= len(buttons):
                button = buttons[number - 1]
        else:
            button = next((b for b in buttons if choice.casefold() in b["text"].casefold()), None)
        if button is None:
            self._say(f"No button '{choice}' on the latest message ({len(buttons)} buttons).")
            return None
        if button.get("url"):
            self._say(f"(opens {button['url']})")
            return None
        return factory.press(message, button["callback_data"])

    def _say(self, text: str) -> None:
        self.flush()
        self._write(text)

    def _write(self, text: str) -> None:
        if self.closed:
            return
        interrupted = self.interactive and self.at_prompt.is_set()
        try:
            if interrupted:
                # Not the answer to a typed line: clear the waiting prompt, print
                # the message, and show the prompt again with what was typed so far.
                self.out.write(f"{_CLEAR_LINE}{text}\n\n{PROMPT}{_typed_so_far()}")
            else:
                self.out.write(f"{text}\n\n")
            self.out.flush()
        except OSError:  # the reader went away (`acubot chat | head`): stop quietly
            self.closed = True


def _preview(call: BotCall) -> str:
    """One short line naming a message sent to someone else."""
    text = call.text
    if call.params.get("parse_mode") == "HTML":
        text = plain_text(text)
    first_line = " ".join(text.split("\n", 1)[0].split())
    if len(first_line) > 50:
        first_line = first_line[:49] + "…"
    kind = {"sendPhoto": "a photo", "sendDocument": "a file"}.get(call.method, "")
    if kind and first_line:
        return f"{kind}, “{first_line}”"
    return kind or f"“{first_line}”"


def _typed_so_far() -> str:
    try:
        import readline
    except ImportError:  # no readline (Windows): the typed text stays in the input buffer
        return ""
    return readline.get_line_buffer()


async def run_chat(
    settings: Settings,
    *,
    user_id: int,
    media_dir: Path,
    language_code: str | None = "en",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    interactive: bool | None = None,
    log_file: Path | None = None,
    start: datetime | None = None,
) -> None:
    """Runs the chat until input ends (or /quit) and nothing is pending.

    Without LINK_SECRET the chat uses its database's own (bot/chat_link_secret.py).
    With `start` (`--now`), the bot's clock begins there and runs on in real time.
    """
    settings = with_link_secret(settings)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if interactive is None:
        interactive = stdin.isatty()
    api = InProcessBotAPI(media_dir=media_dir)
    if start is None:
        app = build_application(settings, request=api)
    else:
        app = build_application(settings, request=api, clock=clock_from(start))
    chat = TerminalChat(api, stdout, user_id=user_id, interactive=interactive)
    async with running(app):
        factory = UpdateFactory(app.bot, user_id=user_id, language_code=language_code)
        if start is not None:
            # What is due at the pretended time comes first, before any typing.
            await app.bot_data.dispatcher.run(now=app.bot_data.now())
            chat.flush()
        reader = LineReader(interactive, stdin, chat.at_prompt)
        if interactive:
            logs = f"Log messages go to {log_file}.\n" if log_file else ""
            stdout.write(f"{INTRO}{logs}\n")
        while True:
            line = await reader.next_line()
            if line is None or chat.closed or line.strip() in {"/quit", "/exit"}:
                break
            text = line.strip()
            if not text:
                continue
            if text.startswith("#") and len(text) > 1:
                update = chat.press(factory, text[1:].strip())
            else:
                update = factory.text(text)
            if update is not None:
                # Each line is processed to completion before the next is read.
                await app.process_update(update)
            chat.flush()
        # Pending work finishes before exit: a confirmed broadcast, then timers.
        await app.bot_data.sender.run()
        await wait_for_timers(app)
        chat.flush()


def chat_start(text: str, clinic_timezone: str) -> datetime:
    """`--now`'s time: ISO 8601, in the clinic's zone unless it carries an offset."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--now {text!r} is not a date and time such as 2027-03-15T08:00"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(clinic_timezone))
    return when.astimezone(UTC)


def clock_from(start: datetime) -> Callable[[], datetime]:
    """A clock that reads `start` now and runs on in real time from there."""
    began = time.monotonic()

    def now() -> datetime:
        return start + timedelta(seconds=time.monotonic() - began)

    return now


async def wait_for_timers(app: AcubotApp, limit: float = PENDING_LIMIT_SECONDS) -> None:
    """Lets running one-off timers (a routine's hold) finish before exiting.

    The repeating dispatcher is not "pending": it runs for as long as the
    chat does. The wait is bounded so a script never hangs.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    if app.job_queue is None:
        return
    while loop.time() < deadline:
        timers = [job for job in app.job_queue.jobs() if job.name not in REPEATING_JOBS]
        if not timers:
            return
        await asyncio.sleep(0.2)


class LineReader:
    """Reads stdin on a daemon thread, one line when asked.

    Asking line by line keeps the prompt after the bot's replies; a daemon
    thread (not asyncio.to_thread) lets Ctrl-C exit without waiting for Enter.
    """

    def __init__(
        self, interactive: bool, stdin: TextIO, at_prompt: threading.Event | None = None
    ) -> None:
        self.interactive = interactive
        self.stdin = stdin
        self.at_prompt = at_prompt or threading.Event()
        self._requests: queue.Queue[asyncio.Future[str | None]] = queue.Queue()
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._serve, name="stdin", daemon=True).start()

    async def next_line(self) -> str | None:
        """The next line, or None at the end of input."""
        future: asyncio.Future[str | None] = self._loop.create_future()
        self._requests.put(future)
        return await future

    def _serve(self) -> None:
        while True:
            future = self._requests.get()
            line = self._read()
            self._loop.call_soon_threadsafe(_resolve, future, line)
            if line is None:
                return

    def _read(self) -> str | None:
        if self.interactive:
            self.at_prompt.set()
            try:
                return input(PROMPT)
            except (EOFError, KeyboardInterrupt):
                return None
            finally:
                self.at_prompt.clear()
        line = self.stdin.readline()
        return line if line else None


def _resolve(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)
