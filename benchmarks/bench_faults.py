"""Fault benchmark: `acubot run` as a black box, faults injected from outside, one table.

Each scenario starts a fresh database and a real `acubot run` process (python
-m bot run, production settings except those printed) against the loopback
Bot API emulator (benchmarks/emulator.py, in this process: a 50 ms round trip,
Telegram's 30 messages/s with 429 beyond it). Broadcasts are composed by a
staff member through the bot's own /broadcast flow (updates by getUpdates),
reminders are seeded as due. Faults:

* slow answers: the first send to every 10th broadcast recipient (every 3rd
  reminder) is delivered and never answered, so the bot's read timeout fires;
* dropped connection: the same sends delivered, then the connection closed;
* 429 storms of 8 s and 60 s after the 20th broadcast delivery (every send
  answered "retry after" min(5, seconds left) while the storm lasts);
* SIGKILL of the bot after 80 of 200 broadcast deliveries, then a restart;
* PostgreSQL unreachable for 10 s during a broadcast: a TCP proxy in this
  script between the bot and 127.0.0.1:5432 is stopped and started (refused
  connections, open ones reset), or frozen (packets dropped: nothing relayed);
* one patient flooding 300 messages, and the patient right behind them.

Deliveries are counted per chat from what the emulator accepted (a message
that reached "Telegram" counts, even when its answer never reached the bot).
"undecided" is what the bot recorded as maybe-sent (any status that is not
sent / failed / blocked / cancelled / pending / sending; today "interrupted").

Run: .venv/bin/python benchmarks/bench_faults.py [--quick] [--db postgres|sqlite]
     [--only NAME ...] [--rtt 0.05] [--postgres URL] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from blackbox import (
    ADMIN_ID,
    DEFAULT_POSTGRES,
    BotProcess,
    Reader,
    bot_environment,
    classify,
    daytime_zone,
    postgres_available,
    scratch_database,
    seed,
    status_summary,
    wait_until,
    work_folder,
)
from emulator import BotAPIEmulator, Call, Fault, buttons_of

APOLOGY = re.compile(r"sorry|went wrong|unavailable|try again|moment", re.IGNORECASE)
PATIENT_BASE = 10_000


@dataclass
class Row:
    scenario: str
    recipients: int | None = None
    once: int | None = None
    twice: int | None = None
    never: int | None = None
    undecided: int | None = None
    never_outside: int | None = None
    recover: str = "–"
    recover_seconds: float | None = None
    statuses: str = ""
    notes: list[str] = field(default_factory=list)
    targets: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class Options:
    db: str
    postgres: str
    rtt: float
    quick: bool
    folder: Path
    ready_timeout: float = 90.0


# -- driving the bot through Telegram -----------------------------------------------


async def wait_ready(emulator: BotAPIEmulator, bot: BotProcess, within: float) -> None:
    """Until the bot polls for updates (started: migrations, getMe, commands)."""
    since = bot.started

    def polling() -> bool:
        if not bot.alive:
            raise RuntimeError(f"the bot exited early:\n{bot.tail()}")
        return any(c.method == "getUpdates" and c.received >= since for c in emulator.calls)

    if not await wait_until(polling, within, 0.1):
        raise RuntimeError(f"the bot did not start within {within:.0f} s:\n{bot.tail()}")


def messages_to(emulator: BotAPIEmulator, chat: int, after: float) -> list[Call]:
    return [
        c for c in emulator.calls
        if c.accepted and c.chat_id == chat and c.delivered is not None and c.delivered >= after
    ]  # fmt: skip


async def next_message(emulator: BotAPIEmulator, chat: int, after: float, within: float) -> Call:
    found: list[Call] = []

    def arrived() -> bool:
        found[:] = messages_to(emulator, chat, after)
        return bool(found)

    if not await wait_until(arrived, within):
        raise RuntimeError(f"no answer to chat {chat} within {within:.0f} s")
    return found[0]


async def press(
    emulator: BotAPIEmulator, chat: int, label: str, after: float, within: float = 20.0
) -> float:
    """Presses the newest button whose label matches `label`; returns when it was pressed."""
    pattern = re.compile(label, re.IGNORECASE)
    hit: list[tuple[Call, dict[str, Any]]] = []

    def visible() -> bool:
        for call in reversed(messages_to(emulator, chat, after)):
            for button in buttons_of(call.params.get("reply_markup")):
                if "callback_data" in button and pattern.search(str(button.get("text", ""))):
                    hit.append((call, button))
                    return True
        return False

    if not await wait_until(visible, within):
        raise RuntimeError(f"no button matching {label!r} for chat {chat} within {within:.0f} s")
    call, button = hit[0]
    message = call.result if isinstance(call.result, dict) else {}
    record = emulator.press_update(chat, message, button["callback_data"], kind="admin")
    return record.offered


async def compose_broadcast(emulator: BotAPIEmulator, text: str) -> float:
    """Staff compose and confirm a broadcast to everyone, as a person would."""
    start = emulator.text_update(ADMIN_ID, "/broadcast", kind="admin").offered
    await next_message(emulator, ADMIN_ID, start, 30)
    at = emulator.text_update(ADMIN_ID, text, kind="admin").offered
    at = await press(emulator, ADMIN_ID, r"no button", at)
    at = await press(emulator, ADMIN_ID, r"everyone|all", at)
    return await press(emulator, ADMIN_ID, r"confirm|send now", at)


def count_per_chat(emulator: BotAPIEmulator, chats: set[int], marker: str | None) -> Counter[int]:
    """Deliveries per chat: broadcasts by their marker text, else reminders (a Done button)."""

    def wanted(call: Call) -> bool:
        if call.method not in {"sendMessage", "sendPhoto"} or call.chat_id not in chats:
            return False
        if marker is not None:
            return marker in call.text
        return any("done" in str(b.get("text", "")).lower() for b in call.buttons)

    return Counter(c.chat_id for c in emulator.accepted(wanted) if c.chat_id is not None)


def fill_counts(
    row: Row, chats: set[int], per_chat: Counter[int], statuses: dict[int, str]
) -> None:
    row.recipients = len(chats)
    row.once = sum(1 for chat in chats if per_chat[chat] == 1)
    row.twice = sum(1 for chat in chats if per_chat[chat] >= 2)
    row.never = sum(1 for chat in chats if per_chat[chat] == 0)
    undecided = {chat for chat, status in statuses.items() if classify(status) == "undecided"}
    row.undecided = len(undecided & chats)
    row.never_outside = sum(1 for chat in chats if per_chat[chat] == 0 and chat not in undecided)
    row.statuses = status_summary({c: s for c, s in statuses.items() if c in chats})
    row.targets.append(("0 duplicates", row.twice == 0))
    row.targets.append(("0 never outside undecided", row.never_outside == 0))


async def finished_broadcast(reader: Reader, chats: set[int]) -> bool:
    statuses = await reader.recipient_statuses()
    mine = [s for c, s in statuses.items() if c in chats]
    return len(mine) == len(chats) and all(classify(s) != "waiting" for s in mine)


async def finished_reminders(reader: Reader, chats: set[int]) -> bool:
    statuses = await reader.delivery_statuses()
    mine = [s for c, s in statuses.items() if c in chats]
    return len(mine) == len(chats) and all(classify(s) != "waiting" for s in mine)


@contextlib.asynccontextmanager
async def bot_world(
    options: Options, patients: int, *, due: bool = False, extra: dict[str, str] | None = None,
    database_url_for_bot: Any = None,
):  # fmt: skip
    """A fresh database with `patients` patients, the emulator, and a running bot."""
    chats = {PATIENT_BASE + i for i in range(1, patients + 1)}
    now = datetime.now(UTC)
    async with scratch_database(options.db, options.postgres, options.folder) as url:
        when = {chat: now - timedelta(minutes=1) for chat in chats} if due else None
        await seed(url, sorted(chats), due=when, zone=daytime_zone(now))
        emulator = BotAPIEmulator(rtt=options.rtt)
        await emulator.start()
        reader = Reader(url)
        bot_url = database_url_for_bot(url) if database_url_for_bot else url
        environment = bot_environment(emulator.base_url, bot_url, **(extra or {}))
        world = World(options, emulator, reader, chats, environment, url)
        try:
            await world.start_bot()
            yield world
        finally:
            for bot in world.bots:
                await bot.stop()
            await emulator.stop()
            await reader.close()


@dataclass
class World:
    options: Options
    emulator: BotAPIEmulator
    reader: Reader
    chats: set[int]
    environment: dict[str, str]
    url: str
    bots: list[BotProcess] = field(default_factory=list)

    @property
    def bot(self) -> BotProcess:
        return self.bots[-1]

    async def start_bot(self) -> BotProcess:
        bot = await BotProcess.start(self.environment, self.options.folder)
        self.bots.append(bot)
        await wait_ready(self.emulator, bot, self.options.ready_timeout)
        return bot


def first_send_fault(chats: set[int], every: int, fault: str, marker: str | None):
    """Faults the first send to every `every`-th chat (by position), once per chat."""
    ordered = sorted(chats)
    chosen = {chat for index, chat in enumerate(ordered, start=1) if index % every == 0}
    done: set[int] = set()

    def hook(call: Call) -> str | None:
        chat = call.chat_id
        if call.method != "sendMessage" or chat not in chosen or chat in done:
            return None
        if marker is not None and marker not in call.text:
            return None
        if marker is None and not any(
            "done" in str(b.get("text", "")).lower() for b in call.buttons
        ):
            return None
        done.add(chat)
        return fault

    return hook, chosen


# -- scenarios -----------------------------------------------------------------------


async def broadcast_with_fault(
    options: Options, name: str, recipients: int, fault: str | None, *, settle: float = 3.0
) -> Row:
    row = Row(name)
    marker = f"Clinic news {uuid.uuid4().hex[:6]}"
    async with bot_world(options, recipients) as world:
        chosen: set[int] = set()
        if fault is not None:
            world.emulator.fault_hook, chosen = first_send_fault(world.chats, 10, fault, marker)
        confirmed = await compose_broadcast(world.emulator, f"{marker}: evening hours from Monday.")
        done = await wait_until(lambda: finished_broadcast(world.reader, world.chats), 120, 0.25)
        took = time.monotonic() - confirmed
        await asyncio.sleep(settle)  # a late retry would show up here
        fill_counts(row, world.chats, count_per_chat(world.emulator, world.chats, marker),
                    await world.reader.recipient_statuses())  # fmt: skip
        row.recover_seconds = took if done else None
        row.recover = f"finished {took:.1f} s after Confirm" if done else "not finished in 120 s"
        if chosen:
            row.notes.append(f"{len(chosen)} faulted sends")
    return row


async def reminders_with_fault(options: Options, name: str, count: int, fault: str) -> Row:
    row = Row(name)
    async with bot_world(options, count, due=True) as world:
        world.emulator.fault_hook, chosen = first_send_fault(world.chats, 3, fault, None)
        start = time.monotonic()
        done = await wait_until(lambda: finished_reminders(world.reader, world.chats), 90, 0.25)
        took = time.monotonic() - start
        await asyncio.sleep(3.0)
        fill_counts(row, world.chats, count_per_chat(world.emulator, world.chats, None),
                    await world.reader.delivery_statuses())  # fmt: skip
        row.recover_seconds = took if done else None
        row.recover = f"all recorded {took:.1f} s after start" if done else "not recorded in 90 s"
        row.notes.append(f"{len(chosen)} faulted sends")
    return row


async def storm(options: Options, name: str, recipients: int, seconds: float) -> Row:
    row = Row(name)
    marker = f"Clinic news {uuid.uuid4().hex[:6]}"
    async with bot_world(options, recipients) as world:
        window: list[float] = []
        delivered = [0]

        def listener(call: Call) -> None:
            if call.method == "sendMessage" and marker in call.text:
                delivered[0] += 1
                if delivered[0] == 20 and not window:
                    window.append(time.monotonic())

        def hook(call: Call) -> tuple[int, int] | None:
            if not window or call.method not in {"sendMessage", "sendPhoto"}:
                return None
            left = window[0] + seconds - time.monotonic()
            if left <= 0:
                return None
            return 429, max(1, math.ceil(min(5.0, left)))

        world.emulator.listeners.append(listener)
        world.emulator.fault_hook = hook
        await compose_broadcast(world.emulator, f"{marker}: evening hours from Monday.")
        cap = seconds + 90
        done = await wait_until(lambda: finished_broadcast(world.reader, world.chats), cap, 0.25)
        finished_at = time.monotonic()
        await asyncio.sleep(3.0)
        fill_counts(row, world.chats, count_per_chat(world.emulator, world.chats, marker),
                    await world.reader.recipient_statuses())  # fmt: skip
        if done and window:
            after = finished_at - (window[0] + seconds)
            row.recover_seconds = max(0.0, after)
            row.recover = f"finished {after:.1f} s after the storm"
        else:
            row.recover = f"not finished {cap:.0f} s after it began"
        refused = sum(1 for c in world.emulator.calls if c.fault == "429")
        row.notes.append(f"{refused} answered 429")
    return row


async def kill_mid_broadcast(options: Options, name: str, recipients: int, kill_after: int) -> Row:
    row = Row(name)
    marker = f"Clinic news {uuid.uuid4().hex[:6]}"
    cap = 60.0
    async with bot_world(options, recipients) as world:
        delivered = [0]
        killed: list[float] = []

        def listener(call: Call) -> None:
            if call.method == "sendMessage" and marker in call.text:
                delivered[0] += 1
                if delivered[0] >= kill_after and not killed:
                    world.bot.kill()
                    killed.append(time.monotonic())

        world.emulator.listeners.append(listener)
        await compose_broadcast(world.emulator, f"{marker}: evening hours from Monday.")
        if not await wait_until(lambda: bool(killed), 60, 0.05):
            raise RuntimeError("the broadcast never reached the kill point")
        await world.bot.process.wait()
        at_kill = delivered[0]
        await asyncio.sleep(0.5)
        world.emulator.drop_connections()
        restarted = time.monotonic()
        await world.start_bot()
        done = await wait_until(lambda: finished_broadcast(world.reader, world.chats), cap, 0.25)
        took = time.monotonic() - restarted
        await asyncio.sleep(2.0)
        fill_counts(row, world.chats, count_per_chat(world.emulator, world.chats, marker),
                    await world.reader.recipient_statuses())  # fmt: skip
        row.notes.append(f"killed at {at_kill} delivered")
        row.recover_seconds = took if done else None
        row.recover = (
            f"finished {took:.1f} s after restart"
            if done
            else f"not finished {cap:.0f} s after restart"
        )
        row.targets.append(("finished ≤ 30 s after restart", done and took <= 30))
        row.targets.append(("≤ 16 undecided", (row.undecided or 0) <= 16))
    return row


class TcpProxy:
    """Relays 127.0.0.1:<port> to PostgreSQL; can be stopped (refuse) or frozen (drop)."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target_port = target_port
        self.port = 0
        self.server: asyncio.Server | None = None
        self.pipes: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.flowing = asyncio.Event()
        self.flowing.set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        self.flowing.set()

    async def stop(self) -> None:
        """Refuses new connections and resets the open ones (the server went away)."""
        if self.server is not None:
            self.server.close()
            self.server = None
        for client, upstream in list(self.pipes):
            for writer in (client, upstream):
                transport = writer.transport
                with contextlib.suppress(Exception):
                    transport.abort()
        self.pipes.clear()

    def freeze(self) -> None:
        """Packets dropped: nothing is relayed (connections stay open) until `thaw`."""
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    async def close(self) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.flowing.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        pair = (writer, up_writer)
        self.pipes.add(pair)
        try:
            await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
        finally:
            self.pipes.discard(pair)
            for w in pair:
                w.close()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                await self.flowing.wait()
                sink.write(data)
                await sink.drain()
        with contextlib.suppress(Exception):
            sink.close()


@dataclass
class Probe:
    kind: str
    offered: float
    replied: float | None = None
    text: str = ""

    @property
    def apology(self) -> bool:
        return bool(APOLOGY.search(self.text))


async def prober(
    emulator: BotAPIEmulator, chat: int, text: str, kind: str, until: list[float],
    probes: list[Probe], gap: float = 0.5, wait: float = 90.0,
) -> None:  # fmt: skip
    """One patient asking again and again, each time after the previous answer (or `wait`)."""
    for _ in range(10_000):
        if time.monotonic() >= until[0]:
            return
        record = emulator.text_update(chat, text, kind=kind)
        probe = Probe(kind, record.offered)
        probes.append(probe)
        try:
            reply = await next_message(emulator, chat, record.offered, wait)
            probe.replied, probe.text = reply.delivered, reply.text
        except RuntimeError:
            pass
        await asyncio.sleep(gap)


async def database_outage(options: Options, name: str, recipients: int, mode: str) -> Row:
    row = Row(name)
    marker = f"Clinic news {uuid.uuid4().hex[:6]}"
    outage = 10.0
    proxy = TcpProxy()
    await proxy.start()
    from sqlalchemy.engine import make_url

    def through_proxy(url: str) -> str:
        return (
            make_url(url)
            .set(host="127.0.0.1", port=proxy.port)
            .render_as_string(hide_password=False)
        )

    try:
        async with bot_world(options, recipients, database_url_for_bot=through_proxy) as world:
            settings_chat, point_chat = PATIENT_BASE + 1, PATIENT_BASE + 2
            probes: list[Probe] = []
            until = [math.inf]
            tasks = [
                asyncio.create_task(prober(world.emulator, settings_chat, "/settings", "db", until, probes)),
                asyncio.create_task(prober(world.emulator, point_chat, "/point BL40", "content", until, probes)),
            ]  # fmt: skip
            delivered = [0]
            world.emulator.listeners.append(
                lambda c: delivered.__setitem__(0, delivered[0] + (marker in c.text))
            )
            await compose_broadcast(world.emulator, f"{marker}: evening hours from Monday.")
            await wait_until(lambda: delivered[0] >= 40, 60)
            down = time.monotonic()
            if mode == "stop":
                await proxy.stop()
            else:
                proxy.freeze()
            await asyncio.sleep(outage)
            if mode == "stop":
                await proxy.start()
            else:
                proxy.thaw()
            up = time.monotonic()
            cap = 90.0
            done = await wait_until(
                lambda: finished_broadcast(world.reader, world.chats), cap, 0.25
            )
            finished = time.monotonic() - up
            until[0] = max(time.monotonic(), up + 15)
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 120)
            await asyncio.sleep(2.0)
            fill_counts(row, world.chats, count_per_chat(world.emulator, world.chats, marker),
                        await world.reader.recipient_statuses())  # fmt: skip
    finally:
        await proxy.close()
    db_replies = [p.replied for p in probes if p.kind == "db" and p.replied and not p.apology]
    after = [replied - up for replied in db_replies if replied >= up]
    first_after = min(after) if after else None
    during = [p for p in probes if down <= p.offered < up]
    content = [p for p in during if p.kind == "content"]
    content_ok = [p for p in content if p.replied is not None and p.replied < up]
    apologies = sum(1 for p in probes if p.kind == "db" and p.apology)
    row.recover_seconds = first_after
    row.recover = (
        f"first /settings reply {first_after:.1f} s after the database was back"
        if first_after is not None else "no /settings reply after the database was back"
    )  # fmt: skip
    worst = max((p.replied - p.offered for p in content if p.replied), default=math.nan)
    row.notes.append(
        f"/point during outage: {len(content_ok)}/{len(content)} answered before it ended "
        f"(slowest {worst:.1f} s); /settings apologies {apologies}; broadcast "
        + (f"finished {finished:.1f} s after" if done else "not finished")
    )
    row.targets.append(("recovery ≤ 5 s", first_after is not None and first_after <= 5))
    row.targets.append(("broadcast finished after it", done))
    return row


async def flood(options: Options, name: str, messages: int) -> Row:
    row = Row(name)
    async with bot_world(options, 2) as world:
        flooder, patient = PATIENT_BASE + 1, PATIENT_BASE + 2
        for i in range(messages):
            world.emulator.text_update(flooder, f"hello {i}", kind="flood")
        latencies: list[float] = []
        for _ in range(5):
            record = world.emulator.text_update(patient, "/point BL40", kind="patient")
            try:
                reply = await next_message(world.emulator, patient, record.offered, 60)
                latencies.append((reply.delivered or 0) - record.offered)
            except RuntimeError:
                latencies.append(math.inf)
            await asyncio.sleep(1.0)
        answered = len({c.delivered for c in messages_to(world.emulator, flooder, 0)})
    row.recover_seconds = latencies[0]
    row.recover = (
        f"patient behind: first reply {latencies[0]:.2f} s, worst of 5 {max(latencies):.2f} s"
    )
    row.notes.append(f"flooder's messages answered: {answered} during the test")
    row.targets.append(("patient answered ≤ 1 s", max(latencies) <= 1.0))
    return row


# -- the table -------------------------------------------------------------------


def scenarios(options: Options) -> list[tuple[str, Any]]:
    quick = options.quick
    broadcast = 50 if quick else 100
    storms = (8.0, 20.0) if quick else (8.0, 60.0)
    listed: list[tuple[str, Any]] = [
        ("baseline", lambda: broadcast_with_fault(options, f"no fault, {broadcast}-recipient broadcast", broadcast, None)),
        ("slow-broadcast", lambda: broadcast_with_fault(options, f"slow answers (read timeout), {broadcast}-recipient broadcast", broadcast, Fault.HANG)),
        ("slow-reminders", lambda: reminders_with_fault(options, "slow answers (read timeout), 10 reminders", 10, Fault.HANG)),
        ("drop-broadcast", lambda: broadcast_with_fault(options, f"connection dropped after the request, {broadcast}-recipient broadcast", broadcast, Fault.CLOSE)),
        ("drop-reminders", lambda: reminders_with_fault(options, "connection dropped after the request, 10 reminders", 10, Fault.CLOSE)),
        ("storm-short", lambda: storm(options, f"{storms[0]:.0f}-s 429 storm, {broadcast}-recipient broadcast", broadcast, storms[0])),
        ("storm-long", lambda: storm(options, f"{storms[1]:.0f}-s 429 storm, {broadcast}-recipient broadcast", broadcast, storms[1])),
        ("kill", lambda: kill_mid_broadcast(options, "SIGKILL after 80 of 200 broadcast sends, restart", 200, 80)),
    ]  # fmt: skip
    if options.db == "postgres":
        listed += [
            ("outage-stop", lambda: database_outage(options, "PostgreSQL down 10 s (proxy stopped: refused, reset)", 300, "stop")),
            ("outage-drop", lambda: database_outage(options, "PostgreSQL unreachable 10 s (proxy frozen: packets dropped)", 300, "freeze")),
        ]  # fmt: skip
    listed.append(("flood", lambda: flood(options, "patient behind a 300-message flood", 300)))
    return listed


def cell(value: int | None) -> str:
    return "–" if value is None else str(value)


def print_table(rows: list[Row], options: Options, started: float) -> None:
    print(
        f"\n## Faults, `acubot run` as a black box ({options.db}, round trip "
        f"{options.rtt * 1000:.0f} ms, 30 msg/s enforced{', quick' if options.quick else ''})\n"
    )
    print(
        "| scenario | recipients | once | twice | never | undecided | never, not undecided | time to recover | targets | bot's records |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        targets = ", ".join(f"{'PASS' if ok else 'MISS'} {name}" for name, ok in row.targets) or "–"
        notes = "; ".join(row.notes)
        records = row.statuses + (f" ({notes})" if notes else "")
        print(
            f"| {row.scenario} | {cell(row.recipients)} | {cell(row.once)} | {cell(row.twice)} "
            f"| {cell(row.never)} | {cell(row.undecided)} | {cell(row.never_outside)} "
            f"| {row.recover} | {targets} | {records or '–'} |",
            flush=True,
        )
    print(f"\n{len(rows)} scenarios in {time.monotonic() - started:.0f} s.")


async def run(options: Options, only: list[str] | None) -> list[Row]:
    rows: list[Row] = []
    for key, scenario in scenarios(options):
        if only and key not in only:
            continue
        began = time.monotonic()
        print(f"- {key} ...", file=sys.stderr, flush=True)
        try:
            row = await asyncio.wait_for(scenario(), 600)
        except Exception as error:  # one broken scenario must not hide the others
            row = Row(
                key, recover=f"ERROR: {type(error).__name__}: {error}".replace("\n", " ")[:300]
            )
        print(f"  {time.monotonic() - began:.0f} s: {row.recover}", file=sys.stderr, flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="50-recipient broadcasts, a 20-s long storm"
    )
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help="server to make scratch databases on"
    )
    parser.add_argument(
        "--rtt", type=float, default=0.05, help="round trip to the Bot API, seconds"
    )
    parser.add_argument("--only", nargs="+", help="scenario keys: " + ", ".join(
        k for k, _ in scenarios(Options("postgres", "", 0, False, Path())))
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the bots' logs")
    args = parser.parse_args()
    started = time.monotonic()
    with work_folder(args.keep) as folder:
        options = Options(args.db, args.postgres, args.rtt, args.quick, folder)
        if options.db == "postgres" and not asyncio.run(postgres_available(args.postgres)):
            print(f"PostgreSQL at {args.postgres} is not reachable; using SQLite (no outage rows).",
                  file=sys.stderr)  # fmt: skip
            options.db = "sqlite"
        rows = asyncio.run(run(options, args.only))
    print_table(rows, options, started)


if __name__ == "__main__":
    main()
