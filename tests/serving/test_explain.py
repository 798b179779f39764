"""Reasons read as plain Chinese, from how each indicator says it reads (`display`, `codes` from the spec the
model was trained on): coded values decoded, shares as percentages, numbers with their units. The free-text
unit is shown, never parsed."""

from __future__ import annotations

import math

import pytest

from serving.explain import reason_text, value_text

RATING = {"0": "较好", "1": "一般", "2": "差"}


@pytest.mark.parametrize(
    ("value", "display", "unit", "codes", "expected"),
    [
        (6.0, "days", "天", None, "6 天"),
        (2.0, "count", "次", None, "2 次"),
        (10.0, "years", "岁", None, "10 岁"),
        (1.0, "flag", "0/1", None, "是"),
        (0.0, "flag", "0/1", None, "否"),
        (2.0, "code", "0较好/1一般/2差", RATING, "差"),
        (1.0, "code", "0有/1不足/2无", {"0": "有", "1": "不足", "2": "无"}, "不足"),
        (1.5, "code", "0较好/1一般/2差", RATING, "1.5（0较好/1一般/2差）"),  # a median between codes
        (0.25, "share", "比例", None, "25%"),
        (3.0, "ordinal", "1差–5好", {"1": "差", "5": "好"}, "3（1差–5好）"),
        (4.0, "ordinal", "年级", None, "4 年级"),
        (math.nan, "days", "天", None, "无记录"),
        (None, "flag", "0/1", None, "无记录"),
        (
            1.0,
            None,
            "0/1",
            None,
            "1 0/1",
        ),  # a reason saved before `display`: number and unit, nothing guessed
    ],
)
def test_values_are_shown_in_the_words_a_caseworker_uses(value, display, unit, codes, expected) -> None:
    assert value_text(value, display, unit, codes) == expected


def test_a_reason_names_the_value_and_the_reference_in_the_same_terms() -> None:
    reason = {
        "label_zh": "档案监护情况评估",
        "unit": "0较好/1一般/2差",
        "display": "code",
        "codes": RATING,
        "value": 2.0,
        "reference": 0.0,
    }
    assert reason_text(reason) == "档案监护情况评估 差（参考人群中位数 较好）"


def test_the_wording_follows_display_not_the_unit_text() -> None:
    """The same unit text reads differently when the spec says differently: `display` decides."""
    as_flag = {"label_zh": "寄宿", "unit": "0/1", "display": "flag", "value": 1.0, "reference": None}
    as_count = {**as_flag, "display": "count"}
    assert reason_text(as_flag) == "寄宿 是"
    assert reason_text(as_count) == "寄宿 1 0/1"
