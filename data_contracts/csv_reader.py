"""Reading a CSV feed in row chunks with bounded memory; a line that does not split into the header's columns
is set aside as a bad line, and every other line loads.

Most lines hold no quote character: they are counted and handed as they are to Arrow's CSV parser, which is
fast. A line with a quote goes through Python's csv module, which joins the following lines when a quoted cell
holds a line break; when the joined record does not have the header's columns, the quote was unbalanced: only
its first line is bad, and the lines after it are read again. Text is decoded as UTF-8 (with or without BOM),
UTF-16 with BOM, or GBK/GB18030, and handed to Arrow as UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from data_contracts.headers import FeedHeaders, header_key
from data_contracts.table_layout import (
    HEADER_SEARCH_ROWS,
    BadLine,
    Chunk,
    FileProblem,
    Layout,
    check_header,
    choose_header,
)

CSV_ENCODINGS = ("utf-8", "gb18030")  # tried in this order; GB18030 is a superset of GBK
DELIMITERS = (",", "\t", ";")  # the one giving the header the most contract columns wins
MAX_RECORD_LINES = 200  # a quoted cell spanning more lines than this is an unbalanced quote
FIELD_LIMIT = 1 << 30  # csv's default (128 KB) refuses long free-text cells
_BLOCK = 1 << 20


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            for block in iter(lambda: handle.read(_BLOCK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV file: a BOM decides; else the first of CSV_ENCODINGS the whole file decodes
    with (checked block by block, so memory stays flat)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        for encoding in CSV_ENCODINGS:
            if _decodes(path, encoding):
                return encoding
    except OSError as exc:
        raise FileProblem(f"cannot open the file: {exc.strerror or exc}") from None
    raise FileProblem("cannot decode the text as UTF-8 or GBK/GB18030; save it again as CSV UTF-8")


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _find_header(
    top: list[str], headers: FeedHeaders, all_headers: dict[str, FeedHeaders]
) -> tuple[str, int, list[str]]:
    """The delimiter and the header's line index among the top lines, and the header's cells."""
    found: list[tuple[int, int, str, int, list[str]]] = []
    problem: FileProblem | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        rows = [_split(line, delimiter) for line in top]
        try:
            index, match = choose_header(rows, headers, all_headers)
        except FileProblem as exc:
            problem = problem or exc
            continue
        found.append((match.named, -rank, delimiter, index, rows[index]))
    if not found:
        assert problem is not None
        raise problem
    _, _, delimiter, index, cells = max(found, key=lambda f: (f[0], f[1]))
    return delimiter, index, cells


def _lines(handle: TextIO, pending: deque[str]) -> Iterator[str]:
    """The file's lines, with lines put back into `pending` coming first (they are read again)."""
    while pending:
        yield pending.popleft()
    for line in handle:
        yield line
        while pending:
            yield pending.popleft()


class _Pull:
    """Feeds one record's lines to csv.reader: the first line, then more only when a quoted cell goes on;
    remembers them, and whether the quote was still open at the end of the file or of MAX_RECORD_LINES."""

    def __init__(self, first: str, lines: Iterator[str]) -> None:
        self.consumed = [first]
        self.lines = lines
        self.started = False
        self.cut = False

    def __iter__(self) -> _Pull:
        return self

    def __next__(self) -> str:
        if not self.started:
            self.started = True
            return self.consumed[0]
        following = next(self.lines, None) if len(self.consumed) < MAX_RECORD_LINES else None
        if following is None:
            self.cut = True
            raise StopIteration
        self.consumed.append(following)
        return following


def _serialize(fields: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerow(fields)
    return out.getvalue()


class _Scan:
    """State of one pass over the data lines of a file."""

    def __init__(self, header: list[str], delimiter: str, layout: Layout) -> None:
        self.n = max(i for i, c in enumerate(header) if header_key(c)) + 1  # trailing empty headers: none
        self.header = [c.strip() for c in header[: self.n]]
        self.delimiter = delimiter
        self.layout = layout
        self.good: list[str] = []
        self.rows: list[int] = []
        self.bad: list[BadLine] = []
        self.multiline = False

    def quoted(self, line: str, row: int, lines: Iterator[str], pending: deque[str]) -> int:
        """A line with a quote or a NUL: parse it with csv; returns the lines it used."""
        if "\x00" in line:
            self.bad.append(BadLine(row, "a NUL character in the line", line.rstrip("\r\n")))
            return 1
        pull = _Pull(line, lines)
        fields = next(csv.reader(pull, delimiter=self.delimiter), [])
        if len(fields) > self.n and not any(f.strip() for f in fields[self.n :]):
            fields = fields[: self.n]
        if len(fields) == self.n and not pull.cut:
            if not any(f.strip() for f in fields):
                self.layout.blank_rows += 1
            elif [f.strip() for f in fields] == self.header:
                self.layout.repeated_headers += 1
            else:
                text = _serialize(fields, self.delimiter)
                self.multiline |= "\n" in text[:-1] or "\r" in text
                self.good.append(text)
                self.rows.append(row)
            return len(pull.consumed)
        pending.extendleft(reversed(pull.consumed[1:]))  # read them again as lines of their own
        reason = (
            "an unbalanced quote"
            if pull.cut or len(pull.consumed) > 1
            else f"{len(fields)} fields where the header has {self.n}"
        )
        self.bad.append(BadLine(row, reason, line.rstrip("\r\n")))
        return 1

    def take(self, positions: dict[int, str]) -> Chunk:
        chunk = Chunk(self._frame(positions), np.array(self.rows, dtype=np.int64), self.bad)
        self.good, self.rows, self.bad, self.multiline = [], [], [], False
        return chunk

    def _frame(self, positions: dict[int, str]) -> pd.DataFrame:
        if not self.good:
            return pd.DataFrame({c: pd.Series([], dtype="str") for c in positions.values()})
        if not self.good[-1].endswith(("\n", "\r")):
            self.good[-1] += "\n"
        data = "".join(self.good).encode("utf-8")
        names = [f"c{i}" for i in range(self.n)]
        wanted = [names[p] for p in positions]
        convert = pa_csv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        )
        parse = pa_csv.ParseOptions(
            delimiter=self.delimiter, newlines_in_values=self.multiline, ignore_empty_lines=False
        )
        table = None
        for block in (1 << 24, len(data) + 1):  # a cell longer than the block needs one block for all
            try:
                read = pa_csv.ReadOptions(column_names=names, block_size=block)
                table = pa_csv.read_csv(io.BytesIO(data), read, parse, convert)
                break
            except pa.ArrowInvalid as exc:
                if "straddl" not in str(exc) or block > len(data):
                    raise FileProblem(f"not a readable CSV table: {exc}") from None
        assert table is not None
        if table.num_rows != len(self.rows):  # the lines were checked one by one: this cannot differ
            raise FileProblem(f"read {table.num_rows} rows from {len(self.rows)} checked lines")
        return table.to_pandas().rename(columns={names[p]: c for p, c in positions.items()})


def csv_chunks(
    path: Path,
    headers: FeedHeaders,
    all_headers: dict[str, FeedHeaders],
    chunk_rows: int,
    layout: Layout,
) -> Iterator[Chunk]:
    """Consecutive chunks of the file's data rows (and bad lines); `layout` says where the header was and
    counts blank and repeated header rows as the file is read. At least one chunk, possibly empty."""
    csv.field_size_limit(FIELD_LIMIT)
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        top = list(itertools.islice(handle, HEADER_SEARCH_ROWS))
        if not top:
            raise FileProblem("the file is empty")
        delimiter, index, cells = _find_header(top, headers, all_headers)
        match = headers.match(list(cells))
        check_header(match, list(cells), headers, all_headers)
        layout.header_row, layout.above_header = index + 1, index
        layout.unknown, layout.not_loaded = match.unknown, match.not_loaded
        scan = _Scan(cells, delimiter, layout)
        pending = deque(top[index + 1 :])
        header_line = top[index]
        blank_chars = delimiter + " \t\r\n"
        n1 = scan.n - 1
        row = 0
        while True:  # a quote open to the end of the file used up the lines: read them again
            lines = _lines(handle, pending)
            for line in lines:
                row += 1
                if not line.strip(blank_chars):
                    layout.blank_rows += 1
                elif '"' in line or "\x00" in line:
                    row += scan.quoted(line, row, lines, pending) - 1
                elif line == header_line:
                    layout.repeated_headers += 1
                else:
                    extra = line.count(delimiter) - n1
                    if extra == 0:
                        scan.good.append(line)
                        scan.rows.append(row)
                    elif extra > 0 and (text := line.rstrip("\r\n")).endswith(delimiter * extra):
                        scan.good.append(text[:-extra] + "\n")
                        scan.rows.append(row)
                    else:
                        scan.bad.append(
                            BadLine(
                                row,
                                f"{extra + scan.n} fields where the header has {scan.n}",
                                line.rstrip("\r\n"),
                            )
                        )
                if len(scan.rows) + len(scan.bad) >= chunk_rows:
                    yield scan.take(match.columns)
            if not pending:
                break
        yield scan.take(match.columns)
