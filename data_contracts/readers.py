"""Finding feed files in a folder and reading them in row chunks (CSV in UTF-8/BOM/GBK, XLSX, Parquet)."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data_contracts.feeds import FEEDS, Feed

SUPPORTED = {".csv", ".xlsx", ".parquet"}
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig also reads plain UTF-8; GB18030 is a superset of GBK
SIMULATOR_METADATA = {".json"}  # faults_manifest.json, simulation.json beside a simulator's feeds/


class FileProblem(Exception):
    """A file that cannot be read at all (wrong encoding, not a table, required columns missing)."""


@dataclass(frozen=True)
class FeedFile:
    feed: Feed
    path: Path


def match_feed(stem: str) -> Feed | None:
    """The feed whose name the stem starts with; the longest name wins (`schools` vs `school_events`)."""
    names = [n for n in FEEDS if stem.startswith(n)]
    return FEEDS[max(names, key=len)] if names else None


def discover(folder: Path) -> tuple[list[FeedFile], list[tuple[Path, str]]]:
    """Feed files in load order (FEEDS order, then file name), and the files that are not ingested, with why.

    Looks in `folder` and, for a simulator output folder, in `folder/feeds`."""
    places = [folder] + ([folder / "feeds"] if (folder / "feeds").is_dir() else [])
    found: list[FeedFile] = []
    ignored: list[tuple[Path, str]] = []
    for place in places:
        for path in sorted(p for p in place.iterdir() if p.is_file() and not p.name.startswith(".")):
            suffix = path.suffix.lower()
            if suffix not in SUPPORTED:
                if not (place is folder and len(places) > 1 and suffix in SIMULATOR_METADATA):
                    ignored.append((path, f"unsupported file type {suffix or '(none)'}"))
                continue
            feed = match_feed(path.stem)
            if feed is None:
                ignored.append((path, "file name starts with no feed name"))
            else:
                found.append(FeedFile(feed, path))
    order = {name: i for i, name in enumerate(FEEDS)}
    found.sort(key=lambda f: (order[f.feed.name], f.path.name))
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


def header_map(feed: Feed, columns: list[str]) -> dict[str, str]:
    """Cleaned header -> contract column; a header may also be the column's unique 中文 title."""
    by_title: dict[str, str] = {}
    for name, col in feed.schema.columns.items():
        if col.title:
            title = unicodedata.normalize("NFKC", col.title)
            by_title[title] = name if title not in by_title else ""  # ambiguous titles are not used
    rename: dict[str, str] = {}
    for raw in columns:
        clean = unicodedata.normalize("NFKC", str(raw)).strip()
        rename[raw] = clean if clean in feed.schema.columns else (by_title.get(clean) or clean)
    return rename


def _read_csv(path: Path) -> pd.DataFrame:
    problems = []
    for encoding in CSV_ENCODINGS:
        try:
            return pd.read_csv(path, dtype=str, na_filter=False, encoding=encoding, skipinitialspace=True)
        except UnicodeDecodeError:
            problems.append(encoding)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise FileProblem(f"not a readable CSV table: {exc}") from None
    raise FileProblem(f"cannot decode the text as {' or '.join(problems)}")


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        return pd.read_excel(path, sheet_name=0, dtype=str, na_filter=False, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise FileProblem(f"not a readable XLSX workbook: {exc}") from None


def _slices(frame: pd.DataFrame, chunk_rows: int) -> Iterator[pd.DataFrame]:
    for start in range(0, max(len(frame), 1), chunk_rows):
        yield frame.iloc[start : start + chunk_rows].reset_index(drop=True)


def count_rows(path: Path) -> int | None:
    """Row count when it is cheap to know (Parquet metadata); None otherwise, also for a file that cannot be
    opened (only a progress bar needs the count; reading the file reports the problem)."""
    if path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows
        except (pa.ArrowException, OSError):
            return None
    return None


def _parquet_chunks(feed: Feed, path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        rename = header_map(feed, parquet.schema_arrow.names)
        if parquet.metadata.num_rows == 0:
            yield parquet.schema_arrow.empty_table().to_pandas().rename(columns=rename)
            return
        # A damaged data page shows only when its batch is decoded, possibly after earlier chunks were
        # loaded; the caller's per-file transaction takes those back.
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            yield batch.to_pandas().rename(columns=rename)
    except (pa.ArrowException, OSError) as exc:
        raise FileProblem(f"not a readable Parquet file: {exc}") from None


def read_chunks(feed_file: FeedFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Consecutive row chunks of the file (0-based RangeIndex each), headers mapped to contract columns.
    Text files are read as strings; Parquet keeps its types."""
    path, feed = feed_file.path, feed_file.feed
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _parquet_chunks(feed, path, chunk_rows)
        return
    frame = _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    frame = frame.rename(columns=header_map(feed, list(frame.columns)))
    yield from _slices(frame, chunk_rows)
