"""The fairness gate on hand-built groups: a clearly fair group passes, a clearly unfair one fails, a small
one is "too few to judge", and what the gate does not judge is said."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.fairness_gate import FAIL, OUTSIDE, PASS, TOO_FEW, UNJUDGED, WITHIN, judge, recall_checks
from training.registry import fairness_gate
from training.tracking import fairness_tags


def _rows(group: str, n: int, positives: int, hits: int, false_alarms: int = 0) -> pd.DataFrame:
    """`n` children of `group`, `positives` with an outcome; selected: `hits` of those and `false_alarms`
    of the others."""
    label = np.r_[np.ones(positives), np.zeros(n - positives)].astype(int)
    selected = np.r_[
        np.ones(hits),
        np.zeros(positives - hits),
        np.ones(false_alarms),
        np.zeros(n - positives - false_alarms),
    ].astype(bool)
    keys = [f"{group}-{i:05d}" for i in range(n)]
    return pd.DataFrame({"group": group, "label": label, "selected": selected, "child_key": keys})


def _judge(frame: pd.DataFrame, attribute: str = "sex"):
    frame = frame.rename(columns={"group": attribute}).reset_index(drop=True)
    (judgement,) = judge(frame, {"*": frame["selected"].to_numpy()}, [attribute])
    return judgement


def test_a_clearly_fair_group_passes_with_an_interval_around_one() -> None:
    frame = pd.concat([_rows("F", 4000, 400, 200), _rows("M", 4000, 400, 196)])
    sex = _judge(frame)
    (check,) = sex.checks
    assert check.verdict == WITHIN and check.low < 0.98 < check.high
    assert check.low > 0.8 and check.high < 1.25 and check.high / check.low < 2
    assert sex.verdict == PASS and fairness_gate(fairness_tags([sex])).passed


def test_a_clearly_unfair_group_fails_when_its_whole_interval_lies_below_the_band() -> None:
    # M's at-risk children are found at 0.6 the rate of F's, on 400 outcomes each
    frame = pd.concat([_rows("F", 4000, 400, 200), _rows("M", 4000, 400, 120)])
    sex = _judge(frame)
    (check,) = sex.checks
    assert check.verdict == OUTSIDE and check.high < 0.8 and abs(check.ratio - 0.6) < 1e-9
    gate = fairness_gate(fairness_tags([sex]))
    assert sex.verdict == FAIL and not gate.passed
    assert "sex=M vs F" in gate.detail and "--accept-disparity" in gate.detail


def test_a_point_outside_the_band_with_an_interval_reaching_into_it_does_not_fail() -> None:
    # ratio 0.75 on 60 outcomes: the interval reaches well above 0.8, so sampling noise cannot be ruled out
    frame = pd.concat([_rows("F", 4000, 400, 200), _rows("M", 600, 60, 23)])
    (check,) = _judge(frame).checks
    assert check.ratio < 0.8 and check.high > 0.8
    assert check.verdict in (WITHIN, TOO_FEW)


def test_a_small_group_is_too_few_to_judge_and_never_reported_as_within() -> None:
    frame = pd.concat([_rows("False", 4000, 400, 200), _rows("True", 80, 8, 1)])
    disability = _judge(frame, "has_disability")
    (check,) = disability.checks
    assert check.verdict == TOO_FEW and disability.verdict == UNJUDGED
    tags = fairness_tags([disability])
    gate = fairness_gate(tags)
    assert gate.passed  # nothing could be judged: no finding, but said plainly
    assert "NO group large enough to judge: has_disability" in gate.detail
    assert "too few to judge (不足以判断): has_disability=True" in gate.detail
    assert "no group outside" not in gate.detail


def test_the_interval_counts_children_not_rows() -> None:
    # the same 100 children with an outcome, each seen at 4 as-of dates: no more evidence than 100 rows
    once = pd.concat([_rows("F", 2000, 200, 100), _rows("M", 1000, 100, 40)])
    four = pd.concat([once.assign(as_of=d) for d in range(4)], ignore_index=True)
    (a,) = _judge(once).checks
    (b,) = _judge(four).checks
    assert abs(a.ratio - b.ratio) < 1e-12
    assert abs(np.log(b.high / b.low) / np.log(a.high / a.low) - 1) < 0.15


def test_an_accepted_disparity_passes_with_its_reason_on_record() -> None:
    frame = pd.concat([_rows("F", 4000, 400, 200), _rows("M", 4000, 400, 120)])
    tags = fairness_tags([_judge(frame)])
    tags["accepted_disparity_sex"] = "boys' schools report more"
    gate = fairness_gate(tags)
    assert gate.passed and "accepted: boys' schools report more" in gate.detail


def test_against_true_outcomes_a_disparity_the_detected_label_hides_is_found() -> None:
    # detected outcomes look fair, but M's true outcomes (mostly undetected) are missed by the list
    f = _rows("F", 4000, 400, 200).assign(true_label=lambda d: d["label"])
    m = _rows("M", 4000, 400, 200).assign(true_label=lambda d: d["label"])
    hidden = _rows("M", 2000, 2000, 200).assign(label=0, true_label=1)
    hidden["child_key"] = "h" + hidden["child_key"]
    sex = _judge(pd.concat([f, m, hidden]))
    verdicts = {c.against: c.verdict for c in sex.checks}
    assert verdicts == {"detected": WITHIN, "true": OUTSIDE}
    assert not fairness_gate(fairness_tags([sex])).passed


def test_recall_checks_take_the_group_with_most_outcomes_as_reference() -> None:
    frame = pd.concat([_rows("A", 1000, 50, 25), _rows("B", 3000, 300, 150)])
    (check,) = recall_checks(
        frame["label"].to_numpy(), frame["selected"].to_numpy(), frame["group"], attribute="x"
    )
    assert (check.group, check.reference) == ("A", "B")


def test_townships_are_judged_on_a_share_of_their_list_not_a_fixed_k() -> None:
    from training.pipeline import GATE_SHARE, fairness_selections

    sizes = {"360321100000": 100, "360321101000": 300}
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "township_code": code,
                    "village_code": code[:9] + "201",
                    "child_key": [f"{code}-{i:04d}" for i in range(n)],
                    "rule_flags": "",
                }
            )
            for code, n in sizes.items()
        ],
        ignore_index=True,
    )
    score = np.random.default_rng(0).random(len(frame))
    selected = fairness_selections(frame, score, k=5)["*"]
    per_township = pd.Series(selected).groupby(frame["township_code"]).sum()
    assert per_township.to_dict() == {c: int(np.ceil(GATE_SHARE * n)) for c, n in sizes.items()}
    # a capacity above the share is judged as it is
    assert fairness_selections(frame, score, k=60)["*"].sum() > GATE_SHARE * len(frame) * 2
