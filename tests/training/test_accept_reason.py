"""An accepted fairness disparity is recorded on the model version as someone's judgement, so `promote` and
`retrain` refuse a reason that is empty, a word or two, or the README's placeholder left as it was."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhu.cli import app
from training.cli import MIN_REASON_CHARS, reason_problem

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("command", ["promote", "retrain"])
@pytest.mark.parametrize(
    "reason", ["", "   ", "ok", "small county", "<who judged it, and why it is acceptable>"]
)
def test_an_empty_short_or_placeholder_reason_is_refused_before_the_registry_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, reason: str
) -> None:
    from shouhu.settings import get_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHOUHU_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("SHOUHU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, [command, "--accept-disparity", f"township_code={reason}"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "--accept-disparity township_code: the reason" in result.stderr
    assert ("placeholder" in result.stderr) or (f"at least {MIN_REASON_CHARS}" in result.stderr)
    assert not (tmp_path / "mlflow.db").exists()


def test_a_reason_someone_wrote_is_accepted() -> None:
    assert reason_problem("two townships: the recall ratio rests on a handful of events") is None
    assert reason_problem("乡镇只有两个，召回率之比只来自几个事件，县民政已复核") is None


def test_the_readme_shows_a_placeholder_the_command_refuses() -> None:
    reasons = re.findall(r'--accept-disparity "[^=]+=([^"]*)"', README.read_text(encoding="utf-8"))
    assert reasons, "the README shows how to accept a disparity"
    assert all(reason_problem(r) is not None and "placeholder" in reason_problem(r) for r in reasons)
