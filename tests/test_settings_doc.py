"""The README's settings table is generated from the settings object, so every setting is in it, described
once, and a new field shows up there as soon as `shouhu settings-doc` is run."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from shouhu.cli import app
from shouhu.settings import Settings
from shouhu.settings_doc import README, env_name, render_table, with_table


def test_the_readme_settings_table_is_exactly_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    assert with_table(text) == text, "run `uv run shouhu settings-doc` and commit README.md"


def test_every_setting_has_a_row_with_its_variable_and_a_description() -> None:
    table = render_table()
    undescribed = [
        name for name, field in Settings.model_fields.items() if not (field.description or "").strip()
    ]
    assert undescribed == [], "give each settings field a description= (it is the README's text)"
    for name in Settings.model_fields:
        assert f"| `{env_name(name)}` |" in table
    assert "| `SHOUHU_TOKEN_MINUTES` | `60` | How long a sign-in lasts" in table
    assert "| `SHOUHU_WAREHOUSE` | `DATA_DIR/warehouse.duckdb` |" in table
    assert "| `SHOUHU_TOKEN_SECRET` | a public development value (refused) |" in table


def test_settings_doc_finds_a_stale_table_and_rewrites_it(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    stale = README.read_text(encoding="utf-8").replace("| `SHOUHU_HORIZON_DAYS` |", "| `SHOUHU_HORIZON` |")
    readme.write_text(stale, encoding="utf-8")
    runner = CliRunner()
    checked = runner.invoke(app, ["settings-doc", "--readme", str(readme), "--check"])
    assert checked.exit_code == 1 and "stale" in checked.output
    assert runner.invoke(app, ["settings-doc", "--readme", str(readme)]).exit_code == 0
    assert readme.read_text(encoding="utf-8") == README.read_text(encoding="utf-8")
