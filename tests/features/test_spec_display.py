"""Each indicator declares how its value reads to a person (`display`, with `codes` → Chinese terms for coded
values), checked by the spec model; the pages word reasons from it instead of parsing the free-text unit."""

from __future__ import annotations

import pydantic
import pytest
import yaml

from features.spec import DEFAULT_SPEC, FeatureSpec, load_spec, parse_spec
from shouhu_core.model_contract import DISPLAYS


def _one(**indicator) -> dict:
    base = {
        "name": "x",
        "label_zh": "某指标",
        "unit": "次",
        "family": "visits",
        "source": "visit_logs",
        "aggregate": "count",
    }
    return {"version": "t", "families": {"visits": "走访"}, "indicators": [base | indicator]}


def test_every_indicator_of_the_packaged_spec_says_how_it_reads() -> None:
    spec = load_spec()
    assert spec.undisplayed() == []
    assert {i.display for i in spec.indicators} <= set(DISPLAYS)
    for i in spec.indicators:
        if i.display == "code":
            assert {int(v) for v in i.encode.values()} <= set(i.codes), i.name
    assert spec.indicator("caregiver_capacity").codes == {0: "有", 1: "不足", 2: "无"}
    assert spec.indicator("boarding").display == "flag"
    assert spec.indicator("unexcused_absence_rate_30d").display == "share"


@pytest.mark.parametrize(
    ("indicator", "problem"),
    [
        ({"display": "stars"}, "display"),
        ({"display": "code"}, "needs `codes`"),
        ({"display": "flag", "codes": {0: "否", 1: "是"}}, "only go with"),
        (
            {
                "display": "code",
                "codes": {0: "好"},
                "aggregate": "latest",
                "column": "c",
                "encode": {"a": 0, "b": 1},
            },
            "no term",
        ),
    ],
)
def test_a_display_that_does_not_fit_is_refused(indicator: dict, problem: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=problem):
        FeatureSpec.model_validate(_one(**indicator))


def test_a_spec_written_before_display_still_parses_but_no_model_is_trained_on_it() -> None:
    """The specs stored with older models parse (serving can still build their inputs); training refuses a
    spec that does not say how its indicators read."""
    from training.model import indicator_meta

    raw = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    for indicator in raw["indicators"]:
        indicator.pop("display", None)
        indicator.pop("codes", None)
    older = parse_spec(yaml.safe_dump(raw, allow_unicode=True))
    assert older.model_inputs() == load_spec().model_inputs() and len(older.undisplayed()) == len(
        raw["indicators"]
    )
    with pytest.raises(ValueError, match="without `display`"):
        indicator_meta(older)
