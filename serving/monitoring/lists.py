"""What issued visit lists did and whom they selected, joined to the warehouse in DuckDB.

- Realised quality: once a list's horizon has passed, precision@k and recall@k of the list *as it was issued*
  (its persisted ranks, i.e. `shouhu_core.list_order` at issue time) against the outcome label the model is
  trained on (`features.labels.label_table`: a counted incident within the horizon after the list's date).
  Only the rows of children with an outcome are read from the service database, by their keys: a province's
  millions of list rows stay where they are.
- Selection: on the live lists (the latest date with lists), the share of children within capacity by sex,
  ethnicity, disability and township. No outcomes needed.

Capacity k: a township list's is `visits_per_township`; a county list's is that times its townships; a village
list's is the same per-township number (village lists are usually shorter, so wholly within capacity)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import ibis
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from features.backend import Warehouse, as_of_frame
from features.labels import label_table
from serving.monitoring.feeds import midnight
from serving.monitoring.figures import PRECISION, RECALL, SELECTION, Figure
from serving.tables import VisitList, VisitListRow

SCOPE_PREFERENCE = {"township": 0, "county": 1, "village": 2}  # which list counts for a child on several
ATTRIBUTES = ("sex", "ethnicity", "disability", "township")
KEY_CHUNK = 500  # keys per IN (...) lookup: well inside SQLite's and PostgreSQL's parameter limits


def capacity_of(scope_kind: str, townships: int, visits_per_township: int) -> int:
    return visits_per_township * max(townships, 1) if scope_kind == "county" else visits_per_township


def _capacities(session: Session, lists: list[VisitList], visits_per_township: int) -> dict[int, int]:
    """k of each list; a county list's townships are counted in the service database."""
    county = [v.id for v in lists if v.scope_kind == "county"]
    townships: dict[int, int] = {}
    if county:
        township = func.substr(VisitListRow.village_code, 1, 9)
        townships = {
            int(i): int(n)
            for i, n in session.execute(
                select(VisitListRow.list_id, func.count(func.distinct(township)))
                .where(VisitListRow.list_id.in_(county))
                .group_by(VisitListRow.list_id)
            ).all()
        }
    return {
        v.id: min(v.row_count, capacity_of(v.scope_kind, townships.get(v.id, 1), visits_per_township))
        for v in lists
    }


def key_chunks(keys: Iterable[str]) -> Iterator[list[str]]:
    """The distinct keys, sorted, in lists of at most KEY_CHUNK for `IN (...)` lookups."""
    distinct = sorted(set(keys))
    for start in range(0, len(distinct), KEY_CHUNK):
        yield distinct[start : start + KEY_CHUNK]


def _outcome_ranks(
    session: Session, day: dt.date, children: Iterable[str], area_prefix: str
) -> list[tuple[int, int]]:
    """(list id, rank) of the given children on the lists (within `area_prefix`) issued on `day`: looked up
    by the children's keys, so only the rows of children with an outcome leave the database."""
    out: list[tuple[int, int]] = []
    for keys in key_chunks(children):
        out += [
            (int(i), int(r))
            for i, r in session.execute(
                select(VisitListRow.list_id, VisitListRow.rank)
                .join(VisitList, VisitListRow.list_id == VisitList.id)
                .where(
                    VisitList.as_of == day,
                    VisitList.scope_code.startswith(area_prefix, autoescape=True),
                    VisitListRow.child_key.in_(keys),
                )
            ).all()
        ]
    return out


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
    `as_of`.

    The warehouse gives the children with an outcome after each list date (few); the service database gives
    their ranks on that date's lists. A list's children without an outcome never need to be read."""
    stmt = select(VisitList).where(VisitList.scope_code.startswith(area_prefix, autoescape=True))
    done = [
        v
        for v in session.scalars(stmt.order_by(VisitList.as_of, VisitList.id))
        if v.as_of + dt.timedelta(days=horizon_days) <= as_of
    ]
    if not done:
        return []
    k = _capacities(session, done, visits_per_township)
    days = sorted({v.as_of for v in done})
    dates_t = wh.load_frame("_monitor_list_dates", as_of_frame(days))
    # the training label itself: every counted incident the warehouse holds for the horizon, however late it
    # was recorded, so realised and trained-on precision are the same measure
    labels = label_table(wh, dates_t, horizon_days)
    positive = wh.execute(labels.filter(labels.label > 0).select("child_key", "as_of"))
    hits = dict.fromkeys(k, 0)
    outcomes = dict.fromkeys(k, 0)
    for day in days:
        children = positive.loc[positive["as_of"].dt.date == day, "child_key"].astype(str)
        for list_id, rank in _outcome_ranks(session, day, children, area_prefix):
            outcomes[list_id] += 1
            hits[list_id] += int(rank <= k[list_id])
    out: list[Figure] = []
    for v in done:
        precision = hits[v.id] / k[v.id] if k[v.id] else None
        recall = hits[v.id] / outcomes[v.id] if outcomes[v.id] else None
        detail: dict[str, Any] = {
            "as_of": v.as_of.isoformat(),
            "scope": v.scope_kind,
            "model_version": v.model_version,
            "k": k[v.id],
            "hits": hits[v.id],
            "outcomes": outcomes[v.id],
            "n": v.row_count,
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


def _list_rows(session: Session, ids: list[int]) -> pd.DataFrame:
    names = ["list_id", "rank", "child_key", "village_code"]
    # a Core query on the session's connection, turned into columns: a province's live lists are a million
    # rows, and the ORM's row handling and pandas' per-row checks on Row objects cost ten times the query
    got = (
        session.connection()
        .execute(
            select(VisitListRow.list_id, VisitListRow.rank, VisitListRow.child_key, VisitListRow.village_code)
            .where(VisitListRow.list_id.in_(ids))
            .order_by(VisitListRow.list_id, VisitListRow.rank)
        )
        .all()
    )
    columns = list(zip(*got, strict=True)) if got else [()] * len(names)
    return pd.DataFrame(
        {n: pd.Series(c, dtype="object") for n, c in zip(names, columns, strict=True)}
    ).astype({"list_id": "int64", "rank": "int64"})


def selected_children(session: Session, lists: list[VisitList], visits_per_township: int) -> pd.DataFrame:
    """(child_key, village_code, selected) for each child on the given lists, from the one list that
    counts for them (a township list before a county list before a village list; then the earliest list)."""
    if not lists:
        return pd.DataFrame(columns=["child_key", "village_code", "selected"])
    k = _capacities(session, lists, visits_per_township)
    parts: list[pd.DataFrame] = []
    # lists of one kind do not overlap (a township is in one township list), so a child is looked for on a
    # less preferred kind of list only when the lists of that date mix kinds
    for preference in sorted({SCOPE_PREFERENCE.get(v.scope_kind, 9) for v in lists}):
        ids = sorted(v.id for v in lists if SCOPE_PREFERENCE.get(v.scope_kind, 9) == preference)
        rows = _list_rows(session, ids).drop_duplicates("child_key")
        if parts:
            rows = rows[~rows["child_key"].isin(pd.concat([p["child_key"] for p in parts]))]
        rows["selected"] = rows["rank"].to_numpy() <= rows["list_id"].map(k).to_numpy()
        parts.append(rows)
    chosen = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return chosen[["child_key", "village_code", "selected"]].reset_index(drop=True)


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
