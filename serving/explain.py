"""Plain-Chinese rendering of the model's reasons, rule flags and bands for caseworkers."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from data_contracts.enums import RISK_LEVEL, TRIGGER_2016


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "缺失"
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:.2f}".rstrip("0").rstrip(".")


def reason_text(reason: dict[str, Any]) -> str:
    """e.g. "近30天无故缺勤 6 天（参考人群中位数 0 天）"."""
    unit = reason.get("unit") or ""
    label = reason.get("label_zh") or reason.get("indicator", "")
    value = _num(reason.get("value"))
    text = f"{label} {value}{unit if value != '缺失' else ''}"
    if reason.get("reference") is not None:
        text += f"（参考人群中位数 {_num(reason['reference'])}{unit}）"
    return text


def with_text(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("indicator", "label_zh", "family", "family_zh", "value", "reference", "unit", "contribution")
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
