"""Data faults a county's exports really have, injected on purpose (`--faults RATE`), each one listed in the
manifest with where it is and what ingest should do with it:

- `quarantine`: invalid codes, impossible dates, unknown child ids;
- `duplicate`: a row exported twice;
- `load`: format faults ingest must read correctly (full-width digits, a GBK-encoded CSV, an XLSX part).

Row numbers are 1-based data rows of the file as written (the header is not counted). Faults are placed only
where they cannot cascade: a row other feeds point at is faulted only when its key has another clean row.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# feed -> (column, invalid code) and the event-date column used for date faults
FAULTABLE: dict[str, tuple[tuple[str, str], str]] = {
    "children_registry": (("sex", "X"), "birth_date"),
    "household_members": (("relation", "cousin"), "valid_from"),
    "parent_migration_episodes": (("sector", "piracy"), "depart_date"),
    "parent_contact_log": (("channel", "carrier_pigeon"), "contact_time"),
    "visit_logs": (("visit_type", "door_knock"), "visit_date"),
    "school_events": (("event_type", "picnic"), "event_date"),
    "incidents": (("incident_type", "alien"), "event_time"),
    "assistance_benefits": (("program", "lottery"), "start_date"),
    "cases": (("risk_level", "purple"), "opened_at"),
}
ROW_KINDS = ("invalid_code", "impossible_date", "unknown_child", "duplicate", "full_width_digits")
EXPECTED = {
    "invalid_code": "quarantine",
    "impossible_date": "quarantine",
    "unknown_child": "quarantine",
    "duplicate": "duplicate",
    "full_width_digits": "load",
}
# a feed's rows other feeds point at: fault such a row only if its key has another row
PROTECTED_KEY = {"children_registry": "child_id", "household_members": "person_id"}
GBK_FEED = "children_registry"
XLSX_FEED = "visit_logs"
MAX_PER_FEED = 60
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class FeedFile:
    feed: str
    name: str  # file name inside feeds/
    data: pd.DataFrame | pa.Table
    fmt: str  # csv | csv_gbk | xlsx | parquet


def plan_files(feeds: dict[str, pd.DataFrame | pa.Table], with_faults: bool) -> list[FeedFile]:
    files = []
    for feed, data in feeds.items():
        if isinstance(data, pa.Table):
            files.append(FeedFile(feed, f"{feed}.parquet", data, "parquet"))
            continue
        if with_faults and feed == XLSX_FEED and len(data) > 20:
            # the last quarter arrives as a separate Excel export (visit_logs_2024q3.xlsx)
            q = data["visit_date"].dt.to_period("Q")
            last = q == q.max()
            tag = f"{q.max().year}q{q.max().quarter}"
            files.append(FeedFile(feed, f"{feed}.csv", data[~last].reset_index(drop=True), "csv"))
            files.append(FeedFile(feed, f"{feed}_{tag}.xlsx", data[last].reset_index(drop=True), "xlsx"))
            continue
        fmt = "csv_gbk" if with_faults and feed == GBK_FEED else "csv"
        files.append(FeedFile(feed, f"{feed}.csv", data, fmt))
    return files


def inject(files: list[FeedFile], rate: float, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Fault the CSV files in place; return the manifest entries."""
    manifest: list[dict[str, Any]] = []
    for f in files:
        if f.fmt == "csv_gbk":
            manifest.append(_entry(f, None, None, "gbk_encoding", None))
        if f.fmt == "xlsx":
            manifest.append(_entry(f, None, None, "xlsx_file", None))
        if f.feed not in FAULTABLE or f.fmt not in ("csv", "csv_gbk") or len(f.data) < 10:
            continue
        manifest += _row_faults(f, rate, rng)
    return manifest


def _entry(f: FeedFile, row: int | None, field: str | None, kind: str, value: Any) -> dict[str, Any]:
    expected = EXPECTED.get(kind, "load")
    return {
        "feed": f.feed,
        "file": f.name,
        "row_number": row,
        "field": field,
        "kind": kind,
        "expected": expected,
        "value": None if value is None else str(value),
    }


def _row_faults(f: FeedFile, rate: float, rng: np.random.Generator) -> list[dict[str, Any]]:
    df: pd.DataFrame = f.data  # type: ignore[assignment]
    n = len(df)
    k = int(min(MAX_PER_FEED, max(len(ROW_KINDS), round(rate * n))))
    eligible = np.ones(n, bool)
    key = PROTECTED_KEY.get(f.feed)
    if key is not None:
        counts = df[key].map(df[key].value_counts())
        eligible &= (counts >= 2).to_numpy()
        # at most one faulted row per key value
        eligible &= ~df[key].duplicated().to_numpy()
    candidates = np.flatnonzero(eligible)
    if len(candidates) < k:
        k = len(candidates)
    rows = rng.choice(candidates, size=k, replace=False)
    kinds = [ROW_KINDS[i % len(ROW_KINDS)] for i in range(k)]
    if f.feed == "children_registry":  # the registry is what child ids are checked against
        kinds = ["invalid_code" if x == "unknown_child" else x for x in kinds]
    (code_col, bad_code), date_col = FAULTABLE[f.feed]
    df = df.copy()
    for col in {code_col, date_col, "child_id"}:
        df[col] = df[col].astype(object)
    placed: list[tuple[int, str, str, Any]] = []  # (original row, field, kind, value)
    dup_rows: list[int] = []
    for r, kind in zip(rows, kinds, strict=True):
        r = int(r)
        if kind == "invalid_code":
            df.iat[r, df.columns.get_loc(code_col)] = bad_code
            placed.append((r, code_col, kind, bad_code))
        elif kind == "impossible_date":
            value = f"{pd.Timestamp(df.iat[r, df.columns.get_loc(date_col)]).year}-02-30"
            df.iat[r, df.columns.get_loc(date_col)] = value
            placed.append((r, date_col, kind, value))
        elif kind == "unknown_child":
            value = f"C9{rng.integers(0, 10**6):06d}X"
            df.iat[r, df.columns.get_loc("child_id")] = value
            placed.append((r, "child_id", kind, value))
        elif kind == "full_width_digits":
            ts = pd.Timestamp(df.iat[r, df.columns.get_loc(date_col)])
            value = ts.strftime("%Y-%m-%d %H:%M:%S").translate(_FULL)
            df.iat[r, df.columns.get_loc(date_col)] = value
            placed.append((r, date_col, kind, value))
        else:
            dup_rows.append(r)
    # duplicates: the copy follows its original; row numbers are positions in the file as written
    order = np.arange(n)
    for r in sorted(dup_rows, reverse=True):
        order = np.insert(order, r + 1, r)
    position = {int(r): i for i, r in enumerate(order) if i == 0 or order[i - 1] != r}
    out = df.iloc[order].reset_index(drop=True)
    f.data = out
    entries = [_entry(f, position[r] + 1, field, kind, value) for r, field, kind, value in placed]
    entries += [_entry(f, position[r] + 2, None, "duplicate", None) for r in dup_rows]
    return sorted(entries, key=lambda e: e["row_number"])


def _for_excel(df: pd.DataFrame) -> pd.DataFrame:
    obj = df.astype(object)
    return obj.where(df.notna(), None)


def write_files(files: list[FeedFile], folder: Path) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for f in files:
        path = folder / f.name
        if f.fmt == "parquet":
            pq.write_table(f.data, path, compression="zstd")  # type: ignore[arg-type]
        elif f.fmt == "xlsx":
            _for_excel(f.data).to_excel(path, index=False, engine="openpyxl")  # type: ignore[union-attr]
            _freeze_xlsx(path)
        elif f.fmt == "csv_gbk":
            f.data.to_csv(path, index=False, encoding="gbk")  # type: ignore[union-attr]
        else:
            _write_csv(f.data, path)  # type: ignore[arg-type]
        rows[f.feed] = rows.get(f.feed, 0) + len(f.data)
    return rows


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV through Arrow (several times faster than pandas); a faulted frame whose columns mix types
    goes through pandas instead."""
    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        df.to_csv(path, index=False, encoding="utf-8")
        return
    pacsv.write_csv(table, path)


def _freeze_xlsx(path: Path) -> None:
    """openpyxl stamps the save time into the package; pin it so a seed always writes the same bytes."""
    with zipfile.ZipFile(path) as z:
        parts = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    stamp = b"2000-01-01T00:00:00Z"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            z.writestr(
                zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def write_manifest(manifest: list[dict[str, Any]], path: Path, rate: float) -> None:
    path.write_text(
        json.dumps({"rate": rate, "faults": manifest}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
