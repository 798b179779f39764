"""Metrics at capacity: k children per township per cycle, checked on tiny frames by hand."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from training.metrics import (
    evaluate,
    oracle_ratios,
    precision_recall,
    ranking_metrics,
    top_k_mask,
    top_pct_mask,
)


def _keys(n: int) -> list[str]:
    # keyed pseudonyms in production: an order unrelated to the row order
    return [hashlib.sha256(f"child-{i}".encode()).hexdigest()[:16] for i in range(n)]


def _frame() -> pd.DataFrame:
    # two townships, one as-of; T1 holds most of the high scores
    return pd.DataFrame(
        {
            "child_key": _keys(8),
            "village_code": ["529901100201"] * 4 + ["529901200201"] * 4,
            "township_code": ["529901100000"] * 4 + ["529901200000"] * 4,
            "as_of": pd.Timestamp("2024-01-01"),
            "rule_flags": "",
            "label": [1, 1, 0, 0, 0, 1, 0, 0],
            "score": [0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.1, 0.05],
        }
    )


def test_capacity_applies_per_township_not_county_wide() -> None:
    frame = _frame()
    mask = top_k_mask(frame, frame["score"].to_numpy(), k=1)
    # each township visits its own top child: T1's 0.9 and T2's 0.3 (not T1's 0.8)
    assert frame.loc[mask, "score"].tolist() == [0.9, 0.3]
    assert precision_recall(frame["label"].to_numpy(), mask) == (0.5, pytest.approx(1 / 3))


def test_capacity_is_per_as_of_date() -> None:
    frame = pd.concat([_frame(), _frame().assign(as_of=pd.Timestamp("2024-02-01"))], ignore_index=True)
    mask = top_k_mask(frame, frame["score"].to_numpy(), k=2)
    assert mask.sum() == 8  # 2 per township per date


def test_top_percent_is_taken_within_each_as_of() -> None:
    frame = _frame()
    mask = top_pct_mask(frame, frame["score"].to_numpy(), 0.25)
    assert frame.loc[mask, "score"].tolist() == [0.9, 0.8]


def test_a_rule_flagged_child_takes_a_place_within_capacity_as_on_the_shipped_list() -> None:
    frame = _frame()
    frame.loc[7, "rule_flags"] = "missing"  # T2's lowest score
    mask = top_k_mask(frame, frame["score"].to_numpy(), k=1)
    assert frame.loc[mask, "score"].tolist() == [0.9, 0.05]


def test_a_tied_score_gets_no_credit_from_the_file_order() -> None:
    # outcomes listed first in each township: breaking ties by file order would give precision 1.0
    n = 400
    frame = pd.DataFrame(
        {
            "child_key": _keys(n),
            "township_code": np.repeat(["529901100000", "529901200000"], n // 2),
            "as_of": pd.Timestamp("2024-01-01"),
            "rule_flags": "",
            "label": np.tile(np.r_[np.ones(20), np.zeros(n // 2 - 20)], 2).astype(int),
        }
    )
    tied = np.zeros(n)
    precision = ranking_metrics(frame, tied, "label", k=20)["precision_at_k"]
    assert precision < 0.4  # close to the base rate of 0.1, far from 1.0


def test_ranking_by_the_true_risk_has_an_oracle_ratio_of_one() -> None:
    rng = np.random.default_rng(0)
    risk = rng.beta(1, 10, 2000)
    frame = pd.DataFrame(
        {
            "child_key": _keys(2000),
            "township_code": rng.choice(["529901100000", "529901200000"], 2000),
            "as_of": pd.Timestamp("2024-01-01"),
            "rule_flags": "",
            "true_risk": risk,
        }
    )
    frame["true_label"] = (rng.random(2000) < risk).astype(int)
    frame["label"] = frame["true_label"]
    assert oracle_ratios(frame, risk, k=50)["oracle_ratio"] == pytest.approx(1.0)
    noise = rng.random(2000)
    assert oracle_ratios(frame, noise, k=50)["oracle_ratio"] < 0.8


def test_evaluation_against_the_truth_gives_ranking_and_calibration_metrics_of_the_true_outcomes() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    risk = rng.beta(1, 8, n)
    frame = pd.DataFrame(
        {
            "child_key": _keys(n),
            "township_code": rng.choice(["529901100000", "529901200000"], n),
            "as_of": pd.Timestamp("2024-01-01"),
            "rule_flags": "",
            "true_risk": risk,
        }
    )
    frame["true_label"] = (rng.random(n) < risk).astype(float)
    frame.loc[frame.index[:100], "true_label"] = np.nan  # children the truth does not know are left out
    frame["label"] = (frame["true_label"].fillna(0).to_numpy() * (rng.random(n) < 0.5)).astype(int)
    prob = risk * 0.5  # calibrated to the detected half
    out = evaluate(frame, risk, prob, k=50)
    known = frame["true_label"].notna().to_numpy()
    y = frame.loc[known, "true_label"].to_numpy()
    assert out["true_pr_auc"] == pytest.approx(average_precision_score(y, risk[known]))
    assert out["true_roc_auc"] == pytest.approx(roc_auc_score(y, risk[known]))
    assert out["true_brier"] == pytest.approx(brier_score_loss(y, prob[known]))
    # a probability calibrated on detected outcomes is right for them and under-predicts the true ones
    assert out["ece"] < 0.02 < out["true_ece"]
    assert out["true_mean_probability"] < out["true_base_rate"]


def test_evaluation_without_truth_has_no_true_metrics() -> None:
    frame = _frame()
    out = evaluate(frame, frame["score"].to_numpy(), frame["score"].to_numpy(), k=1)
    assert not [k for k in out if k.startswith("true_")]
