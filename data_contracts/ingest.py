"""Validating ingest: feed files → normalized, validated, pseudonymized rows in the warehouse; bad rows to
`quarantine`. Every row read ends up exactly once as loaded, quarantined or duplicate.

Per file, in row chunks (so an 8M-row attendance Parquet never sits in memory twice):
normalize (normalize.py) → pandera lazy validation → reference checks → pseudonyms → repeats of a contract
key (within the chunk, or of a row already in the warehouse) → insert → quarantine rows. A repeat whose
content equals the row already there is a *duplicate* (not loaded); a repeat with other content is a
*conflicting duplicate* and is quarantined, so a changed record is never silently dropped. One file is one
transaction, remembered by its SHA-256 in `ingest_files` with the feed's contract version, so re-ingesting a
file adds nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa

from data_contracts.feeds import FEEDS, Feed
from data_contracts.models import CHECK_FIELD
from data_contracts.normalize import FAILURE_COLUMNS, clean_text, normalize_frame
from data_contracts.pseudonym import pseudonym
from data_contracts.readers import FeedFile, FileProblem, count_rows, discover, file_sha256, read_chunks
from data_contracts.warehouse import (
    LINEAGE,
    PII_COLUMN,
    connect,
    ensure_schema,
    pseudonym_kind,
    table_columns,
    warehouse_column,
    warehouse_key,
)

CHUNK_ROWS = 500_000
REFERENCE_RULE = "reference"
CONFLICT_RULE = "conflicting_duplicate"
NAME_REDACTED = "<redacted>"
KEY_FIELD_SEPARATOR = ","  # quarantine.field of a conflicting duplicate: the contract key's columns

RuleCounts = Counter[tuple[str, str]]  # (rule, field) -> failures


@dataclass
class Counts:
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicate: int = 0

    def add(self, other: Counts) -> None:
        self.read += other.read
        self.loaded += other.loaded
        self.quarantined += other.quarantined
        self.duplicate += other.duplicate

    @property
    def balanced(self) -> bool:
        return self.loaded + self.quarantined + self.duplicate == self.read


@dataclass
class FileResult:
    path: Path
    feed: str
    counts: Counts = field(default_factory=Counts)
    skipped: str | None = None  # why a readable file was not processed (already ingested)
    error: str | None = None  # why the file could not be read at all
    extra_columns: list[str] = field(default_factory=list)
    rules: RuleCounts = field(default_factory=Counter)  # what the quarantined rows broke

    def top_rules(self, n: int = 3) -> list[tuple[str, str, int]]:
        """The `n` most frequent (rule, field, failures), most frequent first, ties by rule and field."""
        ranked = sorted(self.rules.items(), key=lambda item: (-item[1], item[0]))
        return [(rule, column, count) for (rule, column), count in ranked[:n]]


@dataclass
class IngestReport:
    run_id: str
    feeds: dict[str, Counts] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)
    ignored: list[tuple[Path, str]] = field(default_factory=list)
    strict: bool = False

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.feeds.values():
            total.add(counts)
        return total

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.error]

    @property
    def quarantining_files(self) -> list[FileResult]:
        """Files of this run with quarantined rows, in load order."""
        return [f for f in self.files if f.counts.quarantined]

    @property
    def exit_code(self) -> int:
        """1 when a file could not be read, or under strict when any row was quarantined; else 0."""
        if self.errors or (self.strict and self.total.quarantined):
            return 1
        return 0


# ----------------------------------------------------------------------------------------------- pure parts


def _check_name(check: str) -> str:
    return check if check.startswith("coerce_dtype") else check.split("(", 1)[0]


def pandera_failures(schema: pa.DataFrameSchema, typed: pd.DataFrame) -> pd.DataFrame:
    """Every contract failure of the frame (lazy validation), one row per (row, field, rule)."""
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    unplaced = cases[cases["index"].isna()]
    if len(unplaced):  # not about a row: a missing column, or a check that could not run
        missing = unplaced[unplaced["check"] == "column_in_dataframe"]["failure_case"]
        if len(missing):
            raise FileProblem(f"missing contract column(s): {', '.join(sorted(map(str, missing)))}")
        problems = "; ".join(
            sorted(f"{k}: {v}" for k, v in zip(unplaced["check"], unplaced["failure_case"], strict=True))
        )
        raise FileProblem(f"the table does not fit the contract: {problems}")
    cases = cases.assign(row=cases["index"].astype("int64"), rule=cases["check"].map(_check_name))
    frame_level = cases["schema_context"] == "DataFrameSchema"
    columns = cases.loc[~frame_level, ["row", "column", "rule", "failure_case"]]
    columns.columns = FAILURE_COLUMNS
    checks = cases.loc[frame_level, ["row", "rule"]].drop_duplicates()
    checks["field"] = checks["rule"].map(lambda r: CHECK_FIELD.get(r, ""))
    checks["value"] = None
    return pd.concat([columns, checks[FAILURE_COLUMNS]], ignore_index=True)


def pseudonymize(values: pd.Series, secret: str, kind: str) -> pd.Series:
    """Keyed pseudonyms, computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = np.array([pseudonym(str(u), secret, kind) for u in uniques] + [None], dtype=object)
    return pd.Series(keys[codes], index=values.index, dtype="str")


def _redact(feed: Feed, column: str, values: pd.Series, secret: str) -> tuple[str | None, pd.Series | None]:
    """What a column may show outside the identity tables: (name to show, values), or (None, None) to drop."""
    meta = feed.schema.columns[column].metadata or {}
    cleaned = values.map(clean_text).astype("str")
    if meta.get("pii") == "name":
        return None, None
    if meta.get("pii"):
        return PII_COLUMN[meta["pii"]], pseudonymize(cleaned, secret, meta["pii"])
    if meta.get("pseudonymize"):
        return warehouse_column(feed, column), pseudonymize(cleaned, secret, pseudonym_kind(column))
    return column, values


def redacted_rows(feed: Feed, raw: pd.DataFrame, secret: str) -> list[str]:
    """The raw rows as JSON objects with ids pseudonymized, ID/phone numbers hashed and names left out."""
    shown: dict[str, pd.Series] = {}
    for column in [c for c in raw.columns if c in feed.schema.columns]:  # extra columns may hold anything
        name, values = _redact(feed, column, raw[column], secret)
        if name is not None and values is not None:
            shown[name] = values
    frame = pd.DataFrame(shown, index=raw.index)
    if frame.empty:
        return ["{}"] * len(raw)
    text = frame.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    return text.strip("\n").split("\n")


def redacted_values(feed: Feed, failures: pd.DataFrame, raw: pd.DataFrame, secret: str) -> pd.Series:
    """The offending value of each failure, as the file had it, with PII and ids replaced as in the rows."""
    out = pd.Series([None] * len(failures), index=failures.index, dtype=object)
    for column, part in failures.groupby("field", sort=False):
        if column not in raw.columns or column not in feed.schema.columns:
            continue
        _, values = _redact(feed, column, raw[column].iloc[part["row"].to_numpy()], secret)
        if values is None:
            out[part.index] = NAME_REDACTED
        else:
            out[part.index] = [None if pd.isna(v) else str(v) for v in values]
    return out


def warehouse_frame(feed: Feed, typed: pd.DataFrame, secret: str) -> pd.DataFrame:
    """Contract columns renamed and pseudonymized for the warehouse (§2); names dropped."""
    out: dict[str, pd.Series] = {}
    for column in feed.schema.columns:
        meta = feed.schema.columns[column].metadata or {}
        target = warehouse_column(feed, column)
        if target is None:
            continue
        if meta.get("pii"):
            out[target] = pseudonymize(typed[column], secret, meta["pii"])
        elif meta.get("pseudonymize"):
            out[target] = pseudonymize(typed[column], secret, pseudonym_kind(column))
        else:
            out[target] = typed[column]
    return pd.DataFrame(out, index=typed.index)


def identity_frames(feed: Feed, typed: pd.DataFrame, keys: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows for the restricted identity tables (the only place names, ID and phone numbers are kept)."""
    if feed.name == "children_registry":
        frame = pd.DataFrame(
            {"child_key": keys["child_key"], "name": typed["name"], "id_number": typed["id_number"]}
        )
        return {"identity_children": frame.drop_duplicates("child_key", keep="last")}
    if feed.name == "household_members":
        frame = pd.DataFrame(
            {
                "person_key": keys["person_key"],
                "name": typed["name"],
                "id_number": typed["id_number"],
                "phone": typed["phone"],
            }
        )
        return {"identity_persons": frame.drop_duplicates("person_key", keep="last")}
    return {}


def content_columns(feed: Feed) -> list[str]:
    """The warehouse columns two rows must agree on to be duplicates: all but the lineage."""
    return [c for c in table_columns(feed) if c not in LINEAGE]


@dataclass(frozen=True)
class Repeats:
    """How the valid rows of a chunk relate to the other rows of the chunk with the same contract key."""

    first: np.ndarray  # bool: the first valid row of its key (the candidate to load)
    copy_of: np.ndarray  # int: for an exact copy of an earlier valid row, that row's position; else -1
    conflict_with: np.ndarray  # int: for a same-key row with other content, the first row's position; else -1


def chunk_repeats(keys: pd.DataFrame, content: pd.DataFrame, valid: np.ndarray) -> Repeats:
    """Classify valid rows sharing a key within a chunk: the first is the candidate, later ones are copies
    (same content) or conflicts (other content). Invalid rows take no part: they never shadow a valid one."""
    n = len(keys)
    first = valid.copy()
    copy_of = np.full(n, -1, dtype=np.int64)
    conflict_with = np.full(n, -1, dtype=np.int64)
    positions = np.flatnonzero(valid)
    repeated = keys.iloc[positions].duplicated(keep=False).to_numpy()
    if not repeated.any():  # the common case: hash nothing
        return Repeats(first, copy_of, conflict_with)
    rows = positions[repeated]
    group = keys.iloc[rows].groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    digest = pd.util.hash_pandas_object(content.iloc[rows], index=False).to_numpy()
    head: dict[int, tuple[int, int]] = {}  # key group -> (first row, its content digest)
    for row, g, d in zip(rows.tolist(), group.tolist(), digest.tolist(), strict=True):
        if g not in head:
            head[g] = (row, d)
            continue
        first[row] = False
        if d == head[g][1]:
            copy_of[row] = head[g][0]
        else:
            conflict_with[row] = head[g][0]
    return Repeats(first, copy_of, conflict_with)


def key_text(feed: Feed, wh: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """The contract key of each row as the quarantine shows it (ids as their pseudonyms)."""
    names = warehouse_key(feed)
    parts = [wh[name].iloc[rows].astype(str).to_numpy() for name in names]
    rows_values = zip(*parts, strict=True)
    return ["; ".join(f"{n}={v}" for n, v in zip(names, values, strict=True)) for values in rows_values]


def differing_columns(content: pd.DataFrame, row: int, other: int) -> list[str]:
    """The content columns in which two rows of a chunk differ (missing equals missing)."""
    a, b = content.iloc[row], content.iloc[other]

    def same(x: object, y: object) -> bool:
        if pd.isna(x) or pd.isna(y):
            return bool(pd.isna(x) and pd.isna(y))
        return bool(x == y)

    return [c for c in content.columns if not same(a[c], b[c])]


def conflict_failures(
    rows: np.ndarray, keys: list[str], differing: list[list[str]], field_: str
) -> pd.DataFrame:
    """One quarantine failure per conflicting duplicate, naming the key and what differs."""
    values = [f"{k} (differs in {', '.join(d) or '?'})" for k, d in zip(keys, differing, strict=True)]
    return pd.DataFrame({"row": rows, "field": field_, "rule": CONFLICT_RULE, "value": values})


# ----------------------------------------------------------------------------------------------- I/O parts


def _known_values(con: duckdb.DuckDBPyConnection, feed: Feed) -> dict[str, set[str]]:
    """For each referencing column: the values the referenced table holds now (earlier files included)."""
    known: dict[str, set[str]] = {}
    for column, (target_feed, target_column) in feed.references.items():
        target = FEEDS[target_feed]
        wh_column = warehouse_column(target, target_column)
        rows = con.execute(f'SELECT DISTINCT "{wh_column}" FROM "{target.name}"').fetchall()
        known[column] = {r[0] for r in rows if r[0] is not None}
    return known


def reference_failures(
    feed: Feed, typed: pd.DataFrame, wh: pd.DataFrame, known: dict[str, set[str]]
) -> pd.DataFrame:
    parts = []
    for column in feed.references:
        if column not in typed.columns:
            continue
        values = wh[warehouse_column(feed, column)]
        missing = values.notna() & ~values.isin(known[column])
        rows = np.flatnonzero(missing.to_numpy())
        if len(rows):
            parts.append(
                pd.DataFrame(
                    {
                        "row": rows,
                        "field": column,
                        "rule": REFERENCE_RULE,
                        "value": values.iloc[rows].to_numpy(),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FAILURE_COLUMNS)


def _existing_keys(
    con: duckdb.DuckDBPyConnection, feed: Feed, frame: pd.DataFrame, candidates: np.ndarray
) -> dict[int, list[str]]:
    """For each candidate row whose key the table already holds: the columns in which it differs from the
    stored row (empty list = an exact duplicate). Rows whose key is new are absent."""
    same_key = " AND ".join(f'w."{k}" = c."{k}"' for k in warehouse_key(feed))
    differs = ", ".join(
        f'CASE WHEN c."{c}" IS DISTINCT FROM w."{c}" THEN \'{c}\' END' for c in content_columns(feed)
    )
    con.register("_ingest_chunk", frame.assign(_candidate=candidates, _pos=np.arange(len(frame))))
    try:
        found = con.execute(
            f"SELECT c._pos, concat_ws(',', {differs}) FROM _ingest_chunk c "
            f'JOIN "{feed.name}" w ON {same_key} WHERE c._candidate'
        ).fetchall()
    finally:
        con.unregister("_ingest_chunk")
    out: dict[int, list[str]] = {}
    for pos, text in found:
        columns = [c for c in (text or "").split(",") if c]
        # should the table hold a key twice (an older warehouse), matching any one row is a duplicate
        if int(pos) not in out or not columns:
            out[int(pos)] = columns
    return out


def _insert(con: duckdb.DuckDBPyConnection, feed: Feed, frame: pd.DataFrame, rows: np.ndarray) -> int:
    """Insert the `rows` (bool mask) of `frame`; the caller has made sure their keys are new."""
    if not rows.any():
        return 0
    columns = ", ".join(f'"{c}"' for c in table_columns(feed))
    con.register("_ingest_chunk", frame.assign(_insert=rows))
    try:
        con.execute(
            f'INSERT INTO "{feed.name}" ({columns}) SELECT {columns} FROM _ingest_chunk WHERE _insert'
        ).fetchall()
    finally:
        con.unregister("_ingest_chunk")
    return int(rows.sum())


def _append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, upsert: bool = False) -> None:
    if frame.empty:
        return
    con.register("_ingest_rows", frame)
    try:
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        verb = "INSERT OR REPLACE" if upsert else "INSERT"
        con.execute(f'{verb} INTO "{table}" ({columns}) SELECT {columns} FROM _ingest_rows').fetchall()
    finally:
        con.unregister("_ingest_rows")


@dataclass
class _FileContext:
    con: duckdb.DuckDBPyConnection
    feed_file: FeedFile
    run_id: str
    secret: str
    known: dict[str, set[str]]

    @property
    def source_file(self) -> str:
        return self.feed_file.path.name


def _concat_failures(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [p for p in parts if len(p)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FAILURE_COLUMNS)
    return out.astype({"row": "int64"})


def contract_failures(feed: Feed, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows in contract types, and every coercion and contract failure (references not included)."""
    typed, coerce_failures = normalize_frame(raw, feed.schema)
    checked = pandera_failures(feed.schema, typed)
    # A cell that could not be read is reported once, as a coercion failure, not again as missing.
    unreadable = set(zip(coerce_failures["row"], coerce_failures["field"], strict=True))
    if unreadable and len(checked):
        keep = [(r, f) not in unreadable for r, f in zip(checked["row"], checked["field"], strict=True)]
        checked = checked[keep]
    return typed, _concat_failures([coerce_failures, checked])


def _key_failures(ctx: _FileContext, wh: pd.DataFrame, valid: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Which valid rows to insert (their key is new), and a conflict failure for every same-key row whose
    content differs from the row loaded before it (in this chunk or already in the warehouse). Exact copies
    are neither: they count as duplicates."""
    feed = ctx.feed_file.feed
    content = wh[content_columns(feed)]
    repeats = chunk_repeats(wh[warehouse_key(feed)], content, valid)
    stored = _existing_keys(ctx.con, feed, wh, repeats.first) if repeats.first.any() else {}
    conflicting = {pos: cols for pos, cols in stored.items() if cols}
    # copies of a row that conflicts with the warehouse conflict with it too
    for row in np.flatnonzero(repeats.copy_of >= 0):
        head = int(repeats.copy_of[row])
        if head in conflicting:
            conflicting[int(row)] = conflicting[head]
    for row in np.flatnonzero(repeats.conflict_with >= 0):
        conflicting[int(row)] = differing_columns(content, int(row), int(repeats.conflict_with[row]))
    insert = repeats.first.copy()
    insert[list(stored)] = False
    rows = np.array(sorted(conflicting), dtype=np.int64)
    failures = conflict_failures(
        rows, key_text(feed, wh, rows), [conflicting[r] for r in rows], KEY_FIELD_SEPARATOR.join(feed.key)
    )
    return insert, failures


def _load_chunk(ctx: _FileContext, raw: pd.DataFrame, offset: int) -> tuple[Counts, RuleCounts]:
    feed = ctx.feed_file.feed
    typed, failures = contract_failures(feed, raw)
    wh = warehouse_frame(feed, typed, ctx.secret)
    failures = _concat_failures([failures, reference_failures(feed, typed, wh, ctx.known)])
    valid = np.ones(len(raw), dtype=bool)
    valid[failures["row"].to_numpy()] = False

    wh["_source_file"] = ctx.source_file
    wh["_row_number"] = np.arange(offset + 1, offset + len(raw) + 1, dtype="int64")
    wh["_ingest_run"] = ctx.run_id
    insert, conflicts = _key_failures(ctx, wh, valid)
    failures = _concat_failures([failures, conflicts])
    bad_rows = np.unique(failures["row"].to_numpy())
    loaded = _insert(ctx.con, feed, wh, insert)
    for table, rows in identity_frames(feed, typed[insert], wh[insert]).items():
        _append(ctx.con, table, rows, upsert=True)

    if len(failures):
        failures = failures.sort_values(["row", "field"], kind="stable").reset_index(drop=True)
        originals = dict(zip(bad_rows, redacted_rows(feed, raw.iloc[bad_rows], ctx.secret), strict=True))
        # a conflict's value names the key (already pseudonymized); other values come from the raw cell
        values = redacted_values(feed, failures, raw, ctx.secret)
        is_conflict = (failures["rule"] == CONFLICT_RULE).to_numpy()
        values[is_conflict] = failures.loc[is_conflict, "value"]
        quarantine = pd.DataFrame(
            {
                "ingest_run": ctx.run_id,
                "feed": feed.name,
                "source_file": ctx.source_file,
                "row_number": failures["row"] + offset + 1,
                "field": failures["field"],
                "rule": failures["rule"],
                "value": values,
                "original_row": failures["row"].map(originals),
            }
        )
        _append(ctx.con, "quarantine", quarantine)
    rules: RuleCounts = Counter(zip(failures["rule"], failures["field"], strict=True))
    counts = Counts(
        read=len(raw), loaded=loaded, quarantined=len(bad_rows), duplicate=len(raw) - len(bad_rows) - loaded
    )
    return counts, rules


def _check_columns(feed: Feed, columns: Iterable[str]) -> list[str]:
    """Extra columns (not loaded); raises when a required contract column is missing (an optional one may
    be absent and loads as missing)."""
    present = set(columns)
    missing = [name for name, c in feed.schema.columns.items() if c.required and name not in present]
    if missing:
        raise FileProblem(f"missing contract column(s) of feed {feed.name}: {', '.join(missing)}")
    return sorted(c for c in present if c not in feed.schema.columns)


def _ingest_file(ctx: _FileContext, result: FileResult, advance: Callable[[int], None]) -> None:
    offset = 0
    for i, raw in enumerate(read_chunks(ctx.feed_file, CHUNK_ROWS)):
        if i == 0:
            result.extra_columns = _check_columns(ctx.feed_file.feed, raw.columns)
        counts, rules = _load_chunk(ctx, raw, offset)
        result.counts.add(counts)
        result.rules.update(rules)
        offset += len(raw)
        advance(len(raw))


def ingest_folder(
    folder: Path, warehouse: Path, secret: str, strict: bool = False, progress: bool = True
) -> IngestReport:
    """Validate and load every feed file of `folder` into `warehouse`; see the module docstring."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    folder = Path(folder)
    if not folder.is_dir():
        raise FileProblem(f"{folder} is not a folder")
    files, ignored = discover(folder)
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    report = IngestReport(
        run_id=run_id, ignored=ignored, strict=strict, feeds={f.feed.name: Counts() for f in files}
    )
    con = connect(warehouse, read_only=False)
    try:
        ensure_schema(con)
        started = datetime.now(UTC).replace(tzinfo=None)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not progress,
        ) as bar:
            for feed_file in files:
                result = FileResult(feed_file.path, feed_file.feed.name)
                report.files.append(result)
                task = bar.add_task(feed_file.path.name, total=count_rows(feed_file.path))
                _run_file(con, feed_file, result, run_id, secret, lambda n, task=task: bar.advance(task, n))
                report.feeds[feed_file.feed.name].add(result.counts)
        total = report.total
        _append(
            con,
            "ingest_runs",
            pd.DataFrame(
                [
                    {
                        "run_id": run_id,
                        "started_at": started,
                        "finished_at": datetime.now(UTC).replace(tzinfo=None),
                        "folder": str(folder),
                        "strict": strict,
                        "files": sum(1 for f in report.files if not (f.skipped or f.error)),
                        "read": total.read,
                        "loaded": total.loaded,
                        "quarantined": total.quarantined,
                        "duplicate": total.duplicate,
                    }
                ]
            ),
        )
    finally:
        con.close()
    return report


def _run_file(
    con: duckdb.DuckDBPyConnection,
    feed_file: FeedFile,
    result: FileResult,
    run_id: str,
    secret: str,
    advance: Callable[[int], None],
) -> None:
    try:
        sha = file_sha256(feed_file.path)
    except FileProblem as exc:
        result.error = str(exc)
        return
    seen = con.execute("SELECT run_id FROM ingest_files WHERE sha256 = ?", [sha]).fetchall()
    if seen:
        result.skipped = f"already ingested (run {seen[0][0]})"
        return
    con.begin()
    try:
        ctx = _FileContext(con, feed_file, run_id, secret, _known_values(con, feed_file.feed))
        _ingest_file(ctx, result, advance)
        c = result.counts
        _append(
            con,
            "ingest_files",
            pd.DataFrame(
                [
                    {
                        "sha256": sha,
                        "run_id": run_id,
                        "feed": feed_file.feed.name,
                        "source_file": feed_file.path.name,
                        "read": c.read,
                        "loaded": c.loaded,
                        "quarantined": c.quarantined,
                        "duplicate": c.duplicate,
                        "ingested_at": datetime.now(UTC).replace(tzinfo=None),
                        "contract_version": feed_file.feed.version,
                    }
                ]
            ),
        )
        con.commit()
    except FileProblem as exc:
        con.rollback()
        result.counts = Counts()
        result.rules = Counter()
        result.error = str(exc)
