"""What issued visit lists did and whom they selected, joined to the warehouse in DuckDB.

- Realised quality: once a list's horizon has passed, precision@k and recall@k of the list *as it was issued*
  (its persisted ranks, i.e. `shouhu_core.list_order` at issue time) against the outcome label the model is
  trained on (`features.labels.label_table`: a counted incident within the horizon after the list's date).
- Selection: on the live lists (the latest date with lists), the share of children within capacity by sex,
  ethnicity, disability and township. No outcomes needed.

Capacity k: a township list's is `visits_per_township`; a county list's is that times its townships; a village
list's is the same per-township number (village lists are usually shorter, so wholly within capacity)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from features.backend import Warehouse, as_of_frame
from features.labels import label_table
from serving.monitoring.feeds import midnight
from serving.monitoring.figures import PRECISION, RECALL, SELECTION, Figure
from serving.tables import VisitList, VisitListRow

SCOPE_PREFERENCE = {"township": 0, "county": 1, "village": 2}  # which list counts for a child on several
ATTRIBUTES = ("sex", "ethnicity", "disability", "township")


def capacity_of(scope_kind: str, townships: int, visits_per_township: int) -> int:
    return visits_per_township * max(townships, 1) if scope_kind == "county" else visits_per_township


def _rows(session: Session, lists: list[VisitList]) -> pd.DataFrame:
    if not lists:
        return pd.DataFrame(columns=["list_id", "rank", "child_key", "village_code", "rule_flags"])
    ids = [v.id for v in lists]
    got = session.execute(
        select(
            VisitListRow.list_id,
            VisitListRow.rank,
            VisitListRow.child_key,
            VisitListRow.village_code,
            VisitListRow.rule_flags,
        ).where(VisitListRow.list_id.in_(ids))
    ).all()
    return pd.DataFrame(got, columns=["list_id", "rank", "child_key", "village_code", "rule_flags"])


def _with_k(rows: pd.DataFrame, lists: list[VisitList], visits_per_township: int) -> pd.DataFrame:
    townships = rows.assign(t=rows["village_code"].str.slice(0, 9)).groupby("list_id")["t"].nunique()
    k = {
        v.id: min(v.row_count, capacity_of(v.scope_kind, int(townships.get(v.id, 1)), visits_per_township))
        for v in lists
    }
    return rows.assign(k=rows["list_id"].map(k).astype("int64"))


def realised_quality(
    session: Session,
    wh: Warehouse,
    as_of: dt.date,
    horizon_days: int,
    visits_per_township: int,
    min_precision: float,
    area_prefix: str = "",
) -> list[Figure]:
    """precision@k and recall@k of every list (of an area within `area_prefix`) whose horizon ended by
    `as_of`."""
    stmt = select(VisitList).where(VisitList.scope_code.startswith(area_prefix, autoescape=True))
    done = [
        v
        for v in session.scalars(stmt.order_by(VisitList.as_of, VisitList.id))
        if v.as_of + dt.timedelta(days=horizon_days) <= as_of
    ]
    if not done:
        return []
    rows = _with_k(_rows(session, done), done, visits_per_township)
    dates = {v.id: v.as_of for v in done}
    rows["as_of"] = pd.to_datetime(rows["list_id"].map(dates)).astype("datetime64[us]")
    issued = wh.load_frame("_monitor_issued", rows[["list_id", "as_of", "child_key", "rank", "k"]])
    dates_t = wh.load_frame("_monitor_list_dates", as_of_frame(sorted(set(dates.values()))))
    labels = label_table(wh, dates_t, horizon_days)
    # the training label itself: every counted incident the warehouse holds for the horizon, however late it
    # was recorded, so realised and trained-on precision are the same measure
    j = issued.left_join(labels, ["child_key", "as_of"]).select(
        issued.list_id, issued.rank, issued.k, label=labels.label.fill_null(0)
    )
    per = j.group_by("list_id").aggregate(
        k=j.k.max(),
        hits=(j.label * (j.rank <= j.k).cast("int64")).sum(),
        outcomes=j.label.sum(),
        n=j.count(),
    )
    frame = wh.execute(per)
    by_id = {v.id: v for v in done}
    out: list[Figure] = []
    for r in frame.sort_values("list_id").itertuples(index=False):
        v = by_id[int(r.list_id)]
        precision = float(r.hits) / float(r.k) if r.k else None
        recall = float(r.hits) / float(r.outcomes) if r.outcomes else None
        detail: dict[str, Any] = {
            "as_of": v.as_of.isoformat(),
            "scope": v.scope_kind,
            "model_version": v.model_version,
            "k": int(r.k),
            "hits": int(r.hits),
            "outcomes": int(r.outcomes),
            "n": int(r.n),
        }
        subject = f"list:{v.id}"
        out.append(
            Figure(
                PRECISION,
                subject,
                precision,
                area_code=v.scope_code,
                alert=precision is not None and precision < min_precision,
                detail=detail,
            )
        )
        out.append(Figure(RECALL, subject, recall, area_code=v.scope_code, detail=detail))
    return out


def live_lists(session: Session, as_of: dt.date, area_prefix: str = "") -> list[VisitList]:
    """The lists (of areas within `area_prefix`) of the latest date on or before `as_of` that has any."""
    within = VisitList.scope_code.startswith(area_prefix, autoescape=True)
    latest = session.scalar(
        select(VisitList.as_of)
        .where(within, VisitList.as_of <= as_of)
        .order_by(VisitList.as_of.desc())
        .limit(1)
    )
    if latest is None:
        return []
    return list(session.scalars(select(VisitList).where(within, VisitList.as_of == latest)))


def selected_children(session: Session, lists: list[VisitList], visits_per_township: int) -> pd.DataFrame:
    """(child_key, village_code, selected) for each child on the given lists, from the one list that
    counts for them (a township list before a county list before a village list)."""
    if not lists:
        return pd.DataFrame(columns=["child_key", "village_code", "selected"])
    rows = _with_k(_rows(session, lists), lists, visits_per_township)
    preference = {v.id: SCOPE_PREFERENCE.get(v.scope_kind, 9) for v in lists}
    rows["pref"] = rows["list_id"].map(preference)
    rows = rows.sort_values(["child_key", "pref", "list_id"]).drop_duplicates("child_key")
    rows["selected"] = rows["rank"] <= rows["k"]
    return rows[["child_key", "village_code", "selected"]].reset_index(drop=True)


def selection(
    session: Session, wh: Warehouse, as_of: dt.date, visits_per_township: int, area_prefix: str = ""
) -> list[Figure]:
    """Selection rate on the live lists by sex, ethnicity, disability and township (registry snapshot known
    at the lists' date)."""
    lists = live_lists(session, as_of, area_prefix)
    chosen = selected_children(session, lists, visits_per_township)
    if chosen.empty:
        return []
    list_date = lists[0].as_of
    chosen["selected"] = chosen["selected"].astype("int64")
    live = wh.load_frame("_monitor_live", chosen)
    reg = wh.table("children_registry")
    reg = reg.filter(reg.recorded_at < midnight(list_date))  # what the list itself could see
    latest = reg.group_by("child_key").aggregate(
        sex=reg.sex.argmax(reg.snapshot_date),
        ethnicity=reg.ethnicity_code.argmax(reg.snapshot_date),
        disability=reg.disability_category.argmax(reg.snapshot_date),
    )
    j = live.left_join(latest, "child_key").select(
        live.selected,
        township=live.village_code.substr(0, 9) + "000",
        sex=latest.sex.fill_null("未知"),
        ethnicity=latest.ethnicity.fill_null("未知"),
        disability=ibis.ifelse(latest.disability.isnull() | (latest.disability == ""), "无", "有"),
    )
    parts = [
        j.group_by(attribute=ibis.literal(a), group=j[a].cast("string")).aggregate(
            n=j.count(), selected=j.selected.sum()
        )
        for a in ATTRIBUTES
    ]
    frame = wh.execute(ibis.union(*parts)).sort_values(["attribute", "group"])
    return [
        Figure(
            SELECTION,
            f"{r.attribute}={r.group}",
            float(r.selected) / float(r.n) if r.n else None,
            area_code=str(r.group) if r.attribute == "township" else None,
            detail={
                "attribute": r.attribute,
                "group": str(r.group),
                "n": int(r.n),
                "selected": int(r.selected),
                "as_of": list_date.isoformat(),
            },
        )
        for r in frame.itertuples(index=False)
    ]
