"""What a caseworker and an auditor would check of the model itself."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from features.spec import AUDIT_COLUMNS, load_spec
from shouhu_core.model_contract import REASON_FIELDS
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


# every field of the contract's reason; `codes` only for coded indicators (shouhu_core.model_contract)
ITEM_KEYS = set(REASON_FIELDS) - {"codes"}


def _contributions(trained, rows: pd.DataFrame) -> np.ndarray:
    x = rows[trained.parts.inputs].to_numpy(dtype="float64", na_value=np.nan)
    return trained.parts.booster.predict(x, pred_contrib=True)


def _family_sums(trained, contrib: np.ndarray) -> list[dict[str, float]]:
    family = {n: m["family"] for n, m in trained.parts.indicators.items()}
    out = []
    for row in contrib:
        sums: dict[str, float] = {}
        for name, c in zip(trained.parts.inputs, row[:-1], strict=True):
            sums[family[name]] = sums.get(family[name], 0.0) + c
        out.append(sums)
    return out


def test_reasons_are_the_risk_raising_families_with_their_strongest_indicator(trained, rows) -> None:
    scored = score_frame(rows, trained.parts)
    contrib = _contributions(trained, rows)
    sums = _family_sums(trained, contrib)
    x = rows[trained.parts.inputs]
    position = {name: j for j, name in enumerate(trained.parts.inputs)}
    family = {n: m["family"] for n, m in trained.parts.indicators.items()}
    shown = 0
    for i, text in enumerate(scored["reasons"]):
        reasons = json.loads(text)
        raising = sorted((v for v in sums[i].values() if v > 0), reverse=True)
        assert len(reasons) == min(3, len(raising))  # every positive family up to k, nothing else
        assert len({r["family"] for r in reasons}) == len(reasons)
        assert [r["contribution"] for r in reasons] == pytest.approx(raising[: len(reasons)], abs=1e-4)
        for r in reasons:
            assert set(r) - {"codes"} == ITEM_KEYS
            assert r["contribution"] > 0
            assert r["contribution"] == pytest.approx(sums[i][r["family"]], abs=1e-4)
            j = position[r["indicator"]]
            members = [position[n] for n in trained.parts.inputs if family[n] == r["family"]]
            assert r["indicator_contribution"] == pytest.approx(contrib[i, members].max(), abs=1e-4)
            assert r["indicator_contribution"] == pytest.approx(contrib[i, j], abs=1e-4)
            value = x.iloc[i, j]
            assert (r["value"] is None) if np.isnan(value) else r["value"] == pytest.approx(value, abs=1e-4)
        shown += len(reasons)
    assert shown > 0


def test_protective_reasons_are_the_risk_lowering_families_most_negative_first(trained, rows) -> None:
    scored = score_frame(rows, trained.parts)
    contrib = _contributions(trained, rows)
    sums = _family_sums(trained, contrib)
    shown = 0
    for i, text in enumerate(scored["protective_reasons"]):
        items = json.loads(text)
        lowering = sorted(v for v in sums[i].values() if v < 0)
        assert len(items) == min(3, len(lowering))
        assert [r["contribution"] for r in items] == pytest.approx(lowering[: len(items)], abs=1e-4)
        for r in items:
            assert set(r) - {"codes"} == ITEM_KEYS
            assert r["contribution"] < 0 and r["indicator_contribution"] < 0
        assert not {r["family"] for r in items} & {r["family"] for r in json.loads(scored["reasons"].iloc[i])}
        shown += len(items)
    assert shown > 0


def test_family_sums_with_the_other_families_and_the_bias_give_the_margin(trained, rows) -> None:
    scored = score_frame(rows, trained.parts)
    contrib = _contributions(trained, rows)
    bias = contrib[:, -1]
    for i, (up, down) in enumerate(zip(scored["reasons"], scored["protective_reasons"], strict=True)):
        shown = {r["family"]: r["contribution"] for r in [*json.loads(up), *json.loads(down)]}
        rest = sum(v for f, v in _family_sums(trained, contrib[i : i + 1])[0].items() if f not in shown)
        total = sum(shown.values()) + rest + bias[i]
        assert total == pytest.approx(scored["margin"].iloc[i], abs=1e-3)


def test_explain_false_skips_both_explanations(trained, rows) -> None:
    quick = score_frame(rows, trained.parts, explain=False)
    full = score_frame(rows, trained.parts)
    assert quick["reasons"].isna().all() and quick["protective_reasons"].isna().all()
    np.testing.assert_allclose(quick["margin"].to_numpy(), full["margin"].to_numpy(), atol=1e-9)


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
