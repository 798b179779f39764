"""Where a feed's table starts in a file, and what a reader tells ingest about the rows it read.

County exports put title rows (「XX镇留守儿童花名册」), blank rows and notes above the header; the header is
the first of the top rows that names enough of the feed's contract columns. Data rows are numbered from the
header: data row 1 is the row right below it (blank rows and bad lines keep their numbers), so a row's place
in the file is `header_row + row_number`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_contracts.feeds import FEEDS
from data_contracts.headers import FeedHeaders, HeaderMatch, header_key

HEADER_SEARCH_ROWS = 50  # the header must be among the first rows of a file or sheet
MALFORMED_RULE = "malformed_line"


class FileProblem(Exception):
    """A file (or sheet) that cannot be read at all: wrong encoding, not a table, no header, duplicate or
    missing columns, another feed's table. The message is one line saying what and how to fix it."""


@dataclass
class Layout:
    """What reading a file or sheet found besides data rows; counts grow while the file is read."""

    sheet: str | None = None
    header_row: int = 0  # 1-based row of the header in the file or sheet (0: none, as in Parquet)
    above_header: int = 0  # title, note and blank rows above the header
    repeated_headers: int = 0  # the header again further down (pages pasted together)
    blank_rows: int = 0  # empty rows among the data, not counted as data
    unknown: list[str] = field(default_factory=list)  # headers of no contract column: not loaded
    not_loaded: list[str] = field(default_factory=list)  # declared headers the contract leaves out

    @property
    def header_rows(self) -> int:
        """Rows that are not data and not blank: the header, anything above it, repeated headers."""
        return self.above_header + (1 if self.header_row else 0) + self.repeated_headers


@dataclass(frozen=True)
class BadLine:
    """A line that could not be split into the header's columns: quarantined as `malformed_line`."""

    row: int  # data row number (see the module docstring)
    reason: str
    text: str  # the raw line, kept only in the restricted table `identity_raw_lines`


@dataclass
class Chunk:
    frame: pd.DataFrame  # contract columns only, 0-based RangeIndex
    rows: np.ndarray  # int64 data row number of each frame row
    bad: list[BadLine] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.frame) + len(self.bad)


def enough_columns(headers: FeedHeaders) -> int:
    """How many of a feed's columns a row must name to be its header: half the required ones, at least 2."""
    columns = headers.feed.schema.columns
    required = sum(1 for c in columns.values() if c.required)
    return min(len(columns), max(2, math.ceil(required / 2)))


def is_blank(cells: list[object]) -> bool:
    return all(header_key(c) == "" for c in cells)


def choose_header(
    top: list[list[object]], headers: FeedHeaders, all_headers: dict[str, FeedHeaders] | None = None
) -> tuple[int, HeaderMatch]:
    """The header among the top rows: the first naming enough contract columns, else the one naming most
    (its missing columns are then reported by name). Raises when no row names any column, saying which
    other feed's table it is when the rows hold another feed's header."""
    need = enough_columns(headers)
    best: tuple[int, int, HeaderMatch] | None = None
    for i, cells in enumerate(top[:HEADER_SEARCH_ROWS]):
        match = headers.match(cells)
        if match.named >= need:
            return i, match
        if match.named and (best is None or match.named > best[0]):
            best = (match.named, i, match)
    if best is None:
        feed = headers.feed
        other = best_feed(top, {n: h for n, h in (all_headers or {}).items() if n != feed.name})
        if other is not None:
            raise FileProblem(_wrong_feed(other, feed.name))
        raise FileProblem(
            f"no header row: none of the first {min(len(top), HEADER_SEARCH_ROWS)} rows names a column of "
            f"{feed.name} ({feed.title}); see docs/county-data.md for the headers understood, or add yours "
            "to a header mapping file"
        )
    return best[1], best[2]


def check_header(
    match: HeaderMatch, cells: list[object], headers: FeedHeaders, all_headers: dict[str, FeedHeaders]
) -> None:
    """Refuse a header that names one column twice, misses required columns, or is another feed's."""
    feed = headers.feed
    if match.duplicates:
        column, places = next(iter(match.duplicates.items()))
        named = " and ".join(f"column {p + 1} 「{str(cells[p]).strip()}」" for p in places)
        raise FileProblem(f"{named} both give {column}: delete one of them and ingest again")
    present = set(match.columns.values())
    missing = [n for n, c in feed.schema.columns.items() if c.required and n not in present]
    if not missing:
        return
    others: list[tuple[int, str]] = []
    for name, other in all_headers.items():
        theirs = other.match(cells)
        if name != feed.name and set(_required(other)) <= set(theirs.columns.values()):
            others.append((theirs.named, name))
    if others:
        _, name = max(others)
        raise FileProblem(_wrong_feed(name, feed.name))
    raise FileProblem(
        f"missing contract column(s) of feed {feed.name}: {', '.join(missing)}; add them, or map the "
        "county's header to them in a header mapping file (docs/county-data.md)"
    )


def _wrong_feed(name: str, expected: str) -> str:
    return (
        f"this is a table of {name} ({FEEDS[name].title}), not of {expected}: "
        f"rename the file (or sheet) to start with {name}"
    )


def best_feed(top: list[list[object]], all_headers: dict[str, FeedHeaders]) -> str | None:
    """The feed whose header the top rows hold most clearly (enough columns named), if any."""
    scores: list[tuple[int, str]] = []
    for name, headers in all_headers.items():
        need = enough_columns(headers)
        named = max((headers.match(row).named for row in top[:HEADER_SEARCH_ROWS]), default=0)
        if named >= need:
            scores.append((named, name))
    return max(scores)[1] if scores else None


def _required(headers: FeedHeaders) -> list[str]:
    return [n for n, c in headers.feed.schema.columns.items() if c.required]
