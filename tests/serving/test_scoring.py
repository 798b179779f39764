"""The serving view of model output: risk-raising reasons and protective reasons apart, whether the model
gives `protective_reasons` (models since it was added) or one list of both signs (models before)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from serving.explain import split_reasons
from serving.scoring import score_matrix


def _reason(indicator: str, contribution: float) -> dict:
    return {
        "indicator": indicator,
        "label_zh": indicator,
        "family": "f",
        "family_zh": "类",
        "value": 1.0,
        "reference": 0.0,
        "unit": "天",
        "contribution": contribution,
    }


class FixedOutput:
    """A model with a fixed output frame: what serving reads from any pyfunc (not the thing under test)."""

    metadata = None

    def __init__(self, output: pd.DataFrame) -> None:
        self.output = output

    def predict(self, _inputs: pd.DataFrame) -> pd.DataFrame:
        return self.output


def _matrix(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "child_key": [f"c_{i:016x}" for i in range(n)],
            "village_code": "360321101201",
            "township_code": "360321101000",
            "rule_flags": "",
        }
    )


def _output(reasons: list[list[dict]], protective: list[list[dict] | None] | None) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "probability": [0.2] * len(reasons),
            "percentile": [50.0] * len(reasons),
            "margin": [-1.4] * len(reasons),
            "band": ["yellow"] * len(reasons),
            "reasons": pd.array([json.dumps(r) for r in reasons], dtype="string"),
        }
    )
    if protective is not None:
        out["protective_reasons"] = pd.array(
            [None if p is None else json.dumps(p) for p in protective], dtype="string"
        )
    return out


def test_a_model_with_protective_reasons_has_them_carried_apart_from_the_reasons() -> None:
    output = _output(
        [[_reason("a", 0.9), _reason("b", 0.2)], []],
        [[_reason("c", -0.4), _reason("d", -0.7)], [_reason("e", -0.1)]],
    )
    scored = score_matrix(_matrix(2), FixedOutput(output))
    assert [[r["indicator"] for r in rs] for rs in scored["reasons"]] == [["a", "b"], []]
    assert [[r["indicator"] for r in rs] for rs in scored["protective_reasons"]] == [["d", "c"], ["e"]]


def test_a_model_without_protective_reasons_has_its_mixed_reasons_split_by_sign() -> None:
    output = _output([[_reason("a", 0.9), _reason("b", -0.6), _reason("c", 0.1)]], None)
    scored = score_matrix(_matrix(1), FixedOutput(output))
    assert [r["indicator"] for r in scored["reasons"][0]] == ["a", "c"]
    assert [r["indicator"] for r in scored["protective_reasons"][0]] == ["b"]


@pytest.mark.parametrize(
    ("reasons", "protective", "raising", "lowering"),
    [
        (None, None, [], []),
        ([_reason("a", 0.0)], None, [], []),  # a zero contribution neither raises nor lowers
        ([_reason("a", 0.5), _reason("b", -0.5)], [], ["a"], []),  # the model says: no protective factor
        ([_reason("a", 0.1), _reason("b", 0.3)], [_reason("c", 0.2)], ["b", "a"], []),  # wrong sign dropped
    ],
)
def test_split_reasons_keeps_each_sign_on_its_side(reasons, protective, raising, lowering) -> None:
    up, down = split_reasons(reasons, protective)
    assert [r["indicator"] for r in up] == raising and [r["indicator"] for r in down] == lowering


def test_reasons_carry_what_they_need_to_read_well_from_the_scored_cohort() -> None:
    """A share of visits knows how many visits its window held ("近一年6次走访中有4次…"); a coded value knows
    how many children share it (a median of codes means nothing)."""
    from features.spec import load_spec
    from serving.explain import with_text

    spec = load_spec()
    neglect = {**_reason("share_visits_neglect_365d", 0.8), "value": 4 / 6, "reference": 0.0}
    neglect.update(label_zh="近一年走访发现疏忽照料比例", display="share", unit="比例")
    capacity = {**_reason("caregiver_capacity", 0.3), "value": 1.0, "reference": 0.0}
    capacity.update(
        label_zh="主要照料人监护能力",
        display="code",
        unit="0有/1不足/2无",
        codes={"0": "有", "1": "不足", "2": "无"},
    )
    matrix = _matrix(4).assign(visits_365d=[6.0, 2.0, None, 3.0], caregiver_capacity=[1.0, 0.0, 0.0, 0.0])
    output = _output([[neglect, capacity], [], [], []], [[], [], [], []])
    scored = score_matrix(matrix, FixedOutput(output), spec)
    texts = [r["text_zh"] for r in with_text(scored["reasons"][0])]
    assert texts == [
        "近一年6次走访中有4次发现疏忽照料（一般儿童：0%的走访）",
        "主要照料人监护能力：不足（25%的儿童也是这样）",
    ]
