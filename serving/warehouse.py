"""Read-only access to the DuckDB warehouse: names for the caseworker's own children, profile, visits,
attendance, guardian and data freshness. All facts are as known before `as_of` (records with
`recorded_at < as_of`), the same discipline the features follow. The facts shown beside a score — profile
and age, the primary caregiver, days since the last visit, per-feed freshness — are the features' own
point-in-time computation (`features.facts.display_facts`), computed for every child of a date at once and
kept for a few dates; the visit and attendance records listed on a panel are read here.

One read-only connection is kept open (opening one costs ~25 ms); each thread uses its own cursor. The file's
identity (inode, mtime) is checked at most once a second; when ingest replaces the file, the connection is
reopened and `generation` changes so callers can drop their caches."""

from __future__ import annotations

import datetime as dt
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from features.facts import CAREGIVER_COLUMNS, CHILD_FEEDS, PROFILE_COLUMNS, Facts, display_facts

FACT_DATES = 4  # as-of dates whose facts are kept in memory
LIST_FRESHNESS_FEEDS = ("children_registry", "visit_logs", "school_attendance")


class WarehouseUnavailable(RuntimeError):
    pass


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if isinstance(value, dt.datetime) else str(value)


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _plain(value: Any) -> Any:
    """A frame cell as a plain Python value: None for missing, dates as ISO text, numpy scalars unwrapped."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    value = value.item() if hasattr(value, "item") else value
    # the facts hold no fractional numbers (ages, days, years, grades): a float is an int column with gaps
    return int(value) if isinstance(value, float) and value.is_integer() else value


class Warehouse:
    def __init__(self, path: Path, check_seconds: float = 1.0, as_of: dt.date | None = None) -> None:
        self.path = Path(path)
        self.as_of = as_of  # a fixed default as-of date (setting SHOUHU_AS_OF: a demo, a replay)
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None
        self._checked = 0.0
        self._local = threading.local()
        self.generation = 0
        self.tables: frozenset[str] = frozenset()
        self._facts: OrderedDict[tuple[dt.date, int], tuple[dict[str, dict[str, Any]], dict[str, Any]]] = (
            OrderedDict()
        )
        self._facts_locks: dict[tuple[dt.date, int], threading.Lock] = {}

    # --- connection ---------------------------------------------------------------------------------------
    def _file_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._conn is not None and now - self._checked < self.check_seconds:
            return
        with self._lock:
            self._checked = now
            identity = self._file_identity()
            if identity is None:
                raise WarehouseUnavailable(f"warehouse {self.path} not found; run `shouhu ingest` first")
            if self._conn is not None and identity == self._identity:
                return
            if self._conn is not None:
                self._conn.close()
            self._conn = duckdb.connect(str(self.path), read_only=True)
            self._identity = identity
            self.tables = frozenset(
                r[0] for r in self._conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            )
            self.generation += 1

    def cursor(self) -> duckdb.DuckDBPyConnection:
        self._refresh()
        local = self._local
        if getattr(local, "generation", None) != self.generation:
            assert self._conn is not None
            local.cursor = self._conn.cursor()
            local.generation = self.generation
        return local.cursor

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.cursor().execute(sql, list(params))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def has(self, table: str) -> bool:
        self._refresh()
        return table in self.tables

    # --- facts --------------------------------------------------------------------------------------------
    def latest_date(self) -> dt.date | None:
        """The day after the latest `recorded_at` anywhere: the natural default as-of date (or the fixed
        `as_of` the service was given)."""
        if self.as_of is not None:
            return self.as_of
        parts = [f"SELECT max(recorded_at) AS m FROM {t}" for t in CHILD_FEEDS if self.has(t)]
        if not parts:
            return None
        (value,) = self.cursor().execute(f"SELECT max(m) FROM ({' UNION ALL '.join(parts)})").fetchone()
        return None if value is None else (value.date() + dt.timedelta(days=1))

    def area_names(self) -> dict[str, str]:
        """Area code → Chinese name from `admin_units` (not personal data); empty without that feed."""
        if not self.has("admin_units"):
            return {}
        rows = self.cursor().execute("SELECT code, max(name_zh) FROM admin_units GROUP BY code").fetchall()
        return {str(code): str(name) for code, name in rows if name}

    def townships(self, prefix: str = "") -> list[str]:
        """Township codes (9 digits + 000) with registered children, within the area `prefix` names."""
        if not self.has("children_registry"):
            return []
        rows = self.cursor().execute(
            "SELECT DISTINCT substr(residence_village_code, 1, 9) || '000' AS t FROM children_registry "
            "WHERE starts_with(residence_village_code, ?) ORDER BY t",
            [prefix[:9]],
        )
        return [str(t) for (t,) in rows.fetchall()]

    def sole_county(self) -> str | None:
        """The county code (6 digits + 000000) when every registered child lives in one county, else None."""
        if not self.has("children_registry"):
            return None
        rows = (
            self.cursor()
            .execute(
                "SELECT DISTINCT substr(residence_village_code, 1, 6) || '000000' FROM children_registry "
                "LIMIT 2"
            )
            .fetchall()
        )
        return str(rows[0][0]) if len(rows) == 1 else None

    def child_village(self, child_key: str) -> str | None:
        """The child's current village (latest registry snapshot), or None if the key is unknown."""
        if not self.has("children_registry"):
            return None
        row = (
            self.cursor()
            .execute(
                "SELECT residence_village_code FROM children_registry WHERE child_key = ? "
                "ORDER BY snapshot_date DESC, recorded_at DESC LIMIT 1",
                [child_key],
            )
            .fetchone()
        )
        return None if row is None else row[0]

    def child_names(self, child_keys: Sequence[str]) -> dict[str, str]:
        if not child_keys or not self.has("identity_children"):
            return {}
        rows = (
            self.cursor()
            .execute(
                "SELECT child_key, name FROM identity_children "
                "WHERE child_key IN (SELECT unnest(?::VARCHAR[]))",
                [list(child_keys)],
            )
            .fetchall()
        )
        return {k: n for k, n in rows if n is not None}

    # --- the facts shown beside a score (features.facts) -------------------------------------------------
    def facts(self, as_of: dt.date) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        """(child_key → that child's facts, feed → latest record of the whole warehouse), before `as_of`;
        computed once per (date, warehouse generation) for every child, kept for FACT_DATES dates."""
        self._refresh()
        key = (as_of, self.generation)
        with self._lock:
            if key in self._facts:
                self._facts.move_to_end(key)
                return self._facts[key]
            key_lock = self._facts_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._facts:
                    return self._facts[key]
            if "children_registry" not in self.tables:
                found: tuple[dict[str, dict[str, Any]], dict[str, Any]] = ({}, {})
            else:
                found = _by_child(display_facts(self.path, [as_of]))
            with self._lock:
                self._facts[key] = found
                while len(self._facts) > FACT_DATES:
                    self._facts.popitem(last=False)
                self._facts_locks.pop(key, None)
            return found

    def profile(self, child_key: str, as_of: dt.date) -> dict[str, Any] | None:
        """The child's registry snapshot visible at `as_of` (recorded before it, not dated after it)."""
        row = self.facts(as_of)[0].get(child_key)
        if row is None:
            return None
        return {**{c: row[c] for c in PROFILE_COLUMNS}, "age_years": row["age_years"]}

    def recent_visits(self, child_key: str, as_of: dt.date, limit: int = 5) -> list[dict[str, Any]]:
        if not self.has("visit_logs"):
            return []
        rows = self._rows(
            "SELECT visit_date, worker_role, visit_type, mode, child_seen, carer_present, hazards, "
            "signs_of_injury, signs_of_neglect, child_mood, carer_capacity_rating, next_visit_due, "
            "recorded_at "
            "FROM visit_logs WHERE child_key = ? AND recorded_at < ? ORDER BY visit_date DESC LIMIT ?",
            [child_key, _ts(as_of), limit],
        )
        for r in rows:
            for k in ("visit_date", "next_visit_due", "recorded_at"):
                r[k] = _iso(r[k])
        return rows

    def attendance_summary(self, child_key: str, as_of: dt.date) -> dict[str, Any]:
        if not self.has("school_attendance"):
            return {"days_30": {}, "days_90": {}, "latest_day": None}
        ts = _ts(as_of)
        rows = (
            self.cursor()
            .execute(
                "SELECT status, count(*) FILTER (WHERE date >= ? - INTERVAL 30 DAY), count(*), max(date) "
                "FROM school_attendance "
                "WHERE child_key = ? AND recorded_at < ? AND date >= ? - INTERVAL 90 DAY "
                "GROUP BY status",
                [ts, child_key, ts, ts],
            )
            .fetchall()
        )
        latest = max((r[3] for r in rows), default=None)
        return {
            "days_30": {r[0]: int(r[1]) for r in rows if r[1]},
            "days_90": {r[0]: int(r[2]) for r in rows},
            "latest_day": _iso(latest),
        }

    def guardian(self, child_key: str, as_of: dt.date, with_identity: bool) -> dict[str, Any] | None:
        """The primary caregiver the features see at `as_of`: the household version in force then, alive
        (name and phone only when asked)."""
        row = self.facts(as_of)[0].get(child_key)
        if row is None or row["caregiver_person_key"] is None:
            return None
        g = {c: row[f"caregiver_{c}"] for c in CAREGIVER_COLUMNS}
        g["name"] = g["phone"] = None
        if with_identity and self.has("identity_persons"):
            ident = (
                self.cursor()
                .execute(
                    "SELECT name, phone FROM identity_persons WHERE person_key = ? LIMIT 1", [g["person_key"]]
                )
                .fetchone()
            )
            if ident:
                g["name"], g["phone"] = ident
        return g

    def freshness(self, child_key: str, as_of: dt.date) -> dict[str, dict[str, str | None]]:
        """Per feed: the latest record for this child and for the whole warehouse, both before as_of."""
        children, feeds = self.facts(as_of)
        row = children.get(child_key, {})
        return {
            feed: {"child": row.get(f"fresh_{feed}"), "feed": feeds.get(f"fresh_{feed}")}
            for feed in CHILD_FEEDS
            if self.has(feed)
        }

    def list_extras(self, child_keys: Sequence[str], as_of: dt.date) -> dict[str, dict[str, Any]]:
        """For visit-list rows, in bulk: age, days since the last visit, and per-feed freshness."""
        children = self.facts(as_of)[0]
        out: dict[str, dict[str, Any]] = {}
        for key in child_keys:
            row = children.get(key)
            if row is None:
                out[key] = {"age_years": None, "days_since_last_visit": None, "freshness": {}}
                continue
            out[key] = {
                "age_years": row["age_years"],
                "days_since_last_visit": row["days_since_last_visit"],
                "freshness": {
                    f: row[f"fresh_{f}"]
                    for f in LIST_FRESHNESS_FEEDS
                    if self.has(f) and row[f"fresh_{f}"] is not None
                },
            }
        return out


def _by_child(facts: Facts) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """`Facts` of one as-of date as plain dicts (looked up per child by the pages)."""
    children = facts.children.drop(columns="as_of")
    columns = list(children.columns)
    rows = {
        str(values[0]): {c: _plain(v) for c, v in zip(columns, values, strict=True)}
        for values in children.itertuples(index=False, name=None)
    }
    feeds = facts.feeds.drop(columns="as_of")
    whole = {c: _plain(v) for c, v in feeds.iloc[0].items()} if len(feeds) else {}
    return rows, whole
