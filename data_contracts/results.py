"""What an ingest run found: counts per table, per feed and in total, and what could not be read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

RuleCounts = Counter[tuple[str, str]]  # (rule, field) -> failures


@dataclass
class Counts:
    """Rows of a table (or feed, or run). Every data row read is loaded, quarantined or a duplicate; the
    header, the rows above it and repeated headers, and blank rows are counted beside them."""

    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicate: int = 0
    header: int = 0
    blank: int = 0

    def add(self, other: Counts) -> None:
        self.read += other.read
        self.loaded += other.loaded
        self.quarantined += other.quarantined
        self.duplicate += other.duplicate
        self.header += other.header
        self.blank += other.blank

    @property
    def rows(self) -> int:
        """Rows in the file: data rows plus header, title and blank rows."""
        return self.read + self.header + self.blank

    @property
    def balanced(self) -> bool:
        return self.loaded + self.quarantined + self.duplicate == self.read


@dataclass
class FileResult:
    """One table: a CSV or Parquet file, or one sheet of a workbook."""

    path: Path
    feed: str
    sheet: str | None = None
    counts: Counts = field(default_factory=Counts)
    header_row: int = 0  # 1-based row of the header (0: none, as in Parquet)
    skipped: str | None = None  # why a readable table was not processed (already ingested, not a table)
    error: str | None = None  # why the table could not be read at all
    unknown_columns: list[str] = field(default_factory=list)  # headers of no contract column, not loaded
    not_loaded_columns: list[str] = field(default_factory=list)  # declared headers the contract leaves out
    rules: RuleCounts = field(default_factory=Counter)  # what the quarantined rows broke
    earlier_known: int = 0  # valid rows whose key the warehouse held from earlier runs
    earlier_conflicts: int = 0  # ... of which with other content (conflicting duplicates)

    @property
    def label(self) -> str:
        return self.path.name + (f" [{self.sheet}]" if self.sheet is not None else "")

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
    headers_file: Path | None = None  # the county's header mapping used, if any
    refused: str | None = None  # why the run stopped before loading (the folder is another county's)

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
        """Tables of this run with quarantined rows, in load order."""
        return [f for f in self.files if f.counts.quarantined]

    @property
    def exit_code(self) -> int:
        """1 when the run was refused, a table could not be read, or under strict any row was quarantined."""
        if self.refused or self.errors or (self.strict and self.total.quarantined):
            return 1
        return 0
