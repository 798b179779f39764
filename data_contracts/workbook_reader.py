"""Reading XLSX workbooks with calamine (through pandas): sheet names, a peek at a sheet's top rows, and a
sheet's data rows in chunks.

Cells arrive typed. Text is kept; numbers become the text Excel shows for them (an integer-valued number
without ".0"); a number with more than 15 digits cannot have been stored exactly by Excel (an 18-digit ID
number typed into a number cell), so it becomes Excel's "3.60321201205061E+17" and fails the field's rule
instead of loading as a wrong number; date cells stay dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from data_contracts.headers import FeedHeaders
from data_contracts.table_layout import (
    HEADER_SEARCH_ROWS,
    Chunk,
    FileProblem,
    Layout,
    check_header,
    choose_header,
    enough_columns,
)

EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number


class SheetSkipped(Exception):
    """A sheet of a workbook named for a feed that holds no table of that feed (a cover or notes sheet)."""


def sheet_names(path: Path) -> list[str]:
    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            return [str(s) for s in book.sheet_names]
    except Exception as exc:  # calamine raises its own error types for a damaged workbook
        raise FileProblem(f"not a readable XLSX workbook: {exc}") from None


def read_sheet(path: Path, sheet: str | int, nrows: int | None = None) -> pd.DataFrame:
    """The sheet's cells as objects, one frame row per sheet row from row 1 (blank rows included)."""
    try:
        return pd.read_excel(
            path, sheet_name=sheet, header=None, dtype=object, na_filter=False, engine="calamine", nrows=nrows
        )
    except Exception as exc:  # calamine raises its own error types for a damaged workbook
        raise FileProblem(f"not a readable XLSX workbook: {exc}") from None


def cell_text(value: object) -> object:
    """A cell as ingest reads it: text, or a datetime for a date cell."""
    if value is None:
        return ""
    if isinstance(value, str | datetime):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(value) if abs(int(value)) < 10**EXACT_DIGITS else f"{float(value):.{EXACT_DIGITS - 1}E}"
    if isinstance(value, float | np.floating):
        if value != value:
            return ""
        if float(value).is_integer() and abs(value) < 10**EXACT_DIGITS:
            return str(int(value))
        return f"{value:.{EXACT_DIGITS}g}"
    return str(value)


def _as_read(series: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = np.array([cell_text(u) for u in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=series.index, name=series.name, dtype=object)


def _empty(frame: pd.DataFrame) -> np.ndarray:
    """Per row: every cell is empty."""
    empty = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        values = frame[column]
        empty &= (values.isna() | values.eq("")).to_numpy(dtype=bool)
    return empty


def sheet_chunks(
    path: Path,
    sheet: str | int,
    headers: FeedHeaders,
    all_headers: dict[str, FeedHeaders],
    chunk_rows: int,
    layout: Layout,
    optional: bool = False,
) -> Iterator[Chunk]:
    """Consecutive chunks of the sheet's data rows; `layout` says where the header was and counts blank and
    repeated header rows. With `optional`, a sheet without a table of the feed raises SheetSkipped."""
    cells = read_sheet(path, sheet)
    if cells.empty:
        if optional:
            raise SheetSkipped("the sheet is empty")
        raise FileProblem("the sheet is empty")
    top = cells.iloc[:HEADER_SEARCH_ROWS].map(cell_text).values.tolist()
    try:
        index, match = choose_header(top, headers, all_headers)
    except FileProblem as exc:
        if optional:
            raise SheetSkipped(str(exc)) from None
        raise
    if optional and match.named < enough_columns(headers):
        raise SheetSkipped(f"no header row of {headers.feed.name} in the first {HEADER_SEARCH_ROWS} rows")
    header = top[index]
    check_header(match, header, headers, all_headers)
    layout.header_row, layout.above_header = index + 1, index
    layout.unknown, layout.not_loaded = match.unknown, match.not_loaded

    body = cells.iloc[index + 1 :]
    blank = _empty(body)
    picked = body.iloc[:, list(match.columns)].copy()
    picked.columns = list(match.columns.values())
    for column in picked.columns:
        picked[column] = _as_read(picked[column])
    repeated = ~blank
    for column, position in zip(picked.columns, match.columns, strict=True):
        repeated &= picked[column].eq(str(header[position]).strip()).to_numpy(dtype=bool)
    layout.blank_rows += int(blank.sum())
    layout.repeated_headers += int(repeated.sum())
    keep = ~(blank | repeated)
    rows = (np.arange(len(body), dtype=np.int64) + 1)[keep]
    data = picked[keep].reset_index(drop=True)
    for start in range(0, max(len(data), 1), chunk_rows):
        part = data.iloc[start : start + chunk_rows].reset_index(drop=True)
        yield Chunk(part, rows[start : start + chunk_rows])
