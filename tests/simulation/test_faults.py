"""`--faults`: every injected fault is listed in the manifest, and ingest catches each one as listed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data_contracts.ingest import ingest_folder
from simulation.config import SimulationSummary
from simulation.county import simulate
from tests.simulation.helpers import small_config


@pytest.fixture(scope="module")
def faulty_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    out = tmp_path_factory.mktemp("faulty")
    return out, simulate(small_config(children=150, end=date(2023, 6, 30), faults=0.03), out, progress=False)


def _manifest(out: Path) -> pd.DataFrame:
    return pd.DataFrame(json.loads((out / "faults_manifest.json").read_text(encoding="utf-8"))["faults"])


def test_manifest_lists_every_kind_of_fault_with_its_place(
    faulty_county: tuple[Path, SimulationSummary],
) -> None:
    out, summary = faulty_county
    manifest = _manifest(out)
    assert len(manifest) == summary.faults_injected
    assert set(manifest["kind"]) == {
        "invalid_code",
        "impossible_date",
        "unknown_child",
        "duplicate",
        "full_width_digits",
        "gbk_encoding",
        "xlsx_file",
    }
    assert set(manifest["expected"]) == {"quarantine", "duplicate", "load"}
    rows = manifest.dropna(subset=["row_number"])
    assert (rows["row_number"] >= 1).all()
    assert not rows.duplicated(["file", "row_number"]).any()
    files = {p.name for p in (out / "feeds").iterdir()}
    assert set(manifest["file"]) <= files
    assert any(name.endswith(".xlsx") for name in files)
    raw = (out / "feeds" / "children_registry.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    raw.decode("gbk")


def test_ingest_catches_every_injected_fault_one_to_one(
    faulty_county: tuple[Path, SimulationSummary], tmp_path: Path
) -> None:
    out, _ = faulty_county
    manifest = _manifest(out)
    report = ingest_folder(out, tmp_path / "wh.duckdb", "test-secret", strict=False, progress=False)
    assert not report.errors, [f.error for f in report.errors]  # GBK and XLSX files are read
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        quarantine = con.sql("select feed, source_file, row_number from quarantine").df()
    quarantine["file"] = quarantine["source_file"].map(lambda s: Path(s).name)
    caught = set(
        zip(quarantine["feed"], quarantine["file"], quarantine["row_number"].astype(int), strict=True)
    )
    expected_rows = manifest[manifest["expected"] == "quarantine"]
    expected = set(
        zip(
            expected_rows["feed"], expected_rows["file"], expected_rows["row_number"].astype(int), strict=True
        )
    )
    assert caught == expected
    duplicates = manifest[manifest["expected"] == "duplicate"].groupby("feed").size()
    for feed, counts in report.feeds.items():
        assert counts.duplicate == duplicates.get(feed, 0), feed
        assert counts.balanced
