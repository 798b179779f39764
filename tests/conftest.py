"""What every test run shares: the `--screenshots DIR` option of the browser tests, and a check that the run
left the checkout as it found it.

The check compares `git status` (tracked files, and new files git does not ignore) before and after the
session, with a hash of each listed file's content, so a test that rewrites a tracked file, or one that was
already modified, fails the run. Without git (or outside a git checkout) it says so and is skipped."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_STATE = pytest.StashKey[dict[str, str] | None]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        default=None,
        help="write the browser tests' screenshots to DIR (`docs/screenshots` refreshes the README's "
        "images); by default they go to a temporary folder",
    )


def checkout_state(root: Path) -> dict[str, str] | None:
    """Each path `git status` lists (changed tracked files, new files not ignored) → its status and a hash of
    its content; None when git is missing or `root` is not a checkout git can read."""
    if shutil.which("git") is None:
        return None
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all"],
            cwd=root,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    state: dict[str, str] = {}
    entries = iter(done.stdout.decode("utf-8", "surrogateescape").split("\0"))
    for entry in entries:
        if not entry:
            continue
        status, path = entry[:2], entry[3:]
        if status[0] in "RC":  # a rename or copy names its source next
            next(entries, None)
        file = root / path
        digest = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "-"
        state[path] = f"{status} {digest}"
    return state


def changed_during(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Paths whose status or content differs between two `checkout_state`s."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def pytest_sessionstart(session: pytest.Session) -> None:
    session.stash[_STATE] = checkout_state(ROOT)


def _asked_for(config: pytest.Config) -> str | None:
    """The folder `--screenshots` names, relative to the checkout, when it lies inside it."""
    folder = config.getoption("--screenshots")
    if not folder:
        return None
    path = Path(folder).resolve()
    return path.relative_to(ROOT).as_posix() + "/" if path.is_relative_to(ROOT) else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    before = session.stash.get(_STATE, None)
    after = checkout_state(ROOT) if before is not None else None
    if before is None or after is None:
        if reporter is not None:
            reporter.line("")
            reporter.write_line("checkout check skipped: git is not available or cannot read this checkout")
        return
    asked = _asked_for(session.config)  # screenshots a person asked to refresh are the run's purpose
    changed = [p for p in changed_during(before, after) if not (asked and p.startswith(asked))]
    if not changed:
        return
    if reporter is not None:
        reporter.line("")  # end the progress line
        reporter.write_sep("=", "the test run changed files of the checkout", red=True)
        for path in changed[:50]:
            status = after[path][:2].strip() if path in after else "reverted"
            reporter.write_line(f"  {status:>8}  {path}")
        reporter.write_line(
            "tests must write into temporary folders (browser screenshots: --screenshots DIR); "
            "see `git status` and `git diff`"
        )
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
