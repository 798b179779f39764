"""What `shouhu ingest` prints: rows per feed, rows per table (adding up), and what was not loaded."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from data_contracts.results import Counts, IngestReport

COUNT_HEADINGS = ("rows", "header", "blank", "read", "loaded", "quarantined", "duplicate")


def _cells(counts: Counts) -> list[str]:
    quarantined = f"[red]{counts.quarantined}[/]" if counts.quarantined else "0"
    return [
        str(counts.rows),
        str(counts.header),
        str(counts.blank),
        str(counts.read),
        str(counts.loaded),
        quarantined,
        str(counts.duplicate),
    ]


def feed_table(report: IngestReport) -> Table:
    """Per feed: rows = header + blank + read, and read = loaded + quarantined + duplicate."""
    table = Table(title=f"ingest run {report.run_id}: per feed")
    for heading in ("feed", "tables", *COUNT_HEADINGS):
        table.add_column(heading, justify="left" if heading == "feed" else "right")
    for feed, counts in report.feeds.items():
        tables = sum(1 for f in report.files if f.feed == feed and not (f.skipped or f.error))
        table.add_row(feed, str(tables), *_cells(counts))
    table.add_row("total", "", *_cells(report.total), style="bold", end_section=True)
    return table


def file_table(report: IngestReport) -> Table:
    """Per table read: where its header was and how its rows add up."""
    table = Table(title="per file (at row: where its header is; data rows are numbered from it)")
    table.add_column("file [sheet]", overflow="fold")
    for heading in ("at row", *COUNT_HEADINGS):
        table.add_column(heading, justify="right")
    for result in report.files:
        if result.skipped or result.error:
            continue
        table.add_row(result.label, str(result.header_row or "—"), *_cells(result.counts))
    return table


def render_report(report: IngestReport, console: Console) -> None:
    if report.refused:
        return  # the CLI says why, in one line
    console.print(feed_table(report))
    if any(not (f.skipped or f.error) for f in report.files):
        console.print(file_table(report))
    for result in report.files:
        if result.skipped:
            console.print(f"skipped {result.label}: {result.skipped}")
        if result.unknown_columns:
            console.print(
                f"{result.label}: [yellow]unknown columns, not loaded[/]: "
                f"{', '.join(result.unknown_columns)} "
                "(if one holds a contract column, map it in a header mapping file: docs/county-data.md)"
            )
        if result.not_loaded_columns:
            console.print(
                f"{result.label}: columns the contract leaves out, not loaded: "
                f"{', '.join(result.not_loaded_columns)}"
            )
    for path, why in report.ignored:
        console.print(f"[yellow]not ingested[/] {path}: {why}")
