"""The per-feed summary table that `shouhu ingest` prints."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from data_contracts.ingest import IngestReport


def render_report(report: IngestReport, console: Console) -> None:
    table = Table(title=f"ingest run {report.run_id}")
    for heading in ("feed", "files", "read", "loaded", "quarantined", "duplicate"):
        table.add_column(heading, justify="left" if heading == "feed" else "right")
    for feed, counts in report.feeds.items():
        files = sum(1 for f in report.files if f.feed == feed and not (f.skipped or f.error))
        table.add_row(
            feed,
            str(files),
            str(counts.read),
            str(counts.loaded),
            f"[red]{counts.quarantined}[/]" if counts.quarantined else "0",
            str(counts.duplicate),
        )
    total = report.total
    table.add_row(
        "total",
        "",
        str(total.read),
        str(total.loaded),
        str(total.quarantined),
        str(total.duplicate),
        style="bold",
        end_section=True,
    )
    console.print(table)
    for result in report.files:
        if result.skipped:
            console.print(f"skipped {result.path.name}: {result.skipped}")
        if result.extra_columns:
            console.print(f"{result.path.name}: extra columns not loaded: {', '.join(result.extra_columns)}")
    for path, why in report.ignored:
        console.print(f"[yellow]not ingested[/] {path}: {why}")
