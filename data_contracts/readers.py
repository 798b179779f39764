"""Finding the feed tables in a folder (files, and sheets of workbooks) and reading them in row chunks.

A file belongs to the feed its name means (`visit_logs_2024q3.csv`, `走访记录2024.xlsx`; see
`headers.feed_for_name`). In a workbook, each sheet is a table of its own: a sheet whose name means a feed
is that feed's; in a workbook named for a feed, the other sheets are that feed's when they hold its header
and are skipped (and reported) when they do not; in a workbook named for no feed, a sheet goes to the feed
whose header it holds. CSV (UTF-8/BOM/GBK/GB18030), XLSX and Parquet are read; see csv_reader.py and
workbook_reader.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from data_contracts.csv_reader import csv_chunks
from data_contracts.feeds import FEEDS, Feed
from data_contracts.headers import COUNTY_FILE_NAMES, FeedHeaders, feed_for_name, load_headers
from data_contracts.table_layout import (
    HEADER_SEARCH_ROWS,
    Chunk,
    FileProblem,
    Layout,
    best_feed,
    check_header,
)
from data_contracts.workbook_reader import (
    SheetSkipped,
    cell_text,
    read_sheet,
    sheet_chunks,
    sheet_names,
)

__all__ = ["FileProblem", "SheetSkipped", "Source", "discover", "read_chunks"]

SUPPORTED = {".csv", ".xlsx", ".parquet"}
SIMULATOR_METADATA = {".json"}  # faults_manifest.json, simulation.json beside a simulator's feeds/


@dataclass(frozen=True)
class Source:
    """One table to ingest: a CSV or Parquet file, or one sheet of a workbook."""

    feed: Feed
    path: Path
    sheet: str | None = None
    sheet_index: int = 0
    optional: bool = False  # a sheet that is skipped, not refused, when it holds no table of the feed

    @property
    def label(self) -> str:
        return self.path.name + (f" [{self.sheet}]" if self.sheet is not None else "")


def match_feed(stem: str) -> Feed | None:
    """The feed a file name means, with the declared names only (no county mapping)."""
    return feed_for_name(stem, load_headers())


def _workbook_sources(
    path: Path, feed: Feed | None, headers: dict[str, FeedHeaders]
) -> tuple[list[Source], list[tuple[Path, str]]]:
    try:
        sheets = sheet_names(path)
    except FileProblem as exc:
        if feed is not None:  # reported when read, as the feed's file that could not be read
            return [Source(feed, path)], []
        return [], [(path, str(exc))]
    found: list[Source] = []
    ignored: list[tuple[Path, str]] = []
    for index, sheet in enumerate(sheets):
        named = feed_for_name(sheet, headers)
        if named is not None and (feed is None or named.name == feed.name):
            found.append(Source(named, path, sheet, index))
        elif feed is not None and named is None:
            found.append(Source(feed, path, sheet, index, optional=len(sheets) > 1))
        else:
            # named for no feed, or for another feed than the workbook's (「花名册」 in 学校名单.xlsx):
            # the header decides (between the two names when there are two)
            try:
                top = read_sheet(path, sheet, nrows=HEADER_SEARCH_ROWS).map(cell_text).values.tolist()
            except FileProblem as exc:
                ignored.append((path, f"sheet {sheet}: {exc}"))
                continue
            if feed is not None and named is not None:
                pair = {feed.name: headers[feed.name], named.name: headers[named.name]}
                chosen = FEEDS[best_feed(top, pair) or feed.name]
                found.append(Source(chosen, path, sheet, index, optional=len(sheets) > 1))
                continue
            guess = best_feed(top, headers)
            if guess is None:
                ignored.append((path, f"sheet {sheet}: neither its name nor its header is of a feed"))
            else:
                found.append(Source(FEEDS[guess], path, sheet, index))
    return found, ignored


def discover(
    folder: Path, headers: dict[str, FeedHeaders] | None = None
) -> tuple[list[Source], list[tuple[Path, str]]]:
    """The tables to ingest in load order (FEEDS order, then file name, then sheet order), and the files (or
    sheets) not ingested, with why. Looks in `folder` and, for a simulator output folder, in `folder/feeds`.
    """
    headers = headers or load_headers()
    places = [folder] + ([folder / "feeds"] if (folder / "feeds").is_dir() else [])
    found: list[Source] = []
    ignored: list[tuple[Path, str]] = []
    for place in places:
        for path in sorted(p for p in place.iterdir() if p.is_file() and not p.name.startswith(".")):
            suffix = path.suffix.lower()
            if path.name in COUNTY_FILE_NAMES:
                continue
            if suffix not in SUPPORTED:
                if not (place is folder and len(places) > 1 and suffix in SIMULATOR_METADATA):
                    ignored.append((path, f"unsupported file type {suffix or '(none)'}"))
                continue
            feed = feed_for_name(path.stem, headers)
            if suffix == ".xlsx":
                sources, skipped = _workbook_sources(path, feed, headers)
                found += sources
                ignored += skipped
            elif feed is None:
                ignored.append((path, "file name starts with no feed name"))
            else:
                found.append(Source(feed, path))
    order = {name: i for i, name in enumerate(FEEDS)}
    found.sort(key=lambda s: (order[s.feed.name], s.path.name, s.sheet_index))
    return found, ignored


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise FileProblem(f"cannot open the file: {exc.strerror or exc}") from None
    return digest.hexdigest()


def source_sha256(source: Source) -> str:
    """What remembers a table as ingested: the file's SHA-256; for a workbook's second and later sheets, the
    SHA-256 of the file's hash and the sheet's name (so the first sheet keeps the key older runs gave it)."""
    sha = file_sha256(source.path)
    if source.sheet is None or source.sheet_index == 0:
        return sha
    return hashlib.sha256(f"{sha}:{source.sheet}".encode()).hexdigest()


def count_rows(source: Source) -> int | None:
    """Row count when it is cheap to know (Parquet metadata); None otherwise, also for a file that cannot be
    opened (only a progress bar needs the count; reading the file reports the problem)."""
    if source.path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(source.path).metadata.num_rows
        except (pa.ArrowException, OSError):
            return None
    return None


def _parquet_chunks(
    path: Path, headers: FeedHeaders, all_headers: dict[str, FeedHeaders], chunk_rows: int, layout: Layout
) -> Iterator[Chunk]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
        match = headers.match(list(names))
        check_header(match, list(names), headers, all_headers)
        layout.unknown, layout.not_loaded = match.unknown, match.not_loaded
        wanted = {names[p]: column for p, column in match.columns.items()}
        offset = 0
        if parquet.metadata.num_rows == 0:
            empty = parquet.schema_arrow.empty_table().select(list(wanted)).to_pandas().rename(columns=wanted)
            yield Chunk(empty, np.zeros(0, dtype=np.int64))
            return
        # A damaged data page shows only when its batch is decoded, possibly after earlier chunks were
        # loaded; the caller's per-file transaction takes those back.
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=list(wanted)):
            frame = batch.to_pandas().rename(columns=wanted)
            yield Chunk(frame, np.arange(offset + 1, offset + len(frame) + 1, dtype=np.int64))
            offset += len(frame)
    except (pa.ArrowException, OSError) as exc:
        raise FileProblem(f"not a readable Parquet file: {exc}") from None


def read_chunks(
    source: Source, headers: dict[str, FeedHeaders], chunk_rows: int, layout: Layout
) -> Iterator[Chunk]:
    """Consecutive chunks of the table's data rows, columns named as the contract's; `layout` is filled in
    as the table is read (header row, rows above it, blank rows, columns not loaded). Text files are read as
    strings, Parquet keeps its types."""
    feed_headers = headers[source.feed.name]
    suffix = source.path.suffix.lower()
    if suffix == ".parquet":
        yield from _parquet_chunks(source.path, feed_headers, headers, chunk_rows, layout)
    elif suffix == ".csv":
        yield from csv_chunks(source.path, feed_headers, headers, chunk_rows, layout)
    else:
        layout.sheet = source.sheet
        sheet = source.sheet if source.sheet is not None else 0
        yield from sheet_chunks(
            source.path, sheet, feed_headers, headers, chunk_rows, layout, optional=source.optional
        )
