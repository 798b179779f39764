"""What a caseworker and an auditor would check of the model itself."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from features.spec import AUDIT_COLUMNS, load_spec
from training.pyfunc import score_frame


@pytest.fixture(scope="module")
def rows(trained) -> pd.DataFrame:
    return trained.test.head(300).copy()


def _directional(direction: str) -> list[str]:
    return [i.name for i in load_spec().indicators if i.direction == direction]


@pytest.mark.parametrize(("direction", "sign"), [("increasing", 1.0), ("decreasing", -1.0)])
def test_moving_an_indicator_towards_risk_never_lowers_the_score(trained, rows, direction, sign) -> None:
    parts = trained.parts
    before = score_frame(rows, parts, explain=False)
    for name in _directional(direction):
        for step in (0.5, 1.0, 10.0):
            moved = rows.copy()
            # fill unknowns first: monotonicity is promised for known values
            base = moved[name].fillna(moved[name].median())
            moved[name] = base + sign * step
            low = score_frame(rows.assign(**{name: base}), parts, explain=False)
            high = score_frame(moved, parts, explain=False)
            assert (high["margin"].to_numpy() >= low["margin"].to_numpy() - 1e-9).all(), name
            assert (high["probability"].to_numpy() >= low["probability"].to_numpy() - 1e-12).all(), name
    assert len(before) == len(rows)


def test_changing_sex_or_ethnicity_changes_no_score(trained, rows) -> None:
    before = score_frame(rows, trained.parts)
    other = rows.assign(
        sex=rows["sex"].map({"M": "F", "F": "M"}),
        ethnicity_code="05",
        minority=~rows["minority"],
        township_code="999999999999",
        has_disability=~rows["has_disability"],
    )
    after = score_frame(other, trained.parts)
    pd.testing.assert_frame_equal(before, after)


def test_audit_groups_are_never_model_inputs(trained) -> None:
    assert not set(AUDIT_COLUMNS) & set(trained.parts.inputs)
    assert not any(c.startswith(("flag_", "label", "true_")) for c in trained.parts.inputs)
    assert trained.parts.inputs == load_spec().model_inputs()


def test_contributions_sum_to_the_margin(trained, rows) -> None:
    x = rows[trained.parts.inputs].to_numpy(dtype="float64", na_value=np.nan)
    contrib = trained.parts.booster.predict(x, pred_contrib=True)
    raw = trained.parts.booster.predict(x, raw_score=True)
    np.testing.assert_allclose(contrib.sum(axis=1), raw, rtol=0, atol=1e-9)
    scored = score_frame(rows, trained.parts)
    np.testing.assert_allclose(scored["margin"].to_numpy(), raw, rtol=0, atol=1e-9)


def test_reasons_show_value_reference_and_one_indicator_per_family(trained, rows) -> None:
    scored = score_frame(rows, trained.parts)
    x = rows[trained.parts.inputs]
    contrib = trained.parts.booster.predict(x.to_numpy(dtype="float64", na_value=np.nan), pred_contrib=True)
    position = {name: j for j, name in enumerate(trained.parts.inputs)}
    for i, text in enumerate(scored["reasons"]):
        reasons = json.loads(text)
        assert 1 <= len(reasons) <= 3
        assert len({r["family"] for r in reasons}) == len(reasons)
        strengths = [abs(r["contribution"]) for r in reasons]
        assert strengths == sorted(strengths, reverse=True)
        for r in reasons:
            j = position[r["indicator"]]
            assert r["contribution"] == pytest.approx(contrib[i, j], abs=1e-4)
            value = x.iloc[i, j]
            assert (r["value"] is None) if np.isnan(value) else r["value"] == pytest.approx(value, abs=1e-4)
            assert set(r) == {
                "indicator",
                "label_zh",
                "family",
                "family_zh",
                "value",
                "reference",
                "unit",
                "contribution",
            }


def test_a_child_with_extreme_absence_is_told_absence_is_the_reason(trained, rows) -> None:
    child = rows.head(1).assign(unexcused_absence_rate_30d=0.9, unexcused_absence_rate_90d=0.9)
    reasons = json.loads(score_frame(child, trained.parts)["reasons"].iloc[0])
    assert reasons[0]["family"] == "attendance"
    assert reasons[0]["contribution"] > 0


def test_high_bands_are_rare_in_the_reference_cohort(trained, county) -> None:
    cohort = county[county["as_of"] == county["as_of"].max()]
    bands = score_frame(cohort, trained.parts, explain=False)["band"].value_counts(normalize=True)
    assert bands.get("red", 0) == pytest.approx(0.02, abs=0.015)
    assert bands.get("orange", 0) == pytest.approx(0.08, abs=0.03)
    assert bands.get("yellow", 0) == pytest.approx(0.20, abs=0.05)
    assert bands["green"] > 0.6


def test_the_model_beats_the_official_checklist_where_there_is_signal(trained) -> None:
    model, checklist = trained.metrics["model"], trained.metrics["checklist"]
    assert model["precision_at_10pct"] > 1.3 * checklist["precision_at_10pct"]
    assert model["pr_auc"] > checklist["pr_auc"]
    assert 0.5 < model["oracle_ratio"] <= 1.3
    # calibrated: the mean probability is close to the observed rate of the test window
    assert model["mean_probability"] == pytest.approx(model["base_rate"], abs=0.03)
