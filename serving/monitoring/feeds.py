"""Feed health, computed in the warehouse (Ibis on DuckDB): how old each feed's latest record is, per township
and for the whole county, and the share of rows each feed's ingest runs quarantined.

A township's freshness counts the records of children whose latest registry snapshot (recorded before the
as-of date) places them in that township. A feed is *stopped* in an area when its latest record there is at
least `stale_days` old (plus the feed's usual gap, `EXPECTED_GAP_DAYS`) — or when the area has none of
it while others do."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from features.backend import Warehouse, feed_schema
from features.facts import CHILD_FEEDS
from serving.monitoring.figures import FEED_AGE, QUARANTINE, Figure

TREND_RUNS = 6  # earlier ingest runs kept beside a feed's latest quarantine rate
# Days a feed may normally go without a record in an area, on top of `stale_days`: the registry and households
# arrive as quarterly snapshots, and incidents, cases and benefits are rare events in one township.
EXPECTED_GAP_DAYS = {
    "children_registry": 92,
    "household_members": 92,
    "incidents": 92,
    "cases": 92,
    "assistance_benefits": 92,
    "parent_contact_log": 31,
}


def midnight(day: dt.date) -> ir.TimestampScalar:
    return ibis.timestamp(dt.datetime(day.year, day.month, day.day))


def child_townships(wh: Warehouse, as_of: dt.date) -> ir.Table:
    """(child_key, township): each child's township from its latest registry snapshot known at `as_of`."""
    reg = wh.table("children_registry")
    reg = reg.filter(reg.recorded_at < midnight(as_of))
    latest = reg.group_by("child_key").aggregate(village=reg.residence_village_code.argmax(reg.snapshot_date))
    return latest.select("child_key", township=latest.village.substr(0, 9) + "000")


def monitored_feeds(wh: Warehouse) -> list[str]:
    return [f for f in CHILD_FEEDS if wh.has(f) and "recorded_at" in feed_schema(f)]


def freshness_frame(wh: Warehouse, as_of: dt.date) -> pd.DataFrame:
    """(feed, township, latest): the latest `recorded_at` before `as_of` per feed and township (NaT where a
    township has none), one query per feed, all in DuckDB."""
    homes = wh.materialize(child_townships(wh, as_of), "homes")
    townships = homes.select("township").distinct()
    parts = []
    for feed in monitored_feeds(wh):
        t = wh.table(feed)
        t = t.filter(t.recorded_at < midnight(as_of))
        per = t.join(homes, "child_key").group_by("township").aggregate(latest=t.recorded_at.max())
        full = townships.left_join(per, "township").select(
            feed=ibis.literal(feed), township=townships.township, latest=per.latest
        )
        parts.append(full)
    if not parts:
        return pd.DataFrame(columns=["feed", "township", "latest"])
    return wh.execute(ibis.union(*parts)).sort_values(["feed", "township"]).reset_index(drop=True)


def _age(latest: object, as_of: dt.date) -> float | None:
    if latest is None or pd.isna(latest):
        return None
    return float((pd.Timestamp(as_of) - pd.Timestamp(latest).normalize()).days)


def freshness(wh: Warehouse, as_of: dt.date, stale_days: int, county: str | None) -> list[Figure]:
    """Feed age in days per feed and township, and per feed for the county; alert where stopped."""
    frame = freshness_frame(wh, as_of)
    out: list[Figure] = []
    for feed, rows in frame.groupby("feed", sort=True):
        limit = stale_days + EXPECTED_GAP_DAYS.get(str(feed), 0)
        whole = rows["latest"].max()
        county_age = _age(whole, as_of)
        out.append(
            Figure(
                FEED_AGE,
                str(feed),
                county_age,
                area_code=county,
                alert=county_age is None or county_age >= limit,
                detail={"latest": None if pd.isna(whole) else pd.Timestamp(whole).date().isoformat()},
            )
        )
        for township, latest in zip(rows["township"], rows["latest"], strict=True):
            age = _age(latest, as_of)
            out.append(
                Figure(
                    FEED_AGE,
                    str(feed),
                    age,
                    area_code=str(township),
                    # a township without a feed others have is as stopped as one gone quiet
                    alert=(age is None and county_age is not None) or (age is not None and age >= limit),
                    detail={"latest": None if pd.isna(latest) else pd.Timestamp(latest).date().isoformat()},
                )
            )
    return out


def quarantine_frame(wh: Warehouse) -> pd.DataFrame:
    """(feed, run_id, ingested_at, read, quarantined) per feed and ingest run, newest first."""
    if not wh.has("ingest_files"):
        return pd.DataFrame(columns=["feed", "run_id", "ingested_at", "read", "quarantined"])
    files = wh.table("ingest_files")
    per = files.group_by(["feed", "run_id"]).aggregate(
        ingested_at=files.ingested_at.max(), read=files.read.sum(), quarantined=files.quarantined.sum()
    )
    return wh.execute(per.order_by(["feed", ibis.desc("ingested_at")]))


def quarantine(wh: Warehouse, max_rate: float, county: str | None) -> list[Figure]:
    """Per feed: the share of rows its latest ingest run quarantined, with earlier runs' shares as trend."""
    frame = quarantine_frame(wh)
    out: list[Figure] = []
    for feed, rows in frame.groupby("feed", sort=True):
        rates = [
            (None if not r else float(q) / float(r))
            for r, q in zip(rows["read"], rows["quarantined"], strict=True)
        ][: TREND_RUNS + 1]
        latest = rates[0]
        out.append(
            Figure(
                QUARANTINE,
                str(feed),
                latest,
                area_code=county,
                alert=latest is not None and latest > max_rate,
                detail={
                    "runs": [str(r) for r in rows["run_id"].head(TREND_RUNS + 1)],
                    "trend": rates,  # newest first
                },
            )
        )
    return out
