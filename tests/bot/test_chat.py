"""`acubot chat` as a person sees it: what is printed, and what is not (issue 11.17)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from bot.chat import PROMPT, TerminalChat, run_chat
from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from tests.conftest import make_settings
from tests.harness import Patient


def chat_in_process(database: Path, lines: str, *, user_id: int = 1, **settings: object) -> str:
    """One `acubot chat` run in this process; returns what it printed."""
    out = io.StringIO()
    import asyncio

    asyncio.run(
        run_chat(
            make_settings(database, **settings),  # type: ignore[arg-type]
            user_id=user_id,
            media_dir=database.parent / "media",
            stdin=io.StringIO(lines),
            stdout=out,
            interactive=False,
        )
    )
    return out.getvalue()


def test_log_lines_go_to_a_file_never_into_the_conversation(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LOG_LEVEL": "INFO"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="/broadcast\n/stats\n/point BL40\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "WARNING" not in result.stdout and "INFO" not in result.stdout
    assert result.stdout.count("only for clinic staff") == 2
    log = (tmp_path / "acubot-chat.log").read_text()
    assert "Refused /broadcast" in log and "Acubot ready" in log


def test_a_broadcast_to_other_people_is_one_summary_line(tmp_path: Path) -> None:
    database = tmp_path / "acubot.sqlite3"
    for other in range(2, 8):
        chat_in_process(database, "/start\n", user_id=other)
    printed = chat_in_process(
        database,
        "/start\n/broadcast\nNew evening hours!\n#no button\n#everyone\n#confirm\n",
        admin_ids="1",
    )
    assert printed.count("→ sent to") == 1, printed
    assert "→ sent to 6 people: “New evening hours!”" in printed
    # Nothing addressed to the others is printed as if it were this person's.
    assert printed.count("New evening hours!") <= 3  # preview, own copy, summary


def test_a_message_to_someone_else_is_summarised_not_printed(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    out = io.StringIO()
    chat = TerminalChat(api, out, user_id=1)
    api.handle(
        "sendMessage", {"chat_id": 5, "text": "Hello <b>there</b>", "parse_mode": "HTML"}, {}
    )
    api.handle(
        "sendMessage", {"chat_id": 6, "text": "Hello <b>there</b>", "parse_mode": "HTML"}, {}
    )
    assert out.getvalue() == ""
    api.handle("sendMessage", {"chat_id": 1, "text": "For you"}, {})
    assert out.getvalue() == "→ sent to 2 people: “Hello there”\n\nFor you\n\n"
    chat.flush()  # nothing more to summarise
    assert out.getvalue().endswith("For you\n\n")


async def test_a_timers_message_in_interactive_mode_shows_the_prompt_again(
    app: AcubotApp, api: InProcessBotAPI, patient: Patient
) -> None:
    out = io.StringIO()
    chat = TerminalChat(api, out, user_id=patient.user_id, interactive=True)
    await patient.send("/routine")
    await patient.press("timer")
    assert not out.getvalue().endswith(PROMPT)  # answers to a typed line: no extra prompt
    chat.at_prompt.set()  # the person is at the prompt, typing nothing yet
    (job,) = [job for job in app.job_queue.jobs() if job.name and job.name.startswith("hold:")]
    before = len(out.getvalue())
    await job.run(app)
    printed = out.getvalue()[before:]
    assert printed.startswith("\r\x1b[K") and "Time's up" in printed
    assert printed.endswith(f"\n\n{PROMPT}")
