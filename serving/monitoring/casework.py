"""How caseworkers use the lists, from the service database: the share of visit decisions that departed from
the list order, `no_action` on rule-flagged children, and agreement between the caseworker's own concern
(asked before the score is shown) and the model's band. Counted on the lists of the cycle ending at the as-of
date (list dates in the `cycle_days` before it); a child's latest decision on a row counts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serving.decisions import SPENDS_A_VISIT, Action
from serving.monitoring.figures import CONCERN_AGREEMENT, NO_ACTION_FLAGGED, OUT_OF_ORDER, Figure
from serving.monitoring.lists import key_chunks
from serving.tables import ConcernLevel, Decision, VisitList, VisitListRow

CYCLE_DAYS = 30
# the band a concern level corresponds to (the page asks 非常/有些/不太担心; red and orange are both high)
CONCERN_OF_BAND = {"red": "high", "orange": "high", "yellow": "medium", "green": "low"}


def _window(as_of: dt.date, cycle_days: int) -> tuple[dt.date, dt.date]:
    return as_of - dt.timedelta(days=cycle_days), as_of


def behaviour(
    session: Session,
    as_of: dt.date,
    max_override_share: float,
    area_prefix: str = "",
    cycle_days: int = CYCLE_DAYS,
) -> list[Figure]:
    start, end = _window(as_of, cycle_days)
    in_cycle = (
        (VisitList.as_of > start)
        & (VisitList.as_of <= end)
        & VisitList.scope_code.startswith(area_prefix, autoescape=True)
    )
    latest = (
        select(func.max(Decision.id))
        .join(VisitListRow, Decision.list_row_id == VisitListRow.id)
        .join(VisitList, VisitListRow.list_id == VisitList.id)
        .where(in_cycle)
        .group_by(Decision.list_row_id)
    )
    got = session.execute(
        select(Decision.action, Decision.out_of_order, VisitListRow.rule_flags)
        .join(VisitListRow, Decision.list_row_id == VisitListRow.id)
        .where(Decision.id.in_(latest))
    ).all()
    decisions = pd.DataFrame(got, columns=["action", "out_of_order", "rule_flags"])
    out: list[Figure] = []
    visits = decisions[decisions["action"].isin([a.value for a in SPENDS_A_VISIT])]
    share = float(visits["out_of_order"].astype(bool).mean()) if len(visits) else None
    out.append(
        Figure(
            OUT_OF_ORDER,
            "all",
            share,
            alert=share is not None and share > max_override_share,
            detail={"visits": len(visits), "out_of_order": int(visits["out_of_order"].astype(bool).sum())},
        )
    )
    flagged = decisions[decisions["rule_flags"].fillna("") != ""]
    no_action = int((flagged["action"] == Action.no_action.value).sum())
    out.append(
        Figure(
            NO_ACTION_FLAGGED,
            "all",
            no_action / len(flagged) if len(flagged) else None,
            alert=no_action > 0,
            detail={"flagged_decided": len(flagged), "no_action": no_action},
        )
    )
    out.append(agreement(session, start, end, area_prefix))
    return out


def agreement(session: Session, start: dt.date, end: dt.date, area_prefix: str = "") -> Figure:
    """Share of concern levels (other than 不了解情况) matching the band the child had on a list of that
    cycle; the detail holds the full cross-table (concern → band → count)."""
    latest = (
        select(func.max(ConcernLevel.id))
        .where(ConcernLevel.cycle > start, ConcernLevel.cycle <= end)
        .group_by(ConcernLevel.child_key, ConcernLevel.given_by, ConcernLevel.cycle)
    )
    concerns = pd.DataFrame(
        session.execute(
            select(ConcernLevel.child_key, ConcernLevel.cycle, ConcernLevel.level).where(
                ConcernLevel.id.in_(latest), ConcernLevel.level != "unknown"
            )
        ).all(),
        columns=["child_key", "cycle", "level"],
    )
    # the band each concerned-about child had on a list of that cycle, looked up by the children's keys (the
    # cycle's other list rows stay in the database); on several lists of one date, the earliest row counts
    bands = pd.DataFrame(
        [
            row
            for keys in key_chunks(concerns["child_key"])
            for row in session.execute(
                select(VisitListRow.child_key, VisitList.as_of, VisitListRow.band, VisitListRow.id)
                .join(VisitList, VisitListRow.list_id == VisitList.id)
                .where(
                    VisitList.as_of > start,
                    VisitList.as_of <= end,
                    VisitList.scope_code.startswith(area_prefix, autoescape=True),
                    VisitListRow.child_key.in_(keys),
                )
            ).all()
        ],
        columns=["child_key", "cycle", "band", "row_id"],
    )
    bands = bands.sort_values("row_id").drop_duplicates(["child_key", "cycle"])
    both = concerns.merge(bands, on=["child_key", "cycle"], how="inner")
    if both.empty:
        return Figure(CONCERN_AGREEMENT, "all", None, detail={"n": 0, "table": {}})
    same = both["level"] == both["band"].map(CONCERN_OF_BAND)
    table = both.groupby(["level", "band"]).size()
    return Figure(
        CONCERN_AGREEMENT,
        "all",
        float(same.mean()),
        detail={"n": len(both), "table": {f"{lv}|{b}": int(n) for (lv, b), n in table.items()}},
    )
