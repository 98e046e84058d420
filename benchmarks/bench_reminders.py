"""Reminder benchmark: the dispatcher against one-JobQueue-job-per-user and a bare loop.

N reminders, all due at the same instant, go through the real python-telegram-bot
`Bot` over HTTP (httpx) to a loopback Bot API sink running in a separate process
(benchmarks/sink.py), so the numbers measured in the bot process are its own.

Variants, each run in a fresh child process (this script with `--worker`):

* dispatcher  the product: a pre-seeded database (N users, N subscriptions due
              at one instant), `build_application(...)` + `running(app)` exactly
              as the bot starts, then `ReminderDispatcher.run(now)`.
* jobqueue    python-telegram-bot's timerbot pattern: one `JobQueue.run_daily`
              job per user, all at the same wall-clock second a few seconds
              ahead; the callback sends the reminder.
* bare        `async with Bot(...)`: a sequential `await bot.send_message` loop.

All three send the same message: the real reminder text and keyboard from
scheduler/reminder_message.py.

Usage (from the project root):
    .venv/bin/python benchmarks/bench_reminders.py --quick
    .venv/bin/python benchmarks/bench_reminders.py --json results.json
See benchmarks/README.md for what every column means.
"""

from __future__ import annotations

import time as _time

# "Process start" for the child: the first thing the worker's module does.
_T0_MONO = _time.monotonic()
_T0_WALL = _time.time()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import urllib.request  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# A syntactically valid token; it only ever reaches the loopback sink.
TOKEN = "123456:" + "BenchmarkTokenNotASecret" + "x" * 11
# Every subscription is due at this instant; the dispatcher is run with now=DUE,
# so a reminder's lateness is its queueing delay from the start of the dispatch.
DUE = datetime(2026, 1, 15, 14, 0, tzinfo=UTC)
CHAT0 = 10_000_000  # chat id (= user id) of subscriber i is CHAT0 + i
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/Chicago",
    "America/New_York",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
)
ROUTINE = "clinic"
PACED_RATE = 30.0
PACED_SLACK = 1.05
VARIANTS = ("dispatcher", "jobqueue", "jobqueue-nograce", "bare")
DEFAULT_VARIANTS = ("dispatcher", "jobqueue", "bare")
DISPATCHER_KWARGS: dict[str, int] = {}  # set by --dispatcher-concurrency / --dispatcher-batch-size


# --------------------------------------------------------------------------- helpers
def proc_status_mb() -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak since exec) of this process, in MB."""
    values: dict[str, float] = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount, _unit = line.split()
                values[key[:-1]] = int(amount) / 1024
    return {"rss_mb": values.get("VmRSS", 0.0), "hwm_mb": values.get("VmHWM", 0.0)}


def percentile(ordered: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def wall_of(mono: float) -> float:
    """A monotonic instant of this process as wall-clock time."""
    return _T0_WALL + (mono - _T0_MONO)


def send_phase_stats(
    send_times: list[float], due: float, start: float, cpu_seconds: float
) -> dict[str, Any]:
    """Throughput, lateness and CPU per reminder from the per-send completion times."""
    sent = len(send_times)
    lateness = sorted(t - due for t in send_times)
    last = max(send_times) if send_times else start
    span = last - start
    return {
        "sent": sent,
        "throughput": sent / span if sent and span > 0 else None,
        "send_span_s": span,
        "lateness_p50_s": percentile(lateness, 50),
        "lateness_p99_s": percentile(lateness, 99),
        "lateness_max_s": lateness[-1] if lateness else None,
        "cpu_s": cpu_seconds,
        "cpu_ms_per_reminder": cpu_seconds * 1000 / sent if sent else None,
    }


def startup_stats(
    spawn_wall: float, imported: float, ready: float, first_send: float | None
) -> dict[str, Any]:
    """Start-up, as seconds from the parent's spawn (wall clock) to each milestone."""
    return {
        "interpreter_s": _T0_WALL - spawn_wall,
        "imports_done_s": wall_of(imported) - spawn_wall,
        "ready_s": wall_of(ready) - spawn_wall,
        "first_send_s": wall_of(first_send) - spawn_wall if first_send is not None else None,
    }


class Profiler:
    """cProfile around the sending phase when the spec asks for it; a no-op otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.profile = None
        if enabled:
            import cProfile

            self.profile = cProfile.Profile()

    def __enter__(self) -> Profiler:
        if self.profile:
            self.profile.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.profile:
            self.profile.disable()

    def text(self, dump: str | None = None) -> str | None:
        if not self.profile:
            return None
        import io
        import pstats

        if dump:
            self.profile.dump_stats(dump)

        buffer = io.StringIO()
        stats = pstats.Stats(self.profile, stream=buffer)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(35)
        return buffer.getvalue()


class SendRecorder:
    """Wraps the Bot given to the dispatcher: records when each send_message returned."""

    def __init__(self, bot: Any) -> None:
        self._bot = bot
        self.times: list[float] = []

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        message = await self._bot.send_message(*args, **kwargs)
        self.times.append(_time.monotonic())
        return message

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)


# --------------------------------------------------------------------------- workers
async def worker_dispatcher(spec: dict[str, Any]) -> dict[str, Any]:
    from bot.application import bot_api_request, build_application, running
    from bot.settings import Settings
    from scheduler.dispatcher import ReminderDispatcher

    imported = _time.monotonic()
    rss_imported = proc_status_mb()
    settings = Settings(
        _env_file=None,
        database_url=spec["database_url"],
        telegram_bot_token=TOKEN,
        telegram_api_base_url=spec["sink"],
        send_rate=spec["rate"],
    )
    # "production" wiring: request=None, i.e. exactly what `acubot run` builds; with
    # send_rate > 0 that includes the reply rate limiter (30 requests/s overall).
    # "benchmark" wiring: the same HTTP client given as `request`, so no limiter:
    # only the SendPolicy paces (the paced check of the policy alone).
    request = bot_api_request() if spec["wiring"] == "benchmark" else None
    app = build_application(settings, request=request, dispatch_interval=None)
    built = _time.monotonic()
    async with running(app):
        ready = _time.monotonic()
        rss_ready = proc_status_mb()
        services = app.bot_data
        recorder = SendRecorder(app.bot)
        dispatcher = ReminderDispatcher(
            sessions=services.sessions,
            bot=recorder,  # type: ignore[arg-type]
            catalogue=services.catalogue,
            policy=services.policy,  # SendPolicy(rate=settings.send_rate)
            grace=settings.reminder_grace,
            clock=services.now,
            # Experiments only (--dispatcher-concurrency/--dispatcher-batch-size);
            # by default the product's own defaults.
            **(spec.get("dispatcher_kwargs") or {}),
        )
        profiler = Profiler(bool(spec.get("profile")))
        cpu0, start = _time.process_time(), _time.monotonic()
        with profiler:
            report = await dispatcher.run(DUE)
        end, cpu1 = _time.monotonic(), _time.process_time()
        rss_end = proc_status_mb()
        profile_text = profiler.text(spec.get("profile_dump"))
    result = {
        **send_phase_stats(recorder.times, start, start, cpu1 - cpu0),
        **startup_stats(
            spec["spawn_wall"], imported, ready, recorder.times[0] if recorder.times else None
        ),
        "built_s": wall_of(built) - spec["spawn_wall"],
        "phase_s": end - start,
        "delivered_s": (max(recorder.times) - start) if recorder.times else None,
        "failed": report.failed + report.blocked,
        "missed": report.missed,
        "report": {
            "sent": report.sent,
            "failed": report.failed,
            "blocked": report.blocked,
            "missed": report.missed,
            "already_handled": report.already_handled,
            "errors": Counter(report.errors).most_common(3),
        },
        "rss_imported_mb": rss_imported["rss_mb"],
        "rss_ready_mb": rss_ready["rss_mb"],
        "rss_end_mb": rss_end["rss_mb"],
        "peak_rss_mb": proc_status_mb()["hwm_mb"],
    }
    if profile_text:
        result["profile"] = profile_text
    return result


async def worker_jobqueue(spec: dict[str, Any]) -> dict[str, Any]:
    import logging

    from apscheduler.events import EVENT_JOB_MISSED
    from telegram.constants import ParseMode
    from telegram.ext import ApplicationBuilder, CallbackContext

    from content.i18n import translator
    from scheduler.reminder_message import reminder_keyboard

    # APScheduler logs one line per misfire and per run; count them instead.
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
    imported = _time.monotonic()
    rss_imported = proc_status_mb()
    n, text = spec["n"], spec["text"]
    sent_times: list[float] = []
    errors: Counter[str] = Counter()
    missed = 0
    missed_times: list[float] = []
    started_times: list[float] = []
    done = asyncio.Event()

    def check_done() -> None:
        if len(sent_times) + sum(errors.values()) + missed >= n:
            done.set()

    async def remind(context: CallbackContext) -> None:  # type: ignore[type-arg]
        job = context.job
        assert job is not None and job.chat_id is not None
        started_times.append(_time.monotonic())
        try:
            await context.bot.send_message(
                job.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=reminder_keyboard(translator("en"), job.data),
            )
        except Exception as error:  # what an error handler would see
            errors[type(error).__name__] += 1
        else:
            sent_times.append(_time.monotonic())
        check_done()

    def on_missed(_event: object) -> None:
        nonlocal missed
        missed += 1
        missed_times.append(_time.monotonic())
        check_done()

    # The timerbot's Application: default HTTPXRequest (pool 256), default JobQueue.
    app = ApplicationBuilder().token(TOKEN).base_url(f"{spec['sink']}/bot").build()
    assert app.job_queue is not None
    await app.initialize()
    # A restart in this pattern re-creates every job (from wherever they are kept)
    # before the JobQueue starts; all N share one wall-clock second, `lead` s after
    # process start, rounded up to a whole second (cron has 1 s resolution).
    fire_wall = math.ceil(_T0_WALL + spec["lead"])
    fire_at = datetime.fromtimestamp(fire_wall, UTC).timetz()
    app.job_queue.scheduler.add_listener(on_missed, EVENT_JOB_MISSED)
    # "jobqueue-nograce": the same, with APScheduler's 1 s misfire grace turned off.
    job_kwargs = {"misfire_grace_time": None} if spec["variant"] == "jobqueue-nograce" else None
    for i in range(n):
        app.job_queue.run_daily(
            remind, time=fire_at, chat_id=CHAT0 + i, data=i, job_kwargs=job_kwargs
        )
    await app.start()
    ready = _time.monotonic()
    rss_ready = proc_status_mb()
    lead_ok = _time.time() < fire_wall
    fire_mono = _T0_MONO + (fire_wall - _T0_WALL)
    cpu0 = _time.process_time()

    def partial(timed_out: bool) -> dict[str, Any]:
        end, cpu1 = _time.monotonic(), _time.process_time()
        return {
            **send_phase_stats(list(sent_times), fire_mono, fire_mono, cpu1 - cpu0),
            **startup_stats(
                spec["spawn_wall"], imported, ready, min(sent_times) if sent_times else None
            ),
            "phase_s": end - fire_mono,
            "delivered_s": (max(sent_times) - fire_mono) if sent_times else None,
            "failed": sum(errors.values()),
            "missed": missed,
            "errors": dict(errors),
            "callbacks_started": len(started_times),
            "lead_s": spec["lead"],
            "lead_ok": lead_ok,
            "timed_out": timed_out,
            "unaccounted": n - len(sent_times) - sum(errors.values()) - missed,
            # When the callbacks (or APScheduler's misfire verdicts) started, from the fire second.
            "first_callback_s": min(started_times) - fire_mono if started_times else None,
            "first_misfire_s": min(missed_times) - fire_mono if missed_times else None,
            "last_misfire_s": max(missed_times) - fire_mono if missed_times else None,
            "rss_imported_mb": rss_imported["rss_mb"],
            "rss_ready_mb": rss_ready["rss_mb"],
            "rss_end_mb": proc_status_mb()["rss_mb"],
            "peak_rss_mb": proc_status_mb()["hwm_mb"],
        }

    # A watchdog thread: if the event loop is too busy to notice its own timeout
    # (10,000 callbacks queueing on one connection pool can do that), write what
    # has happened so far and end the process.
    import threading

    def watchdog() -> None:
        for _attempt in range(5):  # the loop thread may be mid-update of a counter
            try:
                Path(spec["out"]).write_text(json.dumps(partial(timed_out=True)))
                break
            except RuntimeError:
                _time.sleep(0.01)
        os._exit(0)

    timer = threading.Timer(max(0.0, fire_wall - _time.time()) + spec["cap"] + 15, watchdog)
    timer.daemon = True
    timer.start()
    timed_out = False
    if n and lead_ok:
        try:
            await asyncio.wait_for(done.wait(), timeout=fire_wall - _time.time() + spec["cap"])
        except TimeoutError:
            timed_out = True
    timer.cancel()
    result = partial(timed_out)
    # Best-effort clean-up; the result is written whatever happens here.
    result["_cleanup"] = (app.stop, app.shutdown)
    return result


async def worker_bare(spec: dict[str, Any]) -> dict[str, Any]:
    from telegram import Bot
    from telegram.constants import ParseMode

    from content.i18n import translator
    from scheduler.reminder_message import reminder_keyboard

    imported = _time.monotonic()
    rss_imported = proc_status_mb()
    n, text = spec["n"], spec["text"]
    times: list[float] = []
    async with Bot(TOKEN, base_url=f"{spec['sink']}/bot") as bot:  # default HTTPXRequest
        ready = _time.monotonic()
        rss_ready = proc_status_mb()
        profiler = Profiler(bool(spec.get("profile")))
        cpu0, start = _time.process_time(), _time.monotonic()
        with profiler:
            for i in range(n):
                await bot.send_message(
                    CHAT0 + i,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=reminder_keyboard(translator("en"), i),
                )
                times.append(_time.monotonic())
        end, cpu1 = _time.monotonic(), _time.process_time()
        rss_end = proc_status_mb()
    return {
        "profile": profiler.text(spec.get("profile_dump")),
        **send_phase_stats(times, start, start, cpu1 - cpu0),
        **startup_stats(spec["spawn_wall"], imported, ready, times[0] if times else None),
        "phase_s": end - start,
        "delivered_s": (max(times) - start) if times else None,
        "failed": 0,
        "missed": 0,
        "rss_imported_mb": rss_imported["rss_mb"],
        "rss_ready_mb": rss_ready["rss_mb"],
        "rss_end_mb": rss_end["rss_mb"],
        "peak_rss_mb": proc_status_mb()["hwm_mb"],
    }


WORKERS = {
    "dispatcher": worker_dispatcher,
    "jobqueue": worker_jobqueue,
    "jobqueue-nograce": worker_jobqueue,
    "bare": worker_bare,
}


def worker_main(spec_json: str) -> None:
    spec = json.loads(spec_json)

    async def run() -> dict[str, Any]:
        result = await WORKERS[spec["variant"]](spec)
        cleanup = result.pop("_cleanup", ())
        Path(spec["out"]).write_text(json.dumps(result))  # noqa: ASYNC240 - once, before clean-up
        # Clean-up gets 45 s at most, even if the event loop is swamped.
        import threading

        threading.Timer(45, os._exit, args=(0,)).start()
        for step in cleanup:
            try:
                await asyncio.wait_for(step(), timeout=20)
            except Exception:
                break
        return result

    asyncio.run(run())
    sys.stdout.flush()
    os._exit(0)  # do not wait for stray threads (aiosqlite, APScheduler) at exit


# --------------------------------------------------------------------------- seeding
async def seed_database(database_url: str, n: int) -> None:
    """Migrate, empty, then insert N users and N subscriptions all due at DUE."""
    from sqlalchemy import delete, insert

    from storage import migrate
    from storage.database import create_engine
    from storage.models import CheckIn, Delivery, PendingStep, Subscription, User

    zones = [(name, DUE.astimezone(__import__("zoneinfo").ZoneInfo(name)).time()) for name in ZONES]
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as connection:
            for model in (Delivery, CheckIn, PendingStep, Subscription, User):
                await connection.execute(delete(model))
        created = datetime(2026, 1, 1, tzinfo=UTC)
        chunk = 5000
        for first in range(0, n, chunk):
            ids = range(first, min(n, first + chunk))
            users = [
                {
                    "id": CHAT0 + i,
                    "chat_id": CHAT0 + i,
                    "first_seen_at": created,
                    "last_seen_at": created,
                    "language_code": "en",
                    "blocked": False,
                }
                for i in ids
            ]
            subscriptions = []
            for i in ids:
                zone, local_time = zones[i % len(zones)]
                subscriptions.append(
                    {
                        "id": i + 1,
                        "user_id": CHAT0 + i,
                        "chat_id": CHAT0 + i,
                        "local_time": local_time,
                        "timezone": zone,
                        "routine": ROUTINE,
                        "active": True,
                        "stopped_reason": None,
                        "paused_until": None,
                        "next_due_at": DUE,
                        "lease_until": None,
                        "lease_owner": None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            async with engine.begin() as connection:
                await connection.execute(insert(User), users)
                await connection.execute(insert(Subscription), subscriptions)
    finally:
        await engine.dispose()


class Databases:
    """A freshly seeded database per dispatcher run.

    SQLite: one template file per N, seeded once, copied before each run.
    PostgreSQL: re-seeded (emptied and filled) before each run.
    """

    def __init__(self, url: str | None, workdir: Path) -> None:
        self.url = url
        self.workdir = workdir
        self.templates: dict[int, Path] = {}

    @property
    def is_sqlite(self) -> bool:
        return self.url is None or self.url.startswith("sqlite")

    def _run_path(self) -> Path:
        if self.url is None:
            return self.workdir / "run.sqlite3"
        return Path(self.url.split("///", 1)[1])

    def fresh(self, n: int) -> str:
        if not self.is_sqlite:
            assert self.url is not None
            asyncio.run(seed_database(self.url, n))
            return self.url
        if n not in self.templates:
            template = self.workdir / f"template-{n}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{template}{suffix}").unlink(missing_ok=True)
            started = _time.monotonic()
            asyncio.run(seed_database(f"sqlite+aiosqlite:///{template}", n))
            log(f"  seeded SQLite template for N={n:,} in {_time.monotonic() - started:.1f} s")
            self.templates[n] = template
        run = self._run_path()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{run}{suffix}").unlink(missing_ok=True)
            source = Path(f"{self.templates[n]}{suffix}")
            if source.exists():
                shutil.copyfile(source, f"{run}{suffix}")
        return f"sqlite+aiosqlite:///{run}"


# --------------------------------------------------------------------------- parent
def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Sink:
    """benchmarks/sink.py in its own process."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("sink.py"))],
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()  # printed once it listens
        if not line.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the sink did not start (said {line!r})")
        self.url = line

    def stats(self) -> dict[str, int]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{self.url}/bot{TOKEN}/benchStats", data=b"", timeout=30) as answer:
            return json.loads(answer.read())["result"]

    def cpu_seconds(self) -> float:
        """User + system CPU the sink process has used so far."""
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def compile_project() -> None:
    """Bytecode for the project's modules, as a deployed bot has it.

    pip compiles a wheel's modules when it installs them, and Python caches
    them on the first run anyway. With an editable install and
    PYTHONDONTWRITEBYTECODE=1 (this machine's shell sets it), every start
    would compile ~100 modules from source, about 0.09 s here: a cost of this
    shell, not of the bot. `--from-source` skips this to measure that case.
    """
    import compileall

    for package in ("bot", "handlers", "scheduler", "storage", "content"):
        compileall.compile_dir(ROOT / package, quiet=1)


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(ROOT)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_worker(variant: str, n: int, sink: Sink, workdir: Path, **extra: Any) -> dict[str, Any]:
    out = workdir / f"result-{variant}-{n}.json"
    out.unlink(missing_ok=True)
    spec = {
        "variant": variant,
        "n": n,
        "sink": sink.url,
        "out": str(out),
        "dispatcher_kwargs": DISPATCHER_KWARGS,
        **extra,
    }
    before = sink.stats().get("sendMessage", 0)
    sink_cpu = sink.cpu_seconds()
    stderr_path = workdir / f"stderr-{variant}-{n}.txt"
    timeout = 180 + n * 0.03 + extra.get("cap", 0)
    with open(stderr_path, "w") as stderr:
        spec["spawn_wall"] = _time.time()  # "process start", just before the spawn
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)],
            stderr=stderr,
            stdout=subprocess.DEVNULL,
            env=child_env(),
            cwd=ROOT,
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = "timeout"
    if not out.exists():
        tail = stderr_path.read_text()[-3000:]
        log(f"  !! worker {variant} N={n} failed ({code}) without a result:\n{tail}")
        result = {
            "crashed": f"exit {code}: {tail[-500:]}",
            "sent": 0,
            "failed": None,
            "missed": None,
        }
    else:
        result = json.loads(out.read_text())
        if code != 0:
            result["exit"] = code
    result["sink_sent"] = sink.stats().get("sendMessage", 0) - before
    sink_cpu = sink.cpu_seconds() - sink_cpu
    result["sink_cpu_ms_per_msg"] = (
        sink_cpu * 1000 / result["sink_sent"] if result["sink_sent"] else None
    )
    result.update(variant=variant, n=n)
    return result


def median(values: list[Any]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean else None


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def summarize(
    runs: list[dict[str, Any]], ns: list[int], variants: list[str]
) -> list[dict[str, Any]]:
    rows = []
    baseline = {v: [r for r in runs if r["variant"] == v and r["n"] == 0] for v in variants}
    for n in [0, *ns]:
        for variant in variants:
            group = [r for r in runs if r["variant"] == variant and r["n"] == n]
            if not group:
                continue
            keys = (
                "sent", "failed", "missed", "throughput", "lateness_p50_s", "lateness_p99_s",
                "cpu_ms_per_reminder", "rss_ready_mb", "peak_rss_mb", "ready_s", "first_send_s",
                "imports_done_s", "interpreter_s", "delivered_s", "sink_sent", "sink_cpu_ms_per_msg",
                "built_s",
            )  # fmt: skip
            row: dict[str, Any] = {"variant": variant, "n": n, "runs": len(group)}
            row.update({key: median([r.get(key) for r in group]) for key in keys})
            base = median([r.get("peak_rss_mb") for r in baseline[variant]])
            base_ready = median([r.get("rss_ready_mb") for r in baseline[variant]])
            row["peak_rss_growth_mb"] = (
                row["peak_rss_mb"] - base if None not in (base, row["peak_rss_mb"]) else None
            )
            row["ready_rss_growth_mb"] = (
                row["rss_ready_mb"] - base_ready
                if None not in (base_ready, row["rss_ready_mb"])
                else None
            )
            # Paired ratio: each run against the bare run of the same repeat (they ran
            # back to back), then the median of those ratios.
            ratios = []
            for r in group:
                bare = next(
                    (
                        b
                        for b in runs
                        if b["variant"] == "bare" and b["n"] == n and b["repeat"] == r["repeat"]
                    ),
                    None,
                )
                if bare and bare.get("throughput") and r.get("throughput"):
                    ratios.append(r["throughput"] / bare["throughput"])
            row["ratio_to_bare"] = median(ratios)
            rows.append(row)
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| variant | N | runs | sent | failed / missed | throughput msg/s | × bare | "
        "p50 late s | p99 late s | CPU ms/reminder | RSS ready MB | peak RSS MB | "
        "peak RSS growth vs N=0 MB | start → ready s | start → first send s |"
    )
    lines = [head, "|" + "|".join(["---"] * 15) + "|"]
    for row in rows:
        lines.append(
            "| "
            + " | ".join(
                [
                    row["variant"],
                    f"{row['n']:,}",
                    str(row["runs"]),
                    fmt(row["sent"], 0),
                    f"{fmt(row['failed'], 0)} / {fmt(row['missed'], 0)}",
                    fmt(row["throughput"], 0),
                    fmt(row["ratio_to_bare"], 2),
                    fmt(row["lateness_p50_s"], 2),
                    fmt(row["lateness_p99_s"], 2),
                    fmt(row["cpu_ms_per_reminder"], 2),
                    fmt(row["rss_ready_mb"], 1),
                    fmt(row["peak_rss_mb"], 1),
                    fmt(row["peak_rss_growth_mb"], 1),
                    fmt(row["ready_s"], 2),
                    fmt(row["first_send_s"], 2),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def evaluate(
    rows: list[dict[str, Any]], paced: list[dict[str, Any]], ns: list[int]
) -> list[dict[str, Any]]:
    targets = []
    by = {(r["variant"], r["n"]): r for r in rows}
    for n in ns:
        d, b = by.get(("dispatcher", n)), by.get(("bare", n))
        if d and b and d["ratio_to_bare"] is not None:
            targets.append({
                "target": f"pacing off: dispatcher throughput >= 80% of the bare loop (N={n:,})",
                "measured": f"{d['throughput']:,.0f} vs {b['throughput']:,.0f} msg/s, ratio {d['ratio_to_bare']:.2f}",
                "pass": d["ratio_to_bare"] >= 0.80,
            })  # fmt: skip
    dispatched = [by[("dispatcher", n)] for n in ns if ("dispatcher", n) in by]
    if dispatched:
        largest = dispatched[-1]
        zero = by.get(("dispatcher", 0))
        detail = ", ".join(f"N={r['n']:,}: {fmt(r['first_send_s'])} s" for r in dispatched)
        if zero:
            detail = f"ready at N=0: {fmt(zero['ready_s'])} s; first send {detail}"
        ok = largest["first_send_s"] is not None and largest["first_send_s"] < 1.0
        targets.append({
            "target": f"start-up (process start -> first send) under 1 s at N={largest['n']:,}",
            "measured": detail + f" (of which imports {fmt(largest['imports_done_s'])} s)",
            "pass": ok,
        })  # fmt: skip
        # Independence of N: imports do not depend on N, so compare what follows
        # them (build, post_init, getMe, first claim, first send) with the same
        # span at N=0 (to "ready", as nothing is sent there).
        if zero and zero["ready_s"] is not None and zero["imports_done_s"] is not None:
            base = zero["ready_s"] - zero["imports_done_s"]
            spans = [
                (r["n"], r["first_send_s"] - r["imports_done_s"])
                for r in dispatched
                if r["first_send_s"] is not None and r["imports_done_s"] is not None
            ]
            worst = max(span for _n, span in spans) if spans else None
            targets.append({
                "target": "start-up independent of N (imports done -> first send at N "
                "no more than 0.2 s above imports done -> ready at N=0)",
                "measured": f"N=0: {base:.2f} s; "
                + ", ".join(f"N={n:,}: {span:.2f} s" for n, span in spans),
                "pass": worst is not None and worst <= base + 0.2,
            })  # fmt: skip
            growth = largest["peak_rss_growth_mb"]
            ready_growth = largest["ready_rss_growth_mb"]
            targets.append({
                "target": f"memory growth under 50 MB from 0 to {largest['n']:,} subscribers (peak RSS)",
                "measured": f"{fmt(zero['peak_rss_mb'], 1)} MB -> {fmt(largest['peak_rss_mb'], 1)} MB "
                f"({growth:+.1f} MB; RSS after start-up {ready_growth:+.1f} MB)",
                "pass": growth is not None and growth < 50,
            })  # fmt: skip
    for p in paced:
        if p["rate"] != PACED_RATE:
            continue
        bound = PACED_SLACK * p["n"] / PACED_RATE
        targets.append({
            "target": f"paced at 30/s ({p['wiring']} wiring): {p['n']} reminders within {bound:.1f} s",
            "measured": f"{p['sent']} delivered in {fmt(p['delivered_s'])} s",
            "pass": p["sent"] == p["n"] and p["delivered_s"] is not None and p["delivered_s"] <= bound,
        })  # fmt: skip
    return targets


WATCHED = (
    "scheduler/dispatcher.py",
    "scheduler/send_policy.py",
    "scheduler/reminder_message.py",
    "storage/reminders.py",
    "storage/database.py",
    "bot/application.py",
    "bot/http_lanes.py",
)


def code_fingerprint() -> dict[str, str]:
    """sha256 (first 12 hex digits) of the product files the numbers depend on."""
    import hashlib

    return {
        name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest()[:12]
        for name in WATCHED
        if (ROOT / name).exists()
    }


def render(data: dict[str, Any]) -> None:
    """Prints the Markdown report for one benchmark run (fresh, or loaded with --report-from)."""
    runs, paced, ns, variants = data["runs"], data["paced"], data["ns"], data["variants"]
    rows = summarize(runs, ns, variants)
    targets = evaluate(rows, paced, ns)
    machine = data["machine"]
    print(
        f"\n## Reminder benchmark ({machine['cpus']} CPUs, Python {machine['python'].split()[0]})\n"
    )
    repeats = sorted({row["runs"] for row in rows if row["n"]})
    print(
        f"Medians over {' / '.join(map(str, repeats))} run(s) per variant and N "
        f"(see the runs column); database {data['database']}; sink in its own process.\n"
    )
    if data["experiments"].get("stub_sniffio"):  # an experiment of earlier runs
        print("EXPERIMENT: every bot process ran with a stub `sniffio` module (--stub-sniffio).\n")
    if data["experiments"].get("from_source"):
        print("Project modules compiled from source at every start (--from-source).\n")
    if data["experiments"]["dispatcher_kwargs"]:
        print(
            f"EXPERIMENT: ReminderDispatcher(**{data['experiments']['dispatcher_kwargs']}) "
            "instead of its defaults.\n"
        )
    print(markdown_table(rows))
    print("\n### Start-up breakdown (medians; seconds from the parent's spawn of the process)\n")
    print("| variant | N | interpreter up | imports done | app built | ready | first send |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['variant']} | {row['n']:,} | {fmt(row['interpreter_s'])} | "
            f"{fmt(row['imports_done_s'])} | {fmt(row.get('built_s'))} | {fmt(row['ready_s'])} | "
            f"{fmt(row['first_send_s'])} |"
        )
    print("\n### Throughput per run (msg/s; runs of one repeat ran back to back)\n")
    print("| N | repeat | " + " | ".join(variants) + " | dispatcher ÷ bare |")
    print("|---|---|" + "---|" * (len(variants) + 1))
    for n in ns:
        for repeat in sorted({r["repeat"] for r in runs if r["n"] == n}):
            by_variant = {r["variant"]: r for r in runs if r["n"] == n and r["repeat"] == repeat}
            cells = [fmt(by_variant.get(v, {}).get("throughput"), 0) for v in variants]
            d = by_variant.get("dispatcher", {}).get("throughput")
            b = by_variant.get("bare", {}).get("throughput")
            print(
                f"| {n:,} | {repeat} | "
                + " | ".join(cells)
                + f" | {fmt(d / b if d and b else None)} |"
            )
    if paced:
        print("\n### Dispatcher with pacing\n")
        print("| wiring | send_rate | N | sent | delivered in s | bound 1.05 × N/30 s | msg/s |")
        print("|---|---|---|---|---|---|---|")
        for p in paced:
            bound = PACED_SLACK * p["n"] / PACED_RATE
            print(
                f"| {p['wiring']} | {p['rate']:g} | {p['n']} | {p['sent']} | {fmt(p['delivered_s'])} | "
                f"{bound:.1f} | {fmt(p['throughput'], 1)} |"
            )
    print("\n### Targets\n")
    for t in targets:
        print(f"- **{'PASS' if t['pass'] else 'FAIL'}** {t['target']}: {t['measured']}")
    jq = [r for r in runs if r["variant"].startswith("jobqueue") and r["n"]]
    if jq:
        print("\n### JobQueue (one run_daily job per user) outcomes\n")
        for r in jq:
            print(
                f"- {r['variant']} N={r['n']:,} rep {r['repeat']}: sent {r['sent']:,}, "
                f"dropped as misfires {r.get('missed')}, errors {r.get('errors') or {}}, "
                f"unaccounted {r.get('unaccounted')}{', TIMED OUT' if r.get('timed_out') else ''}; "
                f"all jobs created {fmt(r.get('ready_s'))} s after process start (fire second at "
                f"{fmt(r.get('lead_s'), 1)} s, in time: {r.get('lead_ok')}); first callback "
                f"{fmt(r.get('first_callback_s'))} s, misfires {fmt(r.get('first_misfire_s'))} to "
                f"{fmt(r.get('last_misfire_s'))} s after the fire second"
            )
    for name, result in (data.get("profile") or {}).items():
        print(
            f"\n### cProfile of one {name} run, N={result['n']:,} "
            f"({fmt(result['throughput'], 0)} msg/s, {fmt(result['cpu_ms_per_reminder'])} CPU ms/msg "
            f"under the profiler)\n\n```\n{(result.get('profile') or '')[:14000]}\n```"
        )
    print(f"\n(total benchmark time {data['minutes']:.1f} min)")
    print(f"(code measured: {', '.join(f'{k} {v}' for k, v in data['code'].items())})")
    if data["code_changed_during_run"]:
        print(
            "(WARNING: these files changed while the benchmark ran: "
            f"{', '.join(data['code_changed_during_run'])})"
        )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Reminder dispatch benchmark (see benchmarks/README.md)."
    )
    parser.add_argument(
        "--n", type=int, nargs="+", default=[10_000, 100_000], help="subscriber counts"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per variant and N (median reported)"
    )
    parser.add_argument(
        "--large-repeats", type=int, default=None,
        help="runs for N >= 50,000 (default: --repeats); say so when quoting results",
    )  # fmt: skip
    parser.add_argument(
        "--variants", nargs="+", choices=VARIANTS, default=list(DEFAULT_VARIANTS),
        help="jobqueue-nograce (run_daily with misfire_grace_time=None) is opt-in: "
        "from a few thousand simultaneous jobs it sends little or nothing within --jobqueue-cap",
    )  # fmt: skip
    parser.add_argument(
        "--pacing-n", type=int, default=300, help="reminders in the paced (30/s) check; 0 skips it"
    )
    parser.add_argument(
        "--no-production-wiring", action="store_true",
        help="skip the paced checks through exactly what `acubot run` builds (with the reply rate limiter)",
    )  # fmt: skip
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the N=0 start-up/memory baseline"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: N=1000, 1 repeat, pacing N=60"
    )
    parser.add_argument(
        "--database", default=None,
        help="database URL (default: a SQLite file in a temp dir); postgresql+asyncpg://... "
        "is re-seeded before every dispatcher run, so point it at a scratch database",
    )  # fmt: skip
    parser.add_argument(
        "--jobqueue-cap", type=float, default=120, help="max seconds a jobqueue run waits for sends"
    )
    parser.add_argument(
        "--profile-n",
        type=int,
        default=0,
        help="also run the dispatcher once under cProfile at this N",
    )
    parser.add_argument(
        "--from-source", action="store_true",
        help="do not compile the project's modules first (see compile_project)",
    )  # fmt: skip
    parser.add_argument(
        "--dispatcher-concurrency", type=int, default=None,
        help="experiment: ReminderDispatcher(concurrency=...) instead of the product default",
    )  # fmt: skip
    parser.add_argument(
        "--dispatcher-batch-size", type=int, default=None,
        help="experiment: ReminderDispatcher(batch_size=...) instead of the product default",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="write all results here as JSON")
    parser.add_argument("--keep-workdir", action="store_true")
    parser.add_argument(
        "--report-from", type=Path, default=None,
        help="print the report of an earlier run from its --json file, running nothing",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeats, args.large_repeats = [1000], 1, 1
        if args.pacing_n == 300:
            args.pacing_n = 60
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.report_from:
        data = json.loads(args.report_from.read_text())
        render(data)
        return 0
    if args.dispatcher_concurrency is not None:
        DISPATCHER_KWARGS["concurrency"] = args.dispatcher_concurrency
    if args.dispatcher_batch_size is not None:
        DISPATCHER_KWARGS["batch_size"] = args.dispatcher_batch_size
    if not args.from_source:
        compile_project()
    ns = sorted(set(args.n))
    variants = [v for v in VARIANTS if v in args.variants]
    workdir = Path(tempfile.mkdtemp(prefix="acubot-bench-"))
    sink = Sink()
    runs: list[dict[str, Any]] = []
    paced: list[dict[str, Any]] = []
    profile = None
    started = _time.monotonic()
    fingerprint = code_fingerprint()
    try:
        from content.catalogue import load_catalogue
        from content.i18n import translator
        from scheduler.reminder_message import reminder_text

        text = reminder_text(translator("en"), load_catalogue(), ROUTINE, DUE.date())
        databases = Databases(args.database, workdir)
        sink.start()
        log(f"sink at {sink.url}; workdir {workdir}")

        def one(variant: str, n: int, repeat: int) -> None:
            extra: dict[str, Any] = {"text": text}
            if variant == "dispatcher":
                extra.update(database_url=databases.fresh(n), rate=0.0, wiring="production")
            if variant.startswith("jobqueue"):
                # Creating N jobs must finish before the shared fire second; about
                # 0.15 ms a job here, so allow twice that. Too short: retried longer.
                extra.update(lead=3.0 + n * 300e-6, cap=args.jobqueue_cap)
            result = run_worker(variant, n, sink, workdir, **extra)
            if variant.startswith("jobqueue") and result.get("lead_ok") is False:
                log(
                    f"  jobqueue N={n:,}: jobs not ready by the fire second, retrying with a longer lead"
                )
                extra["lead"] = 2 * extra["lead"] + 5
                result = run_worker(variant, n, sink, workdir, **extra)
            result["repeat"] = repeat
            runs.append(result)
            log(
                f"  {variant:<10} N={n:>7,} rep {repeat}: sent {result['sent']:,} "
                f"(sink {result['sink_sent']:,}, failed {result['failed']}, missed {result['missed']}"
                f"{', TIMED OUT' if result.get('timed_out') else ''}), "
                f"{fmt(result['throughput'], 0)} msg/s, p99 late {fmt(result['lateness_p99_s'])} s, "
                f"CPU {fmt(result['cpu_ms_per_reminder'])} ms/msg (sink {fmt(result['sink_cpu_ms_per_msg'])}), "
                f"peak {fmt(result.get('peak_rss_mb'), 0)} MB, "
                f"ready {fmt(result.get('ready_s'))} s, first send {fmt(result.get('first_send_s'))} s"
            )

        counts = ([] if args.no_baseline else [0]) + ns
        for n in counts:
            repeats = args.repeats
            if n >= 50_000 and args.large_repeats is not None:
                repeats = args.large_repeats
            log(f"N={n:,}: {repeats} repeat(s) of {', '.join(variants)}")
            for repeat in range(repeats):
                # Rotate the order so no variant always runs first (warm caches, noise).
                order = variants[repeat % len(variants) :] + variants[: repeat % len(variants)]
                for variant in order:
                    one(variant, n, repeat)

        if args.pacing_n:
            wirings = ["benchmark"] + ([] if args.no_production_wiring else ["production"])
            checks = [(w, PACED_RATE) for w in wirings]
            if not args.no_production_wiring:
                checks.append(("production", 0.0))  # pacing off, but AIORateLimiter still on
            for wiring, rate in checks:
                result = run_worker(
                    "dispatcher", args.pacing_n, sink, workdir,
                    database_url=databases.fresh(args.pacing_n), rate=rate, wiring=wiring,
                )  # fmt: skip
                result.update(rate=rate, wiring=wiring)
                paced.append(result)
                log(
                    f"  paced check: {wiring} wiring, send_rate={rate:g}: {result['sent']} sent, "
                    f"delivered in {fmt(result['delivered_s'])} s ({fmt(result['throughput'], 1)} msg/s)"
                )
        if args.profile_n:
            profile = {
                "dispatcher": run_worker(
                    "dispatcher", args.profile_n, sink, workdir,
                    database_url=databases.fresh(args.profile_n), rate=0.0, wiring="production", profile=True,
                    profile_dump=str(workdir / "profile-dispatcher.pstats"),
                ),
                "bare": run_worker(
                    "bare", args.profile_n, sink, workdir, text=text, profile=True,
                    profile_dump=str(workdir / "profile-bare.pstats"),
                ),
            }  # fmt: skip
            for name, result in profile.items():
                log(
                    f"  profiled {name} N={args.profile_n:,}: {fmt(result['throughput'], 0)} msg/s under cProfile"
                )
    finally:
        sink.stop()
        if not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    changed = [
        name for name, digest in code_fingerprint().items() if fingerprint.get(name) != digest
    ]
    if changed:
        log(f"WARNING: product files changed during the run: {', '.join(changed)}")
    data = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version},
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "ns": ns,
        "variants": variants,
        "database": "SQLite (temp file)" if databases.is_sqlite else "PostgreSQL",
        "experiments": {"from_source": args.from_source, "dispatcher_kwargs": DISPATCHER_KWARGS},
        "minutes": (_time.monotonic() - started) / 60,
        "paced": paced,
        "code": fingerprint,
        "code_changed_during_run": changed,
        "runs": runs,
        "profile": profile,
    }
    render(data)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    **data,
                    "summary": summarize(runs, ns, variants),
                    "targets": evaluate(summarize(runs, ns, variants), paced, ns),
                },
                indent=2,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2])
    else:
        sys.exit(main(sys.argv[1:]))
