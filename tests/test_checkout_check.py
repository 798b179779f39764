"""A test run fails when it changed a file of the checkout (tests/conftest.py), tried on a throwaway git
checkout with this repository's conftest and a real pytest run in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

WRITES_A_TRACKED_FILE = """
from pathlib import Path

def test_rewrites_a_tracked_file():
    Path(__file__).parents[1].joinpath("tracked.txt").write_text("changed by a test")
"""
WRITES_A_NEW_FILE = """
from pathlib import Path

def test_leaves_a_new_file():
    Path(__file__).parents[1].joinpath("left_behind.csv").write_text("a,b")
"""
WRITES_SCREENSHOTS = """
from pathlib import Path

def test_refreshes_a_screenshot(request):
    folder = Path(request.config.getoption("--screenshots"))
    (folder / "page.png").write_bytes(b"new picture")
"""
TOUCHES_NOTHING = """
def test_reads_only():
    assert 1 + 1 == 2
"""


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def _checkout(root: Path, test_body: str) -> Path:
    """A git checkout holding the real conftest, one test module, a tracked file and an ignored folder."""
    (root / "tests").mkdir(parents=True)
    shutil.copy(CONFTEST, root / "tests" / "conftest.py")
    (root / "tests" / "test_it.py").write_text(test_body, encoding="utf-8")
    (root / "tracked.txt").write_text("as committed", encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "page.png").write_bytes(b"old picture")
    (root / ".gitignore").write_text("__pycache__/\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "start")
    return root


def _pytest(root: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": path if path is not None else os.environ.get("PATH", ""),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # the plugins of the environment only slow the start
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_run_that_rewrites_a_tracked_file_fails_and_names_it(tmp_path: Path) -> None:
    done = _pytest(_checkout(tmp_path, WRITES_A_TRACKED_FILE))
    assert done.returncode == 1, done.stdout
    assert "the test run changed files of the checkout" in done.stdout
    assert "M  tracked.txt" in done.stdout and "1 passed" in done.stdout


def test_a_run_that_changes_an_already_modified_file_again_fails(tmp_path: Path) -> None:
    root = _checkout(tmp_path, WRITES_A_TRACKED_FILE)
    (root / "tracked.txt").write_text("a person's edit in progress", encoding="utf-8")
    done = _pytest(root)
    assert done.returncode == 1 and "tracked.txt" in done.stdout, done.stdout


def test_a_run_that_leaves_a_new_file_in_the_checkout_fails(tmp_path: Path) -> None:
    done = _pytest(_checkout(tmp_path, WRITES_A_NEW_FILE))
    assert done.returncode == 1 and "??  left_behind.csv" in done.stdout, done.stdout


def test_a_run_that_touches_nothing_passes_and_so_do_screenshots_asked_for(tmp_path: Path) -> None:
    quiet = _pytest(_checkout(tmp_path / "a", TOUCHES_NOTHING))
    assert quiet.returncode == 0 and "changed files" not in quiet.stdout, quiet.stdout
    asked = _pytest(_checkout(tmp_path / "b", WRITES_SCREENSHOTS), "--screenshots", "docs")
    assert asked.returncode == 0 and "changed files" not in asked.stdout, asked.stdout
    assert (tmp_path / "b" / "docs" / "page.png").read_bytes() == b"new picture"


def test_without_git_the_run_says_the_check_is_skipped_and_does_not_fail(tmp_path: Path) -> None:
    root = _checkout(tmp_path, WRITES_A_TRACKED_FILE)
    done = _pytest(root, path=str(Path(sys.executable).parent))  # python, but no git on the PATH
    assert done.returncode == 0, done.stdout
    assert "checkout check skipped: git is not available" in done.stdout
