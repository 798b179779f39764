"""The README's commands are the CLI's: every `shouhu` command and option it shows exists, and the
step-by-step trains on the feature matrix it builds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer

from shouhu.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def shouhu_lines(text: str) -> list[list[str]]:
    """The arguments after `shouhu` of each command line in the README's bash blocks (continuations joined,
    comments dropped)."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if "shouhu" in words and words[: words.index("shouhu")][-2:] == ["uv", "run"]:
                lines.append(words[words.index("shouhu") + 1 :])
    return lines


def test_every_command_and_option_the_readme_shows_exists() -> None:
    root = typer.main.get_command(app)
    lines = shouhu_lines(README.read_text(encoding="utf-8"))
    assert len(lines) > 15
    for args in lines:
        command, rest = root, list(args)
        while rest and hasattr(command, "commands") and rest[0] in command.commands:
            command = command.commands[rest.pop(0)]
        assert command is not root, f"`shouhu {' '.join(args)}`: no such command"
        known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        unknown = [a for a in rest if a.startswith("--") and a.split("=")[0] not in known]
        assert unknown == [], f"`shouhu {' '.join(args)}`: unknown option(s) {unknown}"


def test_the_step_by_step_trains_on_the_matrix_it_builds() -> None:
    lines = shouhu_lines(README.read_text(encoding="utf-8"))
    built = [a[a.index("--out") + 1] for a in lines if a[0] == "features"]
    trained = [a[a.index("--matrix") + 1] for a in lines if a[0] == "train" and "--matrix" in a]
    assert built and trained and trained[0] == built[0]
