"""Plain-Chinese rendering of the model's reasons, rule flags and bands for caseworkers. A reason says how
its value reads (`display`, and `codes` for coded values: shouhu_core.model_contract, from the spec the model
was trained on); the free-text `unit` is only shown beside a number, never parsed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from data_contracts.enums import RISK_LEVEL, TRIGGER_2016

MISSING = "无记录"  # what a caseworker reads for an unknown value (no record before the as-of date)


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:.2f}".rstrip("0").rstrip(".")


def value_text(
    value: Any, display: str | None, unit: str = "", codes: Mapping[str, str] | None = None
) -> str:
    """A value as a caseworker reads it: 是/否 for flags, a percentage for shares, the term of a coded value,
    an ordinal with its named scale, otherwise the number with its unit. A reason saved before indicators
    declared `display` (None) reads as its number and unit."""
    number = _num(value)
    if number == MISSING:
        return number
    if display == "flag":
        return "是" if float(value) >= 0.5 else "否"
    if display == "share":
        return f"{float(value) * 100:.0f}%"
    if display in ("code", "ordinal") and codes:
        if display == "code" and number in codes:
            return codes[number]
        return (
            f"{number}（{unit}）"  # a position on a named scale, e.g. "3（1差–5好）"; a median between codes
        )
    return f"{number} {unit}".strip()


def reason_text(reason: dict[str, Any]) -> str:
    """e.g. "近30天无故缺勤天数 6 天（参考人群中位数 0 天）"."""
    unit = reason.get("unit") or ""
    display = reason.get("display")
    codes = {str(k): str(v) for k, v in (reason.get("codes") or {}).items()}
    label = reason.get("label_zh") or reason.get("indicator", "")
    text = f"{label} {value_text(reason.get('value'), display, unit, codes)}"
    if reason.get("reference") is not None:
        text += f"（参考人群中位数 {value_text(reason['reference'], display, unit, codes)}）"
    return text


def _contribution(reason: dict[str, Any]) -> float:
    value = reason.get("contribution")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) else number


def split_reasons(
    reasons: list[dict[str, Any]] | None, protective: list[dict[str, Any]] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(risk-raising reasons, protective reasons), each strongest first.

    Models since `protective_reasons` give the two apart (reasons > 0, protective < 0). Older models and the
    list rows saved from them (`protective` is None) gave one list of both signs: split it by sign."""
    reasons = list(reasons or [])
    protective = [r for r in reasons if _contribution(r) < 0] if protective is None else list(protective)
    raising = [r for r in reasons if _contribution(r) > 0]
    lowering = [r for r in protective if _contribution(r) < 0]
    raising.sort(key=_contribution, reverse=True)
    lowering.sort(key=_contribution)
    return raising, lowering


def with_text(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = (
        "indicator",
        "label_zh",
        "family",
        "family_zh",
        "value",
        "reference",
        "unit",
        "display",
        "contribution",
    )
    return [{**{k: r.get(k) for k in keys}, "text_zh": reason_text(r)} for r in reasons]


@lru_cache
def _rule_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    try:
        from features.rules import RULES
    except ImportError:
        return labels
    items = RULES.items() if isinstance(RULES, dict) else ((getattr(r, "name", None), r) for r in RULES)
    for name, rule in items:
        label = rule.get("label_zh") if isinstance(rule, dict) else getattr(rule, "label_zh", None)
        if name and label:
            labels[str(name)] = str(label)
    return labels


def rule_flags(joined: str) -> list[dict[str, str]]:
    names = [n for n in (joined or "").split(";") if n]
    labels = _rule_labels()
    return [{"rule": n, "label_zh": labels.get(n) or TRIGGER_2016.get(n) or n} for n in names]


def band_zh(band: str) -> str:
    return RISK_LEVEL.get(band, band)
