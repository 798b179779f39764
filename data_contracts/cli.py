"""`shouhu ingest` and `shouhu contracts-doc`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from data_contracts.ingest import IngestReport


def _fail(message: str) -> typer.Exit:
    typer.echo(f"shouhu ingest: {' '.join(message.split())}", err=True)
    return typer.Exit(1)


def ingest(
    folder: Annotated[Path, typer.Argument(help="Folder of feed files (or a simulator output folder).")],
    warehouse: Annotated[
        Path | None, typer.Option(help="DuckDB warehouse file (default: the SHOUHU_WAREHOUSE setting).")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Exit non-zero when any row is quarantined.")] = False,
    headers: Annotated[
        Path | None,
        typer.Option(
            help="The county's header mapping (YAML); by default 表头对照.yaml or headers.yaml in the folder."
        ),
    ] = None,
    allow_mixed: Annotated[
        bool, typer.Option(help="Load a folder that looks like another county's into this warehouse anyway.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    lake: Annotated[
        Path | None, typer.Option(help="Also write the feed tables as a Parquet lake (feed/month) here.")
    ] = None,
) -> None:
    """Validate, pseudonymize and load a folder of feeds into the warehouse; bad rows go to `quarantine`."""
    import duckdb
    from rich.console import Console

    from data_contracts.headers import MappingProblem
    from data_contracts.ingest import ingest_folder
    from data_contracts.readers import FileProblem
    from data_contracts.report import render_report
    from shouhu.settings import InsecureSettings, get_settings

    settings = get_settings()
    try:
        settings.require_secrets("pseudonym_secret")  # keys made with a public secret could be linked back
    except InsecureSettings as exc:
        typer.echo(f"shouhu ingest: {exc}", err=True)
        raise typer.Exit(2) from None
    target = warehouse or settings.warehouse
    if headers is not None and not headers.is_file():
        raise _fail(
            f"header mapping {headers} not found; give the path of the YAML file, or leave --headers out"
        )
    try:
        report = ingest_folder(
            folder,
            target,
            settings.pseudonym_secret.get_secret_value(),
            strict=strict,
            progress=progress,
            headers_file=headers,
            allow_mixed=allow_mixed,
        )
    except (FileProblem, MappingProblem) as exc:
        raise _fail(str(exc)) from None
    except duckdb.IOException as exc:
        raise _fail(
            f"cannot open the warehouse {target} for writing ({exc}); stop what holds it open (shouhu serve, "
            "another ingest) and run again, or choose another --warehouse"
        ) from None
    except Exception as exc:  # one line naming the problem, never a traceback
        raise _fail(
            f"stopped by {type(exc).__name__}: {exc}; nothing after it was loaded, run it again"
        ) from None
    if report.refused:
        raise _fail(report.refused)
    render_report(report, Console())
    if lake is not None:
        from data_contracts.lake import write_lake

        rows = write_lake(target, lake)
        typer.echo(f"wrote the Parquet lake {lake} ({sum(rows.values()):,} rows in {len(rows)} feeds)")
    for result in report.errors:
        typer.echo(f"shouhu ingest: cannot read {result.label}: {result.error}", err=True)
    if strict and report.total.quarantined:
        typer.echo(strict_failure_message(report), err=True)
    raise typer.Exit(report.exit_code)


def strict_failure_message(report: IngestReport) -> str:
    """What `--strict` says when rows were quarantined: each file with its count and top rules."""
    lines = [
        f"shouhu ingest: --strict and {report.total.quarantined} row(s) quarantined "
        f"(table quarantine, ingest_run = '{report.run_id}'):"
    ]
    for result in report.quarantining_files:
        rules = ", ".join(
            f"{rule} on {column or '(row)'} ×{count}" for rule, column, count in result.top_rules()
        )
        more = len(result.rules) - len(result.top_rules())
        lines.append(
            f"  {result.label}: {result.counts.quarantined} row(s); {rules}"
            + (f" and {more} more rule(s)" if more > 0 else "")
        )
    return "\n".join(lines)


def contracts_doc(
    out: Annotated[Path, typer.Option(help="Where to write the contracts page.")] = Path("docs/contracts.md"),
    county_out: Annotated[Path, typer.Option(help="Where to write the page for county data staff.")] = Path(
        "docs/county-data.md"
    ),
) -> None:
    """Write docs/contracts.md and docs/county-data.md from the pandera models and the declared headers."""
    from data_contracts.county_docs import render_county_page
    from data_contracts.docs import render_contracts

    for path, text in ((out, render_contracts()), (county_out, render_county_page())):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {path}")
