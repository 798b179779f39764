"""Settings are a leaf: the library takes values as parameters (warehouse path, spec, secrets, tracking URI);
only the command-line modules, the demo and the app factory's caller read the settings object."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("shouhu_core", "data_contracts", "features", "training", "serving", "simulation", "shouhu")
# where settings may be read: the commands (`*/cli.py`, `*/*_cli.py`), the demo, the monthly job's command,
# the ASGI entry point of several workers (`uvicorn serving.asgi:app`), and the settings module
READERS = {"shouhu/settings.py", "shouhu/demo.py", "shouhu/schedule.py", "serving/asgi.py"}


def _reads_settings(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name | ast.Attribute)
        and (node.id if isinstance(node, ast.Name) else node.attr) == "get_settings"
    ] + [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and any(a.name == "get_settings" for a in node.names)
    ]


def test_no_library_module_reads_the_global_settings() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if path.name == "cli.py" or path.name.endswith("_cli.py") or relative in READERS:
                continue
            lines = _reads_settings(path)
            if lines:
                offenders.append(f"{relative}:{lines[0]}")
    assert offenders == []


def test_the_default_spec_is_the_packaged_one_whatever_the_settings_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from features.spec import DEFAULT_SPEC, load_spec
    from shouhu.settings import get_settings

    other = tmp_path / "other.yaml"
    other.write_text(DEFAULT_SPEC.read_text(encoding="utf-8").replace('version: "', 'version: "9'), "utf-8")
    monkeypatch.setenv("SHOUHU_FEATURE_SPEC", str(other))
    get_settings.cache_clear()
    try:
        assert get_settings().feature_spec == other
        assert load_spec().version == load_spec(DEFAULT_SPEC).version != load_spec(other).version
    finally:
        get_settings.cache_clear()


def test_an_edited_spec_file_is_read_again(tmp_path: Path) -> None:
    from features.spec import DEFAULT_SPEC, load_spec

    path = tmp_path / "spec.yaml"
    text = DEFAULT_SPEC.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    before = load_spec(path)
    path.write_text(text.replace('version: "', 'version: "2.'), encoding="utf-8")
    assert load_spec(path).version == "2." + before.version
