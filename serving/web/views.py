"""Presentation for the pages: plain functions from the API's schemas to what a template draws (Chinese
labels, bar widths, chart coordinates). No I/O here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from data_contracts.enums import (
    ATTENDANCE_STATUS,
    GUARDIANSHIP_TYPE,
    LBC_TYPE,
    MOOD,
    RISK_LEVEL,
    VISIT_MODE,
    VISIT_TYPE,
    WORKER_ROLE,
)
from data_contracts.feeds import FEEDS
from serving import explain, localtime, schemas
from serving.decisions import ACTION_ZH, Action

NOTE = "评分仅供参考，由工作人员决定"
BANDS = ("red", "orange", "yellow", "green")
BAND_MEANING = {
    "red": "最需要优先走访",
    "orange": "需要尽快走访",
    "yellow": "需要留意",
    "green": "暂无突出风险信号",
}
# How old a feed's latest record may be before the panel marks it stale, per feed that is expected to keep
# arriving (attendance in weekly batches, visits at least quarterly, the registry re-checked yearly). Event
# feeds (incidents, cases, benefits, …) are not judged: having no record there is normal.
STALE_AFTER_DAYS = {
    "school_attendance": 30,
    "visit_logs": 90,
    "parent_contact_log": 120,
    "children_registry": 400,
}
ACTIONS = [(a.value, ACTION_ZH[a]) for a in Action]
ACTION_HELP = {
    Action.schedule_visit.value: "列入本轮走访计划",
    Action.visited.value: "已入户见到儿童（可填写发现）",
    Action.no_action.value: "本轮不走访（强制报告情形须说明原因）",
    Action.escalate_mandatory_report.value: "发现强制报告情形，立即上报",
    Action.refer_assessment.value: "转入评估帮扶个案",
}


def band_zh(band: str | None) -> str:
    return RISK_LEVEL.get(band or "", band or "—")


FLAGGED = explain.FLAGGED
shown_band = explain.shown_band  # one rule for what a person sees, shared with the API
band_label = explain.band_label


def percentile_text(percentile: float | None) -> str:
    if percentile is None:
        return "—"
    return f"高于本县 {percentile:.0f}% 的儿童"


def band_legend(cutoffs: dict[str, float]) -> list[dict[str, str]]:
    """What each band means, with its percentile range when the model states its cut-offs."""
    out = []
    upper = 100.0
    for band in BANDS:
        cut = cutoffs.get(band)
        span = f"百分位 {cut:.0f}–{upper:.0f}" if cut is not None else ""
        if cut is not None:
            upper = cut
        out.append({"band": band, "zh": band_zh(band), "meaning": BAND_MEANING[band], "span": span})
    return out


FLAGGED_MEANING = "不论评分高低都排在最前、按红色处理，须立即核实上报（由规则判定，与评分无关）"


@dataclass(frozen=True)
class Bar:
    text: str
    family: str
    raises: bool
    width: float  # percent of the widest bar
    contribution: float


def reason_bars(reasons: list[schemas.Reason], protective: list[schemas.Reason] | None = None) -> list[Bar]:
    """The risk-raising reasons (red) then the protective ones (green), on one scale: a bar's length is the
    size of its contribution relative to the largest."""
    everything = [*reasons, *(protective or [])]
    widest = max((abs(r.contribution) for r in everything), default=0.0) or 1.0
    return [
        Bar(
            r.text_zh,
            r.family_zh or "",
            r.contribution > 0,
            max(1.0, round(100 * abs(r.contribution) / widest, 1)),  # a listed reason always shows a bar
            r.contribution,
        )
        for r in everything
        if r.contribution != 0
    ]


_date = localtime.as_date
short_date = localtime.date_zh


@dataclass(frozen=True)
class Freshness:
    feed: str
    title: str
    child: str
    feed_latest: str
    stale: bool  # the child's latest record is older than the feed's limit, or missing
    feed_stale: bool  # the whole feed has stopped arriving (its latest record is older than the limit)
    age_days: int | None


def freshness_rows(freshness: dict[str, dict[str, str | None]], as_of: dt.date) -> list[Freshness]:
    """Per feed: the child's latest record and the feed's, judged stale for feeds expected to keep coming."""
    out = []
    for feed, dates in freshness.items():
        child, latest = _date(dates.get("child")), _date(dates.get("feed"))
        age = (as_of - child).days if child else None
        limit = STALE_AFTER_DAYS.get(feed)
        stale = limit is not None and (age is None or age > limit)
        feed_stale = limit is not None and (latest is None or (as_of - latest).days > limit)
        title = FEEDS[feed].title if feed in FEEDS else feed
        out.append(Freshness(feed, title, short_date(child), short_date(latest), stale, feed_stale, age))
    return out


def list_freshness(freshness: dict[str, str | None], as_of: dt.date) -> str:
    """One note for a list row, said once: how recent the child's visit and attendance records are, e.g.
    「走访数据截至2024年9月2日，出勤数据截至2025年1月6日（过旧）」. Missing data is said here, never as a
    reason."""
    parts = []
    for feed, label in (("visit_logs", "走访"), ("school_attendance", "出勤")):
        day = _date(freshness.get(feed))
        if day is None:
            parts.append(f"无{label}数据")
            continue
        old = (as_of - day).days > STALE_AFTER_DAYS[feed]
        parts.append(f"{label}数据截至{short_date(day)}" + ("（过旧）" if old else ""))
    return "，".join(parts)


@dataclass(frozen=True)
class TimelinePoint:
    x: float
    label: str
    concern: bool


def visit_timeline(visits: list[schemas.VisitRecord], as_of: dt.date, days: int = 365) -> list[TimelinePoint]:
    """Visits on a 0–100 axis over the last `days` days (for the small SVG chart)."""
    out = []
    for v in visits:
        day = v.visit_date
        if day is None or not (0 <= (as_of - day).days <= days):
            continue
        concern = bool(v.hazards or v.signs_of_injury or v.signs_of_neglect)
        out.append(TimelinePoint(round(100 * (1 - (as_of - day).days / days), 1), short_date(day), concern))
    return out


def visit_rows(visits: list[schemas.VisitRecord]) -> list[dict[str, str]]:
    out = []
    for v in visits:
        seen = v.child_seen
        out.append(
            {
                "date": short_date(v.visit_date),
                "who": WORKER_ROLE.get(v.worker_role or "", v.worker_role or ""),
                "how": " ".join(
                    x for x in (VISIT_TYPE.get(v.visit_type or "", ""), VISIT_MODE.get(v.mode or "", "")) if x
                ),
                "seen": "见到儿童" if seen else ("未见到儿童" if seen is False else ""),
                "mood": MOOD.get(v.child_mood or "", ""),
                "concern": "、".join(
                    x
                    for x, flag in (
                        ("安全隐患", v.hazards),
                        ("伤痕", v.signs_of_injury),
                        ("疏于照料", v.signs_of_neglect),
                    )
                    if flag
                ),
                "next_due": short_date(v.next_visit_due) if v.next_visit_due else "",
            }
        )
    return out


@dataclass(frozen=True)
class Segment:
    status: str
    label: str
    days: int
    width: float


def attendance_bars(attendance: schemas.AttendanceSummary) -> dict[str, list[Segment]]:
    """School days of the last 30 and 90 days by status, as stacked-bar segments."""
    out: dict[str, list[Segment]] = {}
    for window, days in (("days_30", attendance.days_30), ("days_90", attendance.days_90)):
        counts = {k: int(v) for k, v in days.items() if v}
        total = sum(counts.values()) or 1
        order = [s for s in ATTENDANCE_STATUS if s in counts] + [
            s for s in counts if s not in ATTENDANCE_STATUS
        ]
        out[window] = [
            Segment(s, ATTENDANCE_STATUS.get(s, s), counts[s], round(100 * counts[s] / total, 1))
            for s in order
        ]
    return out


def score_sparkline(history: list[schemas.ScorePoint]) -> str:
    """SVG polyline points of the percentile over past lists (x 0–100, y 0–30, higher = more concern)."""
    if len(history) < 2:
        return ""
    n = len(history) - 1
    return " ".join(f"{100 * i / n:.1f},{30 - 30 * p.percentile / 100:.1f}" for i, p in enumerate(history))


def profile_rows(profile: schemas.Profile | None) -> list[tuple[str, str]]:
    if profile is None:
        return []
    rows = []
    if profile.age_years is not None:
        rows.append(("年龄", f"{profile.age_years} 岁"))
    if profile.lbc_type:
        rows.append(("类别", LBC_TYPE.get(profile.lbc_type, profile.lbc_type)))
    if profile.guardianship_type:
        rows.append(("监护方式", GUARDIANSHIP_TYPE.get(profile.guardianship_type, profile.guardianship_type)))
    if profile.snapshot_date:
        rows.append(("档案日期", short_date(profile.snapshot_date)))
    return rows


# Form and query fields as the pages name them, for validation messages.
FIELD_ZH = {
    "list_row_id": "名单行",
    "action": "决定",
    "reason": "原因",
    "findings": "走访发现",
    "notes": "情况记录",
    "concerns": "发现的问题",
    "child_seen": "见到儿童",
    "guardian_present": "监护人在场",
    "corrects_id": "更正的决定",
    "level": "担忧程度",
    "cycle": "周期",
    "row": "名单行",
    "saved": "决定编号",
    "corrects": "更正的决定",
    "username": "账号",
    "password": "密码",
    "next": "跳转地址",
    "township": "乡镇",
    "village": "村",
    "band": "等级",
    "all": "显示全部",
}


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    names = [str(x) for x in loc if isinstance(x, str) and x not in ("body", "query", "path", "form")]
    return FIELD_ZH.get(names[-1], names[-1]) if names else "输入"


def validation_zh(errors: list[Any]) -> str:
    """Pydantic / FastAPI validation errors as one Chinese sentence a caseworker can act on."""
    out = []
    for e in errors:
        field, kind, ctx = _field(e.get("loc", ())), str(e.get("type", "")), e.get("ctx") or {}
        if kind == "missing":
            text = f"请填写{field}"
        elif kind == "string_too_long" and "max_length" in ctx:
            text = f"{field}最多 {ctx['max_length']} 字"
        elif kind == "too_long" and "max_length" in ctx:
            text = f"{field}最多 {ctx['max_length']} {'项' if ctx.get('field_type') == 'List' else '字'}"
        elif kind == "value_error" and "NUL" in str(e.get("msg", "")):
            text = f"{field}含有无法保存的控制字符（\\x00），请删除后重试"
        elif kind in ("enum", "literal_error"):
            text = f"请从选项中选择{field}"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            text = f"{field}超出范围"
        elif kind.endswith("_parsing") or kind.endswith("_type") or kind == "string_pattern_mismatch":
            text = f"{field}格式不正确"
        elif kind == "extra_forbidden":
            text = f"不认识的字段：{field}"
        else:
            text = f"{field}填写有误"
        if text not in out:
            out.append(text)
    return "；".join(out) or "输入有误，请检查后重试"
