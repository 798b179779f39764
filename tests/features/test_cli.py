"""`shouhu features` end to end through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from shouhu.cli import app
from tests.features.factories import T, registry_row
from tests.features.scenario import county


def test_monthly_run_starts_at_the_first_1st_on_or_after_from_and_prints_missingness(tmp_path: Path) -> None:
    # a child registered since mid-2023 is in the cohort on 2024-01-01, so a run that rounded FROM down to
    # that month's 1st would write rows for it
    early = county().add(
        "children_registry",
        registry_row(9, snapshot_date=T("2023-06-01"), recorded_at=T("2023-06-05")),
    )
    wh = early.build(tmp_path / "wh.duckdb")
    out = tmp_path / "m.parquet"
    result = CliRunner().invoke(
        app,
        [
            "features",
            "--monthly",
            "2024-01-15",
            "2024-06-30",
            "--as-of",
            "2024-06-10",
            "--warehouse",
            str(wh),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out)
    assert sorted(df.as_of.dt.strftime("%m-%d").unique()) == [
        "02-01",
        "03-01",
        "04-01",
        "05-01",
        "06-01",
        "06-10",
    ]
    assert "距上次走访天数" in result.output and "缺失率" in result.output


def test_missing_dates_is_a_clear_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["features", "--out", str(tmp_path / "m.parquet")])
    assert result.exit_code == 2


def test_duckdb_memory_setting_caps_the_features_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import features.backend
    from shouhu.settings import get_settings

    wh = county().build(tmp_path / "wh.duckdb")
    seen: list[tuple[str, str]] = []
    real_open = features.backend.open_warehouse

    def spying_open(*args: object, **kw: object) -> features.backend.Backend:
        engine = real_open(*args, **kw)
        seen.extend(
            engine._raw("SELECT current_setting('memory_limit'), current_setting('temp_directory')")  # type: ignore[attr-defined]
        )
        return engine

    monkeypatch.setattr(features.backend, "open_warehouse", spying_open)
    monkeypatch.setenv("SHOUHU_DUCKDB_MEMORY", "1GB")
    monkeypatch.setenv("SHOUHU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        args = [
            "features",
            "--as-of",
            "2024-06-01",
            "--warehouse",
            str(wh),
            "--out",
            str(tmp_path / "m.parquet"),
        ]
        result = CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    limit, spill = seen[0]
    assert limit == "953.6 MiB"  # 1 GB as DuckDB shows it (its default is 80 % of the machine's memory)
    assert Path(spill) == tmp_path / "data" / "duckdb_spill"


def test_duckdb_memory_setting_refuses_what_duckdb_would_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from shouhu.settings import Settings

    monkeypatch.setenv("SHOUHU_DUCKDB_MEMORY", "4GB'; SELECT 1; --")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("SHOUHU_DUCKDB_MEMORY", "512MiB")
    assert Settings().duckdb_memory == "512MiB"
