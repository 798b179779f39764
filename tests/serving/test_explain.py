"""Reasons read as plain Chinese: coded values decoded, shares as percentages, numbers with their units."""

from __future__ import annotations

import math

import pytest

from serving.explain import reason_text, value_text


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (6.0, "天", "6 天"),
        (1.0, "0/1", "是"),
        (0.0, "0/1", "否"),
        (2.0, "0较好/1一般/2差", "差"),
        (1.0, "0有/1不足/2无", "不足"),
        (0.25, "比例", "25%"),
        (3.0, "1差–5好", "3（1差–5好）"),
        (math.nan, "天", "无记录"),
        (None, "0/1", "无记录"),
    ],
)
def test_values_are_shown_in_the_words_a_caseworker_uses(value, unit, expected) -> None:
    assert value_text(value, unit) == expected


def test_a_reason_names_the_value_and_the_reference_in_the_same_terms() -> None:
    reason = {"label_zh": "档案监护情况评估", "unit": "0较好/1一般/2差", "value": 2.0, "reference": 0.0}
    assert reason_text(reason) == "档案监护情况评估 差（参考人群中位数 较好）"
