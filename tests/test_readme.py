"""README's commands work as written after its Quick start (issue 11.5).

Every ```sh block of README.md is run with bash, offline, in a fresh folder
that looks like the Quick start's: `.venv/bin/acubot` and `.venv/bin/python`
are this test run's interpreter. PATH holds only the system's directories, so
a bare `acubot` (not on PATH after the Quick start) fails here as it would for
a new user. Only the two Quick-start blocks, which install from the package
index, are not run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
_HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)
INSTALLS = "pip install"
# What the bot or the chat says when an example is broken.
BROKEN = (
    "Traceback",
    "Sorry, something went wrong",
    "I don't know the command",
    "No button '",
    "There are no buttons to press yet",
)


def sh_blocks(text: str) -> list[tuple[str, str]]:
    """(the heading above it, the block's text) for every ```sh block."""
    blocks = []
    for match in _BLOCK.finditer(text):
        headings = _HEADING.findall(text, 0, match.start())
        blocks.append((headings[-1] if headings else "", match.group(1)))
    return blocks


def commands(block: str) -> list[str]:
    """The block's commands, a line ending in a backslash joined with the next."""
    joined = block.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


def examples() -> list[str]:
    return [
        command
        for _, block in sh_blocks(README.read_text(encoding="utf-8"))
        if INSTALLS not in block
        for command in commands(block)
    ]


def test_only_the_quick_start_installs() -> None:
    blocks = sh_blocks(README.read_text(encoding="utf-8"))
    installing = [heading for heading, block in blocks if INSTALLS in block]
    assert installing == ["Quick start", "Quick start"]
    assert examples(), "README has no examples to run"


def test_the_examples_use_the_quick_starts_venv() -> None:
    for command in examples():
        for word in shlex.split(command, comments=True):
            assert word not in {"acubot", "python"}, f"not on PATH after the Quick start: {command}"


@pytest.fixture
def quick_start_folder(tmp_path: Path) -> Path:
    """A folder as the Quick start leaves it: `.venv/bin/acubot` and `.venv/bin/python`."""
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, arguments in (("python", ""), ("acubot", " -m bot")):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)}{arguments} "$@"\n')
        script.chmod(0o755)
    return tmp_path


def test_every_readme_example_runs_as_written(quick_start_folder: Path) -> None:
    environment = {
        "PATH": os.pathsep.join(("/usr/local/bin", "/usr/bin", "/bin")),
        "HOME": str(quick_start_folder),
        "LANG": "C.UTF-8",
    }
    for command in examples():
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            capture_output=True,
            text=True,
            cwd=quick_start_folder,
            env=environment,
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        assert result.stderr == "", f"{command}\n{result.stderr}"
        assert result.stdout.strip(), command
        for sign in BROKEN:
            assert sign not in result.stdout, f"{command}\n{result.stdout}"
