"""`shouhu --version`: what a bug report needs — the package version, the checkout's git commit, and the
versions of the contracts a warehouse and a model are made against (feeds, model output, indicator spec)."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def git_commit(root: Path = ROOT) -> str | None:
    """The short commit of the checkout the code runs from (None outside a git checkout or without git)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def version_text() -> str:
    from data_contracts.feeds import FEEDS
    from features.spec import DEFAULT_SPEC, load_spec
    from shouhu_core.model_contract import CONTRACT_VERSION

    try:
        version = metadata.version("shouhu")
    except metadata.PackageNotFoundError:
        version = "unknown (not installed)"
    commit = git_commit()
    spec = load_spec(DEFAULT_SPEC)
    feeds = ", ".join(f"{name} {feed.version}" for name, feed in FEEDS.items())
    return "\n".join(
        [
            f"shouhu {version} (git {commit or 'unknown: not a git checkout'})",
            f"model output contract {CONTRACT_VERSION}; indicator spec {DEFAULT_SPEC.stem} {spec.version}",
            f"feed contracts: {feeds}",
        ]
    )
