"""A second county poured into a county's warehouse is refused in one line naming the problem and the fix,
unless told `--allow-mixed`; the same county's new files are not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from data_contracts.warehouse import connect
from shouhu.cli import app
from shouhu.settings import get_settings
from simulation.config import SimulationConfig
from simulation.county import simulate
from tests.data_contracts.factories import row, rows, write, write_world


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SHOUHU_PSEUDONYM_SECRET", "mixed-county-secret-of-at-least-32-characters")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _county(out: Path, seed: int) -> Path:
    config = SimulationConfig(
        townships=2, villages=2, children=150, start=date(2023, 1, 1), end=date(2023, 6, 30), seed=seed
    )
    simulate(config, out, progress=False)
    return out


@pytest.fixture(scope="module")
def two_counties(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("counties")
    return _county(root / "seed1", 1), _county(root / "seed2", 2)


def ingest(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["ingest", *args, "--no-progress"], env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _tables(warehouse: Path) -> dict[str, int]:
    con = connect(warehouse)
    try:
        names = ["children_registry", "visit_logs", "quarantine", "workers", "schools"]
        return {n: int(con.execute(f"SELECT count(*) FROM {n}").fetchone()[0]) for n in names}  # type: ignore[index]
    finally:
        con.close()


def test_a_second_simulated_county_is_refused_in_one_line_and_allow_mixed_loads_it(
    two_counties: tuple[Path, Path], tmp_path: Path
) -> None:
    first, second = two_counties
    warehouse = str(tmp_path / "wh.duckdb")
    assert ingest(str(first), "--warehouse", warehouse)[0] == 0
    before = _tables(tmp_path / "wh.duckdb")

    code, out, err = ingest(str(second), "--warehouse", warehouse)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"shouhu ingest: {second} does not look like the county already in {warehouse}: ")
    assert "conflicting duplicates" in err and "nothing was loaded" in err
    assert "--warehouse" in err and "--allow-mixed" in err
    assert _tables(tmp_path / "wh.duckdb") == before
    con = connect(tmp_path / "wh.duckdb")
    try:
        refused = con.execute("SELECT refused FROM ingest_runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    assert refused[0][0] is None and "conflicting duplicates" in refused[1][0]

    code, out, _ = ingest(str(second), "--warehouse", warehouse, "--allow-mixed")
    assert code == 0
    after = _tables(tmp_path / "wh.duckdb")
    assert (
        after["quarantine"] > before["quarantine"]
        and after["children_registry"] > before["children_registry"]
    )


def test_the_same_county_ingested_again_into_its_warehouse_is_not_refused(
    two_counties: tuple[Path, Path], tmp_path: Path
) -> None:
    first, _ = two_counties
    warehouse = str(tmp_path / "wh.duckdb")
    assert ingest(str(first), "--warehouse", warehouse)[0] == 0
    assert ingest(str(first), "--warehouse", warehouse)[0] == 0  # every file already ingested


def test_admin_units_that_do_not_overlap_the_warehouses_are_refused(tmp_path: Path, run_ingest) -> None:  # type: ignore[no-untyped-def]
    run_ingest(write_world(tmp_path / "ours"))
    theirs = [
        row("admin_units", code="110101001000", parent_code="110101000000"),
        row("admin_units", code="110101001001", level="village", parent_code="110101001000"),
    ]
    write(tmp_path / "theirs", "admin_units", theirs)
    report = run_ingest(tmp_path / "theirs")
    assert report.exit_code == 1 and report.feeds["admin_units"].loaded == 0
    assert "only 0 of the 2 area codes of admin_units.csv are among the 2 admin units already there" in (
        report.refused or ""
    )
    assert run_ingest(tmp_path / "theirs", allow_mixed=True).feeds["admin_units"].loaded == 2


def test_a_new_quarter_of_the_same_county_with_a_correction_is_loaded(tmp_path: Path, run_ingest) -> None:  # type: ignore[no-untyped-def]
    run_ingest(write_world(tmp_path / "q1"))
    more = [row("visit_logs", visit_id=f"V1{i}") for i in range(20)]
    corrected = row("visit_logs", child_mood="低落")  # V001 again, corrected: one conflicting duplicate
    write(tmp_path / "q2", "visit_logs", [*more, corrected], stem="visit_logs_q2")
    write(tmp_path / "q2", "admin_units", rows("admin_units"), fmt="xlsx")  # the same units, resent
    report = run_ingest(tmp_path / "q2")
    assert report.refused is None
    assert report.feeds["visit_logs"].loaded == 20 and report.feeds["visit_logs"].quarantined == 1


def test_retraining_stops_and_changes_nothing_when_the_months_feeds_are_refused(
    two_counties: tuple[Path, Path], tmp_path: Path
) -> None:
    from shouhu.schedule import monthly_job
    from training.workflow import retrain

    first, second = two_counties
    warehouse = tmp_path / "wh.duckdb"
    assert ingest(str(first), "--warehouse", str(warehouse))[0] == 0
    before = _tables(warehouse)
    settings = get_settings().model_copy(
        update={
            "warehouse": warehouse,
            "data_dir": tmp_path,
            "mlflow_tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}",
        }
    )
    with pytest.raises(ValueError, match=r"conflicting duplicates.*nothing was retrained"):
        retrain(settings, second)

    calls: list[str] = []
    job = monthly_job(settings, second, force=True, say=lambda _m: None, retrain=lambda *_: calls.append("x"))
    assert job.status == "failed" and job.step == "ingest", job.error
    assert "conflicting duplicates" in (job.error or "")
    assert calls == [] and _tables(warehouse) == before
    assert job.champion_before is None and job.champion_after is None
