"""Feed health, computed in the warehouse (Ibis on DuckDB): how old each feed's latest record is, per township
and for the whole county, and the share of rows each feed's ingest runs quarantined (from ingest's run
records). Freshness is read from the high-water marks ingest keeps (data_contracts/watermarks.py), so it does
not scan the feeds; a warehouse whose marks do not cover its rows is scanned instead.

A township's freshness counts the records of children whose latest registry snapshot (recorded before the
as-of date) places them in that township. A feed is *stopped* in an area when its latest record there is at
least `stale_days` old (plus the feed's usual gap, `EXPECTED_GAP_DAYS`) — or when the area has none of
it while others do."""

from __future__ import annotations

import datetime as dt
import math

import ibis
import ibis.expr.types as ir
import pandas as pd

from data_contracts import watermarks
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

# Feeds that follow the school calendar: silent in 寒暑假 and on weekends by nature. Their staleness counts
# the school days (the warehouse's `calendar` feed) since the latest record, against the school days that
# `stale_days` of term time hold.
SCHOOL_FEEDS = ("school_attendance", "school_events")
SCHOOL_DAYS_PER_WEEK = 5


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


def scanned_frame(wh: Warehouse, as_of: dt.date) -> pd.DataFrame:
    """(feed, township, latest): the latest `recorded_at` before `as_of` per feed and township (NaT where a
    township has none), from the feed rows themselves: one query per feed, all in DuckDB."""
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
    return _sorted(wh.execute(ibis.union(*parts)))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["feed", "township"]).reset_index(drop=True)


def marks_cover(wh: Warehouse, feeds: list[str]) -> bool:
    """Whether ingest's high-water marks count every row of each feed: a warehouse loaded before they were
    kept, or rows written around ingest, make the counts differ, and freshness is then scanned."""
    if not feeds or not wh.has(watermarks.TABLE):
        return False
    marks = wh.table(watermarks.TABLE)
    counted = wh.execute(marks.group_by("feed").aggregate(n=marks["rows"].sum()))
    held = dict(zip(counted["feed"], counted["n"], strict=True))
    return all(int(held.get(f, 0)) == int(wh.con.execute(wh.table(f).count())) for f in feeds)


def marked_frame(wh: Warehouse, as_of: dt.date, feeds: list[str]) -> pd.DataFrame:
    """`scanned_frame` read from ingest's high-water marks (data_contracts/watermarks.py). The townships are
    those of registry rows recorded before `as_of`; a row counts in its child's township when loaded."""
    marks = wh.table(watermarks.TABLE)
    before = marks.filter(marks.recorded_day < ibis.date(as_of.isoformat()), marks.township_code != "")
    frame = wh.execute(
        before.group_by(["feed", "township_code"]).aggregate(latest=before.latest_recorded_at.max())
    )
    towns = sorted(set(frame.loc[frame["feed"] == watermarks.REGISTRY, "township_code"]))
    grid = pd.MultiIndex.from_product([feeds, towns], names=["feed", "township"]).to_frame(index=False)
    found = frame.rename(columns={"township_code": "township"})
    out = grid.merge(found, on=["feed", "township"], how="left")
    out = out.astype({"feed": "str", "township": "str"})
    out["latest"] = pd.to_datetime(out["latest"])
    return _sorted(out)


def freshness_frame(wh: Warehouse, as_of: dt.date) -> pd.DataFrame:
    """(feed, township, latest): the latest `recorded_at` before `as_of` per feed and township (NaT where a
    township has none) — from ingest's high-water marks where they cover every row, else scanned."""
    feeds = monitored_feeds(wh)
    if watermarks.REGISTRY in feeds and marks_cover(wh, feeds):
        return marked_frame(wh, as_of, feeds)
    return scanned_frame(wh, as_of)


def _age(latest: object, as_of: dt.date) -> float | None:
    if latest is None or pd.isna(latest):
        return None
    return float((pd.Timestamp(as_of) - pd.Timestamp(latest).normalize()).days)


def school_days(wh: Warehouse) -> pd.Series | None:
    """Whether each day of the warehouse's school calendar is a school day (indexed by date), or None."""
    if not wh.has("calendar"):
        return None
    cal = wh.table("calendar")
    frame = wh.execute(cal.select("date", "is_school_day"))
    if frame.empty:
        return None
    days = frame.assign(date=pd.to_datetime(frame["date"]).dt.normalize()).drop_duplicates("date")
    return days.set_index("date")["is_school_day"].fillna(False).astype(bool).sort_index()


def school_days_missed(latest: object, as_of: dt.date, calendar: pd.Series | None) -> int | None:
    """School days after the latest record's day and before `as_of`; None when the calendar does not cover
    them (then calendar days count)."""
    if calendar is None or latest is None or pd.isna(latest):
        return None
    start = pd.Timestamp(latest).normalize() + pd.Timedelta(days=1)
    end = pd.Timestamp(as_of) - pd.Timedelta(days=1)
    if end < start:
        return 0
    if calendar.index[0] > start or calendar.index[-1] < end:
        return None
    return int(calendar.loc[start:end].sum())


def _stopped(feed: str, latest: object, as_of: dt.date, limit: int, calendar: pd.Series | None) -> bool:
    age = _age(latest, as_of)
    if age is None:
        return False
    if feed in SCHOOL_FEEDS:
        missed = school_days_missed(latest, as_of, calendar)
        if missed is not None:
            return missed >= math.ceil(limit * SCHOOL_DAYS_PER_WEEK / 7)
    return age >= limit


def _detail(feed: str, latest: object, as_of: dt.date, calendar: pd.Series | None) -> dict:
    detail: dict = {"latest": None if pd.isna(latest) else pd.Timestamp(latest).date().isoformat()}
    if feed in SCHOOL_FEEDS:
        missed = school_days_missed(latest, as_of, calendar)
        if missed is not None:
            detail["school_days"] = missed
    return detail


def freshness(wh: Warehouse, as_of: dt.date, stale_days: int, county: str | None) -> list[Figure]:
    """Feed age in days per feed and township, and per feed for the county; alert where stopped (a school
    feed only when school days have passed without it: no alert in the holidays)."""
    frame = freshness_frame(wh, as_of)
    calendar = school_days(wh) if frame["feed"].isin(SCHOOL_FEEDS).any() else None
    out: list[Figure] = []
    for feed, rows in frame.groupby("feed", sort=True):
        name = str(feed)
        limit = stale_days + EXPECTED_GAP_DAYS.get(name, 0)
        whole = rows["latest"].max()
        county_age = _age(whole, as_of)
        out.append(
            Figure(
                FEED_AGE,
                name,
                county_age,
                area_code=county,
                alert=county_age is None or _stopped(name, whole, as_of, limit, calendar),
                detail=_detail(name, whole, as_of, calendar),
            )
        )
        for township, latest in zip(rows["township"], rows["latest"], strict=True):
            age = _age(latest, as_of)
            out.append(
                Figure(
                    FEED_AGE,
                    name,
                    age,
                    area_code=str(township),
                    # a township without a feed others have is as stopped as one gone quiet
                    alert=(age is None and county_age is not None)
                    or _stopped(name, latest, as_of, limit, calendar),
                    detail=_detail(name, latest, as_of, calendar),
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
