"""Plain-Chinese rendering of the model's reasons, rule flags and bands for caseworkers. A reason says how
its value reads (`display`, and `codes` for coded values: shouhu_core.model_contract, from the spec the model
was trained on); the sentences themselves live in `serving.wording`, one template per display kind."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from data_contracts.enums import RISK_LEVEL, TRIGGER_2016
from serving import wording


def reason_text(reason: dict[str, Any]) -> str | None:
    """The reason as one plain sentence (serving.wording), or None when its value is unknown."""
    return wording.sentence(reason)


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
    """The reasons with their sentence (`text_zh`). A reason whose value is unknown is left out: missing data
    never reads as a reason (the freshness note says what is missing, once)."""
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
    out = []
    for r in reasons:
        text = reason_text(r)
        if text is not None:
            out.append({**{k: r.get(k) for k in keys}, "text_zh": text})
    return out


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


FLAGGED = "强制报告"  # what a rule-flagged child shows instead of a colour band


def shown_band(band: str, flagged: bool) -> str:
    """The band a person sees: a rule-flagged child is always red, never green, whatever its score (its
    mandatory-report situation comes first). The score's own band stays available as `model_band`."""
    return "red" if flagged else band


def band_label(band: str, flagged: bool) -> str:
    return FLAGGED if flagged else band_zh(band)
