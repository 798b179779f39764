"""Every sentence a caseworker reads about one indicator, in one place: a template per display kind
(`display` in the spec: count, share, days, years, flag, code, ordinal), written for a 儿童主任 with
primary-school Chinese. The pages, the print view, the Excel export and the API's `text_zh` all come from
`sentence`.

Rules the templates keep:
- days, months and ages are whole numbers; no number shows more than one decimal;
- a share reads as "近一年6次走访中有4次发现疏忽照料" where the number of records is known, else a percentage;
- a code reads as its Chinese term, and its reference is the share of children with the same value (a median
  of codes means nothing);
- a reference is said only where it adds meaning: never when it reads as the value does, never for a 是/否;
- an unknown value gives no sentence at all (`None`): missing data is said once, as a freshness note, not as a
  reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# One template per display kind. {label}: the indicator's Chinese name; {n}/{ref}: the value and the
# reference as numbers; {unit}: the spec's unit text (shown beside a number, never parsed); {term}: a code's
# Chinese term; {pct}: a percentage; {k}/{total}: records matching / all records of the window.
SENTENCES: dict[str, str] = {
    "count": "{label}：{n}{unit}",
    "days": "{label}：{n}天",
    "years": "{label}：{n}岁",
    "share": "{label}：{pct}%",
    "share_of_records": "{window}{total}次{records}中有{k}次{what}",
    "share_up": "{label}：上升{pct}个百分点",
    "share_down": "{label}：下降{pct}个百分点",
    "flag_yes": "{label}：是",
    "flag_no": "{label}：否",
    "code": "{label}：{term}",
    "ordinal": "{label}：{n}（{scale}）",  # a position on a scale whose ends are named: "3（1差–5好）"
    "ordinal_named": "{label}：{n}（{term}）",  # at a named level: "残疾程度：4（最重）"
    "ordinal_unit": "{label}：{n}{unit}",  # an ordinal without named levels, e.g. "年级：5年级"
    "undeclared": "{label}：{n}（{unit}）",  # a reason saved before indicators declared `display`
}
# The reference, said after the sentence when it adds meaning.
REFERENCES: dict[str, str] = {
    "count": "（一般儿童：{ref}{unit}）",
    "days": "（一般儿童：{ref}天）",
    "years": "（一般儿童：{ref}岁）",
    "share": "（一般儿童：{ref}%）",
    "share_of_records": "（一般儿童：{ref}%的{records}）",
    "code": "（{pct}%的儿童也是这样）",
    "ordinal": "（一般儿童：{ref}）",
}
# How a unit is said after a number where the spec's unit text is not a word on its own.
UNIT_WORDS = {"月": "个月"}
SHARE_SUFFIX = "比例"  # "近一年走访发现伤痕比例" reads as "…发现伤痕" in a sentence about records
COUNT_SUFFIX = "次数"  # "近一年走访次数" names the records of the window: "近一年" + "走访"


def known(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def whole(value: float) -> str:
    # half away from zero (Python's round() goes to even: 96.5 → 96)
    return str(math.floor(abs(float(value)) + 0.5) * (-1 if float(value) < 0 else 1))


def short_number(value: float) -> str:
    """At most one decimal, and none for a whole number or anything from 10 up (36.7 → 37, 0.35 → 0.4)."""
    number = float(value)
    if abs(number) >= 10 or number.is_integer():
        return whole(number)
    text = f"{number:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(share: float) -> str:
    return whole(abs(float(share)) * 100)


def _codes(reason: Mapping[str, Any]) -> dict[int, str]:
    out: dict[int, str] = {}
    for key, term in (reason.get("codes") or {}).items():
        try:
            out[int(float(key))] = str(term)
        except (TypeError, ValueError):
            continue
    return out


def _term(value: float, codes: Mapping[int, str]) -> str | None:
    number = float(value)
    return codes.get(int(number)) if number.is_integer() else None


def _unit(reason: Mapping[str, Any]) -> str:
    return str(reason.get("unit") or "")


def _records(reason: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(window, records, what) of a share of records, e.g. ("近一年", "走访", "发现伤痕"), when the reason
    says how many records its window holds (`of_count`, `of_label`) and the labels fit together."""
    total, of_label, label = reason.get("of_count"), str(reason.get("of_label") or ""), str(reason["label"])
    if not known(total) or float(total) < 1 or not of_label.endswith(COUNT_SUFFIX):
        return None
    prefix = of_label.removesuffix(COUNT_SUFFIX)  # "近一年走访"
    if not label.startswith(prefix) or not label.endswith(SHARE_SUFFIX):
        return None
    what = label.removeprefix(prefix).removesuffix(SHARE_SUFFIX)
    for records in ("走访", "记录"):
        if prefix.endswith(records) and what:
            return prefix.removesuffix(records), records, what
    return None


def _share(reason: Mapping[str, Any], value: float, reference: float | None) -> str:
    label = reason["label"]
    if value < 0 or label.endswith("变化"):  # a change of a share: up or down, in percentage points
        if percent(value) == "0":
            return f"{label}：没有变化"
        key = "share_up" if value > 0 else "share_down"
        return SENTENCES[key].format(label=label, pct=percent(value))
    parts = _records(reason)
    if parts is not None:
        window, records, what = parts
        total = round(float(reason["of_count"]))
        text = SENTENCES["share_of_records"].format(
            window=window, total=total, records=records, k=round(value * total), what=what
        )
        if reference is not None and percent(reference) != percent(value):
            text += REFERENCES["share_of_records"].format(ref=percent(reference), records=records)
        return text
    text = SENTENCES["share"].format(label=label, pct=percent(value))
    if reference is not None and percent(reference) != percent(value):
        text += REFERENCES["share"].format(ref=percent(reference))
    return text


def _code(reason: Mapping[str, Any], value: float) -> str:
    codes = _codes(reason)
    term = _term(value, codes)
    if term is None:  # a value outside the declared codes: the number, as the spec's unit explains it
        return SENTENCES["undeclared"].format(
            label=reason["label"], n=short_number(value), unit=_unit(reason)
        )
    text = SENTENCES["code"].format(label=reason["label"], term=term)
    same = reason.get("share_same")
    if known(same):
        text += REFERENCES["code"].format(pct=percent(float(same)))
    return text


def _ordinal(reason: Mapping[str, Any], value: float, reference: float | None) -> str:
    codes, label, unit = _codes(reason), reason["label"], _unit(reason)
    term = _term(value, codes)
    ref_term = _term(round(reference), codes) if reference is not None else None
    if term is not None and len(codes) > 2:  # every level named (e.g. 未上学…大专): the term itself
        text = SENTENCES["code"].format(label=label, term=term)
        if ref_term is not None and ref_term != term:
            text += REFERENCES["ordinal"].format(ref=ref_term)
        return text
    n = whole(value)
    if term is not None:
        text = SENTENCES["ordinal_named"].format(label=label, n=n, term=term)
    elif codes:
        scale = "–".join(f"{k}{codes[k]}" for k in sorted(codes))
        text = SENTENCES["ordinal"].format(label=label, n=n, scale=scale)
    else:
        text = SENTENCES["ordinal_unit"].format(label=label, n=n, unit=unit)
    if reference is not None and whole(reference) != n:
        text += REFERENCES["ordinal"].format(ref=whole(reference) + ("" if codes else unit))
    return text


def _number(kind: str, reason: Mapping[str, Any], value: float, reference: float | None) -> str:
    unit = UNIT_WORDS.get(_unit(reason), _unit(reason))
    shown = whole if kind in ("days", "years") else short_number
    n = shown(value)
    text = SENTENCES[kind].format(label=reason["label"], n=n, unit=unit)
    if reference is not None and shown(reference) != n:
        text += REFERENCES[kind].format(ref=shown(reference), unit=unit)
    return text


def sentence(reason: Mapping[str, Any]) -> str | None:
    """The sentence of one reason (a dict with `label_zh`, `display`, `value`, `reference`, `unit`, `codes`,
    and where known `of_count`/`of_label` for shares of records and `share_same` for codes), or None when its
    value is unknown. A reason saved before indicators declared `display` reads as its number and unit."""
    value = reason.get("value")
    if not known(value):
        return None
    value = float(value)
    ref_raw = reason.get("reference")
    reference = float(ref_raw) if known(ref_raw) else None
    fields = {**reason, "label": str(reason.get("label_zh") or reason.get("indicator") or "")}
    display = reason.get("display")
    if display == "flag":
        return SENTENCES["flag_yes" if value >= 0.5 else "flag_no"].format(label=fields["label"])
    if display == "share":
        return _share(fields, value, reference)
    if display == "code":
        return _code(fields, value)
    if display == "ordinal":
        return _ordinal(fields, value, reference)
    if display in ("days", "years", "count"):
        return _number(display, fields, value, reference)
    return SENTENCES["undeclared"].format(label=fields["label"], n=short_number(value), unit=_unit(fields))
