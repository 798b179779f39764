"""Monitoring a large warehouse without reading all of it: feed freshness from the high-water marks ingest
keeps (equal to scanning the rows, and scanned when the marks do not cover them), and drift on a fixed
sample of children (the same children every time; equal to the full computation for those children, and the
full computation itself when the warehouse holds fewer children than the sample)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data_contracts import watermarks
from features.backend import open_warehouse
from features.indicators import lookback_days
from features.pipeline import build_matrix
from features.spec import load_spec
from serving.monitoring import feeds
from serving.monitoring.run import ChampionView, model_drift
from serving.monitoring.sample import sampled_warehouse
from tests.features import factories as F
from tests.serving.test_monitoring import AS_OF, COUNTY, T2, V1, V2, _warehouse


@pytest.fixture
def marked(tmp_path: Path) -> Path:
    """The monitoring tests' warehouse (visit logs stopped in T2 on 2024-05-17) with the marks ingest would
    have kept while loading it."""
    path = _warehouse(tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(path))
    try:
        watermarks.rebuild(con)
    finally:
        con.close()
    return path


@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2024, 5, 18), dt.date(2024, 1, 6)])
def test_freshness_from_the_ingest_marks_equals_freshness_from_the_rows(marked: Path, as_of: dt.date) -> None:
    wh = open_warehouse(marked)
    try:
        assert feeds.marks_cover(wh, feeds.monitored_feeds(wh))
        from_marks = feeds.freshness_frame(wh, as_of)
        pd.testing.assert_frame_equal(from_marks, feeds.scanned_frame(wh, as_of))
        figures = {(f.subject, f.area_code): f for f in feeds.freshness(wh, as_of, 14, COUNTY)}
    finally:
        wh.close()
    assert from_marks["latest"].notna().any()
    if as_of == AS_OF:
        assert figures[("visit_logs", T2)].value == 15 and figures[("visit_logs", T2)].alert


def test_rows_written_around_ingest_are_not_missed_freshness_scans_them(marked: Path) -> None:
    con = duckdb.connect(str(marked))
    try:
        frame = pd.DataFrame([F.visit_row(6, "2024-05-29")])
        columns = ", ".join(frame.columns)
        con.execute(f"INSERT INTO visit_logs ({columns}) SELECT {columns} FROM frame")
    finally:
        con.close()
    wh = open_warehouse(marked)
    try:
        assert not feeds.marks_cover(wh, feeds.monitored_feeds(wh))
        figures = {(f.subject, f.area_code): f for f in feeds.freshness(wh, AS_OF, 14, COUNTY)}
    finally:
        wh.close()
    assert figures[("visit_logs", T2)].value == 3 and not figures[("visit_logs", T2)].alert


# --- drift on a sample --------------------------------------------------------------------------------------
CHILDREN = 12


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve children in two townships; one grandmother (person 10) is the primary caregiver of children
    1–4, so her count of children in care crosses any sample; visits, attendance and an incident."""
    wf = F.WarehouseFactory()
    for i in range(1, CHILDREN + 1):
        wf.add("children_registry", F.registry_row(i, residence_village_code=V1 if i <= 6 else V2))
        wf.add("household_members", F.member_row(i, person=10 if i <= 4 else 100 + i))
        wf.add("visit_logs", F.visit_row(i, f"2024-0{1 + i % 5}-1{i % 9}"))
        wf.add("school_attendance", F.attendance_rows(i, "PPUP"[: 1 + i % 4] + "PUU", "2024-04-01"))
    wf.add("incidents", F.incident_row(3, "2024-03-01"))
    # child 1's attendance of a year before: 397 and 362 days before AS_OF, outside and inside the attendance
    # indicators' longest window (365 days)
    wf.add(
        "school_attendance",
        F.attendance_rows(1, "UUUUU", "2023-05-01"),
        F.attendance_rows(1, "UUPUU", "2023-06-05"),
    )
    return wf.build(tmp_path_factory.mktemp("sample") / "warehouse.duckdb", all_tables=True)


def _sampled_keys(path: Path, as_of: dt.date, size: int) -> list[str]:
    sampled = sampled_warehouse(path, as_of, size)
    assert sampled is not None
    wh, n, known = sampled
    try:
        keys = wh.query("SELECT DISTINCT child_key FROM children_registry ORDER BY 1")["child_key"].tolist()
    finally:
        wh.close()
    assert (n, known) == (size, CHILDREN)
    return keys


def test_the_drift_sample_is_the_same_children_every_time_and_every_month(county: Path) -> None:
    first = _sampled_keys(county, AS_OF, 5)
    assert len(first) == 5
    assert _sampled_keys(county, AS_OF, 5) == first
    assert _sampled_keys(county, dt.date(2024, 9, 1), 5) == first
    assert set(_sampled_keys(county, AS_OF, 8)) > set(first)  # a larger sample keeps the smaller one


@pytest.mark.slow
def test_the_sampled_matrix_equals_the_full_matrix_for_the_sampled_children(county: Path) -> None:
    spec = load_spec()
    full = build_matrix(county, [AS_OF], spec=spec)
    sampled = sampled_warehouse(county, AS_OF, 3, spec)
    assert sampled is not None
    try:
        part = build_matrix(sampled[0], [AS_OF], spec=spec)
    finally:
        sampled[0].close()
    assert len(part) == 3
    expected = full[full["child_key"].isin(part["child_key"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)
    in_care = dict(zip(full["child_key"], full["children_per_caregiver"], strict=True))
    assert in_care[F.ck(1)] == 4  # the count the sample must not shrink


def test_the_sample_leaves_out_only_attendance_older_than_the_longest_attendance_window(county: Path) -> None:
    spec = load_spec()
    assert lookback_days(spec.indicators, "school_attendance") == 365
    assert lookback_days(spec.indicators, "visit_logs") is None  # days since the last visit: all history
    sampled = sampled_warehouse(county, AS_OF, 3, spec)
    assert sampled is not None
    try:
        copied = sampled[0].query("SELECT date FROM school_attendance WHERE child_key = 'c_0000000000000001'")
    finally:
        sampled[0].close()
    con = duckdb.connect(str(county), read_only=True)
    try:
        rows = con.execute("SELECT date FROM school_attendance WHERE child_key = 'c_0000000000000001'").df()
    finally:
        con.close()
    inside = rows["date"] >= pd.Timestamp(AS_OF - dt.timedelta(days=365))
    assert (~inside).sum() == 5  # the rows of 2023-05 exist and are left out
    assert sorted(copied["date"]) == sorted(rows.loc[inside, "date"])


def _champion() -> ChampionView:
    from tests.serving.factories import train_parts
    from training.pyfunc import score_frame

    parts = train_parts(seed=4, n=600)
    return ChampionView(
        name="shouhu-risk",
        version="1",
        spec=load_spec(),
        predict=lambda m: score_frame(m, parts, explain=False),
        inputs=parts.inputs,
        reference=parts.drift,
    )


@pytest.mark.slow
def test_drift_on_fewer_children_than_the_sample_is_the_full_computation(county: Path) -> None:
    champion = _champion()
    full = model_drift(county, AS_OF, champion, 0.25, COUNTY)
    under = model_drift(county, AS_OF, champion, 0.25, COUNTY, sample=1000)
    assert under == full and full
    assert all("sample" not in f.detail for f in under)
    sampled = model_drift(county, AS_OF, champion, 0.25, COUNTY, sample=6)
    assert all(f.detail["sample"] == 6 and f.detail["children"] == CHILDREN for f in sampled)
