"""The fairness gate on hand-built groups: which rates it judges, what it refuses, what it cannot judge."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.fairness import fairness_report, gate_judgement
from training.registry import fairness_gate
from training.tracking import fairness_tags


def _rows(group: str, n: int, positives: int, hits: int, false_alarms: int) -> pd.DataFrame:
    """`n` children of `group`, `positives` with an outcome; selected: `hits` of those and `false_alarms`
    of the others."""
    label = np.r_[np.ones(positives), np.zeros(n - positives)].astype(int)
    selected = np.r_[
        np.ones(hits),
        np.zeros(positives - hits),
        np.ones(false_alarms),
        np.zeros(n - positives - false_alarms),
    ].astype(bool)
    return pd.DataFrame({"group": group, "label": label, "selected": selected})


def _report(frame: pd.DataFrame, attribute: str) -> pd.DataFrame:
    frame = frame.rename(columns={"group": attribute})
    return fairness_report(frame, frame["selected"].to_numpy(), [attribute], min_positives=10)


def test_equal_recall_does_not_hide_a_doubled_false_positive_rate() -> None:
    # F (reference, larger): recall 0.5, FPR 55/1100 = 0.05; M: recall 0.5, FPR 90/900 = 0.10
    frame = pd.concat([_rows("F", 1200, 100, 50, 55), _rows("M", 1000, 100, 50, 90)])
    (sex,) = gate_judgement(_report(frame, "sex"))
    assert (sex.metric, sex.group, sex.reference) == ("fpr", "M", "F")
    assert sex.worst == 2.0 and sex.unjudged == ()
    gate = fairness_gate(fairness_tags([sex]))
    assert not gate.passed and "false-positive rate" in gate.detail and "M vs F" in gate.detail


def test_a_group_selected_far_more_often_fails_on_selection_rate() -> None:
    # same recall and FPR, but M's children are selected 2.9× as often (its base rate is higher)
    frame = pd.concat([_rows("F", 1000, 100, 50, 45), _rows("M", 500, 250, 125, 12)])
    report = _report(frame, "sex")
    (sex,) = gate_judgement(report)
    assert sex.metric == "selection_rate" and sex.worst > 2.5
    assert not fairness_gate(fairness_tags([sex])).passed


def test_townships_are_judged_on_recall_only_because_capacity_sets_their_other_rates() -> None:
    # T2 is half T1's size: with k per township its children are selected, rightly or not, far more often
    frame = pd.concat([_rows("T1", 1000, 100, 50, 45), _rows("T2", 500, 100, 50, 90)])
    (township,) = gate_judgement(_report(frame, "township_code"))
    assert (township.metric, township.worst) == ("tpr", 1.0)
    assert fairness_gate(fairness_tags([township])).passed


def test_groups_too_small_to_judge_are_named_and_never_reported_as_within_the_band() -> None:
    # 30 disabled children with 3 outcomes: no rate of theirs rests on 10 events
    frame = pd.concat([_rows("False", 2000, 200, 100, 90), _rows("True", 30, 3, 0, 9)])
    (disability,) = gate_judgement(_report(frame, "has_disability"))
    assert disability.worst is None
    assert len(disability.unjudged) == 3 and all(u.startswith("True: ") for u in disability.unjudged)
    tags = fairness_tags([disability])
    assert "disparity_has_disability" not in tags
    gate = fairness_gate(tags)
    assert "NO group was large enough to judge" in gate.detail
    assert "has_disability=True: recall@k (3 < 10 events)" in gate.detail
    assert "within" not in gate.detail
    assert "precision and calibration" in gate.detail and "not gated" in gate.detail


def test_an_accepted_disparity_passes_with_its_reason_on_record() -> None:
    frame = pd.concat([_rows("F", 1200, 100, 50, 55), _rows("M", 1000, 100, 50, 90)])
    tags = fairness_tags(gate_judgement(_report(frame, "sex")))
    tags["accepted_disparity_sex"] = "boys' schools report more"
    gate = fairness_gate(tags)
    assert gate.passed and "accepted: boys' schools report more" in gate.detail
