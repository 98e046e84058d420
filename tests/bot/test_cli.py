"""The `acubot` command as a user runs it: subprocesses, piped stdin."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

BL40_CARD_START = "BL40 · Wěizhōng 委中"


def acubot(
    args: list[str], cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_", "LINK_"))
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def test_chat_prints_the_card(workdir: Path) -> None:
    result = acubot(["chat"], workdir, "/point UB40\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[photo saved to acubot-media/")
    assert BL40_CARD_START in result.stdout.splitlines()[1]
    assert "back of" in result.stdout.lower() or "behind the knee" in result.stdout.lower()
    assert "How to press it at home" in result.stdout
    assert "[1] 🧭 Bladder meridian" in result.stdout
    assert (workdir / "acubot.sqlite3").exists()  # the default database, in the working directory


def test_chat_same_card_for_three_names(workdir: Path) -> None:
    result = acubot(["chat"], workdir, "/point weizhong\n/point 委中\n/point bl-40\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(BL40_CARD_START) == 3


def test_chat_typo_then_press_the_first_suggestion(workdir: Path) -> None:
    result = acubot(["chat"], workdir, "/point weizong\n#1\n/point UB99\n")
    assert result.returncode == 0, result.stderr
    first, _, rest = result.stdout.partition("\n\n")
    assert "not in our catalogue" in first and "[1] BL40" in first
    assert rest.startswith("[photo saved to") and BL40_CARD_START in rest.splitlines()[1]
    assert "“UB99” is not in our catalogue" in rest


def test_chat_buttons_by_word_and_url_buttons(workdir: Path) -> None:
    result = acubot(
        ["chat", "--db", str(workdir / "other.sqlite3")],
        workdir,
        "/book\n#book\n/meridian\n#kidney\n#99\n",
        BOOKING_URL="https://clinic.example.com/book",
    )
    assert result.returncode == 0, result.stderr
    assert "-> https://clinic.example.com/book" in result.stdout
    assert "(opens https://clinic.example.com/book)" in result.stdout
    assert "Kidney meridian (KI)" in result.stdout
    assert "No button '99'" in result.stdout
    assert (workdir / "other.sqlite3").exists()


def test_chat_run_twice_shows_each_points_own_picture(workdir: Path) -> None:
    """Issue 11.4: a second run must not resolve the first run's file id to KI3's picture."""
    from content.catalogue import PICTURES_DIR

    acubot(["chat"], workdir, "/point BL40\n")
    result = acubot(["chat"], workdir, "/point KI3\n/point BL40\n")
    assert result.returncode == 0, result.stderr
    saved = [line for line in result.stdout.splitlines() if line.startswith("[photo")]
    assert len(saved) == 2 and all("saved to" in line for line in saved), saved
    for line, code in zip(saved, ("KI3", "BL40"), strict=True):
        path = workdir / line.removeprefix("[photo saved to ").removesuffix("]")
        assert path.read_bytes() == (PICTURES_DIR / "points" / f"{code}.png").read_bytes()


def test_run_without_token_exits_2_with_one_line(workdir: Path) -> None:
    result = acubot(["run"], workdir)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "acubot chat" in result.stderr


FAKE_TOKEN = "123456:" + "A" * 35
SECRET = "cli-test-link-secret-0123456789abcdef"


def test_run_without_link_secret_exits_2_saying_how_to_make_one(workdir: Path) -> None:
    result = acubot(["run"], workdir, TELEGRAM_BOT_TOKEN=FAKE_TOKEN)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "LINK_SECRET" in result.stderr
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in result.stderr
    webhook = acubot(
        ["run", "--webhook"],
        workdir,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        WEBHOOK_URL="https://bot.clinic.example",
        WEBHOOK_SECRET="w" * 32,
    )
    assert webhook.returncode == 2 and webhook.stderr == result.stderr
    assert not list(workdir.glob("*.link-secret"))  # production never makes one itself


def test_a_short_link_secret_exits_2_with_one_line(workdir: Path) -> None:
    result = acubot(["run"], workdir, TELEGRAM_BOT_TOKEN=FAKE_TOKEN, LINK_SECRET="hunter2")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Setting LINK_SECRET is invalid: must be at least 32")
    assert "hunter2" not in result.stderr


def test_chat_makes_its_link_secret_once_and_never_logs_it(workdir: Path) -> None:
    first = acubot(["chat"], workdir, "/start\n", LOG_LEVEL="DEBUG")
    assert first.returncode == 0, first.stderr
    path = workdir / "acubot.sqlite3.link-secret"
    secret = path.read_text().strip()
    assert len(secret) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    second = acubot(["chat"], workdir, "/point BL40\n", LOG_LEVEL="DEBUG")
    assert second.returncode == 0, second.stderr
    assert path.read_text().strip() == secret
    log = (workdir / "acubot-chat.log").read_text()
    assert "Made a LINK_SECRET" in log and "DEBUG" in log
    for text in (log, first.stdout, first.stderr, second.stdout, second.stderr):
        assert secret not in text and secret[:16] not in text


def test_chat_with_link_secret_set_makes_no_file(workdir: Path) -> None:
    result = acubot(["chat"], workdir, "/start\n", LINK_SECRET=SECRET)
    assert result.returncode == 0, result.stderr
    assert not list(workdir.glob("*.link-secret"))


def test_chat_with_a_damaged_secret_file_exits_2_with_one_line(workdir: Path) -> None:
    (workdir / "acubot.sqlite3.link-secret").write_text("oops\n")
    result = acubot(["chat"], workdir, "/start\n")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "acubot.sqlite3.link-secret" in result.stderr
    assert "oops" not in result.stderr


def test_bad_setting_exits_2_without_traceback(workdir: Path) -> None:
    result = acubot(["chat"], workdir, "", CLINIC_TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "CLINIC_TIMEZONE" in result.stderr


def test_db_upgrade(workdir: Path) -> None:
    result = acubot(["db", "upgrade"], workdir)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_webhook_mode_needs_its_settings(workdir: Path) -> None:
    result = acubot(["run", "--webhook"], workdir, TELEGRAM_BOT_TOKEN="123456:" + "A" * 35)
    assert result.returncode == 2
    assert "WEBHOOK_URL" in result.stderr and "WEBHOOK_SECRET" in result.stderr


def test_worker_without_token_exits_2(workdir: Path) -> None:
    result = acubot(["worker"], workdir)
    assert result.returncode == 2 and "TELEGRAM_BOT_TOKEN" in result.stderr


def test_chat_a_command_stops_the_reminder_question(workdir: Path) -> None:
    """Issue 17's acceptance: the /point line and the point's name both show BL40's card."""
    result = acubot(["chat"], workdir, "/remind\n/point ub40\nweizhong\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "I stopped setting up your reminder." in out
    assert out.count(BL40_CARD_START) == 2
    assert out.index("I stopped setting up") < out.index(BL40_CARD_START)
    assert "couldn't read that as a time" not in out


def test_chat_stop_then_pause_says_there_is_nothing_to_pause(workdir: Path) -> None:
    fresh = acubot(["chat", "--db", str(workdir / "fresh.sqlite3")], workdir, "/stop\n/pause\n")
    assert "nothing to stop" in fresh.stdout and "nothing to pause" in fresh.stdout
    result = acubot(["chat"], workdir, "/remind\n#8:00\n#Confirm\n/stop\n/pause\n/resume\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Reminders stopped" in out
    assert out.count("nothing to pause") == 2 and "Reminders paused" not in out
    assert "Reminders are on" not in out.split("Reminders stopped", 1)[1]


def test_chat_after_delete_an_everyone_broadcast_reaches_nobody(workdir: Path) -> None:
    """Issue 11's acceptance: /delete, then /routine; staff's broadcast on the same database."""
    patient = acubot(["chat", "--user-id", "2"], workdir, "/start\n/delete\n#yes\n/routine\n")
    assert patient.returncode == 0, patient.stderr
    assert "Everything I stored about you is deleted" in patient.stdout
    staff = acubot(
        ["chat", "--user-id", "1"],
        workdir,
        "/broadcast\nClosed on Friday\n#No button\n#Everyone\n#Confirm\n",
        ADMIN_IDS="1",
    )
    assert staff.returncode == 0, staff.stderr
    assert "Everyone who started the bot (0)" in staff.stdout
    assert "Sent: 0 of 0" in staff.stdout and "finished" in staff.stdout


def test_chat_now_pretends_a_time_and_sends_what_is_due_first(workdir: Path) -> None:
    db = ["--db", "week.sqlite3"]
    setup = acubot(["chat", *db, "--now", "2027-03-14T20:00"], workdir, "/remind\n8:00\n#confirm\n")
    assert setup.returncode == 0, setup.stderr
    # Sunday 14 March 2027 is the spring clock change in Chicago; Monday's 8:00 is CDT.
    assert "Next reminder: Mon, March 15 at 8:00\u202fAM." in setup.stdout
    later = acubot(["chat", *db, "--now", "2027-03-15T13:00:30+00:00"], workdir, "#2\n")
    assert later.returncode == 0, later.stderr
    assert later.stdout.startswith("🌿 Time for today's back care — Mon, March 15")
    assert "Marked as done ✅" in later.stdout


def test_chat_now_refuses_what_is_not_a_time(workdir: Path) -> None:
    result = acubot(["chat", "--db", "t.sqlite3", "--now", "next tuesday"], workdir, "/help\n")
    assert result.returncode == 2
    assert "'next tuesday' is not a date and time such as 2027-03-15T08:00" in result.stderr
    assert result.stdout == ""


def test_chat_now_needs_a_database_of_its_own(workdir: Path) -> None:
    """Without --db the chat would use DATABASE_URL, perhaps the clinic's real one."""
    result = acubot(["chat", "--now", "2027-03-15T08:00"], workdir, "/help\n")
    assert result.returncode == 2
    assert "--now needs --db FILE" in result.stderr
    assert result.stdout == "" and not (workdir / "acubot.sqlite3").exists()
