"""CPU per update type through the in-process Bot API, beside a bare echo Application.

Run by bench_morning.py in a process of its own (so nothing else shares it):
the real Application (`build_application(settings, request=InProcessBotAPI())`,
no background jobs) on the given database, today's reminder sent to the
patients by the dispatcher, then, in rounds, K updates of each type are
processed with `app.process_update` and the process CPU (time.process_time:
all threads, aiosqlite's included) is divided by K. Beside it, the floor: a
bare python-telegram-bot Application with one MessageHandler that echoes the
text, on its own InProcessBotAPI, a batch of the same size right before each
batch of the bot; `ratio` is the median of those paired ratios. A few updates
of each type are processed first as a warm-up (each code's first /point
uploads its picture, the first chart loads matplotlib). Medians over the
rounds are printed as JSON on stdout.

Both sides run the same way, so their ratio compares code with code:

- Unpaced (SEND_RATE=0, as in bench_updates.py). With the 30-a-second
  budget, a batch of 19 /point cards (38 messages) must spread over more than a
  second; each message then waits for its slot and the process resumes from
  idle, which on this machine costs any code ~0.3-0.5 ms of CPU more (the echo
  too, see the spaced mode), while the echo's batch, which the budget never
  holds, runs without a pause. Measured side by side on 4 December 2026:
  /point BL40 1.51 ms paced vs 0.51 ms unpaced, the echo 0.14 ms.
- Two modes, each over its own patients: `back_to_back` (one update right
  after another: what the targets are judged on, as in the issue's own
  numbers) and `spaced` (a pause of --gap seconds, default 30 ms as at 8:00's
  33 updates/s, before every update of both sides: each update starts from an
  idle process; the echo's CPU then grows most, so the ratio is smaller).

Run: .venv/bin/python benchmarks/cpu_per_update.py --database URL --patients 100001 100200
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.application import OFFLINE_TOKEN, build_application, running
from bot.local_api import BotCall, InProcessBotAPI
from bot.settings import Settings
from bot.update_factory import UpdateFactory
from handlers.language import refresh_chosen_languages

WARM_UP = 3


def score_data(call: BotCall) -> dict[str, str]:
    found = {str(b.get("text", "")).strip(): b.get("callback_data") for b in call.buttons}
    return {k: v for k, v in found.items() if v} if {"0", "5", "10"} <= found.keys() else {}


def done_data(call: BotCall) -> str | None:
    for button in call.buttons:
        if "done" in str(button.get("text", "")).lower() and button.get("callback_data"):
            return str(button["callback_data"])
    return None


async def timed(app: Any, updates: list[Update], gap: float = 0.0) -> float:
    """CPU ms per update, processing them one after another (`gap` s before each).

    The pauses are inside the measured span: what the bot does in the background
    meanwhile (last-seen's write, a file id's save) is the updates' work too.
    """
    gc.collect()
    start = time.process_time()
    for update in updates:
        if gap:
            await asyncio.sleep(gap)
        await app.process_update(update)
    return 1000 * (time.process_time() - start) / max(1, len(updates))


async def measure(
    url: str, patients: list[int], rounds: int, codes: list[str], gap: float
) -> dict[str, Any]:
    api = InProcessBotAPI()
    messages: dict[tuple[int, int], dict[str, Any]] = {}
    last_with: dict[tuple[int, str], tuple[BotCall, dict[str, Any]]] = {}

    def listen(call: BotCall, result: Any) -> None:
        if isinstance(result, dict) and call.chat_id is not None:
            messages[(call.chat_id, result.get("message_id", 0))] = result
            if done_data(call):
                last_with[(call.chat_id, "done")] = (call, result)
            if score_data(call):
                last_with[(call.chat_id, "score")] = (call, result)

    api.listeners.append(listen)
    # Unpaced, like the echo beside it (see the module's docstring).
    settings = Settings(_env_file=None, database_url=url, weekly_checkin_day="never", send_rate=0)  # type: ignore[call-arg]
    app = build_application(settings, request=api, dispatch_interval=None)
    echo_api = InProcessBotAPI()

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    bare = (
        ApplicationBuilder()
        .token(OFFLINE_TOKEN)
        .request(echo_api)
        .get_updates_request(echo_api)
        .build()
    )
    bare.add_handler(MessageHandler(filters.TEXT, echo))
    statements = [0]
    modes: dict[str, Any] = {}
    async with running(app):

        def count(*_: object) -> None:
            statements[0] += 1

        event.listen(app.bot_data.engine.sync_engine, "before_cursor_execute", count)
        await bare.initialize()
        await bare.start()
        services = app.bot_data
        await refresh_chosen_languages(services)  # as `acubot run` does at start-up
        report = await services.dispatcher.run(now=services.now())
        people = {p: UpdateFactory(app.bot, user_id=p) for p in patients}
        reminded = [p for p in patients if (p, "done") in last_with]
        if len(reminded) < len(patients):
            raise SystemExit(f"only {len(reminded)} of {len(patients)} reminders sent: {report}")
        echo_factory = UpdateFactory(bare.bot, user_id=1)
        warm, rest = reminded[:WARM_UP], reminded[WARM_UP:]
        half = len(rest) // 2  # each mode has patients of its own: their first update
        shares = {"back_to_back": (rest[:half], 0.0), "spaced": (rest[half:], gap)}
        per_round = max(1, half // rounds)

        def presses(group: list[int], key: str, pick: Any) -> list[Update]:
            out = []
            for p in group:
                if (p, key) in last_with:
                    call, result = last_with[(p, key)]
                    out.append(people[p].press(result, pick(call)))
            return out

        def score_of(call: BotCall) -> str:
            return score_data(call)["5"]

        def done_of(call: BotCall) -> str:
            return done_data(call) or ""

        # Warm-up: each type once or a few times, not measured.
        # Every code's card once, so its picture is rendered and uploaded before the
        # rounds, as a clinic's bot has had them since its first day (their file ids
        # are stored).
        for i, code in enumerate(codes):
            await app.process_update(people[warm[i % len(warm)]].text(f"/point {code}"))
        for update in presses(warm, "done", done_of):
            await app.process_update(update)
        for update in presses(warm, "score", score_of):
            await app.process_update(update)
        await app.process_update(people[warm[0]].text("/progress"))
        await bare.process_update(echo_factory.text("warm"))

        def echoes(count: int) -> list[Update]:
            return [echo_factory.text("Hello, is this the clinic?") for _ in range(count)]

        for mode, (share, pause) in shares.items():
            modes[mode] = await rounds_of(
                share, pause, rounds, per_round, codes, people, presses, echoes, score_of,
                done_of, app, bare, statements,
            )  # fmt: skip
        await bare.stop()
        await bare.shutdown()
    out: dict[str, Any] = dict(modes["back_to_back"])
    out["spaced"] = modes["spaced"]
    out["gap"] = gap
    return out


async def rounds_of(
    share: list[int], gap: float, rounds: int, per_round: int, codes: list[str],
    people: dict[int, UpdateFactory], presses: Callable[..., list[Update]],
    echoes: Callable[[int], list[Update]], score_of: Callable[[BotCall], str],
    done_of: Callable[[BotCall], str], app: Any, bare: Any, statements: list[int],
) -> dict[str, Any]:  # fmt: skip
    """The measured rounds of one mode over its patients."""
    results: dict[str, list[float]] = {k: [] for k in ("echo", "point", "done", "pain", "progress")}
    ratios: dict[str, list[float]] = {k: [] for k in ("point", "done", "pain", "progress")}
    counted = dict.fromkeys(ratios, 0)  # SQL statements run, per type
    measured = dict.fromkeys(ratios, 0)
    # Before every batch of a type, a batch of the floor of the same size: each pair
    # sees the same load on a shared machine, so their ratio is steadier than either.
    for index in range(rounds):
        group = share[index * per_round : (index + 1) * per_round]
        # Built just before each is run: the 0-10 buttons exist only once Done was pressed.
        batches: dict[str, Callable[[], list[Update]]] = {
            "point": lambda group=group: [
                people[p].text(f"/point {codes[i % len(codes)]}") for i, p in enumerate(group)
            ],
            "done": lambda group=group: presses(group, "done", done_of),
            "pain": lambda group=group: presses(group, "score", score_of),
            "progress": lambda group=group: [people[p].text("/progress") for p in group[:5]],
        }
        for kind, make in batches.items():
            updates = make()
            if not updates:
                raise SystemExit(f"no {kind} updates to measure in round {index}")
            floor = await timed(bare, echoes(len(updates)), gap)
            results["echo"].append(floor)
            before = statements[0]
            results[kind].append(await timed(app, updates, gap))
            counted[kind] += statements[0] - before
            measured[kind] += len(updates)
            ratios[kind].append(results[kind][-1] / floor)
    out: dict[str, Any] = {k: statistics.median(v) for k, v in results.items() if v}
    out["ratio"] = {k: statistics.median(v) for k, v in ratios.items() if v}
    out["rounds"] = results
    out["ratios"] = ratios
    out["statements"] = {k: counted[k] / measured[k] for k in counted if measured[k]}
    out["per_round"] = per_round
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--patients", nargs=2, type=int, required=True, help="first and last id")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--codes", nargs="+", default=["BL40", "BL23", "GB30"])
    parser.add_argument("--gap", type=float, default=0.03, help="s before each update, spaced")
    args = parser.parse_args()
    patients = list(range(args.patients[0], args.patients[1] + 1))
    result = asyncio.run(measure(args.database, patients, args.rounds, args.codes, args.gap))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
