"""Reasons read as plain Chinese (serving.wording), from how each indicator says it reads (`display`, `codes`
from the spec the model was trained on): whole days, months and ages, shares as "6次走访中有4次…" or
percentages, codes as their terms, a reference only where it adds meaning, and no reason from missing data."""

from __future__ import annotations

import math
import re

import pytest

from features.spec import load_spec
from serving.explain import reason_text, with_text
from serving.wording import sentence

RATING = {"0": "较好", "1": "一般", "2": "差"}
LONG_DECIMAL = re.compile(r"\d+\.\d{2,}")
SPEC = load_spec()


def _reason(indicator, value, reference, **extra):
    return {
        "indicator": indicator.name,
        "label_zh": indicator.label_zh,
        "unit": indicator.unit,
        "display": indicator.display,
        "codes": {str(k): v for k, v in indicator.codes.items()},
        "value": value,
        "reference": reference,
        "contribution": 0.3,
        **extra,
    }


def _samples(indicator):
    """Values an indicator takes in practice, awkward ones included (medians with decimals, changes)."""
    by_display = {
        "count": [(36.7, 12.25), (2.0, 2.0), (0.3333, 1.0)],
        "days": [(96.5, 30.25), (6.0, 6.0), (0.0, 12.0)],
        "years": [(62.0, 62.0), (8.6, 10.5)],
        "share": [(0.0667, 0.0), (0.4, 0.4), (-0.0714, 0.0), (0.5, 0.125)],
        "flag": [(1.0, 0.0), (0.0, 0.5)],
        "code": [(float(k), 0.5) for k in indicator.codes],
        "ordinal": [(float(k), 1.5) for k in indicator.codes] or [(5.0, 4.5), (4.0, 4.0)],
    }
    return by_display[indicator.display]


@pytest.mark.parametrize("indicator", SPEC.indicators, ids=lambda i: i.name)
def test_every_indicator_of_the_spec_reads_as_a_plain_sentence(indicator) -> None:
    for value, reference in _samples(indicator):
        text = sentence(_reason(indicator, value, reference, share_same=0.42))
        assert text is not None
        assert indicator.label_zh in text or "次走访中有" in text, text
        for bad in ("无记录", "百分点/100", "中位数", "nan", "None"):
            assert bad not in text, text
        assert not LONG_DECIMAL.search(text), text
        if indicator.display in ("days", "years"):
            assert not re.search(r"\d\.\d", text), text  # whole days and years
        if indicator.display == "code":
            assert indicator.codes[int(value)] in text and "42%的儿童" in text, text


@pytest.mark.parametrize("indicator", SPEC.indicators, ids=lambda i: i.name)
def test_no_indicator_gives_a_reason_from_missing_data(indicator) -> None:
    assert sentence(_reason(indicator, None, 3.0)) is None
    assert sentence(_reason(indicator, math.nan, 3.0)) is None
    missing = _reason(indicator, None, 3.0)
    kept = _reason(indicator, 1.0, None)
    assert [r["indicator"] for r in with_text([missing, kept])] == [indicator.name]


@pytest.mark.parametrize(
    ("indicator", "value", "reference", "extra", "expected"),
    [
        ("visits_365d", 6.0, 6.0, {}, "近一年走访次数：6次"),  # the same as most children: no reference
        ("months_since_parent_home", 36.7, 12.0, {}, "距父母上次回家月数：37个月（一般儿童：12个月）"),
        ("days_since_last_visit", 96.5, 30.25, {}, "距上次走访天数：97天（一般儿童：30天）"),
        ("caregiver_age", 62.0, 62.0, {}, "主要照料人年龄：62岁"),
        (
            "share_visits_neglect_365d",
            4 / 6,
            0.0,
            {"of_count": 6.0, "of_label": "近一年走访次数"},
            "近一年6次走访中有4次发现疏忽照料（一般儿童：0%的走访）",
        ),
        ("unexcused_absence_rate_30d", 0.25, 0.0, {}, "近30天无故缺勤率：25%（一般儿童：0%）"),
        ("unexcused_rate_change_90d", 0.07, 0.0, {}, "无故缺勤率较前90天变化：上升7个百分点"),
        ("unexcused_rate_change_90d", -0.07, 0.0, {}, "无故缺勤率较前90天变化：下降7个百分点"),
        (
            "registry_guardianship_assessment",
            2.0,
            0.0,
            {"share_same": 0.08},
            "档案监护情况评估：差（8%的儿童也是这样）",
        ),
        ("caregiver_health_problem", 1.0, 0.0, {}, "主要照料人健康问题：慢性病"),
        ("caregiver_education", 1.0, 2.0, {}, "主要照料人文化程度：小学（一般儿童：初中）"),
        ("last_living_conditions", 2.0, 4.0, {}, "最近一次走访居住条件：2（1差–5好）（一般儿童：4）"),
        ("disability_severity", 4.0, 0.0, {}, "残疾程度：4（最重）（一般儿童：0）"),
        ("grade_level", 5.0, 5.0, {}, "年级：5年级"),
        ("grade_level", 5.0, 4.5, {}, "年级：5年级"),  # a median of 4.5 grades rounds to 5: no reference
        ("boarding", 1.0, 0.0, {}, "寄宿：是"),
        ("both_parents_away", 0.0, 1.0, {}, "父母均外出：否"),
    ],
)
def test_sentences_read_as_a_village_cadre_says_them(indicator, value, reference, extra, expected) -> None:
    reason = _reason(SPEC.indicator(indicator), value, reference, **extra)
    assert reason_text(reason) == expected


def test_a_reason_saved_before_display_reads_as_its_number_and_unit() -> None:
    old = {"label_zh": "寄宿", "unit": "0/1", "display": None, "value": 1.0, "reference": None}
    assert reason_text(old) == "寄宿：1（0/1）"
