"""Labels: a detected outcome with event time in (as_of, as_of + horizon]; minor injuries left out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data_contracts.pseudonym import child_key
from features.pipeline import build_matrix
from tests.features.conftest import row_of
from tests.features.factories import T, WarehouseFactory, incident_row, registry_row


def county() -> WarehouseFactory:
    f = WarehouseFactory()
    f.add("children_registry", *[registry_row(c) for c in range(1, 8)])
    f.add(
        "incidents",
        incident_row(1, "2024-04-10", "injury"),
        incident_row(2, "2024-04-10", "injury", severity="minor"),
        incident_row(3, "2024-05-30", "drowning", severity="fatal"),  # as_of + 90 days exactly
        incident_row(4, "2024-05-30 08:00", "drowning"),  # eight hours too late
        incident_row(5, "2024-03-01", "abuse"),  # on as_of itself: before the window
        incident_row(6, "2024-04-01", "abuse", report_time=T("2024-07-15"), recorded_at=T("2024-07-15")),
    )
    return f


@pytest.fixture(scope="module")
def m(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = county().build(Path(tmp_path_factory.mktemp("labels")) / "wh.duckdb")
    return build_matrix(path, ["2024-03-01", "2024-05-01"])


def test_outcome_inside_the_window_is_labelled_with_its_type(m: pd.DataFrame) -> None:
    r = row_of(m, 1, "2024-03-01")
    assert (r["label"], r["label_injury"], r["label_drowning"]) == (1, 1, 0)


def test_minor_injury_is_not_an_adverse_outcome(m: pd.DataFrame) -> None:
    assert row_of(m, 2, "2024-03-01")["label"] == 0


def test_window_is_open_at_as_of_and_closed_at_the_horizon(m: pd.DataFrame) -> None:
    assert row_of(m, 3, "2024-03-01")["label_drowning"] == 1
    assert row_of(m, 4, "2024-03-01")["label"] == 0
    assert row_of(m, 5, "2024-03-01")["label"] == 0


def test_outcome_reported_late_still_labels_the_earlier_as_of(m: pd.DataFrame) -> None:
    assert row_of(m, 6, "2024-03-01")["label_abuse"] == 1


def test_label_is_observable_only_when_its_window_ended_before_the_latest_record(m: pd.DataFrame) -> None:
    # latest recorded_at is 2024-07-15: 03-01 + 90 = 05-30 is before it, 05-01 + 90 = 07-30 is not
    assert m[m.as_of == pd.Timestamp("2024-03-01")]["label_observable"].all()
    assert not m[m.as_of == pd.Timestamp("2024-05-01")]["label_observable"].any()
    assert m["true_label"].isna().all() and m["true_risk"].isna().all()


def test_a_longer_horizon_reaches_later_outcomes(tmp_path: Path) -> None:
    m = build_matrix(county().build(tmp_path / "wh.duckdb"), ["2024-03-01"], horizon_days=120)
    assert row_of(m, 4, "2024-03-01")["label"] == 1


def test_truth_gives_true_label_and_hidden_risk_by_pseudonymous_key(tmp_path: Path) -> None:
    secret = "features-test-secret"
    f = WarehouseFactory().add(
        "children_registry",
        registry_row(child_key=child_key("SRC-1", secret)),
        registry_row(child_key=child_key("SRC-2", secret)),
    )
    truth = tmp_path / "truth"
    truth.mkdir()
    pd.DataFrame(
        {
            "outcome_id": ["O1", "O2"],
            "child_id": ["SRC-1", "SRC-2"],
            "outcome_type": ["neglect"] * 2,
            "event_time": [T("2024-04-01"), T("2024-09-01")],
            "detected": [False, True],
            "detected_at": [None, T("2024-09-02")],
            "incident_id": [None, "I2"],
        }
    ).to_parquet(truth / "outcomes.parquet")
    pd.DataFrame(
        {"child_id": ["SRC-1", "SRC-2"], "date": [T("2024-03-01")] * 2, "true_risk_90d": [0.3, 0.05]}
    ).to_parquet(truth / "child_risk.parquet")
    m = build_matrix(
        f.build(tmp_path / "wh.duckdb"), ["2024-03-01"], truth_dir=truth, pseudonym_secret=secret
    ).set_index("child_key")
    one, two = m.loc[child_key("SRC-1", secret)], m.loc[child_key("SRC-2", secret)]
    assert (one["label"], one["true_label"], one["true_risk"]) == (0, 1.0, 0.3)  # undetected, still true
    assert (two["true_label"], two["true_risk"]) == (0.0, 0.05)


def test_a_minor_injury_counts_in_neither_the_detected_nor_the_true_label(tmp_path: Path) -> None:
    secret = "features-test-secret"
    f = WarehouseFactory().add("children_registry", registry_row(child_key=child_key("SRC-1", secret)))
    truth = tmp_path / "truth"
    truth.mkdir()
    pd.DataFrame(
        {
            "outcome_id": ["O1"],
            "child_id": ["SRC-1"],
            "outcome_type": ["injury"],
            "event_time": [T("2024-04-01")],
            "detected": [False],
            "detected_at": [None],
            "incident_id": [None],
            "severity": ["minor"],
        }
    ).to_parquet(truth / "outcomes.parquet")
    pd.DataFrame({"child_id": ["SRC-1"], "date": [T("2024-03-01")], "true_risk_90d": [0.3]}).to_parquet(
        truth / "child_risk.parquet"
    )
    wh = f.build(tmp_path / "wh.duckdb")
    m = build_matrix(wh, ["2024-03-01"], truth_dir=truth, pseudonym_secret=secret)
    assert m["true_label"].tolist() == [0.0]
