"""The README's promise: a two-command Quick start, the second run verbatim by CI."""

from __future__ import annotations

import io
import re
from pathlib import Path

import podcap.cli

ROOT = Path(__file__).resolve().parents[1]


def _quick_start() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands() -> None:
    commands = _quick_start()
    assert len(commands) == 2
    assert commands[0].startswith("pip install . && podcap ")
    assert commands[1] == 'pip install ".[test]" && python -m pytest'


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _quick_start()[1] in ci


def test_quick_start_example_prints_the_seed_story() -> None:
    # Run the first command's podcap part from the repository root.
    argv = _quick_start()[0].split("&& podcap ", 1)[1].split()
    argv = [str(ROOT / a) if (ROOT / a).exists() else a for a in argv]
    out = io.StringIO()
    assert podcap.cli.main(argv, stream=out) == 0
    text = out.getvalue()
    assert re.search(r"nginx\s+80\s+33\s+47\s+0\s+0\s+0", text)
    assert "2 Insufficient cpu." in text
