"""Validating ingest: feed tables → normalized, validated, pseudonymized rows in the warehouse; bad rows to
`quarantine`. Every data row read ends up exactly once as loaded, quarantined or duplicate; header, title and
blank rows are counted beside them, so a table's rows add up.

Per table (a CSV or Parquet file, or a sheet of a workbook; readers.py), in row chunks so an 8M-row attendance
file never sits in memory twice: lines that do not split into the header's columns → `malformed_line`;
normalize (normalize.py) → pandera lazy validation → reference checks → pseudonyms → repeats of a contract
key (within the chunk, or of a row already in the warehouse) → insert → quarantine rows (row_checks.py). A
repeat whose content equals the row already there is a *duplicate* (not loaded); a repeat with other content
is a *conflicting duplicate* and is quarantined, so a changed record is never silently dropped. One table is
one transaction, remembered by its SHA-256 in `ingest_files` with the feed's contract version, so
re-ingesting it adds nothing; the same transaction updates the feed's high-water marks (watermarks.py). A
table that cannot be read is reported with its reason and the run goes on;
the run record is always written. A folder that looks like another county's (county_fit.py) is refused
before anything is loaded, unless `allow_mixed`.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from data_contracts import watermarks
from data_contracts.county_fit import CountyMismatch, admin_problem, conflict_problem, mismatch_message
from data_contracts.feeds import FEEDS, Feed
from data_contracts.headers import FeedHeaders, county_mapping_in, load_headers
from data_contracts.readers import Source, count_rows, discover, read_chunks, source_sha256
from data_contracts.results import Counts, FileResult, IngestReport, RuleCounts
from data_contracts.row_checks import (
    CONFLICT_RULE,
    REFERENCE_RULE,
    chunk_repeats,
    concat_failures,
    conflict_failures,
    content_columns,
    contract_failures,
    differing_columns,
    identity_frames,
    key_text,
    redacted_rows,
    redacted_values,
    reference_failures,
    warehouse_frame,
)
from data_contracts.run_records import append, file_record, now, write_run
from data_contracts.table_layout import MALFORMED_RULE, BadLine, Chunk, FileProblem, Layout
from data_contracts.warehouse import connect, ensure_schema, table_columns, warehouse_column, warehouse_key
from data_contracts.workbook_reader import SheetSkipped

__all__ = [
    "CONFLICT_RULE",
    "MALFORMED_RULE",
    "REFERENCE_RULE",
    "Counts",
    "FileResult",
    "IngestReport",
    "chunk_repeats",
    "differing_columns",
    "ingest_folder",
]

CHUNK_ROWS = 500_000
KEY_FIELD_SEPARATOR = ","  # quarantine.field of a conflicting duplicate: the contract key's columns
PREFLIGHT_FEEDS = ("admin_units", "calendar", "schools", "workers", "children_registry")


def _known_values(con: duckdb.DuckDBPyConnection, feed: Feed) -> dict[str, set[str]]:
    """For each referencing column: the values the referenced table holds now (earlier files included)."""
    known: dict[str, set[str]] = {}
    for column, (target_feed, target_column) in feed.references.items():
        target = FEEDS[target_feed]
        wh_column = warehouse_column(target, target_column)
        rows = con.execute(f'SELECT DISTINCT "{wh_column}" FROM "{target.name}"').fetchall()
        known[column] = {r[0] for r in rows if r[0] is not None}
    return known


@dataclass(frozen=True)
class Stored:
    """A candidate row whose key the warehouse holds already."""

    differs: list[str]  # the columns in which it differs from the stored row (empty: an exact duplicate)
    earlier: bool  # the stored row came from an earlier run (not from a table of this run)


def _existing_keys(
    con: duckdb.DuckDBPyConnection, feed: Feed, frame: pd.DataFrame, candidates: np.ndarray, run_id: str
) -> dict[int, Stored]:
    """For each candidate row whose key the table already holds: how it differs from the stored row. Rows
    whose key is new are absent."""
    same_key = " AND ".join(f'w."{k}" = c."{k}"' for k in warehouse_key(feed))
    differs = ", ".join(
        f'CASE WHEN c."{c}" IS DISTINCT FROM w."{c}" THEN \'{c}\' END' for c in content_columns(feed)
    )
    con.register("_ingest_chunk", frame.assign(_candidate=candidates, _pos=np.arange(len(frame))))
    try:
        found = con.execute(
            f"SELECT c._pos, concat_ws(',', {differs}), w._ingest_run IS DISTINCT FROM ? "
            f'FROM _ingest_chunk c JOIN "{feed.name}" w ON {same_key} WHERE c._candidate',
            [run_id],
        ).fetchall()
    finally:
        con.unregister("_ingest_chunk")
    out: dict[int, Stored] = {}
    for pos, text, earlier in found:
        columns = [c for c in (text or "").split(",") if c]
        # should the table hold a key twice (an older warehouse), matching any one row is a duplicate
        if int(pos) not in out or not columns:
            out[int(pos)] = Stored(columns, bool(earlier))
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


@dataclass
class _Context:
    con: duckdb.DuckDBPyConnection
    source: Source
    source_file: str  # the file name (name.xlsx#sheet in a workbook of several sheets)
    run_id: str
    secret: str
    known: dict[str, set[str]]


@dataclass(frozen=True)
class _Run:
    """What the tables of one run share."""

    con: duckdb.DuckDBPyConnection
    run_id: str
    secret: str
    headers: dict[str, FeedHeaders]
    names: dict[tuple[Path, str | None], str]  # table -> what lineage and quarantine call it

    def context(self, source: Source) -> _Context:
        name = self.names[(source.path, source.sheet)]
        return _Context(
            self.con, source, name, self.run_id, self.secret, _known_values(self.con, source.feed)
        )


def _key_failures(
    ctx: _Context, wh: pd.DataFrame, valid: np.ndarray
) -> tuple[np.ndarray, pd.DataFrame, int, int]:
    """Which valid rows to insert (their key is new), a conflict failure for every same-key row whose content
    differs from the row loaded before it (in this chunk or already in the warehouse), and how many valid
    rows met a key of an earlier run (and how many of those with other content). Exact copies are neither
    inserted nor failures: they count as duplicates."""
    feed = ctx.source.feed
    content = wh[content_columns(feed)]
    repeats = chunk_repeats(wh[warehouse_key(feed)], content, valid)
    stored = _existing_keys(ctx.con, feed, wh, repeats.first, ctx.run_id) if repeats.first.any() else {}
    conflicting = {pos: s.differs for pos, s in stored.items() if s.differs}
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
    earlier = [s for s in stored.values() if s.earlier]
    return insert, failures, len(earlier), sum(1 for s in earlier if s.differs)


def _quarantine_bad_lines(ctx: _Context, bad: list[BadLine]) -> None:
    """Malformed lines: one quarantine row each (the reason, never the text: it may hold names), and the
    raw text in the restricted table `identity_raw_lines`."""
    if not bad:
        return
    rows = [b.row for b in bad]
    base = {"ingest_run": ctx.run_id, "feed": ctx.source.feed.name, "source_file": ctx.source_file}
    append(
        ctx.con,
        "quarantine",
        pd.DataFrame(
            {
                **base,
                "row_number": rows,
                "field": "",
                "rule": MALFORMED_RULE,
                "value": [b.reason for b in bad],
                "original_row": [json.dumps({"raw_text": "identity_raw_lines"})] * len(bad),
            }
        ),
    )
    append(
        ctx.con,
        "identity_raw_lines",
        pd.DataFrame({**base, "row_number": rows, "raw_text": [b.text for b in bad]}),
    )


def _load_chunk(ctx: _Context, chunk: Chunk, result: FileResult) -> tuple[Counts, RuleCounts]:
    feed = ctx.source.feed
    raw = chunk.frame
    typed, failures = contract_failures(feed, raw)
    wh = warehouse_frame(feed, typed, ctx.secret)
    failures = concat_failures([failures, reference_failures(feed, typed, wh, ctx.known)])
    valid = np.ones(len(raw), dtype=bool)
    valid[failures["row"].to_numpy()] = False

    wh["_source_file"] = ctx.source_file
    wh["_row_number"] = chunk.rows
    wh["_ingest_run"] = ctx.run_id
    insert, conflicts, earlier_known, earlier_conflicts = _key_failures(ctx, wh, valid)
    result.earlier_known += earlier_known
    result.earlier_conflicts += earlier_conflicts
    failures = concat_failures([failures, conflicts])
    bad_rows = np.unique(failures["row"].to_numpy())
    loaded = _insert(ctx.con, feed, wh, insert)
    watermarks.record(ctx.con, feed, wh[insert])
    for table, rows in identity_frames(feed, typed[insert], wh[insert]).items():
        append(ctx.con, table, rows, upsert=True)

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
                "row_number": chunk.rows[failures["row"].to_numpy()],
                "field": failures["field"],
                "rule": failures["rule"],
                "value": values,
                "original_row": failures["row"].map(originals),
            }
        )
        append(ctx.con, "quarantine", quarantine)
    _quarantine_bad_lines(ctx, chunk.bad)
    rules: RuleCounts = Counter(zip(failures["rule"], failures["field"], strict=True))
    rules.update({(MALFORMED_RULE, ""): len(chunk.bad)} if chunk.bad else {})
    counts = Counts(
        read=chunk.size,
        loaded=loaded,
        quarantined=len(bad_rows) + len(chunk.bad),
        duplicate=len(raw) - len(bad_rows) - loaded,
    )
    return counts, rules


def _ingest_table(
    run: _Run,
    source: Source,
    result: FileResult,
    advance: Callable[[int], None],
    mixed: Callable[[FileResult], str | None] | None,
) -> None:
    ctx = run.context(source)
    layout = Layout()
    for chunk in read_chunks(source, run.headers, CHUNK_ROWS, layout):
        counts, rules = _load_chunk(ctx, chunk, result)
        result.counts.add(counts)
        result.rules.update(rules)
        advance(chunk.size)
        problem = mixed(result) if mixed else None
        if problem:
            raise CountyMismatch(problem)
    result.header_row = layout.header_row
    result.counts.header, result.counts.blank = layout.header_rows, layout.blank_rows
    result.unknown_columns, result.not_loaded_columns = layout.unknown, layout.not_loaded


def _source_file(source: Source, sheets_in_file: dict[Path, int]) -> str:
    if source.sheet is not None and sheets_in_file.get(source.path, 1) > 1:
        return f"{source.path.name}#{source.sheet}"
    return source.path.name


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _run_table(
    run: _Run,
    source: Source,
    result: FileResult,
    advance: Callable[[int], None],
    mixed: Callable[[FileResult], str | None] | None,
) -> None:
    """Ingest one table in its own transaction. Whatever goes wrong stays with this table: it is rolled
    back and reported, and the run goes on, except for a county mismatch, which is raised."""
    con = run.con
    try:
        sha = source_sha256(source)
    except FileProblem as exc:
        result.error = str(exc)
        return
    seen = con.execute("SELECT run_id FROM ingest_files WHERE sha256 = ?", [sha]).fetchall()
    if seen:
        result.skipped = f"already ingested (run {seen[0][0]})"
        return
    con.begin()
    try:
        _ingest_table(run, source, result, advance, mixed)
        name = run.names[(source.path, source.sheet)]
        append(con, "ingest_files", file_record(result, sha, run.run_id, source, name))
        con.commit()
    except CountyMismatch:
        con.rollback()
        _reset(result)
        raise
    except SheetSkipped as exc:
        con.rollback()
        _reset(result)
        result.skipped = f"not read: {_one_line(exc)}"
    except FileProblem as exc:
        con.rollback()
        _reset(result)
        result.error = _one_line(exc)
    except Exception as exc:  # a table that breaks the reader must not stop the run or lose its record
        con.rollback()
        _reset(result)
        result.error = f"could not be read ({type(exc).__name__}: {_one_line(exc)})"


def _reset(result: FileResult) -> None:
    result.counts, result.rules = Counts(), Counter()
    result.earlier_known = result.earlier_conflicts = 0


def _warehouse_admin_codes(con: duckdb.DuckDBPyConnection) -> int:
    # fetchall, not fetchone: a result left unfinished makes DuckDB refuse the next `register`
    return int(con.execute("SELECT count(DISTINCT code) FROM admin_units").fetchall()[0][0])


def _held_before(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether earlier runs loaded anything the county check can compare with."""
    return any(con.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchall() for name in PREFLIGHT_FEEDS)


def _mixed_check(admin_codes: int) -> Callable[[FileResult], str | None]:
    def check(result: FileResult) -> str | None:
        if result.feed == "admin_units":
            return admin_problem(result, admin_codes) or conflict_problem(result)
        return conflict_problem(result)

    return check


def _preflight(run: _Run, sources: Iterable[Source]) -> str | None:
    """Try the reference tables and the registry against the warehouse in one transaction that is rolled
    back: the problem that says another county, if any, before anything is loaded."""
    con = run.con
    check = _mixed_check(_warehouse_admin_codes(con))
    con.begin()
    try:
        for source in sources:
            if source.feed.name not in PREFLIGHT_FEEDS:
                continue
            try:
                sha = source_sha256(source)
            except FileProblem:
                continue
            if con.execute("SELECT 1 FROM ingest_files WHERE sha256 = ?", [sha]).fetchone():
                continue  # loaded before: nothing new to judge
            result = FileResult(source.path, source.feed.name, source.sheet)
            try:
                _ingest_table(run, source, result, lambda n: None, None)
            except (FileProblem, SheetSkipped):
                continue  # reported by the real run
            problem = check(result)
            if problem:
                return problem
    finally:
        con.rollback()
    return None


def ingest_folder(
    folder: Path,
    warehouse: Path,
    secret: str,
    strict: bool = False,
    progress: bool = True,
    headers_file: Path | None = None,
    allow_mixed: bool = False,
) -> IngestReport:
    """Validate and load every feed table of `folder` into `warehouse`; see the module docstring.
    `headers_file` is a county's header mapping (default: one found beside the feeds)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    folder = Path(folder)
    if not folder.is_dir():
        raise FileProblem(f"{folder} is not a folder; give the folder that holds the feed files")
    headers_file = headers_file or county_mapping_in(folder)
    headers = load_headers(headers_file)
    sources, ignored = discover(folder, headers)
    sheets_in_file = Counter(s.path for s in sources if s.sheet is not None)
    names = {(s.path, s.sheet): _source_file(s, sheets_in_file) for s in sources}
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    report = IngestReport(
        run_id=run_id,
        ignored=ignored,
        strict=strict,
        feeds={s.feed.name: Counts() for s in sources},
        headers_file=headers_file,
    )
    con = connect(warehouse, read_only=False)
    try:
        ensure_schema(con)
        watermarks.ensure(con)
        started = now()
        run = _Run(con, run_id, secret, headers, names)
        try:
            mixed = None
            if not allow_mixed and _held_before(con):
                problem = _preflight(run, sources)
                if problem:
                    report.refused = mismatch_message(folder, warehouse, problem, loaded_before=False)
                    return report
                mixed = _mixed_check(_warehouse_admin_codes(con))
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                disable=not progress,
            ) as bar:
                for source in sources:
                    result = FileResult(source.path, source.feed.name, source.sheet)
                    report.files.append(result)
                    task = bar.add_task(source.label, total=count_rows(source))
                    try:
                        advance = lambda n, task=task: bar.advance(task, n)  # noqa: E731
                        _run_table(run, source, result, advance, mixed)
                    except CountyMismatch as exc:
                        loaded = any(f.counts.loaded for f in report.files)
                        report.refused = mismatch_message(folder, warehouse, str(exc), loaded_before=loaded)
                        break
                    report.feeds[source.feed.name].add(result.counts)
        finally:
            write_run(con, report, started, folder)
    finally:
        con.close()
    return report
