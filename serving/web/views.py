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
from serving import schemas
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


@dataclass(frozen=True)
class Bar:
    text: str
    family: str
    raises: bool
    width: float  # percent of the widest bar
    contribution: float


def reason_bars(reasons: list[schemas.Reason]) -> list[Bar]:
    """Reasons as bars: red when the indicator raises the score, green when it lowers it."""
    widest = max((abs(r.contribution) for r in reasons), default=0.0) or 1.0
    return [
        Bar(
            r.text_zh,
            r.family_zh or "",
            r.contribution > 0,
            round(100 * abs(r.contribution) / widest, 1),
            r.contribution,
        )
        for r in reasons
    ]


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def short_date(value: Any) -> str:
    day = _date(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else "无记录"


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
    """One line for a list row: how recent the child's visit and attendance records are (过旧 when stale)."""
    parts = []
    for feed, label in (("visit_logs", "走访"), ("school_attendance", "出勤")):
        day = _date(freshness.get(feed))
        if day is None:
            parts.append(f"{label}无记录")
            continue
        old = (as_of - day).days > STALE_AFTER_DAYS[feed]
        parts.append(f"{label}截至{day.month}月{day.day}日" + ("（过旧）" if old else ""))
    return "，".join(parts)


@dataclass(frozen=True)
class TimelinePoint:
    x: float
    label: str
    concern: bool


def visit_timeline(visits: list[dict[str, Any]], as_of: dt.date, days: int = 365) -> list[TimelinePoint]:
    """Visits on a 0–100 axis over the last `days` days (for the small SVG chart)."""
    out = []
    for v in visits:
        day = _date(v.get("visit_date"))
        if day is None or not (0 <= (as_of - day).days <= days):
            continue
        concern = bool(v.get("hazards") or v.get("signs_of_injury") or v.get("signs_of_neglect"))
        out.append(TimelinePoint(round(100 * (1 - (as_of - day).days / days), 1), short_date(day), concern))
    return out


def visit_rows(visits: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for v in visits:
        seen = v.get("child_seen")
        out.append(
            {
                "date": short_date(v.get("visit_date")),
                "who": WORKER_ROLE.get(v.get("worker_role") or "", v.get("worker_role") or ""),
                "how": " ".join(
                    x
                    for x in (
                        VISIT_TYPE.get(v.get("visit_type") or "", ""),
                        VISIT_MODE.get(v.get("mode") or "", ""),
                    )
                    if x
                ),
                "seen": "见到儿童" if seen else ("未见到儿童" if seen is False else ""),
                "mood": MOOD.get(v.get("child_mood") or "", ""),
                "concern": "、".join(
                    x
                    for x, flag in (
                        ("安全隐患", v.get("hazards")),
                        ("伤痕", v.get("signs_of_injury")),
                        ("疏于照料", v.get("signs_of_neglect")),
                    )
                    if flag
                ),
                "next_due": short_date(v.get("next_visit_due")) if v.get("next_visit_due") else "",
            }
        )
    return out


@dataclass(frozen=True)
class Segment:
    status: str
    label: str
    days: int
    width: float


def attendance_bars(attendance: dict[str, Any]) -> dict[str, list[Segment]]:
    """School days of the last 30 and 90 days by status, as stacked-bar segments."""
    out: dict[str, list[Segment]] = {}
    for window in ("days_30", "days_90"):
        counts = {k: int(v) for k, v in (attendance.get(window) or {}).items() if v}
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


def profile_rows(profile: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not profile:
        return []
    rows = []
    if profile.get("age_years") is not None:
        rows.append(("年龄", f"{profile['age_years']} 岁"))
    if profile.get("lbc_type"):
        rows.append(("类别", LBC_TYPE.get(profile["lbc_type"], profile["lbc_type"])))
    if profile.get("guardianship_type"):
        rows.append(
            ("监护方式", GUARDIANSHIP_TYPE.get(profile["guardianship_type"], profile["guardianship_type"]))
        )
    if profile.get("snapshot_date"):
        rows.append(("档案日期", short_date(profile["snapshot_date"])))
    return rows
