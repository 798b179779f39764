"""Each baseline on a hand-built example: the order it gives is the one worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.baselines import checklist_score, three_term_score, tier, tier_rule_score
from training.pipeline import add_lifts

NAN = np.nan


def _children() -> pd.DataFrame:
    # a: an incident this year (red); b: assessment 差 (orange); c: unsupervised (orange), more overdue;
    # d: 低保 (yellow); e: nothing (green), never visited; f: the last visit found poor living conditions
    return pd.DataFrame(
        {
            "prior_incidents_365d": [1, 0, 0, 0, 0, 0],
            "registry_guardianship_assessment": [0, 2, 0, 0, 0, 0],
            "last_carer_rating": [0, 0, 0, 0, NAN, 0],
            "last_living_conditions": [4, 4, 4, 4, NAN, 2],
            "guardianship_unsupervised": [0, 0, 1, 0, 0, 0],
            "guardianship_parent_incapable": [0, 0, 0, 0, 0, 0],
            "dibao_or_tekun": [0, 0, 0, 1, 0, 0],
            "visit_overdue_days": [0, 3, 30, 5, NAN, 1],
            "unexcused_absence_rate_30d": [0.0, 0.1, 0.0, 0.3, 0.0, 0.0],
        },
        index=list("abcdef"),
    )


def test_the_tier_rule_puts_tiers_first_then_the_most_overdue() -> None:
    frame = _children()
    assert tier(frame).tolist() == [0, 1, 1, 2, 3, 1]
    order = frame.index[np.argsort(-tier_rule_score(frame), kind="stable")].tolist()
    assert order == ["a", "c", "b", "f", "d", "e"]


def test_a_child_never_visited_is_the_most_overdue_of_its_tier() -> None:
    frame = pd.concat([_children().iloc[[4]], _children().iloc[[4]].assign(visit_overdue_days=400)])
    score = tier_rule_score(frame)
    assert score[0] > score[1]


def test_the_three_term_heuristic_sums_the_three_ranks() -> None:
    frame = _children()
    by_hand = sum(
        pd.Series(v).rank(pct=True).to_numpy()
        for v in (
            checklist_score(frame),
            frame["prior_incidents_365d"].to_numpy(),
            frame["unexcused_absence_rate_30d"].to_numpy(),
        )
    )
    assert np.allclose(three_term_score(frame), by_hand)
    # d: 低保 is not on the checklist, but the highest absence puts it above e (nothing at all)
    score = dict(zip(frame.index, three_term_score(frame), strict=True))
    assert score["d"] > score["e"] and score["a"] > score["e"]


def test_lift_over_each_baseline_is_the_ratio_of_precisions() -> None:
    results = {
        "model": {
            "precision_at_k": 0.3,
            "precision_at_10pct": 0.2,
            "true_precision_at_k": 0.6,
            "true_precision_at_10pct": 0.4,
        },
        "tier_rule": {
            "precision_at_k": 0.1,
            "precision_at_10pct": 0.1,
            "true_precision_at_k": 0.3,
            "true_precision_at_10pct": 0.2,
        },
        "checklist": {"precision_at_k": 0.2, "precision_at_10pct": 0.0},
    }
    add_lifts(results)
    m = results["model"]
    assert np.isclose(m["lift_vs_tier_rule_at_k"], 3.0) and np.isclose(m["true_lift_vs_tier_rule_at_k"], 2.0)
    assert np.isclose(m["lift_vs_checklist_at_k"], 1.5) and np.isnan(m["lift_vs_checklist_at_10pct"])
    assert "true_lift_vs_checklist_at_k" not in m
