"""Read-only access to the DuckDB warehouse: names for the caseworker's own children, profile, visits,
attendance, guardian and data freshness. All facts are as known before `as_of` (records with
`recorded_at < as_of`), the same discipline the features follow.

One read-only connection is kept open (opening one costs ~25 ms); each thread uses its own cursor. The file's
identity (inode, mtime) is checked at most once a second; when ingest replaces the file, the connection is
reopened and `generation` changes so callers can drop their caches."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

# feeds whose rows belong to one child, for per-child freshness (a feed missing from the warehouse is skipped)
CHILD_FEEDS = (
    "children_registry",
    "household_members",
    "parent_contact_log",
    "visit_logs",
    "school_attendance",
    "school_events",
    "incidents",
    "assistance_benefits",
    "cases",
)
LIST_FRESHNESS_FEEDS = ("children_registry", "visit_logs", "school_attendance")


class WarehouseUnavailable(RuntimeError):
    pass


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if isinstance(value, dt.datetime) else str(value)


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


class Warehouse:
    def __init__(self, path: Path, check_seconds: float = 1.0) -> None:
        self.path = Path(path)
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None
        self._checked = 0.0
        self._local = threading.local()
        self.generation = 0
        self.tables: frozenset[str] = frozenset()

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
        """The day after the latest `recorded_at` anywhere: the natural default as-of date."""
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

    def profile(self, child_key: str, as_of: dt.date) -> dict[str, Any] | None:
        if not self.has("children_registry"):
            return None
        rows = self._rows(
            "SELECT * EXCLUDE (_source_file, _row_number, _ingest_run) FROM children_registry "
            "WHERE child_key = ? AND recorded_at < ? ORDER BY snapshot_date DESC, recorded_at DESC LIMIT 1",
            [child_key, _ts(as_of)],
        )
        if not rows:
            return None
        row = rows[0]
        birth = row.get("birth_date")
        age = None
        if birth is not None:
            b = birth.date() if isinstance(birth, dt.datetime) else birth
            age = as_of.year - b.year - ((as_of.month, as_of.day) < (b.month, b.day))
        keep = (
            "residence_village_code",
            "status",
            "sex",
            "lbc_type",
            "kunjing_types",
            "health_status",
            "schooling_status",
            "grade_level",
            "boarding",
            "guardianship_type",
            "guardianship_assessment",
            "parents_marital_status",
            "father_away",
            "mother_away",
        )
        out = {k: row.get(k) for k in keep}
        out["age_years"] = age
        out["snapshot_date"] = _iso(row.get("snapshot_date"))
        return out

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
        """The primary caregiver's latest record version before as_of (name and phone only when asked)."""
        if not self.has("household_members"):
            return None
        rows = self._rows(
            "SELECT person_key, relation, birth_year, alive, lives_with_child, health_status, "
            "guardian_capacity, "
            "incapacity_reason, contactable, valid_from FROM household_members "
            "WHERE child_key = ? AND recorded_at < ? AND is_primary_caregiver "
            "ORDER BY valid_from DESC, recorded_at DESC LIMIT 1",
            [child_key, _ts(as_of)],
        )
        if not rows:
            return None
        g = rows[0]
        g["valid_from"] = _iso(g["valid_from"])
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
        feeds = [t for t in CHILD_FEEDS if self.has(t)]
        if not feeds:
            return {}
        ts = _ts(as_of)
        parts = [
            f"SELECT '{t}' AS feed, max(recorded_at) FILTER (WHERE child_key = ?) AS child, "
            "max(recorded_at) AS feed_all "
            f"FROM {t} WHERE recorded_at < ?"
            for t in feeds
        ]
        params: list[Any] = []
        for _ in feeds:
            params += [child_key, ts]
        rows = self.cursor().execute(" UNION ALL ".join(parts), params).fetchall()
        return {feed: {"child": _iso(c), "feed": _iso(a)} for feed, c, a in rows}

    def list_extras(self, child_keys: Sequence[str], as_of: dt.date) -> dict[str, dict[str, Any]]:
        """For visit-list rows, in bulk: age, days since the last visit, and per-feed freshness."""
        out: dict[str, dict[str, Any]] = {
            k: {"age_years": None, "days_since_last_visit": None, "freshness": {}} for k in child_keys
        }
        if not child_keys:
            return out
        ts, keys = _ts(as_of), list(child_keys)
        sel = "child_key IN (SELECT unnest(?::VARCHAR[])) AND recorded_at < ?"
        if self.has("children_registry"):
            for key, birth in (
                self.cursor()
                .execute(
                    "SELECT child_key, arg_max(birth_date, snapshot_date) FROM children_registry "
                    f"WHERE {sel} "
                    "GROUP BY child_key",
                    [keys, ts],
                )
                .fetchall()
            ):
                if birth is not None:
                    out[key]["age_years"] = (
                        as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))
                    )
        if self.has("visit_logs"):
            for key, last in (
                self.cursor()
                .execute(
                    f"SELECT child_key, max(visit_date) FROM visit_logs WHERE {sel} GROUP BY child_key",
                    [keys, ts],
                )
                .fetchall()
            ):
                out[key]["days_since_last_visit"] = (as_of - last.date()).days
        for feed in LIST_FRESHNESS_FEEDS:
            if not self.has(feed):
                continue
            for key, last in (
                self.cursor()
                .execute(
                    f"SELECT child_key, max(recorded_at) FROM {feed} WHERE {sel} GROUP BY child_key",
                    [keys, ts],
                )
                .fetchall()
            ):
                out[key]["freshness"][feed] = _iso(last)
        return out
