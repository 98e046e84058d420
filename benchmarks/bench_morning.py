"""The 8:00 benchmark: a morning's rush through `acubot run`'s own wiring.

The bot is `acubot run` in its own process (benchmarks/instrumented_bot.py:
bot.cli.main(["run"]) plus a loop watchdog and CPU samples), production
settings (SEND_RATE 25, DISPATCH_INTERVAL 15 s, the reply rate limiter, the
real HTTP request classes), updates by getUpdates. Telegram is the emulator
(benchmarks/emulator.py) in this process: every call answered after a round
trip (default 50 ms), at most 30 messages/s (sends) with 429 beyond it.

Per database (a fresh SQLite file, a fresh PostgreSQL database):

1. prep: `acubot run` with SEND_RATE=0 sends today's reminder to the patients
   who will press ✅ Done; not measured.
2. CPU per update type (benchmarks/cpu_per_update.py, a process of its own):
   the real Application on the in-process Bot API, K updates of one type
   after another (/point, ✅ Done, the 0-10 answer, /progress), beside a bare
   python-telegram-bot Application with one echo handler on the same kind of
   in-process request (the floor), a batch of it right before each batch of
   the bot; "times floor" is the median of those paired ratios over 5 rounds.
   Both unpaced (SEND_RATE=0), back to back and, over other patients, spaced
   30 ms apart (see that script's docstring).
3. 8:00: the other reminders (10,000 in all) become due; a fresh bot process
   sends them while, over the window (default 120 s), 20 % of the patients
   press ✅ Done and answer the 0-10 question 1-3 s after it appears (33
   updates/s offered), and others send /point (2/s) and /progress (0.2/s).
   Then a drain (no new updates) and SIGTERM.

Reply latency: from the moment an update is offered (the patient pressed) to
the moment its first reply message (send or edit) reaches "Telegram";
reminders are not replies. Updates never answered count as infinitely late.

Run: .venv/bin/python benchmarks/bench_morning.py [--quick] [--db sqlite postgres]
     [--rtt 0.05] [--window 120] [--reminders 10000] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import json
import math
import random
import signal
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from blackbox import (
    DEFAULT_POSTGRES,
    ROOT,
    BotProcess,
    bot_environment,
    daytime_zone,
    make_due,
    postgres_available,
    scratch_database,
    seed,
    wait_until,
    work_folder,
)
from emulator import (
    EDIT_METHODS,
    SEND_METHODS,
    BotAPIEmulator,
    Call,
    OfferedUpdate,
    buttons_of,
    percentile,
)

PATIENT_BASE = 100_000
INSTRUMENTED = Path(__file__).resolve().parent / "instrumented_bot.py"
CPU_SCRIPT = Path(__file__).resolve().parent / "cpu_per_update.py"
TYPES = ("point", "done", "pain", "progress")
LABELS = {"point": "/point", "done": "✅ Done", "pain": "0-10 answer", "progress": "/progress",
          "echo": "echo (floor)"}  # fmt: skip


@dataclass
class Sizes:
    reminders: int
    done_share: float
    window: float
    drain: float
    point_rate: float
    progress_rate: float
    cpu_k: int
    cpu_progress_k: int
    rtt: float
    count_edits: bool = False

    @property
    def done_patients(self) -> int:
        return round(self.reminders * self.done_share)

    @property
    def compression(self) -> float:
        """How much shorter than the real morning (2,000 presses in 2 minutes)."""
        return 120.0 / self.window


def is_reminder(call: Call) -> bool:
    return call.method == "sendMessage" and any(
        "done" in str(b.get("text", "")).lower() for b in call.buttons
    )


def done_button(call: Call) -> dict[str, Any] | None:
    for button in call.buttons:
        if "done" in str(button.get("text", "")).lower() and "callback_data" in button:
            return button
    return None


def score_buttons(call: Call) -> dict[str, str]:
    """The 0-10 keyboard of a message, label -> callback data (empty if none)."""
    found = {
        str(b.get("text", "")).strip(): b["callback_data"]
        for b in buttons_of(call.params.get("reply_markup"))
        if "callback_data" in b
    }
    return found if {"0", "5", "10"} <= found.keys() else {}


# -- the bot process ---------------------------------------------------------------


async def start_bot(
    emulator: BotAPIEmulator, url: str, folder: Path, name: str, *, echo: bool = False,
    **extra: str,
) -> tuple[BotProcess, Path]:  # fmt: skip
    stats = folder / f"{name}-stats.json"
    args = [sys.executable, str(INSTRUMENTED), "--stats", str(stats)] + (["--echo"] if echo else [])
    bot = await BotProcess.start(
        bot_environment(emulator.base_url, url, **extra), folder, args=args, name=name
    )
    since = bot.started

    def polling() -> bool:
        if not bot.alive:
            raise RuntimeError(f"{name} exited early:\n{bot.tail()}")
        return any(c.method == "getUpdates" and c.received >= since for c in emulator.calls)

    if not await wait_until(polling, 120, 0.1):
        raise RuntimeError(f"{name} did not start:\n{bot.tail()}")
    await asyncio.sleep(0.5)  # the first dispatcher tick and job-queue start
    return bot, stats


async def stop_bot(bot: BotProcess, stats: Path) -> dict[str, Any]:
    """Asks for the measurements (SIGUSR1), then stops the bot (SIGTERM, SIGKILL after 10 s)."""
    if bot.alive:
        with contextlib.suppress(ProcessLookupError):
            bot.process.send_signal(signal.SIGUSR1)
        await wait_until(stats.exists, 15, 0.1)
        await asyncio.sleep(0.2)  # let the write finish
    await bot.stop(10)
    try:
        return json.loads(await asyncio.to_thread(stats.read_text))
    except (OSError, ValueError):
        raise RuntimeError(f"no loop statistics from the bot:\n{bot.tail()}") from None


def cpu_between(samples: list[list[float]], start: float, end: float) -> float:
    """Process CPU seconds between two monotonic instants, interpolated from the samples."""

    def at(moment: float) -> float:
        previous = samples[0]
        for sample in samples:
            if sample[0] >= moment:
                span = sample[0] - previous[0]
                if span <= 0:
                    return sample[1]
                return previous[1] + (sample[1] - previous[1]) * (moment - previous[0]) / span
            previous = sample
        return samples[-1][1]

    return at(end) - at(start)


def replies_to(emulator: BotAPIEmulator, since: float) -> dict[int, list[Call]]:
    by_chat: dict[int, list[Call]] = defaultdict(list)
    for call in emulator.calls:
        recent = call.accepted and call.delivered and call.delivered >= since
        if recent and call.chat_id is not None and not is_reminder(call):
            by_chat[call.chat_id].append(call)
    return by_chat


@dataclass
class Answered:
    update: OfferedUpdate
    reply: float  # seconds, inf if never
    sends: int
    edits: int
    toasts: int


def attribute(
    emulator: BotAPIEmulator, updates: list[OfferedUpdate], since: float
) -> list[Answered]:
    """Each update's first reply and its messages (until the chat's next update)."""
    by_chat = replies_to(emulator, since)
    toasts: Counter[str] = Counter(
        str(c.params.get("callback_query_id")) for c in emulator.calls
        if c.method == "answerCallbackQuery" and c.status == 200
    )  # fmt: skip
    per_chat: dict[int, list[OfferedUpdate]] = defaultdict(list)
    for update in updates:
        per_chat[update.chat_id].append(update)
    out: list[Answered] = []
    for chat, mine in per_chat.items():
        mine.sort(key=lambda u: u.offered)
        calls = by_chat.get(chat, [])
        for index, update in enumerate(mine):
            end = mine[index + 1].offered if index + 1 < len(mine) else math.inf
            own = [c for c in calls if update.offered <= (c.delivered or 0) < end]
            query = update.payload.get("callback_query", {}).get("id")
            out.append(
                Answered(
                    update,
                    (own[0].delivered or 0) - update.offered if own else math.inf,
                    sum(1 for c in own if c.method in SEND_METHODS),
                    sum(1 for c in own if c.method in EDIT_METHODS),
                    toasts.get(str(query), 0) if query else 0,
                )
            )
    return out


# -- step 1: today's reminders for the patients who will press Done ----------------


async def prep(url: str, folder: Path, chats: set[int]) -> dict[int, Call]:
    emulator = BotAPIEmulator(rtt=0.0, max_per_second=0)
    await emulator.start()
    try:
        bot, stats = await start_bot(
            emulator, url, folder, "prep", SEND_RATE="0", DISPATCH_INTERVAL="1s"
        )
        try:
            sent: dict[int, Call] = {}

            def all_sent() -> bool:
                for call in emulator.calls:
                    if call.accepted and call.chat_id in chats and is_reminder(call):
                        sent.setdefault(call.chat_id, call)
                return len(sent) >= len(chats)

            if not await wait_until(all_sent, 300, 0.5):
                raise RuntimeError(f"prep sent {len(sent)} of {len(chats)} reminders")
        finally:
            await stop_bot(bot, stats)
        return sent
    finally:
        await emulator.stop()


# -- step 2: CPU per update type (in-process, its own process) ----------------------


async def cpu_per_update(
    url: str, patients: list[int], codes: list[str], folder: Path
) -> dict[str, Any]:
    log = folder / "cpu.log"
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(CPU_SCRIPT), "--database", url,
            "--patients", str(patients[0]), str(patients[-1]), "--codes", *codes[:3],
            stdout=asyncio.subprocess.PIPE, stderr=errors, cwd=folder,
        )  # fmt: skip
        try:
            out, _ = await asyncio.wait_for(process.communicate(), 600)
        except TimeoutError:
            process.kill()
            raise
    if process.returncode != 0:
        raise RuntimeError(f"cpu_per_update.py failed:\n{log.read_text()[-2000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


# -- step 3: 8:00 -------------------------------------------------------------------


@dataclass
class Morning:
    offered: list[OfferedUpdate] = field(default_factory=list)
    window_start: float = 0.0
    window_end: float = 0.0
    drain_end: float = 0.0
    answered: list[Answered] = field(default_factory=list)
    loop: dict[str, Any] = field(default_factory=dict)
    emulator: BotAPIEmulator | None = None


async def morning(
    url: str, folder: Path, sizes: Sizes, reminders: dict[int, Call], others: list[int],
    codes: list[str],
) -> Morning:  # fmt: skip
    rng = random.Random(8)
    await make_due(url, others, datetime.now(UTC))
    emulator = BotAPIEmulator(
        rtt=sizes.rtt, max_per_second=30, flood_retry_after=1, count_edits=sizes.count_edits
    )
    await emulator.start()
    result = Morning(emulator=emulator)
    done_chats = sorted(reminders)
    rng.shuffle(done_chats)
    events: list[tuple[float, int, str, Any]] = []  # (due, seq, kind, argument)
    sequence = iter(range(10**9))
    pain_pressed: dict[int, float] = {}
    # Patients whose 0-10 answer was replied to: /progress comes from them (it has a chart).
    finished: list[int] = []
    asked: set[int] = set()
    done_set = set(done_chats)

    def on_call(call: Call) -> None:
        chat = call.chat_id
        pressed = pain_pressed.get(chat or 0)
        if pressed is not None and (call.delivered or 0) >= pressed and not is_reminder(call):
            del pain_pressed[chat or 0]
            finished.append(chat or 0)
        if chat in done_set and chat not in asked and (labels := score_buttons(call)):
            asked.add(chat)
            think = rng.uniform(1.0, 3.0)
            heapq.heappush(
                events, (time.monotonic() + think, next(sequence), "pain", (chat, call, labels))
            )

    emulator.listeners.append(on_call)
    try:
        bot, stats_path = await start_bot(emulator, url, folder, "morning")
        try:
            start = time.monotonic()
            result.window_start = start
            window = sizes.window
            spacing = window / max(1, len(done_chats))
            for index, chat in enumerate(done_chats):
                at = start + spacing * (index + rng.random())
                heapq.heappush(events, (at, next(sequence), "done", chat))
            for kind, rate in (("point", sizes.point_rate), ("progress", sizes.progress_rate)):
                at = start
                for _ in range(100_000):
                    at += rng.expovariate(rate) if rate > 0 else math.inf
                    if at >= start + window:
                        break
                    heapq.heappush(events, (at, next(sequence), kind, None))
            result.window_end = start + window
            result.drain_end = result.window_end + sizes.drain
            for _ in range(10**7):  # bounded: ends at the drain's end
                now = time.monotonic()
                if now >= result.drain_end:
                    break
                while events and events[0][0] <= now:
                    _, _, kind, argument = heapq.heappop(events)
                    update = offer_event(emulator, rng, kind, argument, reminders, others,
                                         pain_pressed, finished, codes, now < result.window_end)  # fmt: skip
                    if update is not None:
                        result.offered.append(update)
                await asyncio.sleep(0.002)
        finally:
            result.loop = await stop_bot(bot, stats_path)
    finally:
        await emulator.stop()
    result.answered = attribute(emulator, result.offered, result.window_start)
    return result


def offer_event(
    emulator: BotAPIEmulator, rng: random.Random, kind: str, argument: Any,
    reminders: dict[int, Call], others: list[int], pain_pressed: dict[int, float],
    finished: list[int], codes: list[str], in_window: bool,
) -> OfferedUpdate | None:  # fmt: skip
    if kind == "done":
        call = reminders[argument]
        button = done_button(call)
        assert button is not None
        return emulator.press_update(argument, call.result, button["callback_data"], kind="done")
    if kind == "pain":
        chat, call, labels = argument
        update = emulator.press_update(
            chat, call.result, labels[str(rng.randint(2, 7))], kind="pain"
        )
        pain_pressed[chat] = update.offered
        return update
    if not in_window:
        return None
    if kind == "point":
        return emulator.text_update(rng.choice(others), f"/point {rng.choice(codes)}", kind="point")
    if not finished:  # nobody has a chart yet
        return None
    return emulator.text_update(rng.choice(finished), "/progress", kind="progress")


# -- report ---------------------------------------------------------------------------


def ms(value: float) -> str:
    if math.isinf(value):
        return "∞ (unanswered)"
    if math.isnan(value):
        return "–"
    return f"{value * 1000:,.0f}"


def summarize(
    name: str, sizes: Sizes, run: Morning, cpu: dict[str, Any], floor: dict[str, Any]
) -> dict[str, Any]:
    emulator = run.emulator
    assert emulator is not None
    start, end, drain_end = run.window_start, run.window_end, run.drain_end
    window = end - start
    in_window = [a for a in run.answered if a.update.offered < end]
    answered_in_window = [a for a in in_window if a.update.offered + a.reply <= end]
    offered_in_window = len(in_window)
    backlog = offered_in_window - len(answered_in_window)
    latencies = [a.reply for a in run.answered]
    by_type: dict[str, list[Answered]] = defaultdict(list)
    for a in run.answered:
        by_type[a.update.kind].append(a)
    sends = [
        c for c in emulator.calls if c.method in SEND_METHODS and start <= c.received <= drain_end
    ]
    accepted_times = [c.delivered for c in sends if c.delivered]
    attempted: Counter[int] = Counter(int(c.received) for c in sends)
    edits = [
        c
        for c in emulator.calls
        if c.accepted and c.method in EDIT_METHODS and start <= (c.delivered or 0) <= drain_end
    ]
    reminders_sent = sum(
        1
        for c in emulator.calls
        if c.accepted and is_reminder(c) and start <= (c.delivered or 0) <= end
    )
    refused = sum(1 for c in sends if c.fault == "flood")
    loop = run.loop
    stalls = [s for s in loop.get("stalls", []) if start <= s[0] <= drain_end]
    gcs = [g for g in loop.get("gc", []) if start <= g[0] <= drain_end]
    cpu_window = cpu_between(loop["samples"], start, end) if loop.get("samples") else math.nan
    return {
        "db": name,
        "offered": offered_in_window,
        "offered_rate": offered_in_window / window,
        "answered_rate": len(answered_in_window) / window,
        "backlog": backlog,
        "unanswered": sum(1 for a in run.answered if math.isinf(a.reply)),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "by_type": {
            kind: {
                "n": len(items),
                "p50": percentile([a.reply for a in items], 0.5),
                "p99": percentile([a.reply for a in items], 0.99),
                # Over the answered ones: an update still queued has sent nothing yet.
                "sends": _mean_answered(items, "sends"),
                "edits": _mean_answered(items, "edits"),
                "toasts": _mean_answered(items, "toasts"),
            }
            for kind, items in sorted(by_type.items())
        },
        "max_accepted_1s": emulator.flood.max_in_any_window(accepted_times),
        "max_attempted_per_second": max(attempted.values(), default=0),
        "refused_429": refused,
        "edits_per_s": len(edits) / (drain_end - start),
        "reminders_in_window": reminders_sent,
        # Reminders accepted in each second of the window and the drain, by second from
        # the start (the dispatcher's first tick comes up to DISPATCH_INTERVAL in).
        "reminders_per_second": dict(
            sorted(
                Counter(
                    int((c.delivered or 0) - start)
                    for c in emulator.calls
                    if c.accepted and is_reminder(c) and start <= (c.delivered or 0) <= drain_end
                ).items()
            )
        ),
        "max_stall_ms": 1000 * max((s[1] for s in stalls), default=0.0),
        "stalls_over_50ms": sum(1 for s in stalls if s[1] > 0.05),
        # What the loop's thread did during each long stall (instrumented_bot.py).
        "long_stalls": [
            {
                "late_ms": 1000 * s[1],
                "ran_ms": 1000 * s[2],
                "waited_ms": 1000 * s[3],
                "cause": stall_cause(s),
            }
            for s in stalls
            if s[1] > 0.05
        ],
        "max_running_stall_ms": 1000
        * max((s[1] for s in stalls if stall_cause(s) == "running"), default=0.0),
        "max_gc_ms": 1000 * max((g[2] for g in gcs), default=0.0),
        "max_gc2_ms": 1000 * max((g[2] for g in gcs if g[1] == 2), default=0.0),
        "cpu_share_window": cpu_window / window,
        "cpu": cpu,
        "floor": floor,
    }


def stall_cause(stall: list[float]) -> str:
    """Why the loop woke up late: "running" (its thread ran for at least half the delay:
    the bot's own work, garbage collection included), "waiting" (it waited at least
    half the delay for a CPU another process had), or "other" (neither: blocked in
    the kernel)."""
    if len(stall) < 4 or math.isnan(stall[2]):
        return "unknown"
    late, ran, waited = stall[1], stall[2], stall[3]
    if waited >= late / 2:
        return "waiting"
    if ran >= late / 2:
        return "running"
    return "other"


def _mean_answered(items: list[Answered], name: str) -> float:
    answered = [getattr(a, name) for a in items if not math.isinf(a.reply)]
    return statistics.mean(answered) if answered else math.nan


def causes(result: dict[str, Any]) -> str:
    counted = Counter(stall["cause"] for stall in result["long_stalls"])
    return " / ".join(str(counted[c]) for c in ("running", "waiting", "other")) + (
        f" ({counted['unknown']} unknown)" if counted["unknown"] else ""
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_report(results: list[dict[str, Any]], sizes: Sizes, started: float) -> None:
    compressed = (
        f"time compressed {sizes.compression:.3g}× (window {sizes.window:g} s instead of 120 s; "
        "the offered rate is the real one)"
        if sizes.window != 120 else "real time (window 120 s)"
    )  # fmt: skip
    print(
        f"\n## 8:00 through `acubot run` (round trip {sizes.rtt * 1000:.0f} ms, 30 msg/s enforced; "
        f"{sizes.reminders:,} reminders, {sizes.done_patients:,} patients press ✅ Done and answer "
        f"0-10; /point {sizes.point_rate:g}/s, /progress {sizes.progress_rate:g}/s; {compressed}; "
        f"drain {sizes.drain:g} s)\n"
    )
    print(
        "| database | offered updates/s | answered updates/s (in window) | backlog at window end | never answered | reply p50 ms | reply p99 ms | max msg accepted in 1 s | max sends attempted in 1 s | 429s | edits/s | reminders sent in window | longest loop stall ms | stalls > 50 ms | of them, running / waiting for a CPU / other | longest stall while running ms | longest GC ms (gen 2) | bot CPU share in window |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['db']} | {r['offered_rate']:.1f} | {r['answered_rate']:.1f} | {r['backlog']:,} "
            f"| {r['unanswered']:,} | {ms(r['p50'])} | {ms(r['p99'])} | {r['max_accepted_1s']} "
            f"| {r['max_attempted_per_second']} | {r['refused_429']:,} | {r['edits_per_s']:.1f} "
            f"| {r['reminders_in_window']:,} | {r['max_stall_ms']:.0f} | {r['stalls_over_50ms']} "
            f"| {causes(r)} | {r['max_running_stall_ms']:.0f} "
            f"| {r['max_gc_ms']:.0f} ({r['max_gc2_ms']:.0f}) | {r['cpu_share_window'] * 100:.0f} % |"
        )
    for r in results:
        for stall in r["long_stalls"]:
            print(
                f"\n{r['db']}: a stall of {stall['late_ms']:.0f} ms: the loop's thread ran "
                f"{stall['ran_ms']:.0f} ms and waited {stall['waited_ms']:.0f} ms for a CPU "
                f"({stall['cause']})"
            )
    print(
        "\nPer update type (messages counted until the same patient's next update, averaged over the answered updates):\n"
    )
    print(
        "| database | type | updates | reply p50 ms | reply p99 ms | messages sent each | edits each | callback answers each |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        for kind, t in r["by_type"].items():
            print(
                f"| {r['db']} | {LABELS.get(kind, kind)} | {t['n']:,} | {ms(t['p50'])} | {ms(t['p99'])} "
                f"| {t['sends']:.2f} | {t['edits']:.2f} | {t['toasts']:.2f} |"
            )
    print(
        "\nCPU per update (in-process Bot API, unpaced like the echo, median of 5 rounds); "
        "× floor is the median of the ratios to an echo batch run right before each batch. "
        "Back to back: one update right after another (the targets); spaced: "
        f"{results[0]['cpu'].get('gap', 0.03) * 1000 if results else 30:.0f} ms before every "
        "update of both, as at 8:00 (each starts from an idle process):\n"
    )
    header = " | ".join(
        f"{r['db']} ms | × floor | {r['db']} spaced ms | spaced × floor" for r in results
    )
    print(f"| type | {header} |")
    print("|---|" + "---|---|---|---|" * len(results))
    print(
        f"| {LABELS['echo']} | "
        + " | ".join(
            f"{r['floor'].get('echo', math.nan):.2f} | 1.0 "
            f"| {r['cpu'].get('spaced', {}).get('echo', math.nan):.2f} | 1.0"
            for r in results
        )
        + " |"
    )
    for kind in TYPES:
        cells = []
        for r in results:
            value, ratio = r["cpu"].get(kind, math.nan), times_floor(r, kind)
            spaced = r["cpu"].get("spaced", {})
            spaced_ratio = spaced.get("ratio", {}).get(kind, math.nan)
            cells.append(
                f"{value:.2f} | {ratio:.1f}× | {spaced.get(kind, math.nan):.2f} | {spaced_ratio:.1f}×"
            )
        print(f"| {LABELS[kind]} | " + " | ".join(cells) + " |")
    print(
        "\nSQL statements per update in those rounds: "
        + "; ".join(
            r["db"] + " " + ", ".join(
                f"{LABELS[kind]} {r['cpu'].get('statements', {}).get(kind, math.nan):.1f}"
                for kind in TYPES
            )
            for r in results
        )
    )  # fmt: skip
    print("\nTargets:\n")
    print("| target | " + " | ".join(r["db"] for r in results) + " |")
    print("|---|" + "---|" * len(results))
    rows = [
        ("33 updates/s sustained, no backlog", lambda r: r["answered_rate"] >= 0.97 * r["offered_rate"] and r["backlog"] <= 0.02 * r["offered"] and r["offered_rate"] >= 33),
        ("reply p99 < 1 s", lambda r: r["p99"] < 1.0),
        ("never above 30 msg/s (0 × 429)", lambda r: r["refused_429"] == 0 and r["max_accepted_1s"] <= 30),
        ("no loop stall > 50 ms (wall clock, whatever the cause)", lambda r: r["stalls_over_50ms"] == 0),
        ("no loop stall > 50 ms while the bot's thread ran", lambda r: r["max_running_stall_ms"] <= 50),
        ("/point CPU ≤ 5× floor", lambda r: times_floor(r, "point") <= 5),
        ("✅ Done CPU ≤ 10× floor", lambda r: times_floor(r, "done") <= 10),
        ("0-10 answer CPU ≤ 10× floor", lambda r: times_floor(r, "pain") <= 10),
    ]  # fmt: skip
    for label, check in rows:
        print(f"| {label} | " + " | ".join(verdict(check(r)) for r in results) + " |")
    print(f"\nTotal {time.monotonic() - started:.0f} s.")


def times_floor(result: dict[str, Any], kind: str) -> float:
    """The median of the paired ratios to the echo floor (inf if the phase failed)."""
    ratio: float = result["cpu"].get("ratio", {}).get(kind, math.inf)
    return ratio


# -- main -----------------------------------------------------------------------


def point_codes() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from content.catalogue import load_catalogue

    return [point.code for point in load_catalogue().points][:12]


async def one_database(
    kind: str, postgres: str, folder: Path, sizes: Sizes, codes: list[str]
) -> dict[str, Any]:
    now = datetime.now(UTC)
    n_done = sizes.done_patients
    done = [PATIENT_BASE + i for i in range(1, n_done + 1)]
    others = [PATIENT_BASE + i for i in range(n_done + 1, sizes.reminders + 1)]
    cpu = [PATIENT_BASE + sizes.reminders + i for i in range(1, sizes.cpu_k + 1)]
    async with scratch_database(kind, postgres, folder) as url:
        due = {chat: now - timedelta(minutes=1) for chat in cpu}
        due.update({chat: now + timedelta(days=1) for chat in done + others})
        await seed(url, done + others + cpu, due=due, zone=daytime_zone(now))
        print(f"  {kind}: seeded {len(due):,} patients", file=sys.stderr, flush=True)
        try:
            cpu_result = await cpu_per_update(url, cpu, codes, folder)
        except (RuntimeError, TimeoutError, ValueError) as error:  # the morning still runs
            print(f"  {kind}: CPU per update failed: {error}", file=sys.stderr, flush=True)
            cpu_result = {}
        print(f"  {kind}: CPU {json.dumps({k: v for k, v in cpu_result.items() if k != 'rounds'})}",
              file=sys.stderr, flush=True)  # fmt: skip
        await make_due(url, done, datetime.now(UTC) - timedelta(minutes=1))
        sent = await prep(url, folder, set(done))
        print(f"  {kind}: prep sent {len(sent):,} reminders", file=sys.stderr, flush=True)
        run = await morning(url, folder, sizes, sent, others, codes)
        summary = summarize(kind, sizes, run, cpu_result, cpu_result)
        print(f"  {kind}: morning answered {summary['answered_rate']:.1f}/s, p99 {ms(summary['p99'])} ms",
              file=sys.stderr, flush=True)  # fmt: skip
        return summary


async def run_all(args: argparse.Namespace, sizes: Sizes, folder: Path) -> list[dict[str, Any]]:
    codes = point_codes()
    results = []
    for kind in args.db:
        if kind == "postgres" and not await postgres_available(args.postgres):
            print(f"PostgreSQL at {args.postgres} is not reachable; skipped.", file=sys.stderr)
            continue
        results.append(await one_database(kind, args.postgres, folder, sizes, codes))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2,000 reminders, 400 presses in a 24-s window (5× compressed), small CPU phases")  # fmt: skip
    parser.add_argument(
        "--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--rtt", type=float, default=0.05)
    parser.add_argument("--reminders", type=int)
    parser.add_argument(
        "--window", type=float, help="seconds in which the Done presses are offered"
    )
    parser.add_argument("--drain", type=float)
    parser.add_argument("--cpu-k", type=int, help="updates per type in the CPU phases")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--count-edits", action="store_true", help="edits count toward the 30 msg/s too"
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    reminders = args.reminders or (2_000 if quick else 10_000)
    sizes = Sizes(
        reminders=reminders,
        done_share=0.2,
        # The real morning: 20 % of 10,000 in 120 s = 33 updates/s (press + answer).
        window=args.window or 120.0 * reminders / 10_000,
        drain=args.drain if args.drain is not None else (15.0 if quick else 30.0),
        point_rate=2.0,
        progress_rate=0.2,
        cpu_k=args.cpu_k or (200 if quick else 500),
        cpu_progress_k=8 if quick else 20,
        rtt=args.rtt,
        count_edits=args.count_edits,
    )
    started = time.monotonic()
    with work_folder(args.keep) as folder:
        results = asyncio.run(run_all(args, sizes, folder))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    print_report(results, sizes, started)


if __name__ == "__main__":
    main()
