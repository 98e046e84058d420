"""`acubot chat`: talk to the real bot in a terminal, no token, no network.

The very application `acubot run` starts (handlers, database, JobQueue) runs
against the in-process Bot API. Each typed line becomes a Telegram update;
each Bot API call the bot makes is printed as plain text. `#2` presses the
second button of the latest message with buttons, `#word` the button whose
label contains the word.
"""

from __future__ import annotations

import asyncio
import html
import queue
import re
import sys
import threading
from pathlib import Path
from typing import TextIO

from telegram import Update

from bot.application import DISPATCHER_JOB, SENDER_JOB, build_application, running
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


def plain_text(markup: str) -> str:
    """Telegram HTML as readable terminal text."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", markup)
    return html.unescape(_TAG.sub("", text))


class TerminalChat:
    """Prints what the bot sends and turns typed lines into updates."""

    def __init__(self, api: InProcessBotAPI, out: TextIO) -> None:
        self.api = api
        self.out = out
        self.latest_with_buttons: tuple[int, int] | None = None
        self.closed = False
        api.listeners.append(self.show)

    def show(self, call: BotCall, result: ApiResult) -> None:
        """Prints one Bot API call the way a person would see it."""
        lines: list[str] = []
        if call.method in {"sendMessage", "sendPhoto", "sendDocument"}:
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
        if self.closed:
            return
        try:
            self.out.write(f"{text}\n\n")
            self.out.flush()
        except OSError:  # the reader went away (`acubot chat | head`): stop quietly
            self.closed = True


async def run_chat(settings: Settings, *, user_id: int, media_dir: Path) -> None:
    """Runs the chat until input ends (or /quit) and nothing is pending."""
    api = InProcessBotAPI(media_dir=media_dir)
    app = build_application(settings, request=api)
    interactive = sys.stdin.isatty()
    chat = TerminalChat(api, sys.stdout)
    async with running(app):
        factory = UpdateFactory(app.bot, user_id=user_id)
        reader = LineReader(interactive)
        if interactive:
            sys.stdout.write(INTRO + "\n")
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
        # Pending work finishes before exit: a confirmed broadcast, then timers.
        await app.bot_data.sender.run()
        await wait_for_timers(app)


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

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
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
            try:
                return input(PROMPT)
            except (EOFError, KeyboardInterrupt):
                return None
        line = sys.stdin.readline()
        return line if line else None


def _resolve(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)
