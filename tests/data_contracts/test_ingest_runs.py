"""What a data team checks after `shouhu ingest`: every row accounted for, bad rows findable in quarantine,
re-runs harmless, references enforced, personal data only in the identity tables."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from data_contracts.feeds import FEEDS
from data_contracts.ingest import IngestReport, chunk_repeats, differing_columns
from data_contracts.pseudonym import child_key, pseudonym
from data_contracts.warehouse import connect, table_columns
from tests.data_contracts.conftest import SECRET
from tests.data_contracts.factories import (
    BASE,
    CHILD_ID_NUMBER,
    CHILD_NAME,
    GRANDPA_PHONE,
    frame,
    row,
    rows,
    write,
    write_world,
)

Ingest = Callable[..., IngestReport]


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    con = connect(warehouse)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def loaded_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding the whole little world, loaded once; tests copy it."""
    from data_contracts.ingest import ingest_folder

    folder = write_world(tmp_path_factory.mktemp("world") / "in")
    path = folder.parent / "warehouse.duckdb"
    report = ingest_folder(folder, path, SECRET, progress=False)
    assert report.total.quarantined == 0 and not report.errors, report
    return path


@pytest.fixture
def world(loaded_world: Path, warehouse: Path) -> Path:
    shutil.copy(loaded_world, warehouse)
    return warehouse


def test_the_whole_little_world_loads_with_nothing_quarantined(world: Path) -> None:
    for feed in FEEDS.values():
        n = query(world, f"SELECT count(*) AS n FROM {feed.name}")["n"].iloc[0]
        assert n == len(rows(feed.name)), feed.name


def test_rows_read_always_equal_loaded_plus_quarantined_plus_duplicates(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    write_world(tmp_path / "in", only=BASE)
    visits = [
        row("visit_logs"),
        row("visit_logs"),  # repeats V001 in the same file
        row("visit_logs", visit_id="V2", mode="飞行"),  # bad code
        row("visit_logs", visit_id="V3", mode="飞行", child_seen="也许"),  # two failures, one row
        row("visit_logs", visit_id="V4", child_id="C404"),  # unknown child
        row("visit_logs", visit_id="V5"),
    ]
    write(tmp_path / "in", "visit_logs", visits)
    write(
        tmp_path / "in",
        "visit_logs",
        [row("visit_logs", visit_id="V5"), row("visit_logs", visit_id="V6")],
        stem="visit_logs_late",
    )
    report = run_ingest(tmp_path / "in")
    counts = report.feeds["visit_logs"]
    assert (counts.read, counts.loaded, counts.quarantined, counts.duplicate) == (8, 3, 3, 2)
    assert all(c.balanced for c in report.feeds.values())
    assert all(f.counts.balanced for f in report.files)


def test_each_failure_is_one_quarantine_row_naming_file_row_field_rule_and_value(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    write_world(tmp_path / "in", only=BASE)
    write(
        tmp_path / "in",
        "visit_logs",
        [row("visit_logs"), row("visit_logs", visit_id="V3", mode="飞行", child_seen="也许")],
        stem="visit_logs_2024q3",
    )
    report = run_ingest(tmp_path / "in")
    q = query(warehouse, "SELECT * FROM quarantine ORDER BY field")
    assert q[["source_file", "row_number", "field", "rule", "value"]].values.tolist() == [
        ["visit_logs_2024q3.csv", 2, "child_seen", "coerce_dtype('boolean')", "也许"],
        ["visit_logs_2024q3.csv", 2, "mode", "isin", "飞行"],
    ]
    assert set(q["ingest_run"]) == {report.run_id} and set(q["feed"]) == {"visit_logs"}
    original = json.loads(q["original_row"].iloc[0])
    assert original["visit_id"] == "V3" and original["child_key"] == child_key("C001", SECRET)
    assert report.feeds["visit_logs"].quarantined == 1


def test_reingesting_the_same_files_adds_nothing(tmp_path: Path, run_ingest: Ingest, warehouse: Path) -> None:
    write_world(tmp_path / "in", only=(*BASE, "visit_logs"))
    write(
        tmp_path / "in", "visit_logs", [row("visit_logs", visit_id="V9", mode="飞行")], stem="visit_logs_bad"
    )
    first = run_ingest(tmp_path / "in")
    before = {
        t: len(query(warehouse, f"SELECT * FROM {t}")) for t in ("visit_logs", "quarantine", "ingest_files")
    }
    second = run_ingest(tmp_path / "in")
    after = {
        t: len(query(warehouse, f"SELECT * FROM {t}")) for t in ("visit_logs", "quarantine", "ingest_files")
    }
    assert before == after
    assert first.total.loaded > 0 and second.total.read == 0
    assert all(f.skipped and first.run_id in f.skipped for f in second.files)


def test_records_resent_unchanged_in_a_new_file_are_duplicates_and_nothing_is_quarantined(
    world: Path, tmp_path: Path, run_ingest: Ingest
) -> None:
    # other bytes than the loaded CSVs (so not skipped as the same file), the same records
    write(tmp_path / "again", "visit_logs", [row("visit_logs")], fmt="xlsx", stem="visit_logs_resent")
    write(tmp_path / "again", "cases", [row("cases")], fmt="parquet")
    report = run_ingest(tmp_path / "again")
    assert report.feeds["visit_logs"].duplicate == 1 and report.feeds["cases"].duplicate == 1
    assert report.total.loaded == 0 and report.total.quarantined == 0
    assert query(world, "SELECT count(*) AS n FROM quarantine")["n"].iloc[0] == 0


def test_a_resent_record_with_changed_content_is_quarantined_naming_its_key_and_what_differs(
    world: Path, tmp_path: Path, run_ingest: Ingest
) -> None:
    write(tmp_path / "again", "visit_logs", [row("visit_logs", child_mood="低落")], stem="visit_logs_resent")
    report = run_ingest(tmp_path / "again")
    counts = report.feeds["visit_logs"]
    assert (counts.read, counts.loaded, counts.quarantined, counts.duplicate) == (1, 0, 1, 0)
    q = query(world, "SELECT source_file, row_number, field, rule, value FROM quarantine")
    assert q.values.tolist() == [
        [
            "visit_logs_resent.csv",
            1,
            "visit_id",
            "conflicting_duplicate",
            "visit_id=V001 (differs in child_mood)",
        ]
    ]
    assert query(world, "SELECT child_mood FROM visit_logs")["child_mood"].tolist() == ["normal"]


def test_a_conflicting_duplicate_of_a_multi_column_key_names_every_key_column_with_ids_pseudonymized(
    world: Path, tmp_path: Path, run_ingest: Ingest
) -> None:
    changed = row("children_registry", guardianship_assessment="差")
    write(tmp_path / "again", "children_registry", [changed], stem="children_registry_fix")
    assert run_ingest(tmp_path / "again").feeds["children_registry"].quarantined == 1
    q = query(world, "SELECT field, rule, value FROM quarantine")
    field, rule, value = q.values.tolist()[0]
    assert (field, rule) == ("child_id,snapshot_date", "conflicting_duplicate")
    assert f"child_key={child_key('C001', SECRET)}" in value and "snapshot_date=2024-01-01" in value
    assert "guardianship_assessment" in value and "C001" not in value.replace(child_key("C001", SECRET), "")


def test_within_one_file_a_changed_repeat_of_a_key_is_quarantined_and_an_exact_repeat_is_a_duplicate(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    write_world(tmp_path / "in", only=BASE)
    visits = [row("visit_logs"), row("visit_logs", hazards="危房"), row("visit_logs")]
    write(tmp_path / "in", "visit_logs", visits)
    counts = run_ingest(tmp_path / "in").feeds["visit_logs"]
    assert (counts.read, counts.loaded, counts.quarantined, counts.duplicate) == (3, 1, 1, 1)
    q = query(warehouse, "SELECT row_number, rule, value FROM quarantine")
    assert q.values.tolist() == [[2, "conflicting_duplicate", "visit_id=V001 (differs in hazards)"]]
    assert query(warehouse, "SELECT hazards FROM visit_logs")["hazards"].tolist() == ["open_water_nearby"]


def test_exact_copies_of_a_row_that_conflicts_with_the_warehouse_are_quarantined_with_it(
    world: Path, tmp_path: Path, run_ingest: Ingest
) -> None:
    changed = row("visit_logs", child_mood="低落")
    write(tmp_path / "again", "visit_logs", [changed, changed], stem="visit_logs_resent")
    counts = run_ingest(tmp_path / "again").feeds["visit_logs"]
    assert (counts.read, counts.loaded, counts.quarantined, counts.duplicate) == (2, 0, 2, 0)
    assert set(query(world, "SELECT rule FROM quarantine")["rule"]) == {"conflicting_duplicate"}


@pytest.mark.parametrize(
    ("feed", "column"), [(f.name, c) for f in FEEDS.values() for c in f.references], ids=lambda x: str(x)
)
def test_a_record_pointing_at_nothing_known_is_quarantined_as_a_reference_failure(
    world: Path, tmp_path: Path, run_ingest: Ingest, feed: str, column: str
) -> None:
    bad = row(feed, **{column: "999999999999" if column.endswith("_code") else "NOBODY"})
    key = FEEDS[feed].key[0]
    if key not in FEEDS[feed].references:  # a fresh key, so the row is not merely a duplicate
        bad[key] = "NEW-1"
    write(tmp_path / "bad", feed, [bad])
    report = run_ingest(tmp_path / "bad")
    assert report.feeds[feed].quarantined == 1
    q = query(world, "SELECT field, rule FROM quarantine")
    assert q.values.tolist() == [[column, "reference"]]


def test_a_visit_for_a_child_registered_earlier_in_the_same_run_is_accepted(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    write_world(tmp_path / "in", only=BASE)
    write(
        tmp_path / "in",
        "children_registry",
        [row("children_registry", child_id="C002")],
        stem="children_registry_new",
    )
    write(tmp_path / "in", "visit_logs", [row("visit_logs", child_id="C002")])
    assert run_ingest(tmp_path / "in").feeds["visit_logs"].loaded == 1


def test_feed_tables_hold_pseudonyms_and_hashes_and_identity_tables_hold_the_originals(world: Path) -> None:
    child = query(world, "SELECT * FROM children_registry")
    assert "name" not in child.columns and "child_id" not in child.columns
    assert child["child_key"].iloc[0] == child_key("C001", SECRET)
    assert child["id_hash"].iloc[0] == pseudonym(CHILD_ID_NUMBER, SECRET, "id_number")
    assert child["entrusted_guardian_key"].iloc[0] == pseudonym("P001", SECRET, "person")
    members = query(world, "SELECT * FROM household_members ORDER BY person_key")
    assert pseudonym(GRANDPA_PHONE, SECRET, "phone") in set(members["phone_hash"])
    identity = query(world, "SELECT * FROM identity_children")
    assert identity.values.tolist() == [[child_key("C001", SECRET), CHILD_NAME, CHILD_ID_NUMBER]]
    assert len(query(world, "SELECT * FROM identity_persons")) == 2


def test_warehouse_tables_have_the_contract_types_and_lineage(world: Path) -> None:
    con = connect(world)
    try:
        for feed in FEEDS.values():
            described = {r[0]: r[1] for r in con.execute(f"DESCRIBE {feed.name}").fetchall()}
            assert described == table_columns(feed), feed.name
        lineage = con.execute("SELECT _source_file, _row_number, _ingest_run FROM visit_logs").fetchall()
    finally:
        con.close()
    assert lineage[0][:2] == ("visit_logs.csv", 1) and lineage[0][2]


def test_quarantined_rows_keep_no_names_and_only_hashes_of_id_and_phone_numbers(
    world: Path, tmp_path: Path, run_ingest: Ingest
) -> None:
    bad = row("household_members", person_id="P009", relation="邻居", id_number="12345", phone="1391234567")
    write(tmp_path / "bad", "household_members", [bad])
    run_ingest(tmp_path / "bad")
    q = query(world, "SELECT field, value, original_row FROM quarantine ORDER BY field")
    text = q.to_csv()
    assert bad["name"] not in text and "12345," not in text and "1391234567" not in text
    assert dict(zip(q["field"], q["value"], strict=True))["id_number"] == pseudonym(
        "12345", SECRET, "id_number"
    )


def damaged_parquet(path: Path, how: str) -> Path:
    """A Parquet file of visits, damaged: `truncated` (its footer is gone) or `corrupt_pages` (footer intact,
    compressed data pages overwritten, so the damage shows only when the rows are decoded)."""
    visits = [row("visit_logs", visit_id=f"V{i:05d}", hazards=None) for i in range(5000)]
    good = write(path.parent / "good", "visit_logs", visits, fmt="parquet")
    data = bytearray(good.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    else:
        middle = len(data) // 3
        data[middle : middle + 400] = bytes(b ^ 0x5A for b in data[middle : middle + 400])
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("how", ["truncated", "corrupt_pages"])
def test_a_damaged_parquet_file_is_reported_by_name_and_the_rest_still_loads(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path, how: str
) -> None:
    write_world(tmp_path / "in", only=(*BASE, "cases"))
    damaged_parquet(tmp_path / "in" / "visit_logs_2024q3.parquet", how)
    report = run_ingest(tmp_path / "in")
    assert [(f.path.name, f.error) for f in report.errors] == [
        ("visit_logs_2024q3.parquet", report.errors[0].error)
    ]
    assert "Parquet" in (report.errors[0].error or "")
    assert report.feeds["cases"].loaded == 1 and report.exit_code == 1
    assert report.feeds["visit_logs"].read == 0  # nothing of the damaged file stays half-loaded
    assert query(warehouse, "SELECT count(*) AS n FROM visit_logs")["n"].iloc[0] == 0


def test_a_file_that_cannot_be_read_is_reported_and_the_rest_still_loads(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    write_world(tmp_path / "in", only=(*BASE, "visit_logs"))
    (tmp_path / "in" / "cases.xlsx").write_bytes(b"not a workbook")
    write(tmp_path / "in", "school_events", [row("school_events")])
    (tmp_path / "in" / "school_events.csv").write_text(
        (tmp_path / "in" / "school_events.csv").read_text().replace("event_type", "kind")
    )
    report = run_ingest(tmp_path / "in")
    errors = {f.path.name: f.error for f in report.errors}
    assert set(errors) == {"cases.xlsx", "school_events.csv"}
    assert "event_type" in errors["school_events.csv"]
    assert report.feeds["visit_logs"].loaded == 1 and report.exit_code == 1


def test_only_strict_turns_quarantined_rows_into_a_failing_exit(tmp_path: Path, run_ingest: Ingest) -> None:
    write_world(tmp_path / "in", only=BASE)
    write(tmp_path / "in", "visit_logs", [row("visit_logs", mode="飞行")])
    assert run_ingest(tmp_path / "in").exit_code == 0
    report = run_ingest(tmp_path / "in", strict=True)  # files already ingested: nothing new quarantined
    assert report.exit_code == 0
    write(
        tmp_path / "in", "visit_logs", [row("visit_logs", visit_id="V7", mode="飞行")], stem="visit_logs_more"
    )
    assert run_ingest(tmp_path / "in", strict=True).exit_code == 1


def test_readers_open_the_warehouse_read_only_and_a_missing_one_clearly(world: Path, tmp_path: Path) -> None:
    con = connect(world)
    try:
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM visit_logs")
    finally:
        con.close()
    with pytest.raises(FileNotFoundError, match="shouhu ingest"):
        connect(tmp_path / "nowhere.duckdb")


def test_each_ingested_file_records_the_contract_version_it_was_validated_against(world: Path) -> None:
    files = query(world, "SELECT feed, contract_version FROM ingest_files")
    assert dict(zip(files["feed"], files["contract_version"], strict=True)) == {
        name: feed.version for name, feed in FEEDS.items()
    }


def test_a_warehouse_from_before_the_optional_columns_gains_them_and_keeps_its_rows(
    world: Path, tmp_path: Path, run_ingest: Ingest
) -> None:
    con = connect(world, read_only=False)
    try:  # as an ingest under contract 1.0.0 left it
        con.execute("ALTER TABLE visit_logs DROP COLUMN data_quality_flag")
        con.execute("ALTER TABLE ingest_files DROP COLUMN contract_version")
    finally:
        con.close()
    write(tmp_path / "new", "visit_logs", [row("visit_logs", visit_id="V2", data_quality_flag="补录")])
    assert run_ingest(tmp_path / "new").feeds["visit_logs"].loaded == 1
    visits = query(world, "SELECT visit_id, data_quality_flag FROM visit_logs ORDER BY visit_id")
    assert visits.astype(object).where(visits.notna(), None).values.tolist() == [
        ["V001", None],
        ["V2", "backfilled"],
    ]
    versions = query(world, "SELECT contract_version FROM ingest_files WHERE feed = 'visit_logs'")
    assert sorted(versions["contract_version"].fillna("none")) == ["2.0.0", "none"]


def test_repeats_of_a_key_are_told_apart_by_content_with_missing_equal_to_missing() -> None:
    keys = pd.DataFrame({"k": ["a", "a", "a", "b", "a"]})
    content = pd.DataFrame(
        {
            "k": ["a", "a", "a", "b", "a"],
            "mood": pd.array(["low", "low", None, "ok", "low"], dtype="string"),
            "seen": pd.array([None, None, None, True, None], dtype="boolean"),
        }
    )
    valid = np.array([False, True, True, True, True])  # row 0 is invalid: it shadows nothing
    repeats = chunk_repeats(keys, content, valid)
    assert repeats.first.tolist() == [False, True, False, True, False]
    assert repeats.copy_of.tolist() == [-1, -1, -1, -1, 1]
    assert repeats.conflict_with.tolist() == [-1, -1, 1, -1, -1]
    assert differing_columns(content, 2, 1) == ["mood"]


def test_a_warehouse_from_before_the_per_file_accounting_gains_it_and_keeps_its_records(
    world: Path, tmp_path: Path, run_ingest: Ingest
) -> None:
    con = connect(world, read_only=False)
    try:  # as an ingest before header rows, blank rows and unreadable files were recorded left it
        for column in (
            "sheet",
            "header_row",
            "header_rows",
            "blank_rows",
            "rows_in_file",
            "columns_not_loaded",
        ):
            con.execute(f"ALTER TABLE ingest_files DROP COLUMN {column}")
        for column in ("header_rows", "blank_rows", "errors", "refused", "headers_file"):
            con.execute(f"ALTER TABLE ingest_runs DROP COLUMN {column}")
        con.execute("DROP TABLE ingest_errors")
        con.execute("DROP TABLE identity_raw_lines")
    finally:
        con.close()
    good = frame([row("visit_logs", visit_id="V2")]).to_csv(index=False)
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "visit_logs.csv").write_text(good + "V3,too,few\n", encoding="utf-8")
    (tmp_path / "new" / "cases.csv").write_bytes(b"")
    report = run_ingest(tmp_path / "new")
    assert report.feeds["visit_logs"].loaded == 1 and report.feeds["visit_logs"].quarantined == 1
    files = query(world, "SELECT source_file, rows_in_file FROM ingest_files ORDER BY ingested_at")
    assert files["rows_in_file"].isna().sum() == len(FEEDS)  # the older records keep what they had
    assert files.iloc[-1].tolist() == ["visit_logs.csv", 3]
    assert query(world, "SELECT source_file FROM ingest_errors")["source_file"].tolist() == ["cases.csv"]
    assert query(world, "SELECT row_number FROM identity_raw_lines")["row_number"].tolist() == [2]
