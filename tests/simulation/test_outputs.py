"""What a user of `shouhu simulate` checks first: the layout, reproducibility and the contracts."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from data_contracts.feeds import FEEDS
from data_contracts.ingest import ingest_folder
from shouhu.cli import app
from simulation.config import SimulationSummary
from simulation.county import simulate
from simulation.identity import check_digit
from tests.simulation.helpers import feed_files, read_feed, read_file, small_config


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_output_folder_has_every_feed_truth_and_run_metadata(
    clean_county: tuple[Path, SimulationSummary],
) -> None:
    out, _ = clean_county
    for name in FEEDS:
        assert feed_files(out, name), f"no file for feed {name}"
    assert (out / "feeds" / "school_attendance.parquet").exists()
    assert (out / "truth" / "child_risk.parquet").exists()
    assert (out / "truth" / "outcomes.parquet").exists()
    meta = json.loads((out / "simulation.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 11 and meta["window"] == {"start": "2023-01-01", "end": "2024-03-31"}
    assert not (out / "faults_manifest.json").exists()


def test_same_seed_writes_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    config = small_config(children=120, end=date(2023, 6, 30), faults=0.05)
    simulate(config, tmp_path / "a", progress=False)
    simulate(config, tmp_path / "b", progress=False)
    simulate(config.model_copy(update={"seed": 12}), tmp_path / "c", progress=False)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert (
        _digests(tmp_path / "a")["feeds/visit_logs.csv"] != _digests(tmp_path / "c")["feeds/visit_logs.csv"]
    )


def test_clean_output_passes_every_contract(clean_county: tuple[Path, SimulationSummary]) -> None:
    out, _ = clean_county
    for name, feed in FEEDS.items():
        for path in feed_files(out, name):
            df = read_file(path, feed)
            assert len(df) > 0, f"{path.name} is empty"
            feed.model.validate(df, lazy=True)


def test_clean_output_goes_through_the_real_ingest_with_nothing_quarantined(
    clean_county: tuple[Path, SimulationSummary], tmp_path: Path
) -> None:
    out, summary = clean_county
    report = ingest_folder(out, tmp_path / "wh.duckdb", "test-secret", strict=True, progress=False)
    assert not report.errors, [(f.path.name, f.error) for f in report.errors]
    assert report.total.quarantined == 0, {f.path.name: f.top_rules() for f in report.quarantining_files}
    assert report.total.duplicate == 0 and report.exit_code == 0
    assert {feed: c.loaded for feed, c in report.feeds.items()} == summary.rows


def test_every_child_in_any_feed_is_in_the_registry(clean_county: tuple[Path, SimulationSummary]) -> None:
    out, _ = clean_county
    registry = set(read_feed(out, "children_registry")["child_id"])
    for name, feed in FEEDS.items():
        if name != "children_registry" and "child_id" in feed.schema.columns:
            unknown = set(read_feed(out, name)["child_id"].astype(str)) - registry
            assert not unknown, f"{name} points at children the registry never listed: {sorted(unknown)[:3]}"
    truth = pd.read_parquet(out / "truth" / "outcomes.parquet")
    assert set(truth["child_id"]) <= registry


def test_admin_codes_nest_county_township_village(clean_county: tuple[Path, SimulationSummary]) -> None:
    out, _ = clean_county
    units = read_feed(out, "admin_units").set_index("code")
    assert set(units["level"]) >= {"county", "township", "village"}
    assert (units.index.str.len() == 12).all()
    for level, prefix in (("village", 9), ("township", 6)):
        rows = units[units["level"] == level]
        assert (rows["parent_code"].str[:prefix] == rows.index.str[:prefix]).all()
        assert (
            rows["parent_code"].map(units["level"]).eq("township" if level == "village" else "county").all()
        )
    villages = set(units.index[units["level"] == "village"])
    assert set(read_feed(out, "children_registry")["residence_village_code"]) <= villages
    assert (
        len(villages) == 4 and len(read_feed(out, "workers")) == 4 + 2
    )  # a 儿童主任 per village + supervisors


def test_identifiers_are_fake_but_well_formed(clean_county: tuple[Path, SimulationSummary]) -> None:
    out, _ = clean_county
    people = read_feed(out, "household_members")
    children = read_feed(out, "children_registry")
    for ids in (people["id_number"], children["id_number"]):
        assert ids.str.fullmatch(r"\d{17}[\dX]").all()
        assert (ids.str[:6] == "529901").all()  # the fictitious county's area code
        assert all(check_digit(i[:17]) == i[17] for i in ids.unique())
    assert people["phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    # one ID per child, and siblings do not share one
    assert children.groupby("child_id")["id_number"].nunique().eq(1).all()
    assert children.drop_duplicates("child_id")["id_number"].is_unique


def test_records_arrive_late_as_county_systems_enter_them(
    clean_county: tuple[Path, SimulationSummary],
) -> None:
    out, _ = clean_county
    visits = read_feed(out, "visit_logs")
    lag = (pd.to_datetime(visits["recorded_at"]) - pd.to_datetime(visits["visit_date"])).dt.days
    assert (lag >= 0).all() and (lag >= 1).mean() > 0.5 and (lag >= 20).any()
    attendance = read_feed(out, "school_attendance")
    recorded = pd.to_datetime(attendance["recorded_at"])
    assert (recorded.dt.dayofweek == 0).all()  # the Monday after the week
    assert ((recorded - attendance["date"]).dt.days.between(1, 7)).all()
    calendar = read_feed(out, "calendar").set_index("date")
    school_days = set(pd.to_datetime(calendar.index[calendar["is_school_day"].astype(bool)]))
    assert set(attendance["date"].unique()) <= school_days
    snapshots = read_feed(out, "children_registry")
    assert (pd.to_datetime(snapshots["recorded_at"]) > pd.to_datetime(snapshots["snapshot_date"])).all()
    assert set(pd.to_datetime(snapshots["snapshot_date"]).dt.strftime("%m-%d")) <= {
        "01-01",
        "04-01",
        "07-01",
        "10-01",
    }


def test_police_go_out_after_mandatory_reports_and_only_then(
    clean_county: tuple[Path, SimulationSummary],
) -> None:
    incidents = read_feed(clean_county[0], "incidents")
    dispatched = pd.to_datetime(incidents["police_dispatch_time"])
    mandatory = incidents["mandatory_report"].astype(bool)
    assert mandatory.any() and (~mandatory).any()
    assert dispatched.notna().eq(mandatory).all()
    delay = (dispatched - pd.to_datetime(incidents["report_time"]))[mandatory]
    assert delay.between(pd.Timedelta(minutes=10), pd.Timedelta(hours=3)).all()


def test_visits_typed_in_late_or_left_incomplete_carry_a_data_quality_flag(
    clean_county: tuple[Path, SimulationSummary],
) -> None:
    visits = read_feed(clean_county[0], "visit_logs")
    flags = visits["data_quality_flag"].fillna("")
    lag = (pd.to_datetime(visits["recorded_at"]) - pd.to_datetime(visits["visit_date"])).dt.days
    assert (flags.str.contains("backfilled") == (lag >= 20)).all()
    assert flags[visits["next_visit_due"].isna()].str.contains("incomplete").all()
    complete = visits.drop(columns=["hazards", "needs_identified", "referrals", "data_quality_flag"]).notna()
    home_complete = (visits["mode"] == "home") & complete.all(axis=1)
    assert not flags[home_complete].str.contains("incomplete").any()
    assert 0.05 < flags.str.contains("incomplete").mean() < 0.6


def test_registered_children_have_their_hukou_in_their_home_village(
    clean_county: tuple[Path, SimulationSummary],
) -> None:
    registry = read_feed(clean_county[0], "children_registry")
    registered = registry["hukou_registered"].astype(bool)
    assert (~registered).any()
    assert (
        registry.loc[registered, "hukou_area_code"] == registry.loc[registered, "residence_village_code"]
    ).all()
    assert registry.loc[~registered, "hukou_area_code"].isna().all()


def test_cli_simulates_into_the_folder_it_is_given(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--out",
            str(tmp_path / "sim"),
            "--townships",
            "1",
            "--villages",
            "2",
            "--children",
            "60",
            "--start",
            "2023-01-01",
            "--end",
            "2023-04-30",
            "--seed",
            "3",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    assert (tmp_path / "sim" / "feeds" / "visit_logs.csv").exists()
    bad = CliRunner().invoke(
        app,
        ["simulate", "--out", str(tmp_path / "x"), "--start", "2024-01-01", "--end", "2023-01-01", "--quiet"],
    )
    assert bad.exit_code != 0
