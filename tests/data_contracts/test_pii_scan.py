"""`scan_for_pii` finds names, ID numbers and phone numbers where they must not be, and nothing in a clean
warehouse or MLflow folder; other rooms call it on their outputs."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from data_contracts.ingest import IngestReport
from data_contracts.privacy import scan_for_pii, scan_text
from data_contracts.warehouse import connect
from tests.data_contracts.factories import (
    BASE,
    CHILD_ID_NUMBER,
    FATHER_PHONE,
    GRANDPA_PHONE,
    KNOWN_NAMES,
    write_world,
)


@pytest.fixture
def ingested(tmp_path: Path, run_ingest: Callable[..., IngestReport], warehouse: Path) -> Path:
    report = run_ingest(write_world(tmp_path / "in", only=(*BASE, "household_members")))
    assert report.total.loaded > 0 and report.total.quarantined == 0
    return warehouse


def test_a_freshly_ingested_warehouse_has_no_personal_data_outside_the_identity_tables(
    ingested: Path,
) -> None:
    assert scan_for_pii(warehouse=ingested, known_names=KNOWN_NAMES) == []


def test_the_scan_finds_a_name_an_id_number_and_a_phone_leaked_into_a_feed_table(ingested: Path) -> None:
    con = connect(ingested, read_only=False)
    try:
        con.execute(
            "UPDATE household_members SET phone_hash = ?, relation = ?", [FATHER_PHONE, KNOWN_NAMES[1]]
        )
        con.execute("UPDATE children_registry SET id_hash = ?", [f"id {CHILD_ID_NUMBER}"])
    finally:
        con.close()
    found = {(f.where, f.kind) for f in scan_for_pii(warehouse=ingested, known_names=KNOWN_NAMES)}
    assert found == {
        ("warehouse:household_members.phone_hash", "phone"),
        ("warehouse:household_members.relation", "name"),
        ("warehouse:children_registry.id_hash", "id_number"),
    }


def test_findings_never_reprint_the_personal_data_they_found(ingested: Path) -> None:
    findings = scan_text(f"电话 {GRANDPA_PHONE}", "log")
    assert findings and GRANDPA_PHONE not in str(findings[0])


@pytest.mark.parametrize(
    "text",
    [
        "run 8f3a1b2c3d4e5f60718293a4b5c6d7e8",
        "ts 1716200000123",
        "p_3603212012050612",
        "0.36032120120506123",
        "c_ec2b566bc9971645",
    ],
)
def test_hex_keys_timestamps_and_long_floats_are_not_mistaken_for_personal_data(text: str) -> None:
    assert scan_text(text, "x") == []


def _mlruns_like(root: Path, *, param: str, artifact_value: str) -> Path:
    """The file kinds an MLflow 3 store writes: a SQLite tracking DB, Parquet and YAML artifacts."""
    root.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(root / "mlflow.db")
    con.execute("CREATE TABLE params (key TEXT, value TEXT, run_uuid TEXT)")
    con.execute("INSERT INTO params VALUES ('contact', ?, '8f3a1b2c3d4e5f60718293a4b5c6d7e8')", [param])
    con.commit()
    con.close()
    artifacts = root / "1" / "8f3a1b2c3d4e5f60718293a4b5c6d7e8" / "artifacts"
    artifacts.mkdir(parents=True)
    pd.DataFrame({"child_key": ["c_ec2b566bc9971645"], "who": [artifact_value]}).to_parquet(
        artifacts / "ref.parquet"
    )
    (artifacts / "MLmodel").write_text(
        "flavors:\n  python_function: {}\nrun_id: 8f3a1b2c3d4e5f60718293a4b5c6d7e8\n"
    )
    return root


def test_an_mlruns_folder_is_scanned_through_its_database_and_parquet_artifacts(tmp_path: Path) -> None:
    clean = _mlruns_like(tmp_path / "clean", param="3", artifact_value="c_0")
    assert scan_for_pii(folders=[clean], known_names=KNOWN_NAMES) == []
    leaky = _mlruns_like(tmp_path / "leaky", param=GRANDPA_PHONE, artifact_value=KNOWN_NAMES[0])
    kinds = {(Path(f.where).suffix, f.kind) for f in scan_for_pii(folders=[leaky], known_names=KNOWN_NAMES)}
    assert kinds == {(".db", "phone"), (".parquet", "name")}
