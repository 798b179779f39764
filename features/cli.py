"""`shouhu features` (issue 4): point-in-time indicators, labels and rule flags to a parquet file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from shouhu.errors import TRUTH_FOLDER


def features(
    out: Annotated[Path, typer.Option("--out", help="Where to write the feature matrix (.parquet).")],
    as_of: Annotated[
        list[datetime] | None,
        typer.Option("--as-of", help="An as-of date (repeatable).", formats=["%Y-%m-%d"]),
    ] = None,
    monthly: Annotated[
        tuple[datetime, datetime] | None,
        typer.Option(
            "--monthly",
            help="FROM TO: the 1st of every month in [FROM, TO] (the first on or after FROM).",
            formats=["%Y-%m-%d"],
        ),
    ] = None,
    horizon: Annotated[int | None, typer.Option(help="Label horizon in days (default: settings).")] = None,
    warehouse: Annotated[
        Path | None, typer.Option(help="DuckDB warehouse or Parquet lake folder (default: settings).")
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            help="Simulator truth/ folder (evaluation only).",
            callback=TRUTH_FOLDER,
        ),
    ] = None,
    spec: Annotated[Path | None, typer.Option(help="Indicator spec YAML (default: settings / v1).")] = None,
) -> None:
    """Point-in-time indicators, labels and rule flags → parquet, with a missingness summary. 特征矩阵。"""
    from rich.console import Console

    from features.backend import open_warehouse
    from features.pipeline import build_matrix
    from features.spec import load_spec
    from features.summary import print_summary
    from shouhu.settings import get_settings

    console = Console()
    dates = list(as_of or [])
    if monthly:
        from features.dates import monthly_as_of_dates

        dates += monthly_as_of_dates(*monthly)
    if not dates:
        raise typer.BadParameter("give --as-of DATE (repeatable) or --monthly FROM TO")
    settings = get_settings()
    wh = warehouse or settings.warehouse
    if not Path(wh).exists():
        typer.secho(
            f"shouhu features: warehouse {wh} not found; run `shouhu ingest FOLDER` first", fg="red", err=True
        )
        raise typer.Exit(1)
    feature_spec = load_spec(spec or settings.feature_spec)
    engine = open_warehouse(
        wh,
        backend=settings.backend,
        spark_master=settings.spark_master,
        memory_limit=settings.duckdb_memory,
        spill_dir=settings.data_dir / "duckdb_spill",
    )
    with console.status(f"计算 {len(dates)} 个评估日的特征 ({settings.backend}) …"):
        try:
            df = build_matrix(
                engine,
                dates,
                horizon_days=horizon or settings.horizon_days,
                truth_dir=truth,
                spec=feature_spec,
                pseudonym_secret=settings.pseudonym_secret.get_secret_value(),
            )
        finally:
            engine.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(out, index=False)
    print_summary(df, feature_spec, console)
    console.print(f"[green]wrote {out}[/green] ({len(df):,} rows × {df.shape[1]} columns)")
