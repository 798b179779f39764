"""The 县民政 monitoring page (`/county/monitor`): whether the feeds, the model and the caseworkers' use of
it are healthy, from the monitoring history (`shouhu monitor`). Chinese, server-rendered, charts as SVG drawn
here (they work offline and print). County and admin roles only; aggregates only, no child."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from serving import api
from serving.access import AccessDenied, Principal, Role
from serving.monitoring import figures as m
from serving.monitoring import history, svg
from serving.services import Services

BEIJING = ZoneInfo("Asia/Shanghai")
ROLES = frozenset({Role.county, Role.admin})
router = APIRouter(include_in_schema=False)

GATES_ZH = {
    "passed": "已通过上线门槛（质量、公平、校准）",
    "first_model": "首个模型：当时没有可比较的模型，未经门槛",
    "ungated": "未经上线门槛上线，请数据组核查",
}
ATTRIBUTE_ZH = {"sex": "性别", "ethnicity": "民族", "disability": "残疾", "township": "乡镇"}
SEX_ZH = {"F": "女", "M": "男"}
SCOPE_ZH = {"village": "村", "township": "乡镇", "county": "县"}


def beijing(moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:  # SQLite returns naive datetimes: they were written in UTC
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"


def day_zh(day: dt.date | str | None) -> str:
    if day is None:
        return "—"
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{day.month}月{day.day}日"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _feed_zh(name: str) -> str:
    from data_contracts.feeds import FEEDS

    return FEEDS[name].title if name in FEEDS else name


def _group_zh(attribute: str, group: str, areas: dict[str, str]) -> str:
    if attribute == "sex":
        return SEX_ZH.get(group, group)
    if attribute == "township":
        return areas.get(group, group)
    if attribute == "disability":
        return "有残疾" if group == "有" else "无残疾"
    return group


def context(session: Session, areas: dict[str, str]) -> dict[str, Any]:
    """Everything the page shows, from the latest run and the history of runs."""
    stored = history.latest(session)
    if stored is None:
        return {"run": None}
    run = stored.run
    summary = run.summary or {}
    county = summary.get("county")
    thresholds = summary.get("thresholds", {})
    quarantine = {f.subject: f for f in stored.of(m.QUARANTINE)}
    feeds = []
    ages = stored.of(m.FEED_AGE)
    for f in ages:
        if f.area_code != county:
            continue
        stopped = [
            areas.get(g.area_code or "", g.area_code)
            for g in ages
            if g.subject == f.subject and g.area_code != county and g.alert
        ]
        q = quarantine.get(f.subject)
        feeds.append(
            {
                "name": _feed_zh(f.subject),
                "latest": day_zh(f.detail.get("latest")),
                "age": "—" if f.value is None else f"{f.value:.0f} 天",
                "alert": f.alert,
                "stopped": stopped,
                "quarantine": pct(q.value if q else None),
                "quarantine_alert": bool(q and q.alert),
                "trend": " → ".join(pct(v) for v in reversed((q.detail.get("trend") or []) if q else [])),
            }
        )
    psi_limit = thresholds.get("psi")
    score = stored.of(m.PSI_SCORE)
    inputs = stored.of(m.PSI_INPUT)[:12]
    drift_chart = svg.bars(
        [(f.detail.get("label_zh") or f.subject, f.value, f.alert) for f in inputs],
        title="各输入指标的稳定性指数（PSI，越大变化越大；虚线为警戒值）",
        limit=psi_limit,
    )
    by_township = sorted(stored.of(m.PSI_SCORE_TOWNSHIP), key=lambda f: -(f.value or 0.0))[:20]
    township_chart = (
        svg.bars(
            [
                (
                    f"{areas.get(f.area_code or '', f.area_code or '')}（{f.detail.get('n', 0)}人）",
                    f.value,
                    f.alert,
                )
                for f in by_township
            ],
            title="各乡镇评分分布的稳定性指数（PSI，本期）",
            limit=psi_limit,
        )
        if by_township
        else ""
    )
    score_series = history.series(session, m.PSI_SCORE)
    precision = stored.of(m.PRECISION)
    recall = {f.subject: f.value for f in stored.of(m.RECALL)}
    by_date: dict[str, list[float]] = {}
    for f in precision:
        if f.value is not None:
            by_date.setdefault(f.detail["as_of"], []).append(f.value)
    precision_series = sorted((dt.date.fromisoformat(d), sum(v) / len(v)) for d, v in by_date.items())
    recall_by_date: dict[str, list[float]] = {}
    for f in precision:
        value = recall.get(f.subject)
        if value is not None:
            recall_by_date.setdefault(f.detail["as_of"], []).append(value)
    recall_series = sorted((dt.date.fromisoformat(d), sum(v) / len(v)) for d, v in recall_by_date.items())
    lists = [
        {
            "as_of": day_zh(f.detail["as_of"]),
            "scope": SCOPE_ZH.get(f.detail.get("scope", ""), "")
            + " "
            + areas.get(f.area_code or "", f.area_code or ""),
            "k": f.detail["k"],
            "hits": f.detail["hits"],
            "outcomes": f.detail["outcomes"],
            "precision": pct(f.value),
            "recall": pct(recall.get(f.subject)),
            "alert": f.alert,
        }
        for f in precision[-12:]
    ]
    behaviour = {
        f.metric: f
        for f in (
            *stored.of(m.OUT_OF_ORDER),
            *stored.of(m.NO_ACTION_FLAGGED),
            *stored.of(m.CONCERN_AGREEMENT),
        )
    }
    selection = stored.of(m.SELECTION)
    selection_charts = []
    for attribute, title in ATTRIBUTE_ZH.items():
        items = [
            (
                f"{_group_zh(attribute, f.detail['group'], areas)}（{f.detail['n']}人）",
                f.value,
                False,
            )
            for f in selection
            if f.detail.get("attribute") == attribute
        ]
        if items:
            selection_charts.append(
                Markup(svg.bars(items, title=f"按{title}：本期入选走访的比例", percent=True))
            )
    champion = summary.get("champion")
    return {
        "run": run,
        "as_of": day_zh(run.as_of),
        "ran_at": beijing(run.ran_at),
        "alerts": run.alerts,
        "alert_list": [_alert_zh(f, areas) for f in stored.figures if f.alert][:20],
        "notes": summary.get("notes", []),
        "champion": champion,
        "gates_zh": GATES_ZH.get((champion or {}).get("gates_status", ""), "未知") if champion else None,
        "champion_since": day_zh((champion.get("registered_at") or "")[:10] or None) if champion else "—",
        "feeds": feeds,
        "score_psi": score[0].value if score else None,
        "score_alert": bool(score and score[0].alert),
        "psi_limit": psi_limit,
        "drift_chart": Markup(drift_chart),
        "township_chart": Markup(township_chart),
        "score_chart": Markup(
            svg.lines(
                {"评分分布 PSI": score_series}, title="评分分布的稳定性指数（历次监测）", limit=psi_limit
            )
        ),
        "precision_chart": Markup(
            svg.lines(
                {"精确率": precision_series, "召回率": recall_series},
                title="已到期名单的实际精确率与召回率（按名单日期）",
                percent=True,
            )
        ),
        "lists": lists,
        "out_of_order": behaviour.get(m.OUT_OF_ORDER),
        "no_action": behaviour.get(m.NO_ACTION_FLAGGED),
        "agreement": behaviour.get(m.CONCERN_AGREEMENT),
        "override_chart": Markup(
            svg.lines(
                {"未按顺序": history.series(session, m.OUT_OF_ORDER)},
                title="未按名单顺序走访的比例（历次监测）",
                percent=True,
                limit=thresholds.get("override_share"),
            )
        ),
        "selection_charts": selection_charts,
        "thresholds": thresholds,
        "pct": pct,
    }


METRIC_ZH = {
    m.FEED_AGE: "数据源停止更新",
    m.QUARANTINE: "数据隔离比例偏高",
    m.PSI_SCORE: "评分分布明显变化",
    m.PSI_SCORE_TOWNSHIP: "乡镇评分分布明显变化",
    m.PSI_INPUT: "输入指标分布明显变化",
    m.PRECISION: "名单实际精确率偏低",
    m.OUT_OF_ORDER: "未按名单顺序走访偏多",
    m.NO_ACTION_FLAGGED: "强制报告情形儿童被标为暂不处理",
}


def _alert_zh(f: m.Figure, areas: dict[str, str]) -> str:
    what = METRIC_ZH.get(f.metric, f.metric)
    if f.metric in (m.FEED_AGE, m.QUARANTINE):
        subject = _feed_zh(f.subject)
    elif f.metric == m.PSI_INPUT:
        subject = f.detail.get("label_zh") or f.subject
    elif f.metric == m.PRECISION:
        subject = f"{day_zh(f.detail.get('as_of'))}名单"
    else:
        subject = ""
    where = areas.get(f.area_code or "", "") if f.area_code else ""
    return "：".join(p for p in (what, " ".join(x for x in (where, subject) if x)) if p)


Svc = Annotated[Services, Depends(api.services)]
Db = Annotated[Session, Depends(api.db)]


@router.get("/county/monitor", response_class=HTMLResponse)
def monitor_page(request: Request, svc: Svc, session: Db) -> HTMLResponse:
    from serving.web import pages
    from serving.web.pages import PageError
    from serving.web.routes import render

    who: Principal = pages.current_principal(request, svc, session)
    try:
        who.require(ROLES, "查看县级监测")
    except AccessDenied as exc:
        raise PageError(403, "县级监测页面仅限县民政和系统管理员查看。") from exc
    areas = pages.area_names(svc)
    return render(request, "monitor.html", {"who": who, **context(session, areas)})
